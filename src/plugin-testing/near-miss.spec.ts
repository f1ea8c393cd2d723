import { AssessmentQueries } from '../compliance/assessment-query';
import { defineFrameworkPlugin, type EventMatch, type EventRule, type MetadataPredicate, type Plugin } from '../plugin-api';
import { BUILT_IN_PLUGINS } from '../../plugins/registry';
import { checkFrameworkPlugin } from '.';
import { Sandbox } from './sandbox';

/**
 * The near misses of the behaviour check bite: the server's SQL is right, so each spec breaks one
 * measurement the way a wrong compile would (a boundary, a second of slack, a correlation or a
 * metadata predicate not applied) and expects `plugin check` to name it. Without the near misses
 * every one of these plugins passes.
 */

/** A plugin with one violation rule. */
const pluginWith = (rule: EventRule): Plugin =>
  defineFrameworkPlugin({
    id: 'framework-near-miss',
    kind: 'framework',
    version: '1.0.0',
    apiVersion: '^1.0.0',
    catalog: {
      framework: { id: 'near-miss', name: 'Near miss', version: '1', description: 'A framework for the near-miss tests.' },
      controls: [
        {
          id: 'N-1',
          title: 'Control N-1',
          description: 'What N-1 requires.',
          evidence: [{ id: 'done', kind: 'MATCH', description: 'Done', match: { action: [{ equals: 'acme.thing.done' }] } }],
          violations: [rule],
        },
      ],
    },
  });

/** The behaviour check's error messages for a plugin with `rule`. */
async function behaviourErrors(rule: EventRule): Promise<string[]> {
  const report = await checkFrameworkPlugin(pluginWith(rule), { builtIns: BUILT_IN_PLUGINS });
  const check = report.checks.find((c) => c.id === 'behaviour')!;
  return check.problems.filter((p) => p.level === 'error').map((p) => p.message);
}

/** Every statement of the assessment queries with `from` replaced by `to` (which must occur). */
function sabotageSql(from: string, to: string) {
  const rows = (AssessmentQueries.prototype as any).rows as (query: { text: string; params: unknown[] }) => Promise<unknown>;
  let replaced = 0;
  jest.spyOn(AssessmentQueries.prototype as any, 'rows').mockImplementation(function (this: unknown, query: any) {
    if (query.text.includes(from)) replaced++;
    return rows.call(this, { ...query, text: query.text.replaceAll(from, to) });
  });
  return () => replaced;
}

/** Every rule the sandbox measures rewritten by `change` (MATCH rules are the matchWorks probes). */
function sabotageRule(change: (rule: EventRule) => EventRule) {
  const measure = Sandbox.prototype.measure;
  jest.spyOn(Sandbox.prototype, 'measure').mockImplementation(function (this: Sandbox, rule, ...rest) {
    return measure.call(this, change(rule), ...rest);
  });
}

afterEach(() => jest.restoreAllMocks());

const dsar = (kind: 'NOT_FOLLOWED_BY' | 'FOLLOWED_BY'): EventRule => ({
  id: 'dsar-late',
  kind,
  description: 'A request and its answer',
  trigger: { action: [{ equals: 'dsar.received' }], resourceType: [{ prefix: 'data_subject' }] },
  followUp: { action: [{ equals: 'dsar.fulfilled' }], actorType: ['USER'] },
  within: { days: 30 },
  correlation: 'RESOURCE',
});
const approval: EventRule = {
  id: 'unapproved',
  kind: 'NOT_PRECEDED_BY',
  description: 'A deployment without an approval',
  trigger: { action: [{ equals: 'change.deployed' }] },
  precededBy: { action: [{ equals: 'change.approved' }] },
  within: { hours: 2 },
  correlation: 'ACTOR',
};
const burst: EventRule = {
  id: 'brute-force',
  kind: 'BURST',
  description: 'Failed sign-ins from one address',
  match: { action: [{ equals: 'auth.login' }], outcome: ['FAILURE'] },
  count: 4,
  within: { minutes: 10 },
  correlation: 'IP',
};

const recent: EventRule = {
  id: 'risk-lapsed',
  kind: 'RECENT',
  description: 'Fewer than two risk assessments in the last 30 days',
  match: { action: [{ equals: 'risk.assessment.completed' }], outcome: ['SUCCESS'] },
  count: 2,
  within: { days: 30 },
};

// SQLite's datetime arithmetic, as RuleSql writes it.
const slack = (column: string, sign: '+' | '-') => `strftime('%Y-%m-%d %H:%M:%f', ${column}, '${sign}1 seconds')`;

describe('the near misses of the behaviour check', () => {
  it.each([dsar('NOT_FOLLOWED_BY'), dsar('FOLLOWED_BY'), approval, burst])('pass the correct SQL for $kind', async (rule) => {
    expect(await behaviourErrors(rule)).toEqual([]);
  });

  it('pass the correct SQL for RECENT, and catch its window a day too short or too long', async () => {
    expect(await behaviourErrors(recent)).toEqual([]);
    const days = (n: number) => (r: EventRule) => (r.kind === 'RECENT' ? { ...r, within: { days: n } } : r);
    sabotageRule(days(29));
    expect(await behaviourErrors(recent)).toEqual([
      expect.stringContaining('counts 0 of 2 matching events exactly 30 days before the end'),
    ]);
    jest.restoreAllMocks();
    sabotageRule(days(31));
    expect(await behaviourErrors(recent)).toEqual([
      expect.stringContaining('counts 2 matching events one second before the 30 days window'),
    ]);
  });

  it('catch RECENT counting the end of the range', async () => {
    const replaced = sabotageSql('e.occurred_at < ', 'e.occurred_at <= ');
    const errors = await behaviourErrors(recent);
    expect(replaced()).toBeGreaterThan(0);
    expect(errors).toEqual([expect.stringContaining('at the end of the range, which the window excludes')]);
  });

  it.each([
    ['NOT_FOLLOWED_BY', dsar('NOT_FOLLOWED_BY'), 'y.next_f <= ', 'y.next_f < ', 'exactly 30 days later', 'expected 1 followed, 0 overdue'],
    ['FOLLOWED_BY', dsar('FOLLOWED_BY'), 'y.next_f <= ', 'y.next_f < ', 'exactly 30 days later', 'expected 1 followed, 0 cleared'],
    ['NOT_PRECEDED_BY', approval, 'y.prev_p >= ', 'y.prev_p > ', 'exactly 2 hours earlier', 'expected 1 preceded'],
    ['BURST', burst, 'x.occurred_at <= ', 'x.occurred_at < ', 'exactly 10 minutes apart', 'finds 0 bursts, not 1'],
  ] as const)('catch %s with an open window end', async (_kind, rule, from, to, said, expected) => {
    const replaced = sabotageSql(from, to);
    const errors = await behaviourErrors(rule);
    expect(replaced()).toBeGreaterThan(0);
    expect(errors).toEqual([expect.stringContaining(said)]);
    expect(errors[0]).toContain(expected);
  });

  it.each([
    ['NOT_FOLLOWED_BY', dsar('NOT_FOLLOWED_BY'), 'y.next_f <= ', `${slack('y.next_f', '-')} <= `, 'one second after the 30 days window'],
    ['FOLLOWED_BY', dsar('FOLLOWED_BY'), 'y.next_f <= ', `${slack('y.next_f', '-')} <= `, 'one second after the 30 days window'],
    ['NOT_PRECEDED_BY', approval, 'y.prev_p >= ', `${slack('y.prev_p', '+')} >= `, 'one second before the 2 hours window'],
    ['BURST', burst, 'x.occurred_at <= ', `${slack('x.occurred_at', '-')} <= `, 'are 10 minutes and one second apart'],
  ] as const)('catch %s with a second of slack past the window', async (_kind, rule, from, to, said) => {
    const replaced = sabotageSql(from, to);
    const errors = await behaviourErrors(rule);
    expect(replaced()).toBeGreaterThan(0);
    expect(errors).toEqual([expect.stringContaining(said)]);
  });

  it.each([
    ['NOT_FOLLOWED_BY', dsar('NOT_FOLLOWED_BY'), 'a follow-up of another resource (another resource id)'],
    ['FOLLOWED_BY', dsar('FOLLOWED_BY'), 'a follow-up of another resource (another resource id)'],
    ['NOT_PRECEDED_BY', approval, 'an event of another actor (another actor id)'],
    ['BURST', burst, 'split between two correlation keys (two actor IPs)'],
  ] as const)('catch %s when the correlation is not applied', async (_kind, rule, said) => {
    sabotageRule((r) => (r.kind === 'MATCH' || r.kind === 'AT_LEAST' || r.kind === 'MAX_GAP' ? r : { ...r, correlation: 'TENANT' }));
    expect(await behaviourErrors(rule)).toEqual([expect.stringContaining(said)]);
  });
});

describe('the near misses of BURST with a response', () => {
  const unanswered: EventRule = {
    ...burst,
    id: 'brute-force-unanswered',
    description: 'Repeated failed logins not answered by a lockout',
    response: { match: { action: [{ equals: 'auth.lockout' }] }, within: { minutes: 5 } },
  };

  it('pass the correct SQL', async () => {
    expect(await behaviourErrors(unanswered)).toEqual([]);
  });

  it.each([
    ['an open response window end', 'b.next_r <= ', 'b.next_r < ', 'exactly 5 minutes after its completing event'],
    [
      'a second of slack past the response window',
      'b.next_r <= ',
      `${slack('b.next_r', '-')} <= `,
      'one second after the 5 minutes response window',
    ],
    ['a window that leaves out the first event', 'b.last_r >= b.start', 'b.last_r > b.start', "at the instant of the burst's first event"],
    [
      'a window that starts a second early',
      'b.last_r >= b.start',
      `b.last_r >= ${slack('b.start', '-')}`,
      "one second before the burst's first event",
    ],
  ] as const)('catch %s', async (_what, from, to, said) => {
    const replaced = sabotageSql(from, to);
    const errors = await behaviourErrors(unanswered);
    expect(replaced()).toBeGreaterThan(0);
    expect(errors).toEqual([expect.stringContaining(said)]);
  });

  it('catch a response not correlated with the burst', async () => {
    sabotageRule((r) => (r.kind === 'BURST' && r.response ? { ...r, correlation: 'TENANT' } : r));
    const errors = await behaviourErrors(unanswered);
    expect(errors).toEqual(expect.arrayContaining([expect.stringContaining('counts a response of another ip')]));
  });
});

describe('the near misses of AT_LEAST distinct', () => {
  const reviewers: EventRule = {
    id: 'reviewers',
    kind: 'AT_LEAST',
    description: 'Three distinct reviewers a month',
    match: { action: [{ equals: 'access.review.completed' }] },
    count: 3,
    period: 'MONTH',
    distinct: 'ACTOR',
  };

  it('pass the correct SQL', async () => {
    expect(await behaviourErrors(reviewers)).toEqual([]);
  });

  it('catch events counted instead of distinct keys', async () => {
    const replaced = sabotageSql('COUNT(DISTINCT p.k)', 'COUNT(p.k)');
    const errors = await behaviourErrors(reviewers);
    expect(replaced()).toBeGreaterThan(0);
    expect(errors).toEqual([expect.stringContaining('counts 3 distinct actor ids, not 1, in 3 matching events with one actor id')]);
  });

  it('catch a key that leaves out the actor id', async () => {
    const replaced = sabotageSql(`length(e.actor_type) || ':' || e.actor_type || e.actor_id AS k`, 'e.actor_type AS k');
    const errors = await behaviourErrors(reviewers);
    expect(replaced()).toBeGreaterThan(0);
    expect(errors).toEqual([expect.stringContaining('counts 1 of 3 distinct actor ids of matching events')]);
  });
});

describe('the near misses of RATIO distinct', () => {
  const perUser: EventRule = {
    id: 'mfa-per-user',
    kind: 'RATIO',
    description: 'Users whose every login used MFA',
    population: { action: [{ equals: 'auth.login.succeeded' }] },
    qualifying: { metadata: [{ path: 'mfa', equals: true }] },
    atLeast: 0.9,
    distinct: 'ACTOR',
  };

  it('pass the correct SQL', async () => {
    expect(await behaviourErrors(perUser)).toEqual([]);
  });

  it('catch a key that qualifies when any, not every, population event does', async () => {
    // Every key's count of population events that do not qualify read as none.
    const replaced = sabotageSql('THEN 0 ELSE 1 END) AS short', 'THEN 0 ELSE 1 END) * 0 AS short');
    const errors = await behaviourErrors(perUser);
    expect(replaced()).toBeGreaterThan(0);
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringContaining(
          'counts 1 of 1 keys as qualifying, not 0 of 1, for one actor id with a qualifying population event and one that does not',
        ),
      ]),
    );
  });
});

describe('the metadata near misses of the behaviour check', () => {
  const decided = (metadata: MetadataPredicate[]): EventRule => ({
    id: 'decided',
    kind: 'MATCH',
    description: 'A decided request',
    match: { action: [{ equals: 'dsar.decided' }], metadata },
  });
  /** Every MATCH probe with its metadata predicates rewritten by `lax`. */
  const laxMetadata = (lax: (p: MetadataPredicate) => MetadataPredicate | null) =>
    sabotageRule((r) => {
      if (r.kind !== 'MATCH' || !r.match.metadata) return r;
      const metadata = r.match.metadata.map(lax).filter((p): p is MetadataPredicate => p !== null);
      const match: EventMatch = { ...r.match, metadata: metadata.length ? metadata : undefined };
      return { ...r, match };
    });
  const typeBlind = (p: MetadataPredicate): MetadataPredicate =>
    p.exists !== undefined
      ? p
      : {
          path: p.path,
          in: (p.in ?? [p.equals!]).flatMap((v) => [
            v,
            String(v),
            ...(typeof v === 'string' && String(Number(v)) === v ? [Number(v)] : []),
            ...(v === 'true' ? [true] : v === 'false' ? [false] : []),
          ]),
        };

  it('passes the correct SQL for every kind of predicate', async () => {
    const rule = decided([
      { path: 'dsar.type', equals: 'erasure' },
      { path: 'dsar.round', equals: 1 },
      { path: 'dsar.code', equals: '7' },
      { path: 'urgent', equals: true },
      { path: 'flag', equals: 'true' },
      { path: 'decision', in: ['refused', 'rejected'] },
      { path: 'level', in: [2, 3] },
      { path: 'reason', exists: true },
      { path: 'override', exists: false },
    ]);
    expect(await behaviourErrors(rule)).toEqual([]);
  });

  it.each([
    [{ path: 'dsar.round', equals: 1 }, 'metadata dsar.round "1"'],
    [{ path: 'dsar.code', equals: '7' }, 'metadata dsar.code 7'],
    [{ path: 'urgent', equals: true }, 'metadata urgent "true"'],
    [{ path: 'flag', equals: 'true' }, 'metadata flag true'],
    [{ path: 'level', in: [2, 3] }, 'metadata level "2"'],
  ] as const)('catch %o compared without its type', async (predicate, label) => {
    laxMetadata(typeBlind);
    const errors = await behaviourErrors(decided([predicate as MetadataPredicate]));
    expect(errors).toEqual([expect.stringContaining(`differs from a match only in ${label}: that field is not applied`)]);
  });

  it.each([
    [{ path: 'dsar.type', equals: 'erasure' }, 'metadata dsar.type "erasure-contract-miss"'],
    [{ path: 'decision', in: ['refused', 'rejected'] }, 'metadata decision "refused-contract-miss"'],
    [{ path: 'reason', exists: true }, 'metadata reason absent'],
    [{ path: 'override', exists: false }, 'metadata override "contract"'],
  ] as const)('catch %o not applied', async (predicate, label) => {
    laxMetadata(() => null);
    const errors = await behaviourErrors(decided([{ ...predicate } as MetadataPredicate]));
    expect(errors).toEqual([expect.stringMatching(/differs from a match only in .*: that field is not applied$/)]);
    expect(errors[0]).toContain(label);
  });

  it('catch exists: true that counts a null value as present', async () => {
    // SQLite's test as RuleSql writes it, with JSON null taken for a value.
    const replaced = sabotageSql("'null') <> 'null'", "'none') <> 'none'");
    const errors = await behaviourErrors(decided([{ path: 'reason', exists: true }]));
    expect(replaced()).toBeGreaterThan(0);
    expect(errors).toEqual([expect.stringContaining('differs from a match only in metadata reason null')]);
  });
});
