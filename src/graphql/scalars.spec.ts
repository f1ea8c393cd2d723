import { parseDateTime } from './scalars';

describe('DateTime', () => {
  it('normalises to UTC with milliseconds', () => {
    expect(parseDateTime('2026-11-26T10:00:00Z')).toBe('2026-11-26T10:00:00.000Z');
    expect(parseDateTime('2026-11-26T11:30:00.123456+01:30')).toBe('2026-11-26T10:00:00.123Z');
    expect(parseDateTime('2026-11-26T10:00:00.000Z')).toBe('2026-11-26T10:00:00.000Z');
  });

  it('agrees on leap days in the years 0–99 whatever the notation', () => {
    for (const year of ['0000', '0004', '2024']) {
      expect(parseDateTime(`${year}-02-29T00:00:00.000Z`)).toBe(`${year}-02-29T00:00:00.000Z`);
      expect(parseDateTime(`${year}-02-29T00:00:00+00:00`)).toBe(`${year}-02-29T00:00:00.000Z`);
    }
    for (const value of [
      '0100-02-29T00:00:00.000Z',
      '0100-02-29T00:00:00+00:00',
      '2026-02-29T00:00:00.000Z',
      '2026-02-29T10:00:00+00:00',
    ]) {
      expect(() => parseDateTime(value)).toThrow();
    }
  });

  it('rejects what RFC 3339 does not allow', () => {
    for (const value of [
      '2026-11-26',
      '2026-11-26T10:00:00',
      '2026-11-26T24:00:00Z',
      '2026-11-26T10:60:00Z',
      '2026-13-01T00:00:00Z',
      20261126,
    ]) {
      expect(() => parseDateTime(value)).toThrow();
    }
  });
});
