import { decimalFraction, ratioPercent, ratioRequired, sharePercent } from './ratio';

describe('RATIO arithmetic', () => {
  it('reads a threshold as the decimal it is written as', () => {
    expect(decimalFraction(0.95)).toEqual({ n: 95n, d: 100n });
    expect(decimalFraction(1)).toEqual({ n: 1n, d: 1n });
    expect(decimalFraction(0)).toEqual({ n: 0n, d: 1n });
    expect(decimalFraction(1e-7)).toEqual({ n: 1n, d: 10_000_000n });
  });

  it('asks for ⌈atLeast · population⌉ qualifying events, without floating error', () => {
    // As doubles, 0.95 * 20 is 19 and 0.07 * 100 is 7.000000000000001, whose ceiling would be 8.
    expect(ratioRequired(0.95, 20)).toBe(19);
    expect(ratioRequired(0.07, 100)).toBe(7);
    expect(ratioRequired(0.95, 430)).toBe(409);
    expect(ratioRequired(0, 20)).toBe(0);
    expect(ratioRequired(1, 20)).toBe(20);
    expect(ratioRequired(1 / 3, 3)).toBe(1);
    expect(ratioRequired(0.5, 0)).toBe(0);
  });

  it('prints thresholds as written and shares rounded down', () => {
    expect([0.95, 1, 0, 0.999, 0.5, 1e-7].map(ratioPercent)).toEqual(['95 %', '100 %', '0 %', '99.9 %', '50 %', '0.00001 %']);
    expect([sharePercent(412, 430), sharePercent(9_499, 10_000), sharePercent(20, 20), sharePercent(0, 5)]).toEqual([
      '95.8 %',
      '94.9 %',
      '100.0 %',
      '0.0 %',
    ]);
  });
});
