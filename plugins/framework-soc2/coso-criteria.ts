import type { CatalogControl } from '../../src/plugin-api';
import { failureNotRecovered } from './rules';

/** CC1–CC5: the common criteria that follow the COSO components. */
export const cosoCriteria: CatalogControl[] = [
  {
    id: 'CC1.1',
    title: 'Integrity and ethical values',
    description:
      'Management and the board set the expectation of honest, ethical conduct, write it down and act on departures from it. ' +
      'Approved conduct policies and staff acknowledging them show the expectation is set and known.',
    tags: ['common-criteria', 'control-environment'],
    evidence: [
      {
        id: 'policies-approved',
        kind: 'MATCH',
        description: 'A policy, such as the code of conduct, was approved',
        match: { action: [{ equals: 'policy.approved' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'policies-acknowledged',
        kind: 'MATCH',
        description: 'A member of staff acknowledged a policy',
        match: { action: [{ equals: 'policy.acknowledged' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
  },
  {
    id: 'CC1.2',
    title: 'Board independence and oversight',
    description:
      'A board, or an equivalent body independent of management, oversees how internal control is designed and how it performs. ' +
      'Policies and risk assessments approved by that body show its oversight.',
    tags: ['common-criteria', 'control-environment'],
    evidence: [
      {
        id: 'policies-approved',
        kind: 'MATCH',
        description: 'A policy was approved by its governing body',
        match: { action: [{ equals: 'policy.approved' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'risk-assessments-completed',
        kind: 'MATCH',
        description: 'A risk assessment was completed for oversight',
        match: { action: [{ equals: 'risk.assessment.completed' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
  },
  {
    id: 'CC1.3',
    title: 'Structure, reporting lines and authority',
    description:
      'Management, under board oversight, sets up the structures, reporting lines and the authority and responsibility each role needs. ' +
      'Recorded role grants and removals show who holds which authority.',
    tags: ['common-criteria', 'control-environment'],
    evidence: [
      {
        id: 'roles-changed',
        kind: 'MATCH',
        description: 'A role, and the authority it carries, was granted or removed',
        match: { action: [{ equals: 'role.assigned' }, { equals: 'role.revoked' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [{ frameworkId: 'hipaa', controlId: '164.308(a)(2)', relationship: 'INTERSECTS' }],
  },
  {
    id: 'CC1.4',
    title: 'Commitment to competence',
    description:
      'The entity hires, develops and keeps people with the skills their control duties need. ' +
      'Completed training, at least once a year, shows staff are kept competent.',
    tags: ['common-criteria', 'control-environment'],
    evidence: [
      {
        id: 'training-completed',
        kind: 'MATCH',
        description: 'A member of staff completed security training',
        match: { action: [{ equals: 'training.completed' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'training-yearly',
        kind: 'AT_LEAST',
        description: 'Security training is completed at least once a year',
        match: { action: [{ equals: 'training.completed' }], outcome: ['SUCCESS'] },
        count: 1,
        period: 'YEAR',
      },
    ],
    violations: [],
    mappings: [{ frameworkId: 'hipaa', controlId: '164.308(a)(5)', relationship: 'INTERSECTS' }],
  },
  {
    id: 'CC1.5',
    title: 'Accountability for internal control',
    description:
      'People are held answerable for the internal control duties they carry. ' +
      'Staff acknowledging the policies that assign those duties, and completing the training for them, show accountability is in place.',
    tags: ['common-criteria', 'control-environment'],
    evidence: [
      {
        id: 'policies-acknowledged',
        kind: 'MATCH',
        description: 'A member of staff acknowledged a policy that assigns them duties',
        match: { action: [{ equals: 'policy.acknowledged' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'training-completed',
        kind: 'MATCH',
        description: 'A member of staff completed training on their duties',
        match: { action: [{ equals: 'training.completed' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [{ frameworkId: 'hipaa', controlId: '164.308(a)(1)(ii)(C)', relationship: 'INTERSECTS' }],
  },
  {
    id: 'CC2.1',
    title: 'Quality information',
    description:
      'The entity gets or produces relevant, reliable information to run its internal control. ' +
      'Integrity checks of stored data show the information is kept correct; a failed check is a finding.',
    tags: ['common-criteria', 'communication-and-information'],
    evidence: [
      {
        id: 'integrity-verified',
        kind: 'MATCH',
        description: 'The integrity of stored data was verified',
        match: { action: [{ equals: 'data.integrity.verified' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [
      failureNotRecovered(
        'failed-integrity-check-not-resolved',
        'An integrity check of stored data failed and no successful check of the same data followed in time',
        ['data.integrity.verified'],
      ),
    ],
  },
  {
    id: 'CC2.2',
    title: 'Internal communication',
    description:
      'Inside the entity, people are told what internal control is for and what their part in it is. ' +
      'Policy acknowledgements and completed awareness training show the message reached them.',
    tags: ['common-criteria', 'communication-and-information'],
    evidence: [
      {
        id: 'policies-acknowledged',
        kind: 'MATCH',
        description: 'A member of staff acknowledged a policy',
        match: { action: [{ equals: 'policy.acknowledged' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'training-completed',
        kind: 'MATCH',
        description: 'A member of staff completed security awareness training',
        match: { action: [{ equals: 'training.completed' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [{ frameworkId: 'hipaa', controlId: '164.308(a)(5)', relationship: 'INTERSECTS' }],
  },
  {
    id: 'CC2.3',
    title: 'External communication',
    description:
      'The entity tells customers, vendors, regulators and other outside parties what they need to know about matters affecting internal control. ' +
      'Signed agreements with processors and breach notifications show such communication.',
    tags: ['common-criteria', 'communication-and-information'],
    evidence: [
      {
        id: 'agreements-signed',
        kind: 'MATCH',
        description: 'An agreement setting out commitments with a processor or partner was signed',
        match: { action: [{ equals: 'processor.agreement.signed' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'breaches-notified',
        kind: 'MATCH',
        description: 'A breach was notified to an authority or to the people affected',
        match: { action: [{ equals: 'breach.notified.authority' }, { equals: 'breach.notified.subjects' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
  },
  {
    id: 'CC3.1',
    title: 'Objectives suitable for risk assessment',
    description:
      'The entity states its objectives clearly enough that the risks to them can be found and judged. ' +
      'Completed risk assessments and approved policies show objectives are set.',
    tags: ['common-criteria', 'risk-assessment'],
    evidence: [
      {
        id: 'risk-assessments-completed',
        kind: 'MATCH',
        description: 'A risk assessment against the stated objectives was completed',
        match: { action: [{ equals: 'risk.assessment.completed' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'policies-approved',
        kind: 'MATCH',
        description: 'A policy stating objectives was approved',
        match: { action: [{ equals: 'policy.approved' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
  },
  {
    id: 'CC3.2',
    title: 'Risk identification and analysis',
    description:
      'Risks to the objectives are found across the entity and analysed to decide how to manage them. ' +
      'A risk assessment completed within the year before the period ends (organisation-defined), backed by vulnerability scans, shows the analysis is current, however short the period.',
    tags: ['common-criteria', 'risk-assessment'],
    evidence: [
      {
        id: 'risk-assessment-current',
        kind: 'RECENT',
        description: 'A risk assessment was completed within the organisation-defined interval (by default a year) before the period ends',
        match: { action: [{ equals: 'risk.assessment.completed' }], outcome: ['SUCCESS'] },
        count: 1,
        within: { parameter: 'risk-assessment-interval' },
      },
      {
        id: 'vulnerability-scans',
        kind: 'MATCH',
        description: 'A vulnerability scan identified technical risks',
        match: { action: [{ equals: 'vulnerability.scan.completed' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [
      { frameworkId: 'hipaa', controlId: '164.308(a)(1)(ii)(A)', relationship: 'INTERSECTS' },
      { frameworkId: 'gdpr', controlId: 'Art. 35', relationship: 'INTERSECTS' },
    ],
  },
  {
    id: 'CC3.3',
    title: 'Fraud risk',
    description:
      'When assessing risk, the entity weighs the chance of fraud, such as misuse of access or falsified records. ' +
      'Completed risk assessments show fraud risk is considered.',
    tags: ['common-criteria', 'risk-assessment'],
    evidence: [
      {
        id: 'risk-assessments-completed',
        kind: 'MATCH',
        description: 'A risk assessment, including fraud risk, was completed',
        match: { action: [{ equals: 'risk.assessment.completed' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
  },
  {
    id: 'CC3.4',
    title: 'Changes that affect internal control',
    description:
      'The entity spots and weighs changes, inside or outside, that could materially affect its internal control. ' +
      'Approved changes and risk assessments show changes are considered before they take effect.',
    tags: ['common-criteria', 'risk-assessment'],
    evidence: [
      {
        id: 'changes-approved',
        kind: 'MATCH',
        description: 'A change was assessed and approved',
        match: { action: [{ equals: 'change.approved' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'risk-assessments-completed',
        kind: 'MATCH',
        description: 'A risk assessment was completed',
        match: { action: [{ equals: 'risk.assessment.completed' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [{ frameworkId: 'hipaa', controlId: '164.308(a)(8)', relationship: 'INTERSECTS' }],
  },
  {
    id: 'CC4.1',
    title: 'Ongoing and separate evaluations',
    description:
      'The entity checks, continuously or at intervals, that the parts of internal control exist and work. ' +
      "Log and access reviews, vulnerability scans and recovery tests show the checks are done. An auditor's attestation is not the entity's own monitoring, so it is not evidence here.",
    tags: ['common-criteria', 'monitoring-activities'],
    evidence: [
      {
        id: 'evaluations-completed',
        kind: 'MATCH',
        description: 'A log review, access review, vulnerability scan or recovery test was completed',
        match: {
          action: [
            { equals: 'audit.log.reviewed' },
            { equals: 'access.review.completed' },
            { equals: 'vulnerability.scan.completed' },
            { equals: 'contingency.test.completed' },
          ],
          outcome: ['SUCCESS'],
        },
      },
    ],
    violations: [],
    mappings: [
      { frameworkId: 'hipaa', controlId: '164.308(a)(8)', relationship: 'INTERSECTS' },
      { frameworkId: 'gdpr', controlId: 'Art. 32', relationship: 'INTERSECTS' },
    ],
  },
  {
    id: 'CC4.2',
    title: 'Communication of deficiencies',
    description:
      'Weaknesses in internal control are assessed and reported in time to those who must fix them. ' +
      'Remediated vulnerabilities show found weaknesses are acted on.',
    tags: ['common-criteria', 'monitoring-activities'],
    evidence: [
      {
        id: 'vulnerabilities-remediated',
        kind: 'MATCH',
        description: 'A vulnerability finding was fixed',
        match: { action: [{ equals: 'vulnerability.remediated' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
  },
  {
    id: 'CC5.1',
    title: 'Control activities that mitigate risk',
    description:
      'The entity chooses and builds control activities that bring the risks to its objectives down to an acceptable level. ' +
      'Approved policies and approved changes show controls are chosen deliberately.',
    tags: ['common-criteria', 'control-activities'],
    evidence: [
      {
        id: 'policies-approved',
        kind: 'MATCH',
        description: 'A policy defining control activities was approved',
        match: { action: [{ equals: 'policy.approved' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'changes-approved',
        kind: 'MATCH',
        description: 'A change was approved through the control process',
        match: { action: [{ equals: 'change.approved' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [{ frameworkId: 'hipaa', controlId: '164.308(a)(1)(ii)(B)', relationship: 'INTERSECTS' }],
  },
  {
    id: 'CC5.2',
    title: 'General controls over technology',
    description:
      'The entity sets general controls over its technology, such as access, configuration and key management, to support its objectives. ' +
      'Recorded security settings changes, access reviews and key rotations show those controls operating.',
    tags: ['common-criteria', 'control-activities'],
    evidence: [
      {
        id: 'config-changes-recorded',
        kind: 'MATCH',
        description: 'A security-relevant setting was changed and recorded',
        match: { action: [{ equals: 'config.changed' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'access-reviewed',
        kind: 'MATCH',
        description: 'A user-access review was signed off',
        match: { action: [{ equals: 'access.review.completed' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'keys-rotated',
        kind: 'MATCH',
        description: 'An encryption key was rotated',
        match: { action: [{ equals: 'key.rotated' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
  },
  {
    id: 'CC5.3',
    title: 'Policies and procedures',
    description:
      'Control activities are put into effect through written policies and the procedures that carry them out. ' +
      'Policies approved and acknowledged by staff show they are in force.',
    tags: ['common-criteria', 'control-activities'],
    evidence: [
      {
        id: 'policies-approved',
        kind: 'MATCH',
        description: 'A policy was approved',
        match: { action: [{ equals: 'policy.approved' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'policies-acknowledged',
        kind: 'MATCH',
        description: 'A member of staff acknowledged a policy',
        match: { action: [{ equals: 'policy.acknowledged' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [
      { frameworkId: 'hipaa', controlId: '164.316(a)', relationship: 'INTERSECTS' },
      { frameworkId: 'hipaa', controlId: '164.316(b)(1)', relationship: 'INTERSECTS' },
      { frameworkId: 'gdpr', controlId: 'Art. 24', relationship: 'INTERSECTS' },
    ],
  },
];
