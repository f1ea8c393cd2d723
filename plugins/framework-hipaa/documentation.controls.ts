import type { Control } from '../../src/plugin-api';
import { actions, gdpr, safeguard } from './helpers';

const { standard, specification } = safeguard('documentation');

/** 45 CFR 164.316: policies, procedures and documentation. */
export const documentationControls: Control[] = [
  standard('164.316(a)', {
    title: 'Policies and procedures',
    description:
      'Reasonable and appropriate policies and procedures put the Security Rule into practice, and may be changed at any time as long as the change is documented. Policy approvals are recorded.',
    evidence: [
      {
        id: 'policies-approved',
        kind: 'MATCH',
        description: 'Security policies and procedures are approved',
        match: { action: actions('policy.approved'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [gdpr('Art. 24', 'INTERSECTS')],
  }),
  standard('164.316(b)(1)', {
    title: 'Documentation',
    description:
      'Policies and procedures are kept in written, possibly electronic, form, and every action, activity or assessment the Security Rule requires is documented. Policy approvals and completed assessments are recorded.',
    evidence: [
      {
        id: 'policies-documented',
        kind: 'MATCH',
        description: 'Security policies and procedures are approved',
        match: { action: actions('policy.approved'), outcome: ['SUCCESS'] },
      },
      {
        id: 'assessments-documented',
        kind: 'MATCH',
        description: 'Risk assessments are completed',
        match: { action: actions('risk.assessment.completed'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [gdpr('Art. 24', 'INTERSECTS')],
  }),
  specification('164.316(b)(1)', '164.316(b)(2)(i)', 'required', {
    title: 'Time limit',
    description:
      'The required documentation is kept for six years from when it was created or last in effect, whichever is later. Policy approvals date each document; keeping it is shown by attestation.',
    evidence: [
      {
        id: 'documentation-dated',
        kind: 'MATCH',
        description: 'Security policies are approved, which dates each version',
        match: { action: actions('policy.approved'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
  }),
  specification('164.316(b)(1)', '164.316(b)(2)(ii)', 'required', {
    title: 'Availability',
    description:
      'The documentation is available to the people responsible for carrying out the procedures it describes. Staff acknowledgements of the policies show they had it.',
    evidence: [
      {
        id: 'documentation-acknowledged',
        kind: 'MATCH',
        description: 'Staff acknowledge the security policies',
        match: { action: actions('policy.acknowledged'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
  }),
  specification('164.316(b)(1)', '164.316(b)(2)(iii)', 'required', {
    title: 'Updates',
    description:
      'The documentation is reviewed periodically and updated when environmental or operational changes affect the security of ePHI. Policy approvals are recorded; a year without one leaves a gap.',
    evidence: [
      {
        id: 'policies-updated',
        kind: 'MATCH',
        description: 'Security policies are approved',
        match: { action: actions('policy.approved'), outcome: ['SUCCESS'] },
      },
      {
        id: 'yearly-policy-review',
        kind: 'AT_LEAST',
        description: 'Security policies are reviewed and approved at least once a year',
        match: { action: actions('policy.approved'), outcome: ['SUCCESS'] },
        count: 1,
        period: 'YEAR',
      },
    ],
    violations: [],
  }),
];
