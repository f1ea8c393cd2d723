import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** Days in a month; setUTCFullYear, because Date.UTC reads years 0–99 as 1900–1999. */
const daysIn = (year: number, month: number): number => {
  const date = new Date(0);
  date.setUTCFullYear(year, month, 0);
  return date.getUTCDate();
};

/** Parses an RFC 3339 date-time with an explicit offset; returns ISO-8601 UTC with milliseconds. */
export function parseDateTime(value: unknown): string {
  // Fast path for the canonical form clients and this API emit (UTC, milliseconds): a value that
  // survives a round trip through Date unchanged is a real instant.
  if (typeof value === 'string' && value.length === 24 && value.endsWith('Z')) {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms) && new Date(ms).toISOString() === value) return value;
  }
  const match = typeof value === 'string' ? RFC3339.exec(value) : null;
  if (!match) throw new GraphQLError('DateTime must be an RFC 3339 date-time with a time zone, e.g. 2026-11-26T10:00:00.000Z');
  // Date.parse rolls 2026-02-30 over to March; check every field before trusting it.
  const [, y, mo, d, h, mi, se, , zone] = match;
  const [year, month, day] = [Number(y), Number(mo), Number(d)];
  const offsetOk = /^[Zz]$/.test(zone) || (Number(zone.slice(1, 3)) <= 23 && Number(zone.slice(4, 6)) <= 59);
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysIn(year, month) ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(se) > 59 ||
    !offsetOk
  ) {
    throw new GraphQLError(`DateTime ${JSON.stringify(value)} is not a real date-time`);
  }
  const iso = new Date(Date.parse(value as string)).toISOString();
  // An offset can push year 9999 into year 10000, which ISO-8601 basic form cannot hold.
  if (!/^\d{4}-/.test(iso)) throw new GraphQLError(`DateTime ${JSON.stringify(value)} is outside the years 0000–9999 in UTC`);
  return iso;
}

/** UTC date-time as an ISO-8601 string with milliseconds, e.g. `2026-11-26T10:00:00.000Z`. */
export const DateTimeScalar = new GraphQLScalarType({
  name: 'DateTime',
  description: 'A date-time in RFC 3339 form with a time zone; answers are always UTC with milliseconds, e.g. `2026-11-26T10:00:00.000Z`.',
  serialize: (value) => (value instanceof Date ? value.toISOString() : String(value)),
  parseValue: parseDateTime,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be a string');
    return parseDateTime(ast.value);
  },
});
