import type { ParameterisedRule } from '../../src/plugin-api';

/**
 * "A failed run with no successful run of the same job (same resource) in time": how SOC 2 judges
 * a failure its process catches — the failure is the control working, and the finding is the
 * missing recovery (issue 11, ADR 0033). `actions`: the action names whose `FAILURE` or `ERROR`
 * starts the window and whose `SUCCESS` answers it; `window`: the parameter that bounds it.
 */
export const failureNotRecovered = (
  id: string,
  description: string,
  actions: string[],
  window = 'failed-job-retry-window',
): ParameterisedRule => {
  const action = actions.map((equals) => ({ equals }));
  return {
    id,
    kind: 'NOT_FOLLOWED_BY',
    description,
    trigger: { action, outcome: ['FAILURE', 'ERROR'] },
    followUp: { action, outcome: ['SUCCESS'] },
    within: { parameter: window },
    correlation: 'RESOURCE',
  };
};
