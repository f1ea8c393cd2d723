import { AssessmentQueries, type MeasureScope } from '../../src/compliance/assessment-query';
import type { EventMatch, EventRule, MetadataPredicate } from '../../src/plugin-api';
import { RECORD, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Noon three days ago: the range below spans whole days, which the rollup would answer. */
const BASE = Math.floor((Date.now() - 3 * DAY) / DAY) * DAY + 12 * HOUR;

const ev = (id: string, metadata?: Record<string, unknown>, offsetMs = 0) =>
  eventInput({
    action: 'dsar.decided',
    occurredAt: new Date(BASE + offsetMs).toISOString(),
    resource: { type: 'dsar', id },
    // A service, not a person: a person's metadata on a PII event is sealed except the keys loaded
    // rules read (ADR 0042), and these ad-hoc rules are not loaded.
    actor: { id: 'dsar-service', type: 'SERVICE' },
    ...(metadata ? { metadata } : {}),
  });

const EVENTS = [
  ev('one', { dsar: { type: 'erasure' }, decision: 'approved', n: 1, flag: true }),
  ev('two', { dsar: { type: 'Erasure' }, n: '1', flag: 'true' }, DAY),
  ev('three', { dsar: { type: 'access' }, n: 1.5, flag: false, decision: null }, DAY),
  ev('four'),
];

describe('metadata predicates in an EventMatch', () => {
  let env: TestEnvironment;
  let queries: AssessmentQueries;
  const scope = (): MeasureScope => ({
    tenantId: 'default',
    from: new Date(BASE - 2 * DAY),
    to: null,
    now: new Date(),
    recordedBy: null,
    lag: { days: 36_500 },
  });

  beforeAll(async () => {
    env = await createTestEnvironment();
    queries = new AssessmentQueries(env.app.dataSource);
    const res = await env.gql(RECORD, { input: { events: EVENTS } });
    expect(res.body.errors).toBeUndefined();
  });
  afterAll(async () => {
    await env?.close();
  });

  async function count(...metadata: MetadataPredicate[]): Promise<number> {
    const match: EventMatch = { action: [{ equals: 'dsar.decided' }], metadata };
    const rule: EventRule = { id: 'r', kind: 'MATCH', description: 'r', match };
    const { measures } = await queries.measure([{ controlId: 'c', role: 'EVIDENCE', rule }], scope());
    const measured = measures.get(rule)!;
    return measured.kind === 'MATCH' ? measured.count : NaN;
  }

  it('compares strings exactly, case included, on a dotted path', async () => {
    expect(await count({ path: 'dsar.type', equals: 'erasure' })).toBe(1);
    expect(await count({ path: 'dsar.type', in: ['erasure', 'access'] })).toBe(2);
    expect(await count({ path: 'dsar', equals: 'erasure' })).toBe(0);
  });

  it('keeps numbers, booleans and strings apart', async () => {
    expect(await count({ path: 'n', equals: 1 })).toBe(1);
    expect(await count({ path: 'n', equals: '1' })).toBe(1);
    expect(await count({ path: 'n', in: [1.5, 2] })).toBe(1);
    expect(await count({ path: 'flag', equals: true })).toBe(1);
    expect(await count({ path: 'flag', equals: false })).toBe(1);
    expect(await count({ path: 'flag', equals: 'true' })).toBe(1);
  });

  it('treats a null value as absent, and all predicates must hold', async () => {
    expect(await count({ path: 'decision', exists: true })).toBe(1);
    expect(await count({ path: 'decision', exists: false })).toBe(3);
    expect(await count({ path: 'dsar.type', exists: true }, { path: 'flag', equals: false })).toBe(1);
  });

  it('counts AT_LEAST by day from the events, not from the rollup', async () => {
    const rule: EventRule = {
      id: 'daily',
      kind: 'AT_LEAST',
      description: 'daily',
      match: { metadata: [{ path: 'n', exists: true }] },
      count: 1,
      period: 'DAY',
    };
    const plain: EventRule = { ...rule, id: 'plain', match: { action: [{ equals: 'dsar.decided' }] } };
    const { measures } = await queries.measure(
      [rule, plain].map((r) => ({ controlId: 'c', role: 'EVIDENCE' as const, rule: r })),
      scope(),
    );
    const day = (offset: number) => new Date(BASE + offset).toISOString().slice(0, 10);
    expect(measures.get(rule)).toMatchObject({
      byDay: new Map([
        [day(0), 1],
        [day(DAY), 2],
      ]),
    });
    expect(measures.get(plain)).toMatchObject({
      byDay: new Map([
        [day(0), 2],
        [day(DAY), 2],
      ]),
    });
  });

  it('applies the predicates to the evidence connection', async () => {
    const cond = queries.evidenceCondition({
      id: 'c',
      title: 'c',
      description: 'c',
      evidence: [{ id: 'r', kind: 'MATCH', description: 'r', match: { metadata: [{ path: 'flag', equals: true }] } }],
      violations: [],
    })!;
    const rows = await env.sql<{ id: string }>(`SELECT e.resource_id AS id FROM audit_event e WHERE ${cond.text}`, cond.params);
    expect(rows.map((r) => r.id)).toEqual(['one']);
  });
});
