import type { EventMatch, ParameterisedRule } from '../../src/plugin-api';

/**
 * The rule shapes the GDPR catalog repeats, so that each article reads as data: which events show
 * it and which deviation is a finding. The outcome semantics are SOC 2's (docs/event-vocabulary.md):
 * only a `SUCCESS` answers a request, a breach or a failed run.
 */
const actions = (names: string[]) => names.map((equals) => ({ equals }));

/**
 * Data revealing health is special-category data (Art. 4(15), 9(1)): PHI, the HIPAA category of
 * the same fact, counts for Art. 9 without a second label on the event (docs/compliance.md).
 */
export const SPECIAL_CATEGORIES = ['SPECIAL_CATEGORY', 'PHI'];

/** Activity: each successful event of these actions counts, with `also` narrowing it. */
export const succeeded = (id: string, description: string, names: string[], also: EventMatch = {}): ParameterisedRule => ({
  id,
  kind: 'MATCH',
  description,
  match: { action: actions(names), outcome: ['SUCCESS'], ...also },
});

/** A recurrence duty: a successful event of these actions within the parameter's window before the period end. */
export const recent = (id: string, description: string, names: string[], window: string): ParameterisedRule => ({
  id,
  kind: 'RECENT',
  description,
  match: { action: actions(names), outcome: ['SUCCESS'] },
  count: 1,
  within: { parameter: window },
});

/**
 * A population: each `trigger` needs a successful event of `answers` for the same resource within
 * the parameter's window. The same shape is the evidence (triggers answered) and the finding
 * (triggers not answered).
 */
export const answeredInTime = (
  id: string,
  description: string,
  trigger: EventMatch,
  answers: string[],
  window: string,
): ParameterisedRule => ({
  id,
  kind: 'NOT_FOLLOWED_BY',
  description,
  trigger,
  followUp: { action: actions(answers), outcome: ['SUCCESS'] },
  within: { parameter: window },
  correlation: 'RESOURCE',
});

/**
 * "A failed run not completed on a retry in time", as SOC 2 judges it (P4.3, A1.2): the failure is
 * the process working, the finding is the missing successful re-run for the same resource.
 */
export const failureNotRecovered = (
  id: string,
  description: string,
  names: string[],
  window = 'failed-job-retry-window',
): ParameterisedRule => ({
  id,
  kind: 'NOT_FOLLOWED_BY',
  description,
  trigger: { action: actions(names), outcome: ['FAILURE', 'ERROR'] },
  followUp: { action: actions(names), outcome: ['SUCCESS'] },
  within: { parameter: window },
  correlation: 'RESOURCE',
});

/**
 * Processing that must stop: after a `trigger` for a data subject, a successful event for the same
 * subject (resource) that relies on one of `bases` (`metadata.legalBasis`) is a finding.
 */
export const processingAfter = (
  id: string,
  description: string,
  trigger: EventMatch,
  bases: string[],
  window: string,
): ParameterisedRule => ({
  id,
  kind: 'FOLLOWED_BY',
  description,
  trigger,
  followUp: { outcome: ['SUCCESS'], metadata: [{ path: 'legalBasis', in: bases }] },
  within: { parameter: window },
  correlation: 'RESOURCE',
});

/**
 * Art. 12(3) for data-subject requests, of one `type` (`metadata.type` of `dsar.received`) or of
 * all: answered, or extended with the reasons given (`dsar.extended`), within one month; and
 * fulfilled within the extended limit. `what` names the requests in the descriptions.
 */
export function requestDeadlines(what: string, type?: string): { evidence: ParameterisedRule[]; violations: ParameterisedRule[] } {
  const trigger: EventMatch = { action: actions(['dsar.received']), ...(type ? { metadata: [{ path: 'type', equals: type }] } : {}) };
  return {
    evidence: [
      answeredInTime(
        'requests-answered-in-time',
        `${what} fulfilled, or extended with reasons, within the response window (by default one month)`,
        trigger,
        ['dsar.fulfilled', 'dsar.extended'],
        'dsar-response-window',
      ),
    ],
    violations: [
      answeredInTime(
        'request-not-answered',
        `${what} neither fulfilled successfully nor extended within the response window (by default one month)`,
        trigger,
        ['dsar.fulfilled', 'dsar.extended'],
        'dsar-response-window',
      ),
      answeredInTime(
        'request-past-extended-limit',
        `${what} not fulfilled successfully within the extended limit (by default three months)`,
        trigger,
        ['dsar.fulfilled'],
        'dsar-extended-response-window',
      ),
    ],
  };
}
