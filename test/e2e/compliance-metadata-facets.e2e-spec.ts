import { AssessmentQueries, type MeasureScope, type PlannedRule } from '../../src/compliance/assessment-query';
import { MetadataFacetIndex } from '../../src/audit/metadata-facet-index';
import { FACET_KIND, MetadataFacets, predicatesIn } from '../../src/audit/metadata-facets';
import type { EventMatch, EventRule, FrameworkPlugin, MetadataPredicate, NamePattern } from '../../src/plugin-api';
import { BUILT_IN_PLUGINS } from '../../plugins/registry';
import { RECORD, VERIFY, createTestEnvironment, type TestEnvironment } from '../helpers/test-environment';
import { AS_OF, PERIOD_FROM, PERIOD_TO, fortnightEvents } from '../helpers/fortnight-scenario';
import { logStatements } from '../helpers/statement-log';
import { type PlannedAssessment, plannedAssessments } from '../helpers/planned-assessments';

/**
 * ADR 0056: the metadata predicates of the loaded rules are answered at ingest and kept as labels
 * (`facet`); an assessment tests the label instead of the event's JSON. A label must mean exactly
 * what its predicate means: every measure and every listed deviation of every rule of the three
 * built-in frameworks, and of rules with predicates no loaded rule has (labelled by the backfill),
 * is the same both ways over the fortnight scenario and near misses of every predicate.
 */

const FRAMEWORKS = BUILT_IN_PLUGINS.filter((p): p is FrameworkPlugin<unknown> => p.kind === 'framework');
const BUILT_IN_PREDICATES = predicatesIn(FRAMEWORKS.map((p) => p.catalog));

type Event = Record<string, unknown>;
type Scalar = string | number | boolean;

/** A name a pattern matches (a glob's `**` one or more segments, `*` one). */
const nameOf = (p: NamePattern | undefined, fallback: string): string =>
  !p ? fallback : 'equals' in p ? p.equals : 'prefix' in p ? `${p.prefix}probe` : p.glob.replace(/\*\*/g, 'a.b').replace(/\*/g, 'x');

/** The value a predicate holds for, and values that almost do: another type, another case, null. */
function valuesFor(p: MetadataPredicate): { holds: unknown[]; near: unknown[] } {
  if (p.exists !== undefined) return { holds: p.exists ? ['x', 0, false, {}] : [], near: [null] };
  const values: Scalar[] = p.in ?? [p.equals!];
  const near = values.flatMap((v): unknown[] =>
    typeof v === 'string'
      ? [v.toUpperCase() === v ? v.toLowerCase() : v.toUpperCase(), `${v} `, [v], { v }]
      : typeof v === 'number'
        ? [String(v), v + 1, [v]]
        : [String(v), v ? 1 : 0, !v],
  );
  return { holds: values, near: [...near, null] };
}

/** `{a: {b: value}}` for path `a.b`. */
const nested = (path: string, value: unknown): Record<string, unknown> =>
  path
    .split('.')
    .reverse()
    .reduce<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;

/**
 * Events a match selects but for its metadata, which holds (every predicate) or almost holds (one
 * predicate near, missing, under an array, or written as one dotted key), at several instants.
 */
function nearMisses(match: EventMatch, n: number): Event[] {
  const predicates = match.metadata ?? [];
  const holding = Object.assign(
    {},
    ...predicates.filter((p) => p.exists !== false).map((p) => nested(p.path, valuesFor(p).holds[0] ?? 'x')),
  ) as Record<string, unknown>;
  const variants: Record<string, unknown>[] = [holding];
  for (const p of predicates) {
    const { holds, near } = valuesFor(p);
    const others = predicates.filter((q) => q !== p && q.exists !== false).map((q) => nested(q.path, valuesFor(q).holds[0] ?? 'x'));
    for (const value of [...holds, ...near]) variants.push(Object.assign({}, ...others, nested(p.path, value)));
    variants.push(Object.assign({}, ...others)); // missing
    variants.push(Object.assign({}, ...others, { [p.path.split('.')[0]]: [nested(p.path, holds[0] ?? 'x')[p.path.split('.')[0]]] }));
    if (p.path.includes('.')) variants.push(Object.assign({}, ...others, { [p.path]: holds[0] ?? 'x' }));
  }
  const action = nameOf(match.action?.[0], 'probe.event');
  const resourceType = nameOf(match.resourceType?.[0], 'probe_resource');
  return variants.map((metadata, i) => ({
    occurredAt: new Date(Date.parse(PERIOD_FROM) + ((n * 7919 + i * 3_600_000 * 5) % (13 * 86_400_000))).toISOString(),
    action,
    actor: { id: `svc-${i % 3}`, type: match.actorType?.[0] ?? 'SERVICE', ip: `198.51.100.${i % 4}` },
    resource: { type: resourceType, id: `probe-${i % 4}` },
    outcome: { status: match.outcome?.[i % match.outcome.length] ?? 'SUCCESS' },
    severity: match.minSeverity ?? 'INFO',
    ...(match.categories ? { categories: match.categories } : {}),
    metadata,
  }));
}

/** Every EventMatch inside a rule that tests metadata (a RATIO's qualifying test within its population). */
function matchesOf(rule: EventRule): EventMatch[] {
  const out: EventMatch[] = [];
  if (rule.kind === 'RATIO') {
    const { population, qualifying } = rule;
    const metadata = [...(population.metadata ?? []), ...(qualifying.metadata ?? [])];
    if (metadata.length) out.push({ ...population, ...qualifying, ...population, metadata });
  }
  const walk = (value: unknown) => {
    if (!value || typeof value !== 'object') return;
    if (Array.isArray(value)) return value.forEach(walk);
    if ('metadata' in value && Array.isArray((value as EventMatch).metadata)) out.push(value as EventMatch);
    Object.values(value).forEach(walk);
  };
  walk(rule);
  return out;
}

/** Rules with predicates no built-in rule has: their facets are not labelled at ingest, only by the backfill. */
const extra = (id: string, match: EventMatch): EventRule => ({ id, kind: 'MATCH', description: id, match });
const EXTRA_RULES: EventRule[] = [
  extra('x-string', { action: [{ equals: 'probe.extra' }], metadata: [{ path: 'ticket.kind', equals: 'urgent' }] }),
  extra('x-number', { action: [{ equals: 'probe.extra' }], metadata: [{ path: 'level', in: [2, 3.5] }] }),
  extra('x-bool', { action: [{ equals: 'probe.extra' }], metadata: [{ path: 'ok', equals: false }] }),
  extra('x-exists', { action: [{ equals: 'probe.extra' }], metadata: [{ path: 'ticket.owner', exists: true }] }),
  extra('x-absent', { action: [{ equals: 'probe.extra' }], metadata: [{ path: 'ticket.owner', exists: false }] }),
  {
    id: 'x-follow',
    kind: 'NOT_FOLLOWED_BY',
    description: 'x-follow',
    trigger: { action: [{ equals: 'probe.extra' }], metadata: [{ path: 'level', equals: 2 }] },
    followUp: { action: [{ equals: 'probe.extra' }], metadata: [{ path: 'ok', equals: false }] },
    within: { hours: 30 },
    correlation: 'RESOURCE',
  },
];

describe('metadata facets: a label answers exactly what its predicate does', () => {
  let env: TestEnvironment;
  let statements: string[];
  let planned: Map<string, PlannedAssessment>;

  beforeAll(async () => {
    env = await createTestEnvironment();
    const key = await env.createKey('INGEST', 'fortnight');
    const rules = [...FRAMEWORKS.flatMap((p) => p.catalog.controls.flatMap((c) => [...c.evidence, ...c.violations])), ...EXTRA_RULES];
    const probes = rules.flatMap((rule) => matchesOf(rule as EventRule)).flatMap((match, n) => nearMisses(match, n));
    const events = [...fortnightEvents(), ...probes];
    for (let i = 0; i < events.length; i += 500) {
      const res = await env.gql(RECORD, { input: { events: events.slice(i, i + 500) } }, key);
      expect(res.body.errors).toBeUndefined();
    }
    planned = await plannedAssessments(env, 'fortnight');
    statements = logStatements(env.app.dataSource);
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await env?.close();
  });

  const json = (text: string) => /json_extract|json_type|JSON_EXTRACT|JSON_VALUE/.test(text);
  const labelled = (text: string) => text.includes(`_md.kind = '${FACET_KIND}'`);

  async function everything(queries: AssessmentQueries, rules: PlannedRule[], scope: MeasureScope) {
    const { measures } = await queries.measure(rules, scope);
    const listed = await Promise.all(rules.map(({ rule }) => queries.deviations(rule, scope, 1e9, { limit: 1000 })));
    return { measures: rules.map(({ rule }) => measures.get(rule)), listed };
  }

  it('labels each event with the built-in facets it has at ingest, never as a tag, and the chain verifies', async () => {
    const facets = new MetadataFacets(BUILT_IN_PREDICATES);
    expect(facets.size).toBeGreaterThan(10);
    const rows = await env.sql<{ n: number }>(`SELECT COUNT(*) AS n FROM audit_event_label WHERE kind = '${FACET_KIND}'`);
    expect(Number(rows[0].n)).toBeGreaterThan(50);
    const ready = await env.sql<{ facet: string; ready: number }>('SELECT facet, ready FROM metadata_facet');
    expect(new Set(ready.filter((r) => Number(r.ready) === 1).map((r) => r.facet))).toEqual(new Set(facets.definitions.keys()));
    const verified = await env.gql(VERIFY, {}, await env.createKey('AUDITOR', 'fortnight'));
    expect(verified.body.data!.verifyAuditChain).toMatchObject({ valid: true, firstFailure: null });
    const events = await env.gql(
      'query { auditEvents(first: 200) { edges { node { tags categories } } } }',
      {},
      await env.createKey('AUDITOR', 'fortnight'),
    );
    expect(events.body.errors).toBeUndefined();
    const tags = events.body.data!.auditEvents.edges.flatMap((e: { node: { tags: string[] } }) => e.node.tags);
    expect(tags.filter((t: string) => t.startsWith('md:'))).toEqual([]);
  });

  it.each(['soc2', 'hipaa', 'gdpr'])(
    '%s: every measure and deviation is the same from the labels and from the JSON',
    async (frameworkId) => {
      const { planned: rules, scope } = planned.get(frameworkId)!;
      const index = new MetadataFacetIndex(env.app.dataSource, new MetadataFacets(BUILT_IN_PREDICATES));
      statements.length = 0;
      const fromJson = await everything(new AssessmentQueries(env.app.dataSource, undefined, { narrow: false }), rules, scope);
      const jsonStatements = statements.filter(json).length;
      statements.length = 0;
      const fromLabels = await everything(new AssessmentQueries(env.app.dataSource, undefined, { facets: index }), rules, scope);
      // The frameworks test metadata, and with the labels no statement parses it.
      if (rules.some(({ rule }) => matchesOf(rule).length)) {
        expect(jsonStatements).toBeGreaterThan(0);
        expect(statements.filter(labelled).length).toBeGreaterThan(0);
      }
      expect(statements.filter(json)).toEqual([]);
      expect(fromLabels.measures).toEqual(fromJson.measures);
      expect(fromLabels.listed).toEqual(fromJson.listed);
      // Not vacuous: some metadata rule counted something and some did not.
      const counts = fromJson.measures.map((m) => JSON.stringify(m));
      expect(new Set(counts).size).toBeGreaterThan(5);
    },
  );

  it('a predicate no loaded rule has: the metadata until the backfill labels the earlier events, then the labels, the same answers', async () => {
    const scope: MeasureScope = {
      tenantId: 'fortnight',
      from: new Date(PERIOD_FROM),
      to: new Date(PERIOD_TO),
      now: new Date(AS_OF),
      recordedBy: null,
      lag: { days: 36_500 },
    };
    const rules = EXTRA_RULES.map((rule) => ({ controlId: 'x', role: 'EVIDENCE' as const, rule }));
    const fromJson = await everything(new AssessmentQueries(env.app.dataSource, undefined, { narrow: false }), rules, scope);
    const index = new MetadataFacetIndex(env.app.dataSource, new MetadataFacets([...BUILT_IN_PREDICATES, ...predicatesIn(EXTRA_RULES)]));
    await index.register();
    const queries = new AssessmentQueries(env.app.dataSource, undefined, { facets: index });
    statements.length = 0;
    // Registered, not yet backfilled: not ready, so the JSON answers.
    expect(await everything(queries, rules, scope)).toEqual(fromJson);
    expect(statements.filter(json).length).toBeGreaterThan(0);
    expect(await index.pending()).toHaveLength(5);
    expect(await index.backfill()).toBeGreaterThan(0);
    expect(await index.pending()).toEqual([]);
    statements.length = 0;
    const fromLabels = await everything(queries, rules, scope);
    expect(statements.filter(json)).toEqual([]);
    expect(fromLabels).toEqual(fromJson);
    const counts = (fromJson.measures as { count?: number }[]).slice(0, 5).map((m) => m.count);
    expect(counts.every((n) => n! > 0)).toBe(true);
    // A tenant none of whose events carries a facet: the predicate is a constant, with the same answers.
    const empty = { ...scope, tenantId: 'default' };
    const emptyFromJson = await everything(new AssessmentQueries(env.app.dataSource, undefined, { narrow: false }), rules, empty);
    statements.length = 0;
    expect(await everything(queries, rules, empty)).toEqual(emptyFromJson);
    expect(statements.filter(json)).toEqual([]);
    expect(statements.filter(labelled)).toEqual([]);
    expect(statements.some((text) => text.includes('1 = 0'))).toBe(true);
    // A start without these rules sets their facets back: its events will not carry them.
    await new MetadataFacetIndex(env.app.dataSource, new MetadataFacets(BUILT_IN_PREDICATES)).register();
    expect(await index.pending()).toHaveLength(5);
    statements.length = 0;
    expect(await everything(queries, rules, scope)).toEqual(fromJson);
    expect(statements.filter(json).length).toBeGreaterThan(0);
  });

  it('refuses a stored facet whose definition differs from the one computed for its key', async () => {
    const [key] = new MetadataFacets(BUILT_IN_PREDICATES).definitions.keys();
    const [row] = await env.sql<{ definition: string }>('SELECT definition FROM metadata_facet WHERE facet = ?', [key]);
    await env.sql('UPDATE metadata_facet SET definition = ? WHERE facet = ?', ['{"path":"other","exists":true}', key]);
    try {
      await expect(new MetadataFacetIndex(env.app.dataSource, new MetadataFacets(BUILT_IN_PREDICATES)).register()).rejects.toThrow(
        `metadata facet ${key}`,
      );
    } finally {
      await env.sql('UPDATE metadata_facet SET definition = ? WHERE facet = ?', [row.definition, key]);
    }
  });
});
