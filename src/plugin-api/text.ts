/**
 * The control characters no report format may carry raw: the C0 controls other than tab, line feed
 * and carriage return (NUL, ESC, BEL, …), DEL and the C1 controls (U+0080–U+009F, CSI among them),
 * and the bidirectional formatting characters (U+061C, U+200E, U+200F, U+202A–U+202E,
 * U+2066–U+2069) that reorder text on screen ("Trojan Source", `invoice\u202Etxt.exe`).
 * Not global: safe for `.test()`.
 *
 * @example
 * ```ts
 * expect(UNSAFE_CONTROL_CHARACTERS.test(file.toString('utf8'))).toBe(false);
 * ```
 */
export const UNSAFE_CONTROL_CHARACTERS =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;

const ALL_UNSAFE = new RegExp(UNSAFE_CONTROL_CHARACTERS.source, 'g');

/** One character as its visible escape: `\u202E`, four upper-case hex digits. */
const visible = (char: string) => `\\u${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * Text with every {@link UNSAFE_CONTROL_CHARACTERS} character replaced by its visible escape,
 * `\u` and four upper-case hex digits (`\u202E`, `\u001B`), so that a reader sees that the text
 * carried one instead of having the text reordered or a terminal driven by it. Tab, line feed and
 * carriage return are kept (each format lays them out); everything else is unchanged, zero-width
 * joiners of emoji included. One-way: a model string that already contains a backslash-u sequence
 * reads the same; a format that must give the exact string back (JSON) escapes in its own syntax.
 * Every built-in format calls it on every model string; the plugin contract's `render` check
 * fails a format that leaves one of these characters in its file.
 *
 * @example
 * ```ts
 * neutraliseControls('invoice\u202Etxt.exe'); // 'invoice\\u202Etxt.exe'
 * ```
 */
export function neutraliseControls(text: string): string {
  return UNSAFE_CONTROL_CHARACTERS.test(text) ? text.replace(ALL_UNSAFE, visible) : text;
}
