/** SQL pieces the modules' repositories share. */

/** A piece of SQL and the values of its `?` placeholders, in text order. */
export interface Sql {
  text: string;
  params: unknown[];
}

/** Joins pieces of SQL, keeping their placeholders in order. */
export function sql(strings: TemplateStringsArray, ...parts: (Sql | string | number)[]): Sql {
  let text = strings[0];
  const params: unknown[] = [];
  parts.forEach((part, i) => {
    if (typeof part === 'object') {
      text += part.text;
      params.push(...part.params);
    } else text += String(part);
    text += strings[i + 1];
  });
  return { text, params };
}

export const joinSql = (parts: Sql[], separator: string): Sql => ({
  text: parts.map((p) => p.text).join(separator),
  params: parts.flatMap((p) => p.params),
});

/** The smallest string greater than every string that starts with `prefix` (binary collation). */
export const prefixUpperBound = (prefix: string): string =>
  prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);

const compiled = new Map<string, RegExp>();

/**
 * SQLite's `regexp(pattern, value)`, which `value REGEXP pattern` calls. Patterns come from plugin
 * catalogs (a few dozen), so the compiled forms are kept.
 */
export function sqliteRegexp(pattern: string, value: unknown): 0 | 1 {
  if (typeof value !== 'string') return 0;
  let regex = compiled.get(pattern);
  if (!regex) {
    regex = new RegExp(pattern, 'u');
    if (compiled.size < 10_000) compiled.set(pattern, regex);
  }
  return regex.test(value) ? 1 : 0;
}
