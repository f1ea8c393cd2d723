import { BUILT_IN_PLUGINS } from '../plugins/registry';
import { namePredicate } from '../src/compliance/name-pattern';
import type { EventMatch, EventRule, FrameworkPlugin, MetadataPredicate, NamePattern, OutcomeStatus } from '../src/plugin-api';
import { rulesOf } from '../src/plugin-testing/manifest-checks';

/**
 * One meaning per fact across the built-in frameworks (issue 11 item 8): an event that one
 * framework counts as a finding by itself (a plain `MATCH` violation) is never evidence of a duty
 * in another, or in the same one. Each such violation yields a probe — the event it names — and
 * every rule whose match stands for evidence (`MATCH`, `AT_LEAST`, `RECENT`, `MAX_GAP`, and the
 * qualifying events of a `RATIO`) must not select it. A violation that finds an event lacking a
 * required attribute (a metadata `exists: false` test, such as a breach recorded without its
 * notification decision) is about the record, not the fact recorded, and is not a probe.
 */

const OUTCOMES: readonly OutcomeStatus[] = ['SUCCESS', 'FAILURE', 'DENIED', 'ERROR'];

interface Probe {
  action: string;
  outcomes: readonly OutcomeStatus[];
  metadata: readonly MetadataPredicate[];
  where: string;
}

const frameworks = BUILT_IN_PLUGINS.filter((p): p is FrameworkPlugin<unknown> => p.kind === 'framework');

/** A name a pattern selects: the name itself, the prefix, or the glob's text with `x` for its wildcards. */
const exampleOf = (p: NamePattern): string => ('equals' in p ? p.equals : 'prefix' in p ? p.prefix : p.glob.replace(/\*+/g, 'x'));

/** Two metadata predicate lists can hold of one event unless they pin one path to different values. */
function metadataCompatible(a: readonly MetadataPredicate[], b: readonly MetadataPredicate[]): boolean {
  const allowed = (p: MetadataPredicate) => (p.equals !== undefined ? [p.equals] : p.in);
  return a.every((x) =>
    b.every((y) => {
      if (x.path !== y.path) return true;
      if (x.exists !== undefined || y.exists !== undefined) {
        const present = (p: MetadataPredicate) => p.exists ?? true;
        return present(x) === present(y);
      }
      const [ax, ay] = [allowed(x) ?? [], allowed(y) ?? []];
      return ax.some((v) => ay.includes(v));
    }),
  );
}

/**
 * Whether an evidence match can select the probe's event. A fact is an action with its outcome, so
 * only matches that name actions are compared; a match on classification alone is about the data.
 */
function selects(match: EventMatch, probe: Probe): boolean {
  if (!match.action?.some((p) => namePredicate(p)(probe.action))) return false;
  if (match.outcome && !match.outcome.some((o) => probe.outcomes.includes(o))) return false;
  return metadataCompatible(match.metadata ?? [], probe.metadata);
}

/** The matches of an evidence rule whose events show the duty. */
function evidenceMatches(rule: EventRule): EventMatch[] {
  switch (rule.kind) {
    case 'MATCH':
    case 'AT_LEAST':
    case 'RECENT':
    case 'MAX_GAP':
      return [rule.match];
    case 'RATIO':
      return [{ ...rule.population, ...rule.qualifying, action: rule.qualifying.action ?? rule.population.action }];
    default:
      return [];
  }
}

/** Every plain `MATCH` violation of the built-in frameworks, as the events it names. */
function probes(): Probe[] {
  return frameworks.flatMap((plugin) =>
    rulesOf(plugin)
      .filter(({ rule, path }) => path.includes('.violations[') && rule.kind === 'MATCH')
      .filter(({ rule }) => !(rule as Extract<EventRule, { kind: 'MATCH' }>).match.metadata?.some((m) => m.exists === false))
      .flatMap(({ rule, name }) => {
        const match = (rule as Extract<EventRule, { kind: 'MATCH' }>).match;
        return (match.action ?? []).map((pattern) => ({
          action: exampleOf(pattern),
          outcomes: match.outcome ?? OUTCOMES,
          metadata: match.metadata ?? [],
          where: `${plugin.catalog.framework.id} ${name}`,
        }));
      }),
  );
}

describe('one meaning per fact across the built-in frameworks', () => {
  it('finds the plain MATCH violations it guards (the probe list is not empty)', () => {
    expect(probes().length).toBeGreaterThan(0);
  });

  it('never counts as evidence an event that a plain MATCH violation makes a finding', () => {
    const conflicts = probes().flatMap((probe) =>
      frameworks.flatMap((plugin) =>
        rulesOf(plugin)
          .filter(({ path }) => path.includes('.evidence['))
          .filter(({ rule }) => evidenceMatches(rule).some((m) => selects(m, probe)))
          .map(
            ({ name }) =>
              `${probe.where} (${probe.action} ${probe.outcomes.join('|')}) is evidence for ${plugin.catalog.framework.id} ${name}`,
          ),
      ),
    );
    expect(conflicts).toEqual([]);
  });

  it('catches a conflict when one is planted', () => {
    const probe: Probe = { action: 'malware.quarantined', outcomes: ['SUCCESS'], metadata: [], where: 'planted' };
    expect(selects({ action: [{ equals: 'malware.quarantined' }] }, probe)).toBe(true);
    expect(selects({ action: [{ prefix: 'malware.' }], outcome: ['SUCCESS'] }, probe)).toBe(true);
    expect(selects({ action: [{ equals: 'malware.quarantined' }], outcome: ['FAILURE'] }, probe)).toBe(false);
    expect(selects({ action: [{ equals: 'malware.detected' }] }, probe)).toBe(false);
    const pinned: Probe = { ...probe, metadata: [{ path: 'decision', equals: 'notifiable' }] };
    const named = { action: [{ equals: 'malware.quarantined' }] };
    expect(selects({ ...named, metadata: [{ path: 'decision', equals: 'not-notifiable' }] }, pinned)).toBe(false);
    expect(selects({ ...named, metadata: [{ path: 'decision', in: ['notifiable', 'x'] }] }, pinned)).toBe(true);
    expect(selects({ classification: ['CONFIDENTIAL'] }, probe)).toBe(false);
  });
});
