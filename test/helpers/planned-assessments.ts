import { AssessmentQueries, type MeasureScope, type PlannedRule } from '../../src/compliance/assessment-query';
import type { TestEnvironment } from './test-environment';
import { AS_OF, PERIOD_FROM, PERIOD_TO } from './fortnight-scenario';

export type PlannedAssessment = { planned: PlannedRule[]; scope: MeasureScope };

/**
 * The rules and scope each built-in framework's assessment of the fortnight period measures, as the
 * service resolves them (one `assessCompliance` per framework through GraphQL, `measure` watched):
 * what equivalence tests hand to AssessmentQueries built in other ways.
 */
export async function plannedAssessments(env: TestEnvironment, tenant: string): Promise<Map<string, PlannedAssessment>> {
  const planned = new Map<string, PlannedAssessment>();
  const measure = jest.spyOn(AssessmentQueries.prototype, 'measure');
  try {
    for (const frameworkId of ['soc2', 'hipaa', 'gdpr']) {
      measure.mockClear();
      const res = await env.gql(
        'query A($input: AssessComplianceInput!) { assessCompliance(input: $input) { score } }',
        { input: { frameworkId, from: PERIOD_FROM, to: PERIOD_TO, asOf: AS_OF } },
        await env.createKey('AUDITOR', tenant),
      );
      expect(res.body.errors).toBeUndefined();
      const [rulesPlanned, scope] = measure.mock.calls[0];
      planned.set(frameworkId, { planned: [...rulesPlanned], scope });
    }
  } finally {
    measure.mockRestore();
  }
  return planned;
}
