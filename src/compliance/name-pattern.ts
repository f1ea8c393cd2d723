import type { NamePattern } from '../plugin-api';

const REGEX_SPECIAL = /[\\^$.|?+()[\]{}]/g;

/**
 * The regular expression of a rule's `glob`: `**` is any run of characters, `*` any run without a
 * `.`, everything else literal. The same text works in JavaScript, MariaDB (PCRE) and SQLite (the
 * `regexp` function the data source registers).
 */
export function globToRegex(glob: string): string {
  const body = glob
    .split('**')
    .map((part) =>
      part
        .split('*')
        .map((literal) => literal.replace(REGEX_SPECIAL, '\\$&'))
        .join('[^.]*'),
    )
    .join('.*');
  return `^${body}$`;
}

/** The text before a glob's first `*`: an index range that every match lies in. */
export const globPrefix = (glob: string): string => glob.slice(0, glob.indexOf('*') === -1 ? glob.length : glob.indexOf('*'));

/** A JavaScript test for one pattern (classification at ingest runs in process). */
export function namePredicate(pattern: NamePattern): (name: string) => boolean {
  if ('equals' in pattern) return (name) => name === pattern.equals;
  if ('prefix' in pattern) return (name) => name.startsWith(pattern.prefix);
  const regex = new RegExp(globToRegex(pattern.glob), 'u');
  return (name) => regex.test(name);
}
