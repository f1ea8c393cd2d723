import type { DataSource } from 'typeorm';
import { type AuditEventInputShape, type EventLimits, prepareEvents } from '../ingest/event-validation';
import type { PreparedEvent } from '../chain/prepared-event';
import { type ChainStore, createChainStore } from '../chain/chain-store';
import type { RuleMeasure } from '../compliance/assessment';
import { AssessmentQueries } from '../compliance/assessment-query';
import { createClassifier } from '../compliance/classifier';
import type { Classifier } from '../ingest/classifier';
import { createDataSource } from '../database/data-source';
import { AppError } from '../errors/app-error';
import type { EventMatch, EventRule, FrameworkPlugin } from '../plugin-api';
import { messageOf } from './contract-report';

/**
 * The server as the behaviour check runs it, and the kit's one door into the server's own modules
 * (audit, compliance, database): an in-memory SQLite database with the real migrations, events
 * recorded through the ingest validation and the chain, rules measured with an assessment's SQL and
 * judged as an assessment judges them. Everything else in the kit imports only the plugin API and
 * the host.
 */

export { ActorType, Classification, type EventPayload, OutcomeStatus, Severity } from '../audit/audit-event.model';
export type { AuditEventInputShape } from '../ingest/event-validation';
export { evaluateRule, type RuleMeasure } from '../compliance/assessment';
export { BUILT_IN_CATEGORIES } from '../compliance/catalog';
export { namePredicate } from '../compliance/name-pattern';
export { nextPeriodStart, periodStart } from '../compliance/periods';
export { ratioRequired } from '../compliance/ratio';

const LIMITS: EventLimits = {
  maxStringLength: 4096,
  maxMetadataBytes: 65536,
  maxOccurredAtAgeMs: Number.MAX_SAFE_INTEGER,
  maxClockSkewMs: 60_000,
};

/** An event in words, for messages. */
export const summary = (e: AuditEventInputShape) =>
  `action "${e.action}", resource type "${e.resource.type}", outcome ${e.outcome.status}, severity ${e.severity}, ` +
  `classification ${e.classification}, actor type ${e.actor.type}${e.categories?.length ? `, category ${e.categories[0]}` : ''}`;

/** Problems of a batch the ingest path refuses, as one sentence. */
function refusal(e: unknown): string {
  if (e instanceof AppError && Array.isArray(e.extensions.problems)) {
    const problems = e.extensions.problems as { path: string; message: string }[];
    return problems.map((p) => `${p.path.replace(/^events\[\d+\]\./, '')} ${p.message}`).join('; ');
  }
  return messageOf(e);
}

/** A rule needs an event the ingest path refuses; the message follows the rule's name. */
export class RuleRefused extends Error {}

/** The events as ingest validates them; a refusal means no client could record them either. */
export function prepare(events: AuditEventInputShape[], now: number, classify: Classifier | null = null): PreparedEvent[] {
  try {
    return prepareEvents(events, LIMITS, { classify, trusted: true, now });
  } catch (e) {
    throw new RuleRefused(`needs an event no client can record (${summary(events[0])}): ${refusal(e)}`);
  }
}

/** The classifier ingest builds from one framework plugin's classification rules. */
export const classifierOf = (plugin: FrameworkPlugin<unknown>): Classifier | null => createClassifier([plugin]);

/** One in-memory database; each scenario records into a tenant of its own. */
export class Sandbox {
  private tenants = 0;
  private readonly store: ChainStore;
  private readonly queries: AssessmentQueries;

  private constructor(
    dataSource: DataSource,
    readonly now: number,
  ) {
    this.store = createChainStore(dataSource);
    this.queries = new AssessmentQueries(dataSource);
  }

  /** Runs `use` with a fresh sandbox on a migrated in-memory SQLite database, closed afterwards. */
  static async with<T>(now: number, use: (sandbox: Sandbox) => Promise<T>): Promise<T> {
    const dataSource = createDataSource({ database: { dialect: 'sqlite', location: ':memory:' }, poolSize: 1 });
    await dataSource.initialize();
    try {
      await dataSource.runMigrations({ transaction: 'each' });
      return await use(new Sandbox(dataSource, now));
    } finally {
      await dataSource.destroy();
    }
  }

  /**
   * Records `events` in a new tenant and measures `rule` over them from `from` (and up to `to`);
   * `firstEvent` is where the tenant's trail begins, as an assessment sees it.
   */
  async measureWithStart(
    rule: EventRule,
    events: AuditEventInputShape[],
    from: number,
    to: number | null = null,
  ): Promise<{ measure: RuleMeasure; firstEvent: Date | null }> {
    const tenantId = `contract-${++this.tenants}`;
    if (events.length) await this.store.append(tenantId, prepare(events, this.now));
    // The sandbox records the rule's history at once, so recording time is not what it tests: every
    // event counts as recorded on time and up to the head.
    const scope = {
      tenantId,
      from: new Date(from),
      to: to === null ? null : new Date(to),
      now: new Date(this.now),
      recordedBy: null,
      lag: { days: 36_500 },
    };
    const { snapshot, measures } = await this.queries.measure([{ controlId: 'contract', role: 'EVIDENCE', rule }], scope);
    return { measure: measures.get(rule)!, firstEvent: snapshot.firstDay ? new Date(`${snapshot.firstDay}T00:00:00.000Z`) : null };
  }

  async measure(rule: EventRule, events: AuditEventInputShape[], from: number, to: number | null = null): Promise<RuleMeasure> {
    return (await this.measureWithStart(rule, events, from, to)).measure;
  }

  /** How many of `events` a plain MATCH on `match` counts. */
  async matched(match: EventMatch, events: AuditEventInputShape[], from: number): Promise<{ count: number; samples: number[] }> {
    const measure = await this.measure({ id: 'contract-match', kind: 'MATCH', description: 'contract', match }, events, from);
    return measure.kind === 'MATCH' ? { count: measure.count, samples: measure.samples } : { count: 0, samples: [] };
  }
}
