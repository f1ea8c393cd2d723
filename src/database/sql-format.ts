/** Values as the append path writes them, identical on SQLite and MySQL/MariaDB. */

/** `2026-11-26T10:00:00.000Z` → `2026-11-26 10:00:00.000` (UTC, what a DATETIME(3) column holds). */
export const toSqlDateTime = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;

/** Reads a DATETIME back (a Date from mysql2, a string from SQLite) as ISO-8601 UTC. */
export function fromSqlDateTime(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  const text = String(value);
  if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/.test(text)) {
    return new Date(`${text.replace(' ', 'T')}Z`).toISOString();
  }
  return new Date(text).toISOString();
}

/** bigint columns come back as strings from mysql2 and numbers from SQLite. */
export const toNumber = (value: unknown): number => (typeof value === 'number' ? value : Number(value));

/** Builds `(?,?,?),(?,?,?)…` for a multi-row INSERT. */
export const placeholders = (rows: number, columns: number): string => {
  const row = `(${new Array(columns).fill('?').join(',')})`;
  return new Array(rows).fill(row).join(',');
};
