import { nextBatchSize, PRUNE_BATCH_TARGET_MS } from './prune-batch';

describe('nextBatchSize (ADR 0043, amended 2026-12-06)', () => {
  const T = PRUNE_BATCH_TARGET_MS;

  it('takes as many events as the last batch’s pace fits in the target', () => {
    expect(nextBatchSize(1000, T, 200, 4000)).toBe(1000);
    expect(nextBatchSize(1000, (T * 4) / 3, 200, 4000)).toBe(750);
    expect(nextBatchSize(1000, (T * 2) / 3, 200, 4000)).toBe(1500);
  });

  it('at most doubles, and stays between the first size and the most', () => {
    expect(nextBatchSize(200, T / 10, 200, 4000)).toBe(400);
    expect(nextBatchSize(200, 0, 200, 4000)).toBe(400);
    expect(nextBatchSize(3000, T / 2, 200, 4000)).toBe(4000);
    expect(nextBatchSize(300, 10 * T, 200, 4000)).toBe(200);
  });
});
