import { GroupCommit, type Outcome } from './group-commit';

interface Call {
  name: string;
  events: readonly unknown[];
}

const call = (name: string, events = 1): Call => ({ name, events: Array.from({ length: events }) });

/** A promise settled from outside: the tenant's lock, granted when the test says so. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Lets every queued microtask and promise continuation run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

/**
 * A commit function whose every group waits for the lock the test grants, takes its calls, then
 * waits for the test to end its transaction. It records what each group took.
 */
function lockedCommits() {
  const groups: { took: string[] | null; lock: ReturnType<typeof deferred>; done: ReturnType<typeof deferred> }[] = [];
  const commit = async (_tenant: string, take: () => Call[]): Promise<Outcome<string>[]> => {
    const group = { took: null as string[] | null, lock: deferred(), done: deferred() };
    groups.push(group);
    await group.lock.promise;
    const calls = take();
    group.took = calls.map((c) => c.name);
    await group.done.promise;
    return calls.map((c) => ({ ok: true, value: c.name }));
  };
  return { groups, commit };
}

describe('GroupCommit (ADR 0052)', () => {
  it('starts no group that would find the queue empty: calls arriving while one waits for the lock join it', async () => {
    const { groups, commit } = lockedCommits();
    const gc = new GroupCommit<Call, string>(commit, 1000);
    const answers = [gc.submit('t', call('a'))];
    await settle();
    // The first group is waiting for the lock; b and c arrive meanwhile.
    answers.push(gc.submit('t', call('b')), gc.submit('t', call('c')));
    await settle();
    expect(groups).toHaveLength(1);
    groups[0].lock.resolve();
    await settle();
    expect(groups[0].took).toEqual(['a', 'b', 'c']);
    groups[0].done.resolve();
    await expect(Promise.all(answers)).resolves.toEqual(['a', 'b', 'c']);
    await settle();
    expect(groups).toHaveLength(1);
  });

  it('starts the next group as soon as the one holding the lock has taken its calls, so that it waits for the lock meanwhile', async () => {
    const { groups, commit } = lockedCommits();
    const gc = new GroupCommit<Call, string>(commit, 1000);
    const first = gc.submit('t', call('a'));
    await settle();
    groups[0].lock.resolve();
    await settle();
    // a is being committed; d and e arrive: one new group, waiting for the lock.
    const later = [gc.submit('t', call('d')), gc.submit('t', call('e'))];
    await settle();
    expect(groups).toHaveLength(2);
    expect(groups[1].took).toBeNull();
    groups[0].done.resolve();
    await expect(first).resolves.toBe('a');
    groups[1].lock.resolve();
    await settle();
    expect(groups[1].took).toEqual(['d', 'e']);
    groups[1].done.resolve();
    await expect(Promise.all(later)).resolves.toEqual(['d', 'e']);
    await settle();
    expect(groups.map((g) => g.took)).toEqual([['a'], ['d', 'e']]);
  });

  it('leaves the calls past maxEvents to the next group, never splitting a call', async () => {
    const { groups, commit } = lockedCommits();
    const gc = new GroupCommit<Call, string>(commit, 5);
    const answers = [gc.submit('t', call('a', 3)), gc.submit('t', call('b', 2)), gc.submit('t', call('c', 4))];
    await settle();
    groups[0].lock.resolve();
    await settle();
    expect(groups[0].took).toEqual(['a', 'b']);
    expect(groups).toHaveLength(2); // started for c, waiting for the lock
    groups[0].done.resolve();
    groups[1].lock.resolve();
    await settle();
    groups[1].done.resolve();
    await expect(Promise.all(answers)).resolves.toEqual(['a', 'b', 'c']);
    expect(groups.map((g) => g.took)).toEqual([['a', 'b'], ['c']]);
  });

  it('fails the calls of a group whose lock never came, and commits the calls that arrive after it', async () => {
    let tries = 0;
    const gc = new GroupCommit<Call, string>(async (_tenant, take) => {
      tries += 1;
      if (tries === 1) throw new Error('busy');
      return take().map((c) => ({ ok: true, value: c.name }));
    }, 1000);
    const failed = gc.submit('t', call('a'));
    await expect(failed).rejects.toThrow('busy');
    await expect(gc.submit('t', call('b'))).resolves.toBe('b');
  });

  it('goes on after a commit that answered without taking its calls: they go to the next group', async () => {
    let tries = 0;
    const gc = new GroupCommit<Call, string>(async (_tenant, take) => {
      tries += 1;
      if (tries === 1) return [];
      return take().map((c) => ({ ok: true, value: c.name }));
    }, 1000);
    await expect(gc.submit('t', call('a'))).resolves.toBe('a');
    expect(tries).toBe(2);
  });
});
