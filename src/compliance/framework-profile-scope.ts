import { fromSqlDateTime, toNumber } from '../database/sql-format';
import type { Control, Framework, ScopeDimension } from '../plugin-api';

/** The action of the event a tenant's scope of a framework is recorded as (ADR 0040). */
export const SCOPE_SET_ACTION = 'datapunk.framework.scope_set';
/** The resource id of a framework's scope: `<framework>:scope` (the profile resource type, as parameters). */
export const scopeProfileId = (frameworkId: string) => `${frameworkId}:scope`;

/** Selected option ids by dimension id. */
export type ScopeSelections = Readonly<Record<string, readonly string[]>>;

/** One dimension as an assessment used it. */
export interface DimensionInForce {
  id: string;
  selected: string[];
  /** `DEFAULT`: the plugin's default; `TENANT`: the tenant's selection. */
  source: 'DEFAULT' | 'TENANT';
}

/** A recorded scope: the tenant's selections, when and by whom. */
export interface RecordedScope {
  selections: ScopeSelections;
  note: string;
  setAt: string;
  setBy: string;
  sequence: number;
}

export interface SelectionProblem {
  path: string;
  message: string;
}

/**
 * Why a selection cannot stand for a dimension: an option it does not offer or named twice, not
 * exactly one in a single-choice dimension, a required option left out. Empty when it can.
 */
export function selectionProblems(dimension: ScopeDimension, options: readonly string[]): string[] {
  const problems: string[] = [];
  const known = dimension.options.map((o) => o.id);
  options.forEach((id, i) => {
    if (!known.includes(id)) problems.push(`"${id}" is not an option of ${dimension.id} (its options: ${known.join(', ')})`);
    else if (options.indexOf(id) !== i) problems.push(`"${id}" is given twice`);
  });
  if (!dimension.multiple && options.length !== 1)
    problems.push(`must name exactly one option: ${dimension.id} is single-choice (one of ${known.join(', ')})`);
  for (const option of dimension.options)
    if (option.required && !options.includes(option.id)) problems.push(`must include "${option.id}": ${option.name} is always in scope`);
  return problems;
}

/**
 * The scope in force at `asOf`: the latest datapunk.framework.scope_set event of the framework
 * recorded by then (rows in chain order). Each event holds the whole scope. Null without one.
 */
export function scopeAsOf(frameworkId: string, rows: readonly Record<string, unknown>[], asOf: Date): RecordedScope | null {
  let found: RecordedScope | null = null;
  for (const row of rows) {
    if (row.resource_id !== scopeProfileId(frameworkId)) continue;
    const setAt = fromSqlDateTime(row.occurred_at);
    if (Date.parse(setAt) > asOf.getTime()) continue;
    const meta = JSON.parse(String(row.metadata ?? '{}')) as { selections?: unknown; note?: unknown };
    if (meta.selections === null || typeof meta.selections !== 'object' || Array.isArray(meta.selections)) continue;
    found = {
      selections: meta.selections as ScopeSelections,
      note: typeof meta.note === 'string' ? meta.note : '',
      setAt,
      setBy: String(row.actor_display_name ?? row.actor_id),
      sequence: toNumber(row.sequence),
    };
  }
  return found;
}

/**
 * Every declared dimension's selection under a recorded scope: the tenant's where it names one
 * that still fits the declaration, else the default (the plugin may have changed since).
 */
export function scopeInForce(dimensions: readonly ScopeDimension[], recorded: RecordedScope | null): DimensionInForce[] {
  return dimensions.map((d) => {
    const chosen = recorded?.selections[d.id];
    return Array.isArray(chosen) && chosen.every((x) => typeof x === 'string') && !selectionProblems(d, chosen).length
      ? { id: d.id, selected: [...chosen], source: 'TENANT' }
      : { id: d.id, selected: [...d.default], source: 'DEFAULT' };
  });
}

/** Whether an option names a control, by id or by tag. */
const names = (option: ScopeDimension['options'][number], control: Control) =>
  (option.controls ?? []).includes(control.id) || (option.tags ?? []).some((t) => (control.tags ?? []).includes(t));

const notSelected = (labels: string[]) =>
  labels.length === 1 ? `${labels[0]} is not selected` : `none of ${labels.join(', ')} is selected`;

/**
 * The controls out of scope under a selection, each with its reason (ADR 0040). A control some
 * option of a dimension names is in scope only if one of those options is selected, in every
 * dimension that names it; the descendants of an out-of-scope control follow it.
 */
export function outOfScope(
  framework: Framework,
  dimensions: readonly ScopeDimension[],
  inForce: readonly DimensionInForce[],
  controls: readonly Control[],
): Map<string, string> {
  const direct = new Map<string, string>();
  for (const control of controls) {
    const reasons: string[] = [];
    for (const d of dimensions) {
      const naming = d.options.filter((o) => names(o, control));
      if (!naming.length) continue;
      const selected = inForce.find((x) => x.id === d.id)?.selected ?? d.default;
      if (!naming.some((o) => selected.includes(o.id)))
        reasons.push(`${framework.name} ${d.name} ${notSelected(naming.map((o) => o.name))}`);
    }
    if (reasons.length) direct.set(control.id, `Out of scope: ${reasons.join('; ')}.`);
  }
  const byId = new Map(controls.map((c) => [c.id, c]));
  const out = new Map<string, string>();
  const reasonOf = (control: Control, seen: Set<string>): string | null => {
    if (out.has(control.id)) return out.get(control.id)!;
    const own = direct.get(control.id);
    if (own) return own;
    const parent = control.parentId ? byId.get(control.parentId) : undefined;
    if (!parent || seen.has(parent.id)) return null;
    const inherited = reasonOf(parent, seen.add(control.id));
    return inherited ? `${inherited.replace(/\.$/, '')} (through ${parent.id}).` : null;
  };
  for (const control of controls) {
    const reason = reasonOf(control, new Set());
    if (reason) out.set(control.id, reason);
  }
  return out;
}
