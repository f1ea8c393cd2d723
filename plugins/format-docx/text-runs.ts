import { Tab, TextRun, type IRunOptions } from 'docx';
import { neutraliseControls } from '../../src/plugin-api';

// Every model string outside the data tables reaches the file as the text of a docx run (the
// package escapes it); the data tables' cells are escaped in table-xml.ts.

/** Text runs for a user string: line breaks become Word line breaks and tabs Word tabs. */
export function runs(text: string, style: IRunOptions = {}): TextRun[] {
  return clean(text)
    .split(/\r\n|\r|\n/)
    .map(
      (line, index) =>
        new TextRun({
          ...style,
          ...(index > 0 ? { break: 1 } : {}),
          children: line.split('\t').flatMap((part, partIndex) => (partIndex > 0 ? [new Tab(), part] : [part])),
        }),
    );
}

/**
 * A model string as a run may carry it: control and bidirectional characters as their visible
 * escape (`\u202E`, as table cells get them in table-xml.ts), a lone surrogate as U+FFFD, the
 * non-characters U+FFFE and U+FFFF gone (XML 1.0 cannot hold them).
 */
export function clean(text: string): string {
  return neutraliseControls(text.toWellFormed()).replace(/[\uFFFE\uFFFF]/g, '');
}

/** A metadata key as a label: `reportType` becomes `Report type`. */
export function labelOf(key: string): string {
  const words = key.replace(/([a-z\d])([A-Z])/g, (_, before: string, capital: string) => `${before} ${capital.toLowerCase()}`);
  return words.charAt(0).toUpperCase() + words.slice(1);
}
