import { AssessmentQueries, foldConstantFacets, type MeasureScope, type PlannedRule } from '../../src/compliance/assessment-query';
import { MetadataFacetIndex } from '../../src/audit/metadata-facet-index';
import { MetadataFacets, predicatesIn } from '../../src/audit/metadata-facets';
import type { EventMatch, FrameworkPlugin, MetadataPredicate } from '../../src/plugin-api';
import { BUILT_IN_PLUGINS } from '../../plugins/registry';
import { RECORD, createTestEnvironment, type TestEnvironment } from '../helpers/test-environment';
import { fortnightEvents } from '../helpers/fortnight-scenario';
import { logStatements } from '../helpers/statement-log';
import { type PlannedAssessment, plannedAssessments } from '../helpers/planned-assessments';

/**
 * ADR 0057: what the rollup already knows is not asked of the events again. A set counted from the
 * events whose metadata predicates are facets no event carries is a constant, summed from the rollup
 * (or nothing); categories every rollup row of a match carries are not looked up per event. Both
 * must give exactly what the statements over the events give: every measure and listed deviation of
 * every rule of the three built-in frameworks, over a tenant whose events carry no metadata (every
 * facet empty), one with the fortnight's metadata, and one where some reads of `**.read` lack PHI.
 */

const FRAMEWORKS = BUILT_IN_PLUGINS.filter((p): p is FrameworkPlugin<unknown> => p.kind === 'framework');
const PREDICATES = predicatesIn(FRAMEWORKS.map((p) => p.catalog));
const TENANTS = ['plain', 'full', 'mixed'] as const;

/** The fortnight for one tenant: without metadata (plain), as it is (full), with reads of PHI and of other data under one action (mixed). */
function eventsOf(tenant: (typeof TENANTS)[number]): Record<string, unknown>[] {
  const events = fortnightEvents();
  if (tenant === 'plain') return events.map((e) => ({ ...e, metadata: {} }));
  if (tenant === 'full') return events;
  const read = (day: number, minute: number, categories: string[]) => ({
    occurredAt: `2026-11-${String(day).padStart(2, '0')}T13:${String(minute).padStart(2, '0')}:00.000Z`,
    action: 'document.read',
    actor: { id: 'carol', type: 'USER', ip: '203.0.113.10' },
    resource: { type: 'document', id: `doc-${day}-${minute}` },
    outcome: { status: 'SUCCESS' },
    severity: 'INFO',
    categories,
    metadata: {},
  });
  return [...events, ...[2, 3, 4].flatMap((day) => [read(day, 1, ['PHI']), read(day, 2, []), read(day, 3, ['PII'])])];
}

describe('the rollup answers what it knows: constant facets and implied categories', () => {
  let env: TestEnvironment;
  let statements: string[];
  let planned: Map<string, PlannedAssessment>;

  beforeAll(async () => {
    env = await createTestEnvironment();
    for (const tenant of TENANTS) {
      const key = await env.createKey('INGEST', tenant);
      const events = eventsOf(tenant);
      for (let i = 0; i < events.length; i += 500) {
        const res = await env.gql(RECORD, { input: { events: events.slice(i, i + 500) } }, key);
        expect(res.body.errors).toBeUndefined();
      }
    }
    planned = await plannedAssessments(env, 'full');
    statements = logStatements(env.app.dataSource);
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await env?.close();
  });

  async function everything(queries: AssessmentQueries, rules: PlannedRule[], scope: MeasureScope) {
    const { measures } = await queries.measure(rules, scope);
    const listed = await Promise.all(rules.map(({ rule }) => queries.deviations(rule, scope, 1e9, { limit: 1000 })));
    return { measures: rules.map(({ rule }) => measures.get(rule)), listed };
  }
  /** The sums over the events of the whole range (not an edge day, which reads the time index). */
  const wholeRangeSums = (text: string) => /AS n, MAX\(e\.sequence\) AS hi/.test(text) && !text.includes('ix_audit_event_occurred');
  /** HIPAA's PHI bulk-read burst (a hundred reads by one account, the parameter's default). */
  const phiBurst = (text: string) => text.includes('LAG(e.occurred_at, 99)');

  const cases = TENANTS.flatMap((tenant) => ['soc2', 'hipaa', 'gdpr'].map((frameworkId) => [tenant, frameworkId] as const));
  it.each(cases)('%s, %s: every measure and deviation is the one the events give', async (tenant, frameworkId) => {
    const { planned: rules, scope: planned_ } = planned.get(frameworkId)!;
    const scope = { ...planned_, tenantId: tenant };
    statements.length = 0;
    const fromEvents = await everything(new AssessmentQueries(env.app.dataSource, undefined, { narrow: false }), rules, scope);
    const eventStatements = [...statements];
    statements.length = 0;
    const index = new MetadataFacetIndex(env.app.dataSource, new MetadataFacets(PREDICATES));
    const folded = await everything(new AssessmentQueries(env.app.dataSource, undefined, { facets: index }), rules, scope);
    expect(folded.measures).toEqual(fromEvents.measures);
    expect(folded.listed).toEqual(fromEvents.listed);
    expect(new Set(fromEvents.measures.map((m) => JSON.stringify(m))).size).toBeGreaterThan(5);
    // Each framework counts some metadata rule from the events; without metadata, the rollup answers it.
    expect(eventStatements.some(wholeRangeSums)).toBe(true);
    if (tenant === 'plain') expect(statements.filter(wholeRangeSums)).toEqual([]);
    if (tenant === 'full') expect(statements.some(wholeRangeSums)).toBe(true);
    if (frameworkId === 'hipaa') {
      // PHI is tested per event for the bulk-read burst only where some read of its actions lacks it.
      const burst = statements.filter(phiBurst);
      expect(burst.length).toBeGreaterThan(0);
      expect(burst.every((text) => text.includes("'category'"))).toBe(tenant === 'mixed');
      expect(eventStatements.filter(phiBurst).every((text) => text.includes("'category'"))).toBe(true);
    }
  });

  it('folds a set by the values of its constant predicates', () => {
    const mfa: MetadataPredicate = { path: 'mfa', equals: true };
    const absent: MetadataPredicate = { path: 'ticket', exists: false };
    const other: MetadataPredicate = { path: 'type', equals: 'access' };
    const login: EventMatch = { action: [{ equals: 'auth.login' }], outcome: ['SUCCESS'] };
    const known = new Map<MetadataPredicate, boolean>([
      [mfa, false],
      [absent, true],
    ]);
    const constant = (p: MetadataPredicate) => known.get(p) ?? null;
    // The qualifying sign-ins: none; the short ones: every sign-in.
    expect(foldConstantFacets({ all: [login, { metadata: [mfa] }] }, constant)).toBeNull();
    expect(foldConstantFacets({ all: [login], not: { metadata: [mfa] } }, constant)).toEqual({ all: [login] });
    // A true predicate is dropped; a `not` that holds for every event leaves nothing.
    expect(foldConstantFacets({ all: [{ ...login, metadata: [absent] }] }, constant)).toEqual({ all: [login] });
    expect(foldConstantFacets({ all: [login], not: { metadata: [absent] } }, constant)).toEqual({ all: [login], not: {} });
    // A predicate to test stays, with the others folded.
    expect(foldConstantFacets({ all: [{ ...login, metadata: [absent, other] }] }, constant)).toEqual({
      all: [{ ...login, metadata: [other] }],
    });
  });
});
