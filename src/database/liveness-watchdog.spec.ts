import { LivenessWatchdog } from './liveness-watchdog';

/** A watchdog whose pings the test answers: each ping waits until the test calls answer(). */
function watchdogWithPings() {
  const pings: { signal: AbortSignal; answer(alive: boolean): void }[] = [];
  const watchdog = new LivenessWatchdog({
    stallMs: 2000,
    retryMs: 1000,
    ping: (signal) => new Promise<boolean>((resolve) => pings.push({ signal, answer: resolve })),
    silenceError: () => Object.assign(new Error('silent'), { code: 'SERVER_NOT_ANSWERING' }),
  });
  const failures: Error[] = [];
  const watch = () => watchdog.watch((error) => failures.push(error));
  return { watchdog, pings, failures, watch };
}

describe('LivenessWatchdog', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('never pings while nothing is outstanding or every statement settles before the stall threshold', async () => {
    const { pings, watch } = watchdogWithPings();
    await jest.advanceTimersByTimeAsync(60_000);
    for (let i = 0; i < 20; i += 1) {
      const done = watch();
      await jest.advanceTimersByTimeAsync(1500);
      done();
    }
    expect(pings).toHaveLength(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('pings once a statement is outstanding past the threshold, and lets it run while the server answers', async () => {
    const { watchdog, pings, failures, watch } = watchdogWithPings();
    const done = watch();
    await jest.advanceTimersByTimeAsync(1999);
    expect(pings).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(pings).toHaveLength(1);
    pings[0].answer(true);
    // A long statement on a live server: a ping every threshold, never a failure.
    for (let i = 1; i <= 5; i += 1) {
      await jest.advanceTimersByTimeAsync(2000);
      expect(pings).toHaveLength(i + 1);
      pings[i].answer(true);
    }
    await jest.advanceTimersByTimeAsync(0);
    expect(failures).toHaveLength(0);
    expect(watchdog.refusal()).toBeNull();
    done();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(pings).toHaveLength(6);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('after two unanswered pings in a row fails the statements sent before, refuses new ones, and stops refusing once a ping answers', async () => {
    const { watchdog, pings, failures, watch } = watchdogWithPings();
    watch();
    await jest.advanceTimersByTimeAsync(1000);
    watch(); // younger than the threshold, but stuck behind the same silent server
    await jest.advanceTimersByTimeAsync(1000);
    expect(pings).toHaveLength(1);
    pings[0].answer(false);
    await jest.advanceTimersByTimeAsync(0);
    // One lost ping fails nothing; the next comes a retry interval later.
    expect(failures).toHaveLength(0);
    expect(watchdog.refusal()).toBeNull();
    await jest.advanceTimersByTimeAsync(1000);
    expect(pings).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(1);
    watch(); // sent while the second ping is out: judged by the next one
    pings[1].answer(false);
    await jest.advanceTimersByTimeAsync(0);
    expect(failures.map((e) => (e as { code?: string }).code)).toEqual(['SERVER_NOT_ANSWERING', 'SERVER_NOT_ANSWERING']);
    expect(watchdog.refusal()).toMatchObject({ code: 'SERVER_NOT_ANSWERING' });

    // While silent it pings again every retry interval; the next miss fails the one left.
    await jest.advanceTimersByTimeAsync(1000);
    expect(pings).toHaveLength(3);
    pings[2].answer(false);
    await jest.advanceTimersByTimeAsync(0);
    expect(failures).toHaveLength(3);
    await jest.advanceTimersByTimeAsync(1000);
    expect(pings).toHaveLength(4);
    expect(watchdog.refusal()).not.toBeNull();
    pings[3].answer(true);
    await jest.advanceTimersByTimeAsync(0);
    expect(watchdog.refusal()).toBeNull();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(pings).toHaveLength(4);
    expect(failures).toHaveLength(3);
  });

  it('forgets a lost ping once the next one answers', async () => {
    const { watchdog, pings, failures, watch } = watchdogWithPings();
    const done = watch();
    await jest.advanceTimersByTimeAsync(2000);
    pings[0].answer(false);
    await jest.advanceTimersByTimeAsync(1000);
    pings[1].answer(true);
    await jest.advanceTimersByTimeAsync(2000);
    expect(pings).toHaveLength(3);
    pings[2].answer(false); // a miss again, but not two in a row
    await jest.advanceTimersByTimeAsync(0);
    expect(failures).toHaveLength(0);
    expect(watchdog.refusal()).toBeNull();
    done();
  });

  it('stop() aborts the ping in flight and leaves no timer behind', async () => {
    const { watchdog, pings, failures, watch } = watchdogWithPings();
    watch();
    await jest.advanceTimersByTimeAsync(2000);
    expect(pings).toHaveLength(1);
    watchdog.stop();
    expect(pings[0].signal.aborted).toBe(true);
    pings[0].answer(false);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(failures).toHaveLength(0);
    expect(pings).toHaveLength(1);
    expect(jest.getTimerCount()).toBe(0);
    watch(); // after stop, nothing is watched
    expect(jest.getTimerCount()).toBe(0);
  });
});
