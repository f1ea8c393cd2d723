import { Role } from '../../src/access/role';
import { createTestEnvironment, eventInput, RECORD, type TestEnvironment, VERIFY } from '../helpers/test-environment';

/**
 * Two tenants (plus the default one) with deliberately overlapping values — the same actor id, the
 * same action, the same tag — so that a filter which forgets the tenant would find the other side.
 */
type TenantName = 'acme' | 'globex';
const TENANTS: TenantName[] = ['acme', 'globex'];
const other = (t: TenantName): TenantName => (t === 'acme' ? 'globex' : 'acme');

const DAY = 86_400_000;
const at = (daysAgo: number, hour: number) => {
  const midnight = Math.floor(Date.now() / DAY) * DAY;
  return new Date(midnight - daysAgo * DAY + hour * 3_600_000).toISOString();
};

function seed(tenant: TenantName, batch: number): Record<string, unknown>[] {
  const own = tenant === 'acme' ? { actor: 'acme-u1', action: 'acme.only', category: 'PII', tag: 'acme-tag', resource: 'acme-doc' } : null;
  const g = { actor: 'globex-u1', action: 'globex.only', category: 'PHI', tag: 'globex-tag', resource: 'globex-doc' };
  const mine = own ?? g;
  return [
    eventInput({
      occurredAt: at(2, batch + 1),
      actor: { id: 'shared-u', type: 'USER', ip: '198.51.100.1' },
      action: 'auth.login',
      resource: { type: 'session', id: 'shared-session' },
      outcome: { status: 'SUCCESS' },
      severity: 'INFO',
      classification: 'INTERNAL',
      categories: [mine.category, 'SHARED'],
      tags: [mine.tag, 'shared-tag'],
    }),
    eventInput({
      occurredAt: at(1, batch + 2),
      actor: { id: mine.actor, type: 'SERVICE' },
      action: mine.action,
      resource: { type: 'document', id: mine.resource },
      outcome: { status: 'DENIED', reason: 'policy' },
      severity: 'WARNING',
      classification: 'CONFIDENTIAL',
      categories: [mine.category],
      tags: [mine.tag],
      metadata: { owner: tenant },
    }),
    eventInput({
      occurredAt: at(1, batch + 3),
      actor: { id: mine.actor, type: 'SERVICE' },
      action: 'auth.logout',
      resource: { type: 'session', id: 'shared-session' },
      outcome: { status: 'FAILURE' },
      severity: 'CRITICAL',
      classification: 'RESTRICTED',
      tags: ['shared-tag'],
    }),
  ];
}

/** Every filter the API has, each with a value that exists in both tenants and one only the other has. */
function filtersFor(tenant: TenantName): Record<string, Record<string, unknown>> {
  const theirs = other(tenant);
  return {
    none: {},
    'time range': { occurredFrom: at(10, 0), occurredTo: at(-1, 0) },
    'shared actorId': { actorId: 'shared-u' },
    'their actorId': { actorId: `${theirs}-u1` },
    actorType: { actorType: 'SERVICE' },
    'shared action': { action: 'auth.login' },
    'their action': { action: `${theirs}.only` },
    actionPrefix: { actionPrefix: 'auth.' },
    'their actionPrefix': { actionPrefix: `${theirs}.` },
    'shared resource': { resourceType: 'session', resourceId: 'shared-session' },
    'their resource': { resourceType: 'document', resourceId: `${theirs}-doc` },
    outcomeStatus: { outcomeStatus: 'DENIED' },
    minSeverity: { minSeverity: 'WARNING' },
    classification: { classification: 'RESTRICTED' },
    minClassification: { minClassification: 'CONFIDENTIAL' },
    'shared category': { category: 'SHARED' },
    'their category': { category: theirs === 'acme' ? 'PII' : 'PHI' },
    'shared tag': { tag: 'shared-tag' },
    'their tag': { tag: `${theirs}-tag` },
    'sequence range': { sequenceFrom: 1, sequenceTo: 1000 },
  };
}

const PAGE = `query($filter: AuditEventFilter, $first: Int, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) {
    totalCount
    edges { cursor node { id sequence metadata categories tags tenant { id } actor { id } action } }
    pageInfo { hasNextPage endCursor }
  }
}`;

describe('tenants: no query path returns another tenant’s data', () => {
  let env: TestEnvironment;
  const keys = {} as Record<TenantName, Record<'ADMIN' | 'AUDITOR' | 'VIEWER', string>>;
  const keyIds = {} as Record<TenantName, string[]>;
  /** Per tenant, event id → the labels it was recorded with. */
  const events = {} as Record<TenantName, Map<string, { sequence: number; categories: string[]; tags: string[] }>>;
  const sequences = {} as Record<TenantName, number[]>;
  let defaultEventId: string;

  beforeAll(async () => {
    env = await createTestEnvironment();
    for (const tenant of TENANTS) {
      keys[tenant] = {} as (typeof keys)[TenantName];
      keyIds[tenant] = [];
      for (const role of [Role.ADMIN, Role.AUDITOR, Role.VIEWER] as const) {
        const { key, secret } = await env.app.services.apiKeys.create(tenant, role, `${tenant} ${role}`);
        keys[tenant][role] = secret;
        keyIds[tenant].push(key.id);
      }
      events[tenant] = new Map();
      sequences[tenant] = [];
    }
    const own = await env.gql(RECORD, { input: { events: [eventInput({ action: 'default.only' })] } });
    defaultEventId = own.body.data!.recordAuditEvents.receipts[0].id;
    // Interleaved writes: each tenant's chain must still count 1, 2, 3… on its own.
    for (const batch of [0, 1]) {
      for (const tenant of TENANTS) {
        const inputs = seed(tenant, batch);
        const res = await env.gql(RECORD, { input: { events: inputs } }, keys[tenant].ADMIN);
        expect(res.body.errors).toBeUndefined();
        res.body.data!.recordAuditEvents.receipts.forEach((r: { id: string; sequence: number }, i: number) => {
          sequences[tenant].push(r.sequence);
          const input = inputs[i] as { categories?: string[]; tags?: string[] };
          events[tenant].set(r.id, {
            sequence: r.sequence,
            categories: [...(input.categories ?? [])].sort(),
            tags: [...(input.tags ?? [])].sort(),
          });
        });
      }
    }
    for (const tenant of TENANTS) {
      const cp = await env.gql('mutation { createCheckpoint { id tenantId sequence } }', {}, keys[tenant].AUDITOR);
      expect(cp.body.data!.createCheckpoint).toMatchObject({ tenantId: tenant, sequence: 6 });
    }
  });
  afterAll(() => env.close());

  it('starts every tenant’s sequence at 1, gapless, independent of the others', () => {
    expect(sequences.acme).toEqual([1, 2, 3, 4, 5, 6]);
    expect(sequences.globex).toEqual([1, 2, 3, 4, 5, 6]);
  });

  describe.each(TENANTS)('as %s', (tenant) => {
    const theirs = other(tenant);
    const ownIds = () => new Set(events[tenant].keys());

    it('answers viewer with its own tenant', async () => {
      for (const role of ['ADMIN', 'AUDITOR', 'VIEWER'] as const) {
        const res = await env.gql('{ viewer { role tenant { id } } }', {}, keys[tenant][role]);
        expect(res.body.data!.viewer).toEqual({ role, tenant: { id: tenant } });
      }
    });

    it('finds its own events by id and the other tenant’s (and default’s) as null, after they were cached', async () => {
      // The other tenant reads its events first, so any cache or loader holding them is warm.
      const warm = await env.gql(PAGE, { first: 50 }, keys[theirs].ADMIN);
      expect(warm.body.data!.auditEvents.edges).toHaveLength(6);
      for (const id of events[theirs].keys()) {
        const theirsById = await env.gql('query($id: String!) { auditEvent(id: $id) { id categories tags } }', { id }, keys[theirs].ADMIN);
        expect(theirsById.body.data!.auditEvent.id).toBe(id);
      }
      for (const role of ['ADMIN', 'AUDITOR', 'VIEWER'] as const) {
        for (const id of [...events[theirs].keys(), defaultEventId]) {
          const res = await env.gql(
            'query($id: String!) { auditEvent(id: $id) { id categories tags tenant { id } } }',
            { id },
            keys[tenant][role],
          );
          expect(res.body.errors).toBeUndefined();
          expect(res.body.data!.auditEvent).toBeNull();
        }
        const ownId = [...events[tenant].keys()][0];
        const mine = await env.gql('query($id: String!) { auditEvent(id: $id) { id tenant { id } } }', { id: ownId }, keys[tenant][role]);
        expect(mine.body.data!.auditEvent).toEqual({ id: ownId, tenant: { id: tenant } });
      }
    });

    it.each(Object.keys(filtersFor('acme')))('filters auditEvents by %s within the tenant only', async (name) => {
      const filter = filtersFor(tenant)[name];
      const res = await env.gql(PAGE, { filter, first: 100 }, keys[tenant].ADMIN);
      expect(res.body.errors).toBeUndefined();
      const { edges, totalCount } = res.body.data!.auditEvents;
      expect(totalCount).toBe(edges.length);
      for (const { node } of edges) {
        expect(ownIds().has(node.id)).toBe(true);
        expect(node.tenant).toEqual({ id: tenant });
        const recorded = events[tenant].get(node.id)!;
        expect({ categories: node.categories, tags: node.tags }).toEqual({ categories: recorded.categories, tags: recorded.tags });
        if (node.metadata) expect(node.metadata.owner ?? tenant).toBe(tenant);
      }
      if (name === 'none' || name === 'time range' || name === 'sequence range') expect(edges).toHaveLength(6);
      else if (name.startsWith('their')) expect(edges).toHaveLength(0);
      else expect(edges.length).toBeGreaterThan(0);
    });

    it('pages through exactly its own events, and another tenant’s cursor does not reach across', async () => {
      const seen: string[] = [];
      let after: string | null = null;
      do {
        const page: any = await env.gql(PAGE, { first: 4, after }, keys[tenant].VIEWER);
        expect(page.body.errors).toBeUndefined();
        seen.push(...page.body.data.auditEvents.edges.map((e: { node: { id: string } }) => e.node.id));
        after = page.body.data.auditEvents.pageInfo.hasNextPage ? page.body.data.auditEvents.pageInfo.endCursor : null;
      } while (after);
      expect(new Set(seen)).toEqual(ownIds());
      expect(seen).toHaveLength(6);

      const theirPage = await env.gql(PAGE, { first: 2 }, keys[theirs].ADMIN);
      const theirCursor = theirPage.body.data!.auditEvents.pageInfo.endCursor;
      const res = await env.gql(PAGE, { first: 100, after: theirCursor }, keys[tenant].ADMIN);
      for (const { node } of res.body.data!.auditEvents.edges) expect(ownIds().has(node.id)).toBe(true);
    });

    it.each(['ACTION', 'SEVERITY', 'OUTCOME', 'ACTOR', 'ACTOR_TYPE', 'RESOURCE_TYPE', 'CLASSIFICATION', 'DAY'])(
      'counts auditEventStats by %s over its own events only',
      async (groupBy) => {
        const res = await env.gql(
          'query($g: AuditEventGroupBy!, $f: AuditEventFilter) { auditEventStats(groupBy: $g, filter: $f) { total groups { key count } } }',
          { g: groupBy },
          keys[tenant].VIEWER,
        );
        expect(res.body.errors).toBeUndefined();
        const { total, groups } = res.body.data!.auditEventStats;
        expect(total).toBe(6);
        expect(groups.reduce((n: number, g: { count: number }) => n + g.count, 0)).toBe(6);
        const keysSeen = groups.map((g: { key: string }) => g.key);
        for (const foreign of [`${theirs}.only`, `${theirs}-u1`, 'default.only', 'u-42']) expect(keysSeen).not.toContain(foreign);

        const narrowed = await env.gql(
          'query($g: AuditEventGroupBy!, $f: AuditEventFilter) { auditEventStats(groupBy: $g, filter: $f) { total groups { key count } } }',
          { g: groupBy, f: { actorId: `${theirs}-u1` } },
          keys[tenant].VIEWER,
        );
        expect(narrowed.body.data!.auditEventStats).toEqual({ total: 0, groups: [] });
      },
    );

    it('verifies its own chain only', async () => {
      const res = await env.gql(VERIFY, {}, keys[tenant].AUDITOR);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.verifyAuditChain).toMatchObject({
        valid: true,
        checkedCount: 6,
        headSequence: 6,
        checkpointsChecked: 1,
        latestCheckpoint: { sequence: 6 },
      });
      const ranged = await env.gql(VERIFY, { from: 2, to: 4 }, keys[tenant].AUDITOR);
      expect(ranged.body.data!.verifyAuditChain).toMatchObject({ valid: true, checkedCount: 3, fromSequence: 2, toSequence: 4 });
    });

    it('lists its own checkpoints only', async () => {
      const res = await env.gql('{ checkpoints { id tenantId sequence chainHash } }', {}, keys[tenant].AUDITOR);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.checkpoints).toHaveLength(1);
      expect(res.body.data!.checkpoints[0]).toMatchObject({ tenantId: tenant, sequence: 6 });
      const head = await env.gql(VERIFY, {}, keys[tenant].AUDITOR);
      expect(res.body.data!.checkpoints[0].chainHash).toBe(head.body.data!.verifyAuditChain.headChainHash);
    });

    it('lists its own API keys only', async () => {
      const res = await env.gql('{ apiKeys { id name } }', {}, keys[tenant].ADMIN);
      expect(res.body.errors).toBeUndefined();
      const ids = res.body.data!.apiKeys.map((k: { id: string }) => k.id);
      expect(ids.sort()).toEqual([...keyIds[tenant]].sort());
    });

    it('cannot revoke another tenant’s key: NOT_FOUND, and the key keeps working', async () => {
      const victimId = keyIds[theirs][2]; // their VIEWER key
      const res = await env.gql(
        'mutation($id: ID!) { revokeApiKey(input: { id: $id }) { id revokedAt } }',
        { id: victimId },
        keys[tenant].ADMIN,
      );
      expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
      const still = await env.gql('{ viewer { role tenant { id } } }', {}, keys[theirs].VIEWER);
      expect(still.body.data!.viewer).toEqual({ role: 'VIEWER', tenant: { id: theirs } });
      const rows = await env.sql<{ revoked_at: unknown }>('SELECT revoked_at FROM api_key WHERE id = ?', [victimId]);
      expect(rows[0].revoked_at).toBeNull();
    });

    it('creates keys in its own tenant only', async () => {
      const res = await env.gql(
        'mutation { createApiKey(input: { name: "scoped", role: VIEWER }) { secret apiKey { id } } }',
        {},
        keys[tenant].ADMIN,
      );
      expect(res.body.errors).toBeUndefined();
      const who = await env.gql('{ viewer { tenant { id } } }', {}, res.body.data!.createApiKey.secret);
      expect(who.body.data!.viewer.tenant.id).toBe(tenant);
      keyIds[tenant].push(res.body.data!.createApiKey.apiKey.id);
    });
  });

  it('keeps the default tenant’s view free of both', async () => {
    const res = await env.gql(PAGE, { first: 100 });
    expect(res.body.data!.auditEvents.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([defaultEventId]);
    const verified = await env.gql(VERIFY);
    expect(verified.body.data!.verifyAuditChain).toMatchObject({ valid: true, checkedCount: 1, headSequence: 1 });
  });
});
