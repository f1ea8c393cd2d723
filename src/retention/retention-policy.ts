import { type Classification, classificationRank } from '../audit/audit-event.model';
import { prefixUpperBound, type Sql } from '../database/sql';
import { toSqlDateTime } from '../database/sql-format';

/** What a retention rule selects (ADR 0043). */
export enum RetentionSelector {
  /** Events of exactly this classification. */
  CLASSIFICATION = 'CLASSIFICATION',
  /** Events carrying this category label. */
  CATEGORY = 'CATEGORY',
  /** Events whose action starts with this prefix. */
  ACTION_PREFIX = 'ACTION_PREFIX',
  /** A loaded framework's retention duty: every event of the tenant (the trail is that framework's documentation). */
  FRAMEWORK = 'FRAMEWORK',
}

export interface RetentionRule {
  id: string;
  tenantId: string;
  selector: RetentionSelector;
  value: string;
  /** Never delete before this many days after recordedAt; null: no minimum. */
  minDays: number | null;
  /** Delete after this many days after recordedAt; null: no maximum. */
  maxDays: number | null;
  note: string | null;
  createdAt: string;
  createdBy: string | null;
}

export interface LegalHold {
  id: string;
  tenantId: string;
  /**
   * What a hold by subject stores (ADR 0043, amended 2026-12-04): the data subject's reference
   * (`s_…`, ADR 0042), never the id; for a released hold converted from a clear row whose subject
   * was no longer live, a keyed pseudonym (`h_…`). Null: not a hold by subject.
   */
  subjectRef: string | null;
  /** The subject id, opened through the subject's key for a read; null when not by subject or not opened. */
  subject: string | null;
  /**
   * What the subject is stored as in events: its reference and, while the subject is live, its id
   * (events that are not sealed — a non-person actor, privacy off — store it in clear). Set by the
   * retention service before planning; unset: the reference only.
   */
  storedAs?: readonly string[];
  actionPrefix: string | null;
  /** occurredAt at or after. */
  occurredFrom: string | null;
  /** occurredAt before. */
  occurredTo: string | null;
  reason: string;
  createdAt: string;
  createdBy: string | null;
  releasedAt: string | null;
  releasedBy: string | null;
}

/** Rules a tenant may have, and active holds: bounded, so a plan's statement and a listing stay small. */
export const MAX_RULES = 100;
export const MAX_ACTIVE_HOLDS = 500;

/** Longest retention a rule may name: 100 years. */
export const MAX_RETENTION_DAYS = 36_500;

/**
 * What the built-in frameworks ask for, as suggested minimums (ADR 0043). A documented table, not
 * plugin metadata: the plugin API is unchanged.
 */
export const FRAMEWORK_RETENTION: readonly { frameworkId: string; minDays: number | null; basis: string }[] = [
  {
    frameworkId: 'hipaa',
    minDays: 2190,
    basis: 'HIPAA 164.316(b)(2)(i): documentation is retained six years from its creation or last effective date.',
  },
  {
    frameworkId: 'soc2',
    minDays: 365,
    basis: 'SOC 2 Type 2: evidence for the whole audit period, typically twelve months; keep it until the report on that period is issued.',
  },
  {
    frameworkId: 'gdpr',
    minDays: null,
    basis:
      'GDPR sets no minimum. Art. 5(1)(e), storage limitation: keep personal data no longer than the purposes need; set a maximum for personal and special-category events.',
  },
];

const DAY_MS = 86_400_000;
const cutoff = (now: Date, days: number) => toSqlDateTime(new Date(now.getTime() - days * DAY_MS).toISOString());

/** The condition "rule applies to event `e`", over alias `e`. */
function applies(rule: RetentionRule): Sql {
  switch (rule.selector) {
    case RetentionSelector.CLASSIFICATION:
      return { text: 'e.classification = ?', params: [classificationRank(rule.value as Classification)] };
    case RetentionSelector.CATEGORY:
      return {
        text: "EXISTS (SELECT 1 FROM audit_event_label l WHERE l.tenant_id = e.tenant_id AND l.sequence = e.sequence AND l.kind = 'category' AND l.value = ?)",
        params: [rule.value],
      };
    case RetentionSelector.ACTION_PREFIX:
      return { text: '(e.action >= ? AND e.action < ?)', params: [rule.value, prefixUpperBound(rule.value)] };
    case RetentionSelector.FRAMEWORK:
      return { text: '1 = 1', params: [] };
  }
}

/** The condition "hold matches event `e`": every field the hold gives. */
function held(hold: LegalHold): Sql {
  const parts: Sql[] = [];
  if (hold.subjectRef !== null) {
    const ids = hold.storedAs?.length ? [...hold.storedAs] : [hold.subjectRef];
    const list = ids.map(() => '?').join(', ');
    parts.push({ text: `(e.actor_id IN (${list}) OR e.resource_id IN (${list}))`, params: [...ids, ...ids] });
  }
  if (hold.actionPrefix !== null) {
    parts.push({ text: '(e.action >= ? AND e.action < ?)', params: [hold.actionPrefix, prefixUpperBound(hold.actionPrefix)] });
  }
  if (hold.occurredFrom !== null) parts.push({ text: 'e.occurred_at >= ?', params: [toSqlDateTime(hold.occurredFrom)] });
  if (hold.occurredTo !== null) parts.push({ text: 'e.occurred_at < ?', params: [toSqlDateTime(hold.occurredTo)] });
  if (!parts.length) return { text: '1 = 1', params: [] };
  return { text: `(${parts.map((p) => p.text).join(' AND ')})`, params: parts.flatMap((p) => p.params) };
}

/** The condition "some active hold of `holds` matches event `e`" (`1 = 0` without one). */
export function heldCondition(holds: readonly LegalHold[]): Sql {
  return any(holds.filter((h) => h.releasedAt === null).map(held));
}

const any = (parts: Sql[]): Sql =>
  parts.length
    ? { text: `(${parts.map((p) => `(${p.text})`).join(' OR ')})`, params: parts.flatMap((p) => p.params) }
    : { text: '1 = 0', params: [] };

/**
 * The condition "event `e` must be kept" as of `now` (ADR 0043): no rule with a maximum applies,
 * or a rule that applies has a minimum or maximum it is not yet past, or an active hold matches.
 * Its negation is "may be deleted". Ages count from recorded_at, the server's time.
 */
export function keptCondition(rules: readonly RetentionRule[], holds: readonly LegalHold[], now: Date): Sql {
  const withMax = rules.filter((r) => r.maxDays !== null);
  const noMaximum: Sql = (() => {
    const a = any(withMax.map(applies));
    return { text: `NOT ${a.text}`, params: a.params };
  })();
  const young = rules.flatMap((r) => {
    const longest = Math.max(r.minDays ?? 0, r.maxDays ?? 0);
    if (longest === 0) return [];
    const a = applies(r);
    return [{ text: `${a.text} AND e.recorded_at > ?`, params: [...a.params, cutoff(now, longest)] }];
  });
  const active = holds.filter((h) => h.releasedAt === null).map(held);
  return any([noMaximum, ...young, ...active]);
}

/** Why an event is kept, for the dry run's blocking event: the first that applies. */
export function keptBecause(
  event: {
    recordedAt: string;
    occurredAt: string;
    action: string;
    actorId: string;
    resourceId: string;
    classification: number;
    categories: string[];
  },
  rules: readonly RetentionRule[],
  holds: readonly LegalHold[],
  now: Date,
): string {
  const matches = (r: RetentionRule) =>
    r.selector === RetentionSelector.FRAMEWORK ||
    (r.selector === RetentionSelector.CLASSIFICATION && classificationRank(r.value as Classification) === event.classification) ||
    (r.selector === RetentionSelector.CATEGORY && event.categories.includes(r.value)) ||
    (r.selector === RetentionSelector.ACTION_PREFIX && event.action.startsWith(r.value));
  const hold = holds.find(
    (h) =>
      h.releasedAt === null &&
      (h.subjectRef === null ||
        (h.storedAs?.length ? h.storedAs : [h.subjectRef]).some((id) => id === event.actorId || id === event.resourceId)) &&
      (h.actionPrefix === null || event.action.startsWith(h.actionPrefix)) &&
      (h.occurredFrom === null || event.occurredAt >= h.occurredFrom) &&
      (h.occurredTo === null || event.occurredAt < h.occurredTo),
  );
  if (hold) return `legal hold ${hold.id}`;
  const applying = rules.filter(matches);
  const age = (now.getTime() - Date.parse(event.recordedAt)) / DAY_MS;
  const keeps = (r: RetentionRule) => Math.max(r.minDays ?? 0, r.maxDays ?? 0);
  // The longest duty still running is the reason it stays.
  const young = applying.filter((r) => age < keeps(r)).sort((a, b) => keeps(b) - keeps(a))[0];
  if (young) return `rule ${young.id} (${young.selector} ${young.value}) keeps it ${Math.max(young.minDays ?? 0, young.maxDays ?? 0)} days`;
  return 'no rule with a maximum applies to it';
}
