import net from 'node:net';
import { createTestEnvironment, eventInput, RECORD, type TestEnvironment } from '../helpers/test-environment';

/**
 * A fixed set of 16 events (sequence = row number) whose every filter and group has a known answer.
 * D0 is midnight UTC three days ago; the rows spread over D0, D0+1 and D0+2.
 */
const DAY = 86_400_000;
const D0 = Math.floor(Date.now() / DAY) * DAY - 3 * DAY;
const t = (day: number, h: number, m = 0, s = 0, ms = 0) => new Date(D0 + day * DAY + ((h * 60 + m) * 60 + s) * 1000 + ms).toISOString();
const dayKey = (day: number) => new Date(D0 + day * DAY).toISOString().slice(0, 10);

type Row = [
  at: string,
  actorId: string,
  actorType: string,
  action: string,
  resourceType: string,
  resourceId: string,
  outcome: string,
  severity: string,
  classification: string,
  categories: string[],
  tags: string[],
];
const ROWS: Row[] = [
  /* 1 */ [t(0, 1), 'alice', 'USER', 'auth.login', 'session', 's-1', 'SUCCESS', 'INFO', 'INTERNAL', [], ['web']],
  /* 2 */ [t(0, 2), 'alice', 'USER', 'auth.logout', 'session', 's-1', 'SUCCESS', 'DEBUG', 'PUBLIC', [], ['web']],
  /* 3 */ [t(0, 3), 'bob', 'USER', 'auth.login', 'session', 's-2', 'FAILURE', 'WARNING', 'INTERNAL', [], ['web', 'suspicious']],
  /* 4 */ [t(0, 4), 'bob', 'USER', 'auth.login.mfa', 'session', 's-2', 'DENIED', 'ERROR', 'CONFIDENTIAL', ['CREDENTIALS'], ['suspicious']],
  /* 5 */ [
    t(0, 5),
    'svc-billing',
    'SERVICE',
    'billing.charge',
    'invoice',
    'inv-1',
    'SUCCESS',
    'NOTICE',
    'CONFIDENTIAL',
    ['PCI'],
    ['billing'],
  ],
  /* 6 */ [
    t(0, 23, 59, 59, 999),
    'svc-billing',
    'SERVICE',
    'billing.refund',
    'invoice',
    'inv-1',
    'ERROR',
    'CRITICAL',
    'RESTRICTED',
    ['PCI', 'PII'],
    ['billing'],
  ],
  /* 7 */ [
    t(1, 0),
    'carol',
    'USER',
    'patient_record.read',
    'patient_record',
    'p-1',
    'SUCCESS',
    'INFO',
    'RESTRICTED',
    ['PHI', 'PII'],
    ['clinical'],
  ],
  /* 8 */ [
    t(1, 1),
    'carol',
    'USER',
    'patient_record.update',
    'patient_record',
    'p-1',
    'SUCCESS',
    'NOTICE',
    'RESTRICTED',
    ['PHI'],
    ['clinical'],
  ],
  // Sent without categories: framework-hipaa's classification rule labels patient_record resources PHI at ingest.
  /* 9 */ [t(1, 2), 'dave', 'USER', 'patientXrecord.read', 'patient_record', 'p-2', 'SUCCESS', 'INFO', 'INTERNAL', [], []],
  /* 10 */ [t(1, 3), 'key-1', 'API_KEY', 'authz.check', 'policy', 'pol-1', 'DENIED', 'WARNING', 'INTERNAL', [], []],
  /* 11 */ [t(1, 4), 'system', 'SYSTEM', 'Auth.login', 'session', 's-3', 'SUCCESS', 'ALERT', 'PUBLIC', [], []],
  /* 12 */ [t(1, 5), 'alice', 'USER', 'auth', 'session', 's-1', 'SUCCESS', 'EMERGENCY', 'CONFIDENTIAL', ['PII'], ['web']],
  /* 13 */ [t(2, 0, 30), 'bob', 'USER', 'doc.read', 'document', 's-1', 'SUCCESS', 'INFO', 'PUBLIC', [], ['web']],
  /* 14 */ [
    t(2, 1),
    'svc-billing',
    'SERVICE',
    'billing.charge',
    'invoice',
    'inv-2',
    'FAILURE',
    'ERROR',
    'CONFIDENTIAL',
    ['PCI'],
    ['billing', 'suspicious'],
  ],
  /* 15 */ [
    t(2, 2),
    'carol',
    'USER',
    'patient_record.read',
    'patient_record',
    'p-2',
    'DENIED',
    'WARNING',
    'RESTRICTED',
    ['PHI'],
    ['clinical', 'suspicious'],
  ],
  /* 16 */ [t(2, 3), 'alice', 'USER', 'auth.login', 'session', 's-4', 'SUCCESS', 'INFO', 'INTERNAL', [], ['web']],
];
const ALL = ROWS.map((_, i) => i + 1);

const toInput = ([at, actorId, actorType, action, resourceType, resourceId, status, severity, classification, categories, tags]: Row) =>
  eventInput({
    occurredAt: at,
    actor: { id: actorId, type: actorType },
    action,
    resource: { type: resourceType, id: resourceId },
    outcome: { status },
    severity,
    classification,
    categories,
    tags,
  });

/** Filter → the sequences it must select. */
const FILTERS: [string, Record<string, unknown>, number[]][] = [
  ['occurredFrom (inclusive)', { occurredFrom: t(1, 0) }, [7, 8, 9, 10, 11, 12, 13, 14, 15, 16]],
  ['occurredTo (exclusive)', { occurredTo: t(1, 0) }, [1, 2, 3, 4, 5, 6]],
  ['occurredFrom and occurredTo', { occurredFrom: t(1, 0), occurredTo: t(2, 0, 30) }, [7, 8, 9, 10, 11, 12]],
  ['a one-millisecond-wide time range', { occurredFrom: t(0, 23, 59, 59, 999), occurredTo: t(1, 0, 0, 0, 1) }, [6, 7]],
  ['a time range given with an offset', { occurredFrom: t(1, 0).replace('Z', '+00:00') }, [7, 8, 9, 10, 11, 12, 13, 14, 15, 16]],
  ['actorId', { actorId: 'alice' }, [1, 2, 12, 16]],
  ['actorType SERVICE', { actorType: 'SERVICE' }, [5, 6, 14]],
  ['actorType API_KEY', { actorType: 'API_KEY' }, [10]],
  ['action (exact, not a prefix)', { action: 'auth.login' }, [1, 3, 16]],
  ['action that is a prefix of others', { action: 'auth' }, [12]],
  ['action (case-sensitive)', { action: 'AUTH.LOGIN' }, []],
  ['actionPrefix auth.', { actionPrefix: 'auth.' }, [1, 2, 3, 4, 16]],
  ['actionPrefix auth', { actionPrefix: 'auth' }, [1, 2, 3, 4, 10, 12, 16]],
  ['actionPrefix with _ (no wildcard)', { actionPrefix: 'patient_' }, [7, 8, 15]],
  ['actionPrefix (case-sensitive)', { actionPrefix: 'Auth.' }, [11]],
  ['resourceType', { resourceType: 'invoice' }, [5, 6, 14]],
  ['resourceId', { resourceId: 's-1' }, [1, 2, 12, 13]],
  ['resourceType and resourceId', { resourceType: 'session', resourceId: 's-1' }, [1, 2, 12]],
  ['outcomeStatus DENIED', { outcomeStatus: 'DENIED' }, [4, 10, 15]],
  ['outcomeStatus ERROR', { outcomeStatus: 'ERROR' }, [6]],
  ['minSeverity WARNING', { minSeverity: 'WARNING' }, [3, 4, 6, 10, 11, 12, 14, 15]],
  ['minSeverity EMERGENCY', { minSeverity: 'EMERGENCY' }, [12]],
  ['minSeverity DEBUG', { minSeverity: 'DEBUG' }, ALL],
  ['classification', { classification: 'CONFIDENTIAL' }, [4, 5, 12, 14]],
  ['minClassification CONFIDENTIAL', { minClassification: 'CONFIDENTIAL' }, [4, 5, 6, 7, 8, 12, 14, 15]],
  ['minClassification RESTRICTED', { minClassification: 'RESTRICTED' }, [6, 7, 8, 15]],
  ['category PII', { category: 'PII' }, [6, 7, 12]],
  ['category PHI', { category: 'PHI' }, [7, 8, 9, 15]],
  ['an unknown category', { category: 'NOPE' }, []],
  ['tag suspicious', { tag: 'suspicious' }, [3, 4, 14, 15]],
  ['tag web', { tag: 'web' }, [1, 2, 3, 12, 13, 16]],
  ['sequenceFrom and sequenceTo', { sequenceFrom: 5, sequenceTo: 8 }, [5, 6, 7, 8]],
  ['sequenceFrom', { sequenceFrom: 15 }, [15, 16]],
  ['sequenceTo', { sequenceTo: 2 }, [1, 2]],
  ['several filters (AND)', { actorId: 'bob', tag: 'suspicious', minSeverity: 'ERROR' }, [4]],
  ['category and time (AND)', { category: 'PHI', occurredFrom: t(2, 0) }, [15]],
];

/** groupBy → every group's count (and, for DAY, the order: oldest first). */
const STATS: Record<string, Record<string, number>> = {
  ACTION: {
    'auth.login': 3,
    'billing.charge': 2,
    'patient_record.read': 2,
    'auth.logout': 1,
    'auth.login.mfa': 1,
    'billing.refund': 1,
    'patient_record.update': 1,
    'patientXrecord.read': 1,
    'authz.check': 1,
    'Auth.login': 1,
    auth: 1,
    'doc.read': 1,
  },
  SEVERITY: { INFO: 5, WARNING: 3, ERROR: 2, NOTICE: 2, DEBUG: 1, CRITICAL: 1, ALERT: 1, EMERGENCY: 1 },
  OUTCOME: { SUCCESS: 10, DENIED: 3, FAILURE: 2, ERROR: 1 },
  ACTOR: { alice: 4, bob: 3, carol: 3, 'svc-billing': 3, dave: 1, 'key-1': 1, system: 1 },
  ACTOR_TYPE: { USER: 11, SERVICE: 3, API_KEY: 1, SYSTEM: 1 },
  RESOURCE_TYPE: { session: 7, patient_record: 4, invoice: 3, policy: 1, document: 1 },
  CLASSIFICATION: { INTERNAL: 5, CONFIDENTIAL: 4, RESTRICTED: 4, PUBLIC: 3 },
  DAY: { [dayKey(0)]: 6, [dayKey(1)]: 6, [dayKey(2)]: 4 },
};

const LIST = `query($filter: AuditEventFilter, $first: Int, $after: String, $order: SortOrder) {
  auditEvents(filter: $filter, first: $first, after: $after, order: $order) {
    totalCount
    edges { cursor node { id sequence } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;
const STATS_QUERY = `query($groupBy: AuditEventGroupBy!, $filter: AuditEventFilter, $limit: Int) {
  auditEventStats(groupBy: $groupBy, filter: $filter, limit: $limit) { groupBy total groups { key count } }
}`;

const sequencesOf = (res: { body: { data?: any } }): number[] =>
  res.body.data.auditEvents.edges.map((e: { node: { sequence: number } }) => e.node.sequence);

/** Counts the SQL statements the server issues (both drivers go through their QueryRunner's query()). */
function statementCounter(env: TestEnvironment) {
  const runner = env.app.dataSource.createQueryRunner();
  const spy = jest.spyOn(Object.getPrototypeOf(runner), 'query');
  return {
    async during(work: () => Promise<unknown>): Promise<number> {
      spy.mockClear();
      await work();
      return spy.mock.calls.length;
    },
    async restore() {
      spy.mockRestore();
      await runner.release();
    },
  };
}

describe('query: filters, pagination, stats', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment({ DEFAULT_PAGE_SIZE: '7', MAX_PAGE_SIZE: '150' });
    const res = await env.gql(RECORD, { input: { events: ROWS.map(toInput) } });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.recordAuditEvents.receipts.map((r: { sequence: number }) => r.sequence)).toEqual(ALL);
  });
  afterAll(() => env.close());

  describe('filters', () => {
    it.each(FILTERS)('%s', async (_name, filter, expected) => {
      const desc = await env.gql(LIST, { filter, first: 100 });
      expect(desc.body.errors).toBeUndefined();
      expect(sequencesOf(desc)).toEqual([...expected].reverse());
      expect(desc.body.data!.auditEvents.totalCount).toBe(expected.length);
      const asc = await env.gql(LIST, { filter, first: 100, order: 'ASC' });
      expect(sequencesOf(asc)).toEqual(expected);
      const stats = await env.gql(STATS_QUERY, { groupBy: 'OUTCOME', filter });
      expect(stats.body.data!.auditEventStats.total).toBe(expected.length);
    });

    it('counts totalCount over every match, not the page', async () => {
      const res = await env.gql(LIST, { filter: { minClassification: 'CONFIDENTIAL' }, first: 2 });
      expect(res.body.data!.auditEvents).toMatchObject({ totalCount: 8, pageInfo: { hasNextPage: true } });
      expect(sequencesOf(res)).toEqual([15, 14]);
      const everything = await env.gql(LIST, { first: 1 });
      expect(everything.body.data!.auditEvents.totalCount).toBe(16);
    });

    it('returns the events’ labels as recorded, sorted', async () => {
      const res = await env.gql('{ auditEvents(first: 100, order: ASC) { edges { node { sequence categories tags } } } }');
      expect(res.body.errors).toBeUndefined();
      for (const { node } of res.body.data!.auditEvents.edges) {
        const row = ROWS[node.sequence - 1];
        expect(node.categories).toEqual(node.sequence === 9 ? ['PHI'] : [...row[9]].sort());
        expect(node.tags).toEqual([...row[10]].sort());
      }
    });

    it('matches exact-match filters byte for byte: a trailing space is a different value (on every database)', async () => {
      const extra = await env.createKey('ADMIN', 'padding');
      const res = await env.gql(
        RECORD,
        {
          input: {
            events: [
              eventInput({ actor: { id: 'alice', type: 'USER' }, resource: { type: 'session', id: 's-1' } }),
              eventInput({ actor: { id: 'alice ', type: 'USER' }, resource: { type: 'session', id: 's-1 ' } }),
            ],
          },
        },
        extra,
      );
      expect(res.body.errors).toBeUndefined();
      for (const filter of [{ actorId: 'alice' }, { resourceId: 's-1' }, { actorId: 'alice ' }, { resourceId: 's-1 ' }]) {
        const found = await env.gql(LIST, { filter, order: 'ASC' }, extra);
        const expected = Object.values(filter)[0].endsWith(' ') ? [2] : [1];
        expect({ filter, sequences: sequencesOf(found) }).toEqual({ filter, sequences: expected });
      }
      const stats = await env.gql(STATS_QUERY, { groupBy: 'ACTOR' }, extra);
      expect(stats.body.data!.auditEventStats.groups).toHaveLength(2);
    });
  });

  describe('pagination', () => {
    async function pageThrough(first: number, order: 'ASC' | 'DESC', filter?: Record<string, unknown>) {
      const pages: number[][] = [];
      const cursors: string[] = [];
      let after: string | null = null;
      for (let guard = 0; guard < 50; guard++) {
        const res: any = await env.gql(LIST, { first, after, order, filter });
        expect(res.body.errors).toBeUndefined();
        const { edges, pageInfo } = res.body.data.auditEvents;
        pages.push(edges.map((e: { node: { sequence: number } }) => e.node.sequence));
        cursors.push(...edges.map((e: { cursor: string }) => e.cursor));
        expect(pageInfo.hasPreviousPage).toBe(false);
        expect(pageInfo.startCursor).toBe(edges[0]?.cursor ?? null);
        expect(pageInfo.endCursor).toBe(edges[edges.length - 1]?.cursor ?? null);
        if (!pageInfo.hasNextPage) break;
        expect(edges).toHaveLength(first);
        after = pageInfo.endCursor;
      }
      expect(new Set(cursors).size).toBe(cursors.length);
      return pages;
    }

    it.each([
      [5, 'DESC', [[16, 15, 14, 13, 12], [11, 10, 9, 8, 7], [6, 5, 4, 3, 2], [1]]],
      [5, 'ASC', [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12, 13, 14, 15], [16]]],
      [
        4,
        'DESC',
        [
          [16, 15, 14, 13],
          [12, 11, 10, 9],
          [8, 7, 6, 5],
          [4, 3, 2, 1],
        ],
      ],
      [16, 'ASC', [ALL]],
      [1, 'ASC', ALL.map((s) => [s])],
    ] as const)('pages first=%d %s through everything: no duplicates, no gaps, no empty last page', async (first, order, expected) => {
      expect(await pageThrough(first, order)).toEqual(expected);
    });

    it('pages through a filtered result', async () => {
      expect(await pageThrough(3, 'ASC', { minClassification: 'CONFIDENTIAL' })).toEqual([
        [4, 5, 6],
        [7, 8, 12],
        [14, 15],
      ]);
      expect(await pageThrough(3, 'DESC', { tag: 'web' })).toEqual([
        [16, 13, 12],
        [3, 2, 1],
      ]);
    });

    it('answers an empty result with an empty page', async () => {
      const res = await env.gql(LIST, { filter: { actorId: 'nobody' } });
      expect(res.body.data!.auditEvents).toEqual({
        totalCount: 0,
        edges: [],
        pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
      });
    });

    it('uses DEFAULT_PAGE_SIZE and newest first when not told otherwise', async () => {
      const res = await env.gql(LIST, {});
      expect(sequencesOf(res)).toEqual([16, 15, 14, 13, 12, 11, 10]);
    });

    it.each([151, 0, -1, 1000])('refuses first=%d with PAGE_SIZE_EXCEEDED', async (first) => {
      const res = await env.gql(LIST, { first });
      expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(['PAGE_SIZE_EXCEEDED']);
      expect(res.body.data ?? null).toBeNull();
    });

    it('accepts exactly MAX_PAGE_SIZE', async () => {
      const res = await env.gql(LIST, { first: 150 });
      expect(res.body.errors).toBeUndefined();
    });

    it('refuses checkpoints(first) beyond its cap with PAGE_SIZE_EXCEEDED', async () => {
      const res = await env.gql('{ checkpoints(first: 501) { id } }');
      expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(['PAGE_SIZE_EXCEEDED']);
    });

    const b64 = (s: string) => Buffer.from(s).toString('base64url');
    it.each([
      ['empty', ''],
      ['garbage', 'not a cursor!'],
      ['base64 of garbage', b64('hello')],
      ['a non-numeric sequence', b64('s:abc')],
      ['a negative sequence', b64('s:-1')],
      ['trailing text', b64('s:5 OR 1=1')],
      ['another prefix', b64('x:5')],
      ['a huge sequence', b64(`s:${'9'.repeat(40)}`)],
    ])('refuses a forged cursor (%s) with INVALID_CURSOR', async (_name, after) => {
      const res = await env.gql(LIST, { first: 5, after });
      expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(['INVALID_CURSOR']);
      expect(res.body.data ?? null).toBeNull();
    });
  });

  describe('auditEventStats', () => {
    it.each(Object.keys(STATS))('counts by %s exactly', async (groupBy) => {
      const res = await env.gql(STATS_QUERY, { groupBy });
      expect(res.body.errors).toBeUndefined();
      const { groupBy: echoed, total, groups } = res.body.data!.auditEventStats;
      expect(echoed).toBe(groupBy);
      expect(total).toBe(16);
      expect(Object.fromEntries(groups.map((g: { key: string; count: number }) => [g.key, g.count]))).toEqual(STATS[groupBy]);
      const counts = groups.map((g: { count: number }) => g.count);
      if (groupBy === 'DAY') expect(groups.map((g: { key: string }) => g.key)).toEqual([dayKey(0), dayKey(1), dayKey(2)]);
      else expect(counts).toEqual([...counts].sort((a: number, b: number) => b - a));
    });

    it('counts within a filter', async () => {
      const res = await env.gql(STATS_QUERY, { groupBy: 'OUTCOME', filter: { actorId: 'bob' } });
      const { total, groups } = res.body.data!.auditEventStats;
      expect(total).toBe(3);
      expect(groups).toEqual(
        expect.arrayContaining([
          { key: 'SUCCESS', count: 1 },
          { key: 'FAILURE', count: 1 },
          { key: 'DENIED', count: 1 },
        ]),
      );
      expect(groups).toHaveLength(3);
      const days = await env.gql(STATS_QUERY, { groupBy: 'DAY', filter: { category: 'PHI' } });
      expect(days.body.data!.auditEventStats.groups).toEqual([
        { key: dayKey(1), count: 3 },
        { key: dayKey(2), count: 1 },
      ]);
    });

    it('returns the largest groups up to limit, with the total of all', async () => {
      const res = await env.gql(STATS_QUERY, { groupBy: 'ACTOR', limit: 1 });
      expect(res.body.data!.auditEventStats).toEqual({ groupBy: 'ACTOR', total: 16, groups: [{ key: 'alice', count: 4 }] });
    });

    it.each([0, 1001])('refuses limit=%d with INVALID_ARGUMENT', async (limit) => {
      const res = await env.gql(STATS_QUERY, { groupBy: 'ACTION', limit });
      expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(['INVALID_ARGUMENT']);
    });
  });

  describe('DataLoader', () => {
    const PAGE = `query($filter: AuditEventFilter, $first: Int) {
      auditEvents(filter: $filter, first: $first, order: ASC) { edges { node { id sequence categories tags tenant { id } } } }
    }`;

    it('issues the same number of SQL statements for a page of 10 and a page of 100, relations included', async () => {
      const key = await env.createKey('ADMIN', 'loader');
      const events = Array.from({ length: 110 }, (_, i) =>
        eventInput({ action: `loader.e${i}`, categories: ['PII', i % 2 ? 'PHI' : 'PCI'], tags: [`t-${i % 3}`, 'loader'] }),
      );
      expect((await env.gql(RECORD, { input: { events } }, key)).body.errors).toBeUndefined();

      const counter = statementCounter(env);
      try {
        // Two disjoint ranges, so neither page finds the other's labels in the cache.
        const read = async (filter: Record<string, unknown>, first: number) => {
          const res = await env.gql(PAGE, { filter, first }, key);
          expect(res.body.errors).toBeUndefined();
          const edges = res.body.data!.auditEvents.edges;
          expect(edges).toHaveLength(first);
          for (const { node } of edges) {
            expect(node.tenant).toEqual({ id: 'loader' });
            expect(node.categories).toContain('PII');
            expect(node.tags).toContain('loader');
          }
        };
        const small = await counter.during(() => read({ sequenceFrom: 101 }, 10));
        const large = await counter.during(() => read({ sequenceTo: 100 }, 100));
        expect(small).toBeGreaterThan(0);
        expect(large).toBe(small);
      } finally {
        await counter.restore();
      }
    });
  });
});

/** A minimal RESP client over node:net: one command, one reply. */
function redisCommand(args: string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(6379, '127.0.0.1');
    let buffer = Buffer.alloc(0);
    const parse = (at: number): [unknown, number] | null => {
      const end = buffer.indexOf('\r\n', at);
      if (end < 0) return null;
      const type = String.fromCharCode(buffer[at]);
      const line = buffer.toString('utf8', at + 1, end);
      if (type === '+') return [line, end + 2];
      if (type === '-') return [new Error(line), end + 2];
      if (type === ':') return [Number(line), end + 2];
      if (type === '$') {
        const len = Number(line);
        if (len < 0) return [null, end + 2];
        if (buffer.length < end + 2 + len + 2) return null;
        return [buffer.toString('utf8', end + 2, end + 2 + len), end + 2 + len + 2];
      }
      if (type === '*') {
        const items: unknown[] = [];
        let next = end + 2;
        for (let i = 0; i < Number(line); i++) {
          const item = parse(next);
          if (!item) return null;
          items.push(item[0]);
          next = item[1];
        }
        return [items, next];
      }
      return [new Error(`unexpected RESP type ${type}`), buffer.length];
    };
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      const reply = parse(0);
      if (!reply) return;
      socket.end();
      if (reply[0] instanceof Error) reject(reply[0]);
      else resolve(reply[0]);
    });
    socket.on('error', reject);
    socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
  });
}

describe('query: Redis read-through cache', () => {
  let env: TestEnvironment;
  let namespace: string;
  const keysInRedis = async () => ((await redisCommand(['KEYS', `${namespace}::*`])) as string[]).sort();

  beforeAll(async () => {
    env = await createTestEnvironment({ REDIS_URL: 'redis://127.0.0.1:6379' });
    namespace = env.env.CACHE_NAMESPACE;
  });
  afterAll(async () => {
    const keys = await keysInRedis();
    if (keys.length) await redisCommand(['DEL', ...keys]);
    await env.close();
  });

  it('fills Redis under CACHE_NAMESPACE and reads from it the second time', async () => {
    expect(env.app.cache.kind).toBe('redis');
    const events = Array.from({ length: 20 }, (_, i) => eventInput({ action: `cache.e${i}`, categories: ['PII'], tags: [`t${i}`] }));
    const recorded = await env.gql(RECORD, { input: { events } });
    const ids: string[] = recorded.body.data!.recordAuditEvents.receipts.map((r: { id: string }) => r.id);
    expect(await keysInRedis()).toEqual([]);

    const PAGE = '{ auditEvents(first: 20) { edges { node { id categories tags } } } }';
    const ONE = 'query($id: String!) { auditEvent(id: $id) { id action categories tags } }';
    const counter = statementCounter(env);
    try {
      const read = async () => {
        const page = await env.gql(PAGE);
        const one = await env.gql(ONE, { id: ids[3] });
        expect(page.body.errors).toBeUndefined();
        expect(one.body.data!.auditEvent).toEqual({ id: ids[3], action: 'cache.e3', categories: ['PII'], tags: ['t3'] });
        return page.body.data!.auditEvents.edges;
      };
      let firstAnswer: unknown;
      const cold = await counter.during(async () => (firstAnswer = await read()));

      const keys = await keysInRedis();
      expect(keys).toEqual([...ids.map((id) => `${namespace}::labels:default:${id}`), `${namespace}::event:default:${ids[3]}`].sort());
      const ttl = (await redisCommand(['PTTL', keys[0]])) as number;
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(3_600_000);

      let secondAnswer: unknown;
      const warm = await counter.during(async () => (secondAnswer = await read()));
      expect(secondAnswer).toEqual(firstAnswer);
      expect(cold).toBeGreaterThan(0);
      expect(warm).toBeLessThan(cold);

      // The cache lives in Redis, not in the process: emptied there, the reads go back to the database.
      await redisCommand(['DEL', ...keys]);
      const again = await counter.during(() => read());
      expect(again).toBe(cold);
    } finally {
      await counter.restore();
    }
  });
});
