import { CLASSIFICATION_LEVELS, SEVERITIES } from '../plugin-api';
import { Classification, CLASSIFICATION_ORDER, classificationRank, Severity, SEVERITY_ORDER, severityRank } from './audit-event.model';

// Stored ranks, GraphQL enums and the plugin API's lists must be one order: a rule's minSeverity
// compiles to a rank compared in SQL with the stored column.
describe('severity and classification ranks', () => {
  it('rank severities in the plugin API order, which is the enum order', () => {
    expect(SEVERITY_ORDER).toEqual(SEVERITIES);
    expect(SEVERITY_ORDER).toEqual(Object.values(Severity));
    expect(severityRank(Severity.DEBUG)).toBe(0);
    expect(severityRank(Severity.EMERGENCY)).toBe(7);
  });

  it('rank classifications in the plugin API order, which is the enum order', () => {
    expect(CLASSIFICATION_ORDER).toEqual(CLASSIFICATION_LEVELS);
    expect(CLASSIFICATION_ORDER).toEqual(Object.values(Classification));
    expect(classificationRank(Classification.RESTRICTED)).toBe(3);
  });
});
