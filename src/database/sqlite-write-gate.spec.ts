import { SqliteWriteGate } from './sqlite-write-gate';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('SqliteWriteGate (ADR 0043, amended 2026-12-07: the write gate)', () => {
  it('lets an append through at once when no batch is in flight', () => {
    expect(new SqliteWriteGate().passage()).toBeNull();
  });

  it('holds an append until the batch in flight has ended, without holding the event loop', async () => {
    const gate = new SqliteWriteGate();
    let release!: () => void;
    const batch = gate.batch(() => new Promise<void>((resolve) => (release = resolve)));
    await turn();
    const order: string[] = [];
    const passage = gate.passage();
    expect(passage).not.toBeNull();
    void passage!.then(() => order.push('append'));
    for (let i = 0; i < 5; i += 1) await turn(); // the loop turns while the append waits
    expect(order).toEqual([]);
    order.push('batch ends');
    release();
    await batch;
    await passage;
    expect(order).toEqual(['batch ends', 'append']);
  });

  it('starts the next batch only after the appends that waited for the one before have run', async () => {
    const gate = new SqliteWriteGate();
    const order: string[] = [];
    let release!: () => void;
    const first = gate.batch(async () => {
      await new Promise<void>((resolve) => (release = resolve));
      order.push('batch 1');
    });
    await turn();
    const waits = [gate.passage()!, gate.passage()!];
    waits.forEach((w, i) => void w.then(() => order.push(`append ${i + 1}`)));
    const second = gate.batch(async () => {
      order.push('batch 2');
    });
    release();
    await Promise.all([first, second, ...waits]);
    expect(order).toEqual(['batch 1', 'append 1', 'append 2', 'batch 2']);
  });

  it('runs one batch at a time, and a failed batch releases the appends', async () => {
    const gate = new SqliteWriteGate();
    let running = 0;
    let most = 0;
    const run = async () => {
      running += 1;
      most = Math.max(most, running);
      await turn();
      running -= 1;
    };
    await Promise.all([gate.batch(run), gate.batch(run), gate.batch(run)]);
    expect(most).toBe(1);
    const failing = gate.batch(async () => {
      await turn();
      throw new Error('worker gone');
    });
    const passage = gate.passage()!;
    await expect(failing).rejects.toThrow('worker gone');
    await expect(passage).resolves.toBeUndefined();
    expect(gate.passage()).toBeNull();
  });
});
