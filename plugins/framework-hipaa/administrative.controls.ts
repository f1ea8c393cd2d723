import type { Control } from '../../src/plugin-api';
import { actions, gdpr, safeguard } from './helpers';

const { standard, specification } = safeguard('administrative');

/** 45 CFR 164.308: administrative safeguards. */
export const administrativeControls: Control[] = [
  standard('164.308(a)(1)', {
    title: 'Security management process',
    description:
      'The organization runs a process to stop, find, contain and fix security violations, grounded in knowing the risks to electronic protected health information (ePHI). Approved security policies and completed risk assessments show the process at work.',
    evidence: [
      {
        id: 'security-policies-approved',
        kind: 'MATCH',
        description: 'Security policies are approved',
        match: { action: actions('policy.approved'), outcome: ['SUCCESS'] },
      },
      {
        id: 'risks-assessed',
        kind: 'MATCH',
        description: 'Risk assessments are completed',
        match: { action: actions('risk.assessment.completed'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [gdpr('Art. 24', 'INTERSECTS'), gdpr('Art. 32', 'INTERSECTS')],
  }),
  specification('164.308(a)(1)', '164.308(a)(1)(ii)(A)', 'required', {
    title: 'Risk analysis',
    description:
      'A thorough, accurate assessment of the threats and weaknesses that could harm the confidentiality, integrity or availability of the ePHI the organization holds. Each completed risk assessment is recorded.',
    evidence: [
      {
        id: 'risk-analysis-completed',
        kind: 'MATCH',
        description: 'A risk assessment of ePHI is completed',
        match: { action: actions('risk.assessment.completed'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [gdpr('Art. 35', 'INTERSECTS'), gdpr('Art. 32', 'INTERSECTS')],
  }),
  specification('164.308(a)(1)', '164.308(a)(1)(ii)(B)', 'required', {
    title: 'Risk management',
    description:
      'Security measures bring the risks found in the risk analysis down to a reasonable and appropriate level. Vulnerability scans and the fixes for their findings are the recorded measures.',
    evidence: [
      {
        id: 'vulnerabilities-scanned',
        kind: 'MATCH',
        description: 'Vulnerability scans are completed',
        match: { action: actions('vulnerability.scan.completed'), outcome: ['SUCCESS'] },
      },
      {
        id: 'vulnerabilities-remediated',
        kind: 'MATCH',
        description: 'Vulnerability findings are remediated',
        match: { action: actions('vulnerability.remediated'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [gdpr('Art. 32', 'INTERSECTS')],
  }),
  specification('164.308(a)(1)', '164.308(a)(1)(ii)(C)', 'required', {
    title: 'Sanction policy',
    description:
      'Workforce members who break the security policies and procedures face appropriate sanctions. The approved policies, the sanction policy among them, and staff acknowledgements of them are recorded; individual sanctions are shown by attestation.',
    evidence: [
      {
        id: 'sanction-policy-in-force',
        kind: 'MATCH',
        description: 'Security policies, sanctions included, are approved and acknowledged by staff',
        match: { action: actions('policy.approved', 'policy.acknowledged'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
  }),
  specification('164.308(a)(1)', '164.308(a)(1)(ii)(D)', 'required', {
    title: 'Information system activity review',
    description:
      'Records of system activity, such as audit logs, access reports and security incident tracking, are reviewed regularly. Each review is recorded; a calendar month without one is a finding.',
    evidence: [
      {
        id: 'monthly-activity-review',
        kind: 'AT_LEAST',
        description: 'System activity is reviewed at least once a month',
        match: { action: actions('audit.log.reviewed') },
        count: 1,
        period: 'MONTH',
      },
    ],
    violations: [
      {
        id: 'missed-activity-review',
        kind: 'AT_LEAST',
        description: 'A calendar month passed without a review of system activity',
        match: { action: actions('audit.log.reviewed') },
        count: 1,
        period: 'MONTH',
      },
    ],
  }),

  standard('164.308(a)(2)', {
    title: 'Assigned security responsibility',
    description:
      'One named security official is responsible for developing and carrying out the security policies and procedures. Policy approvals record the sign-off of the responsible official.',
    evidence: [
      {
        id: 'policies-signed-off',
        kind: 'MATCH',
        description: 'Security policies are approved by a responsible person',
        match: { action: actions('policy.approved'), outcome: ['SUCCESS'], actorType: ['USER'] },
      },
    ],
    violations: [],
    mappings: [gdpr('Art. 24', 'INTERSECTS')],
  }),

  standard('164.308(a)(3)', {
    title: 'Workforce security',
    description:
      'Workforce members get the access to ePHI their work needs, and those who should not have it are kept from it. Role grants and removals record who gained or lost access.',
    evidence: [
      {
        id: 'workforce-access-changed',
        kind: 'MATCH',
        description: 'Roles are granted and revoked',
        match: { action: actions('role.assigned', 'role.revoked'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [gdpr('Art. 32', 'INTERSECTS')],
  }),
  specification('164.308(a)(3)', '164.308(a)(3)(ii)(A)', 'addressable', {
    title: 'Authorization and/or supervision',
    description:
      'Workforce members who work with ePHI, or in places where it can be reached, are authorized or supervised. Role grants record each authorization and signed-off access reviews record the supervision.',
    evidence: [
      {
        id: 'access-authorized',
        kind: 'MATCH',
        description: 'Roles are granted to workforce members',
        match: { action: actions('role.assigned'), outcome: ['SUCCESS'] },
      },
      {
        id: 'access-reviewed',
        kind: 'MATCH',
        description: 'User access reviews are signed off',
        match: { action: actions('access.review.completed'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
  }),
  specification('164.308(a)(3)', '164.308(a)(3)(ii)(B)', 'addressable', {
    title: 'Workforce clearance procedure',
    description:
      "A procedure decides whether a workforce member's access to ePHI is appropriate before it is given. New accounts and role grants are the recorded outcome of that clearance.",
    evidence: [
      {
        id: 'cleared-access-provisioned',
        kind: 'MATCH',
        description: 'Accounts are created and roles granted',
        match: { action: actions('user.created', 'role.assigned'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
  }),
  specification('164.308(a)(3)', '164.308(a)(3)(ii)(C)', 'addressable', {
    title: 'Termination procedures',
    description:
      'Access to ePHI ends when a workforce member leaves or no longer has clearance. Disabled or deleted accounts and revoked roles show access being removed; a removal that failed is a finding.',
    evidence: [
      {
        id: 'access-terminated',
        kind: 'MATCH',
        description: 'Accounts are disabled or deleted and roles revoked',
        match: { action: actions('user.disabled', 'user.deleted', 'role.revoked'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [
      {
        id: 'termination-failed',
        kind: 'MATCH',
        description: 'An attempt to disable or delete an account or revoke a role failed',
        match: { action: actions('user.disabled', 'user.deleted', 'role.revoked'), outcome: ['FAILURE', 'ERROR'] },
      },
    ],
  }),

  standard('164.308(a)(4)', {
    title: 'Information access management',
    description:
      'Access to ePHI is authorized in line with the uses and disclosures the Privacy Rule allows. Role grants, revocations and access reviews record how access is authorized.',
    evidence: [
      {
        id: 'access-authorization-managed',
        kind: 'MATCH',
        description: 'Roles are granted, revoked and reviewed',
        match: { action: actions('role.assigned', 'role.revoked', 'access.review.completed'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [gdpr('Art. 32', 'INTERSECTS')],
  }),
  specification('164.308(a)(4)', '164.308(a)(4)(ii)(A)', 'required', {
    title: 'Isolating health care clearinghouse functions',
    description:
      "A health care clearinghouse that is part of a larger organization keeps the clearinghouse's ePHI away from the rest of that organization. Refused access to PHI shows the separation being enforced.",
    evidence: [
      {
        id: 'phi-separation-enforced',
        kind: 'MATCH',
        description: 'Access to PHI without an authorized role is refused',
        match: { categories: ['PHI'], outcome: ['DENIED'] },
      },
    ],
    violations: [],
  }),
  specification('164.308(a)(4)', '164.308(a)(4)(ii)(B)', 'addressable', {
    title: 'Access authorization',
    description:
      'Policies decide how access to ePHI is granted, for example through a workstation, transaction, program or process. Role grants and API key creation record each grant.',
    evidence: [
      {
        id: 'access-granted',
        kind: 'MATCH',
        description: 'Roles and API keys are granted',
        match: { action: actions('role.assigned', 'api_key.created'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
  }),
  specification('164.308(a)(4)', '164.308(a)(4)(ii)(C)', 'addressable', {
    title: 'Access establishment and modification',
    description:
      "Following the authorization policies, a user's access rights are set up, documented, reviewed and changed. Role changes and signed-off access reviews record it.",
    evidence: [
      {
        id: 'access-modified',
        kind: 'MATCH',
        description: 'Roles are granted and revoked',
        match: { action: actions('role.assigned', 'role.revoked'), outcome: ['SUCCESS'] },
      },
      {
        id: 'access-reviewed',
        kind: 'MATCH',
        description: 'User access reviews are signed off',
        match: { action: actions('access.review.completed'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
  }),

  standard('164.308(a)(5)', {
    title: 'Security awareness and training',
    description:
      'All workforce members, management included, take part in a security awareness and training program. Completed training is recorded.',
    evidence: [
      {
        id: 'training-completed',
        kind: 'MATCH',
        description: 'Security awareness training is completed',
        match: { action: actions('training.completed'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
  }),
  specification('164.308(a)(5)', '164.308(a)(5)(ii)(A)', 'addressable', {
    title: 'Security reminders',
    description:
      'Workforce members receive periodic security updates. Staff acknowledgements of security policies and notices are recorded.',
    evidence: [
      {
        id: 'reminders-acknowledged',
        kind: 'MATCH',
        description: 'Staff acknowledge security policies and notices',
        match: { action: actions('policy.acknowledged'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
  }),
  specification('164.308(a)(5)', '164.308(a)(5)(ii)(B)', 'addressable', {
    title: 'Protection from malicious software',
    description:
      'Procedures guard against, detect and report malicious software. Anti-malware detections and vulnerability scans are recorded; malware that could not be blocked or removed is a finding.',
    evidence: [
      {
        id: 'malware-detected',
        kind: 'MATCH',
        description: 'Malicious software detections are recorded',
        match: { action: actions('malware.detected') },
      },
      {
        id: 'systems-scanned',
        kind: 'MATCH',
        description: 'Vulnerability scans are completed',
        match: { action: actions('vulnerability.scan.completed'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [
      {
        id: 'malware-not-contained',
        kind: 'MATCH',
        description: 'Malicious software was detected but could not be blocked or removed',
        match: { action: actions('malware.detected'), outcome: ['FAILURE', 'ERROR'] },
      },
    ],
  }),
  specification('164.308(a)(5)', '164.308(a)(5)(ii)(C)', 'addressable', {
    title: 'Log-in monitoring',
    description:
      'Sign-in attempts are monitored and discrepancies reported. Every sign-in attempt is recorded; five failed attempts for one account within ten minutes are a finding.',
    evidence: [
      {
        id: 'logins-monitored',
        kind: 'MATCH',
        description: 'Sign-in attempts are recorded, successful or not',
        match: { action: actions('auth.login') },
      },
      {
        id: 'accounts-locked',
        kind: 'MATCH',
        description: 'Accounts are locked after repeated failed sign-ins',
        match: { action: actions('auth.lockout') },
      },
    ],
    violations: [
      {
        id: 'repeated-failed-logins',
        kind: 'BURST',
        description: 'Five failed sign-ins for one account within ten minutes',
        match: { action: actions('auth.login'), outcome: ['FAILURE'] },
        count: 5,
        within: { minutes: 10 },
        correlation: 'ACTOR',
      },
    ],
  }),
  specification('164.308(a)(5)', '164.308(a)(5)(ii)(D)', 'addressable', {
    title: 'Password management',
    description: 'Procedures cover creating, changing and protecting passwords. Password changes and resets are recorded.',
    evidence: [
      {
        id: 'passwords-changed',
        kind: 'MATCH',
        description: 'Passwords are changed or reset',
        match: { action: actions('auth.password.changed', 'auth.password.reset'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
  }),

  standard('164.308(a)(6)', {
    title: 'Security incident procedures',
    description: 'Security incidents are handled through set policies and procedures. Detected incidents and breaches are recorded.',
    evidence: [
      {
        id: 'incidents-recorded',
        kind: 'MATCH',
        description: 'Security incidents and breaches are recorded when detected',
        match: { action: actions('incident.detected', 'breach.detected') },
      },
    ],
    violations: [],
    mappings: [gdpr('Art. 33', 'INTERSECTS')],
  }),
  specification('164.308(a)(6)', '164.308(a)(6)(ii)', 'required', {
    title: 'Response and reporting',
    description:
      'Suspected or known security incidents are identified and responded to, their harm is limited where practicable, and incidents and their outcomes are documented. Resolved incidents are recorded; an incident still open 30 days after detection is a finding.',
    evidence: [
      {
        id: 'incidents-resolved',
        kind: 'MATCH',
        description: 'Security incidents are resolved',
        match: { action: actions('incident.resolved') },
      },
    ],
    violations: [
      {
        id: 'incident-unresolved',
        kind: 'NOT_FOLLOWED_BY',
        description: 'A security incident not resolved within 30 days of detection',
        trigger: { action: actions('incident.detected') },
        followUp: { action: actions('incident.resolved') },
        within: { days: 30 },
        correlation: 'RESOURCE',
      },
    ],
    mappings: [gdpr('Art. 33', 'INTERSECTS')],
  }),

  standard('164.308(a)(7)', {
    title: 'Contingency plan',
    description:
      'Policies and procedures prepare for an emergency or other event, such as fire, vandalism, system failure or natural disaster, that damages systems holding ePHI. Backups and contingency plan tests show the plan in use.',
    evidence: [
      {
        id: 'contingency-plan-tested',
        kind: 'MATCH',
        description: 'Contingency plan tests are completed',
        match: { action: actions('contingency.test.completed'), outcome: ['SUCCESS'] },
      },
      {
        id: 'backups-completed',
        kind: 'MATCH',
        description: 'Backups are completed',
        match: { action: actions('backup.completed'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [gdpr('Art. 32', 'INTERSECTS')],
  }),
  specification('164.308(a)(7)', '164.308(a)(7)(ii)(A)', 'required', {
    title: 'Data backup plan',
    description:
      'Exact copies of ePHI that can be retrieved are made and kept. Completed backups and restore tests are recorded; a failed backup or a failed restore test is a finding.',
    evidence: [
      {
        id: 'backups-completed',
        kind: 'MATCH',
        description: 'Backups are completed',
        match: { action: actions('backup.completed'), outcome: ['SUCCESS'] },
      },
      {
        id: 'restores-tested',
        kind: 'MATCH',
        description: 'Restoring from a backup is tested successfully',
        match: { action: actions('backup.restore.tested'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [
      {
        id: 'backup-failed',
        kind: 'MATCH',
        description: 'A backup failed',
        match: { action: actions('backup.completed'), outcome: ['FAILURE', 'ERROR'] },
      },
      {
        id: 'restore-test-failed',
        kind: 'MATCH',
        description: 'A backup could not be restored in a restore test',
        match: { action: actions('backup.restore.tested'), outcome: ['FAILURE', 'ERROR'] },
      },
    ],
    mappings: [gdpr('Art. 32', 'SUBSET')],
  }),
  specification('164.308(a)(7)', '164.308(a)(7)(ii)(B)', 'required', {
    title: 'Disaster recovery plan',
    description:
      'Procedures bring back any data that is lost. Successful restore tests and disaster recovery exercises show that data can be recovered.',
    evidence: [
      {
        id: 'restores-tested',
        kind: 'MATCH',
        description: 'Restoring from a backup is tested successfully',
        match: { action: actions('backup.restore.tested'), outcome: ['SUCCESS'] },
      },
      {
        id: 'recovery-exercised',
        kind: 'MATCH',
        description: 'Disaster recovery exercises are completed',
        match: { action: actions('contingency.test.completed'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [gdpr('Art. 32', 'SUBSET')],
  }),
  specification('164.308(a)(7)', '164.308(a)(7)(ii)(C)', 'required', {
    title: 'Emergency mode operation plan',
    description:
      'Critical business processes that protect ePHI keep running while the organization operates in emergency mode. Contingency plan tests record that emergency operation was exercised.',
    evidence: [
      {
        id: 'emergency-mode-exercised',
        kind: 'MATCH',
        description: 'Contingency plan tests, emergency operation included, are completed',
        match: { action: actions('contingency.test.completed'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
  }),
  specification('164.308(a)(7)', '164.308(a)(7)(ii)(D)', 'addressable', {
    title: 'Testing and revision procedures',
    description:
      'Contingency plans are tested from time to time and revised when needed. Each test is recorded, whatever its result; a year without one leaves a gap.',
    evidence: [
      {
        id: 'contingency-tests-recorded',
        kind: 'MATCH',
        description: 'Contingency plan tests are recorded',
        match: { action: actions('contingency.test.completed') },
      },
      {
        id: 'yearly-contingency-test',
        kind: 'AT_LEAST',
        description: 'The contingency plan is tested at least once a year',
        match: { action: actions('contingency.test.completed') },
        count: 1,
        period: 'YEAR',
      },
    ],
    violations: [],
    mappings: [gdpr('Art. 32', 'SUBSET')],
  }),
  specification('164.308(a)(7)', '164.308(a)(7)(ii)(E)', 'addressable', {
    title: 'Applications and data criticality analysis',
    description:
      'How critical each application and data set is gets assessed, to support the other parts of the contingency plan. Completed risk assessments record the analysis.',
    evidence: [
      {
        id: 'criticality-assessed',
        kind: 'MATCH',
        description: 'Risk assessments, criticality included, are completed',
        match: { action: actions('risk.assessment.completed'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
  }),

  standard('164.308(a)(8)', {
    title: 'Evaluation',
    description:
      'Periodic technical and non-technical evaluations check how well the security policies and procedures meet the Security Rule, and are repeated after environmental or operational changes. Risk assessments and vulnerability scans are recorded; a year without a risk assessment leaves a gap.',
    evidence: [
      {
        id: 'evaluations-recorded',
        kind: 'MATCH',
        description: 'Risk assessments and vulnerability scans are completed',
        match: { action: actions('risk.assessment.completed', 'vulnerability.scan.completed'), outcome: ['SUCCESS'] },
      },
      {
        id: 'yearly-evaluation',
        kind: 'AT_LEAST',
        description: 'A risk assessment is completed at least once a year',
        match: { action: actions('risk.assessment.completed'), outcome: ['SUCCESS'] },
        count: 1,
        period: 'YEAR',
      },
    ],
    violations: [],
    mappings: [gdpr('Art. 32', 'SUBSET')],
  }),

  standard('164.308(b)(1)', {
    title: 'Business associate contracts and other arrangements',
    description:
      'A covered entity lets a business associate create, receive, keep or transmit ePHI on its behalf only with satisfactory written assurance that the associate will protect it. Signed agreements are recorded.',
    evidence: [
      {
        id: 'associate-agreements-signed',
        kind: 'MATCH',
        description: 'Business associate agreements are signed',
        match: { action: actions('processor.agreement.signed'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [gdpr('Art. 28', 'INTERSECTS')],
  }),
  specification('164.308(b)(1)', '164.308(b)(3)', 'required', {
    title: 'Written contract or other arrangement',
    description:
      'The assurance is documented in a written contract or other arrangement that meets 164.314(a). Each signed agreement is recorded.',
    evidence: [
      {
        id: 'written-agreement-signed',
        kind: 'MATCH',
        description: 'A written business associate agreement is signed',
        match: { action: actions('processor.agreement.signed'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [gdpr('Art. 28', 'INTERSECTS')],
  }),
];
