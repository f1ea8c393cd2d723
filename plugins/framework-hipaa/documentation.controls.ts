import type { CatalogControl } from '../../src/plugin-api';
import { gdpr, recentWithin, recorded, safeguard } from './helpers';

const { standard, specification } = safeguard('documentation');

/** 45 CFR 164.316: policies, procedures and documentation. */
export const documentationControls: CatalogControl[] = [
  standard('164.316(a)', {
    title: 'Policies and procedures',
    description:
      'Reasonable and appropriate policies and procedures put the Security Rule into practice, and may be changed at any time as long as the change is documented. Policy approvals are recorded.',
    evidence: [recorded('policies-approved', 'Security policies and procedures are approved', ['policy.approved'])],
    violations: [],
    mappings: [gdpr('Art. 24', 'INTERSECTS')],
  }),
  standard('164.316(b)(1)', {
    title: 'Documentation',
    description:
      'Policies and procedures are kept in written, possibly electronic, form, and every action, activity or assessment the Security Rule requires is documented. Policy approvals and completed assessments are recorded.',
    evidence: [
      recorded('policies-documented', 'Security policies and procedures are approved', ['policy.approved']),
      recorded('assessments-documented', 'Risk assessments are completed', ['risk.assessment.completed']),
    ],
    violations: [],
    mappings: [gdpr('Art. 24', 'INTERSECTS')],
  }),
  specification('164.316(b)(1)', '164.316(b)(2)(i)', 'required', {
    title: 'Time limit',
    description:
      'The required documentation is kept for six years from when it was created or last in effect, whichever is later. No event shows that something was kept for six years: recorded runs of the retention schedule show that one operates, which reads OBSERVED at best, and the six years themselves are shown by attestation. A failed deletion past the retention period keeps data longer, which this specification does not forbid.',
    evidence: [recorded('retention-schedule-applied', 'The retention schedule is applied', ['data.retention.applied'])],
    violations: [],
  }),
  specification('164.316(b)(1)', '164.316(b)(2)(ii)', 'required', {
    title: 'Availability',
    description:
      'The documentation is available to the people responsible for carrying out the procedures it describes. Staff acknowledgements of the policies show they had it.',
    evidence: [recorded('documentation-acknowledged', 'Staff acknowledge the security policies', ['policy.acknowledged'])],
    violations: [],
  }),
  specification('164.316(b)(1)', '164.316(b)(2)(iii)', 'required', {
    title: 'Updates',
    description:
      'The documentation is reviewed periodically and updated when environmental or operational changes affect the security of ePHI. The duty: an approval of the security policies within the organisation-defined interval before the end of the period (by default a year).',
    evidence: [
      recorded('policies-updated', 'Security policies are approved', ['policy.approved']),
      recentWithin(
        'policy-review-current',
        'The security policies were approved within the interval before the period end',
        ['policy.approved'],
        'policy-review-interval',
      ),
    ],
    violations: [],
  }),
];
