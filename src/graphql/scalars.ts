import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 date-time with an explicit offset; returns ISO-8601 UTC with milliseconds. */
export function parseDateTime(value: unknown): string {
  if (typeof value !== 'string' || !RFC3339.test(value)) {
    throw new GraphQLError('DateTime must be an RFC 3339 date-time with a time zone, e.g. 2026-11-26T10:00:00.000Z');
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new GraphQLError(`DateTime ${JSON.stringify(value)} is not a real date`);
  const iso = new Date(ms).toISOString();
  // Date.parse accepts 2026-02-30; reject dates that roll over.
  const [, y, mo, d] = RFC3339.exec(value)!;
  if (!/[+-]\d{2}:\d{2}$/.test(value) && iso.slice(0, 10) !== `${y}-${mo}-${d}`) {
    throw new GraphQLError(`DateTime ${JSON.stringify(value)} is not a real date`);
  }
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
