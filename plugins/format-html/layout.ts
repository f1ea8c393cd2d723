import fs from 'node:fs';
import path from 'node:path';

/**
 * The EJS layout of the HTML report is `templates/report.html.ejs` of the installation, next to
 * the default report templates: deployer-controlled code, read once when the plugin loads. Its
 * `report` is the view `index.ts` builds from the model (every value already display text), and
 * everything from the model must be written with `<%= %>` (escaped) only, never `<%-`; the
 * contract's render check fails a layout that lets a model string through raw. The page must stay
 * self-contained (inline CSS; the Content-Security-Policy forbids scripts and every fetch) and
 * print well: each section starts a page and a table's header row repeats on each printed page.
 */
export const LAYOUT_FILE = 'report.html.ejs';

/** `templates/report.html.ejs`, found above this module: from plugins/ or from dist/plugins/. */
export function layoutPath(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'templates', LAYOUT_FILE);
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`format-html: templates/${LAYOUT_FILE} not found above ${from}`);
  }
}

export const LAYOUT = fs.readFileSync(layoutPath(), 'utf8');
