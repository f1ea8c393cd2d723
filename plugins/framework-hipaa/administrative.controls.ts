import type { CatalogControl } from '../../src/plugin-api';
import {
  actions,
  answeredWithin,
  burstNotLocked,
  failureNotRecovered,
  gdpr,
  meta,
  LOG_READS,
  observed,
  recentWithin,
  recorded,
  safeguard,
  succeeded,
} from './helpers';

const { standard, specification } = safeguard('administrative');

const ACCESS_REMOVALS = ['user.disabled', 'user.deleted', 'role.revoked'];

/** 45 CFR 164.308: administrative safeguards. */
export const administrativeControls: CatalogControl[] = [
  standard('164.308(a)(1)', {
    title: 'Security management process',
    description:
      'The organization runs a process to stop, find, contain and fix security violations, grounded in knowing the risks to electronic protected health information (ePHI). Approved security policies and completed risk assessments show the process at work.',
    evidence: [
      recorded('security-policies-approved', 'Security policies are approved', ['policy.approved']),
      recorded('risks-assessed', 'Risk assessments are completed', ['risk.assessment.completed']),
    ],
    violations: [],
    mappings: [gdpr('Art. 24', 'INTERSECTS'), gdpr('Art. 32', 'INTERSECTS')],
  }),
  specification('164.308(a)(1)', '164.308(a)(1)(ii)(A)', 'required', {
    title: 'Risk analysis',
    description:
      'A thorough, accurate assessment of the threats and weaknesses that could harm the confidentiality, integrity or availability of the ePHI the organization holds. The duty: a completed risk assessment within the organisation-defined interval before the end of the period (by default a year).',
    evidence: [
      recentWithin(
        'risk-analysis-current',
        'A risk assessment of ePHI was completed within the interval before the period end',
        ['risk.assessment.completed'],
        'risk-assessment-interval',
      ),
    ],
    violations: [],
    mappings: [gdpr('Art. 35', 'INTERSECTS'), gdpr('Art. 32', 'INTERSECTS')],
  }),
  specification('164.308(a)(1)', '164.308(a)(1)(ii)(B)', 'required', {
    title: 'Risk management',
    description:
      'Security measures bring the risks found in the risk analysis down to a reasonable and appropriate level. Vulnerability scans and the fixes for their findings are the recorded measures; a failed scan not re-run successfully in time is a finding.',
    evidence: [
      recorded('vulnerabilities-scanned', 'Vulnerability scans are completed', ['vulnerability.scan.completed']),
      recorded('vulnerabilities-remediated', 'Vulnerability findings are remediated', ['vulnerability.remediated']),
    ],
    violations: [
      failureNotRecovered(
        'failed-scan-not-rerun',
        'A vulnerability scan failed and was not re-run successfully in time',
        ['vulnerability.scan.completed'],
        'failed-job-retry-window',
      ),
    ],
    mappings: [gdpr('Art. 32', 'INTERSECTS')],
  }),
  specification('164.308(a)(1)', '164.308(a)(1)(ii)(C)', 'required', {
    title: 'Sanction policy',
    description:
      'Workforce members who break the security policies and procedures face appropriate sanctions. The approved policies, the sanction policy among them, and staff acknowledgements of them are recorded; individual sanctions are shown by attestation.',
    evidence: [
      recorded('sanction-policy-in-force', 'Security policies, sanctions included, are approved and acknowledged by staff', [
        'policy.approved',
        'policy.acknowledged',
      ]),
    ],
    violations: [],
  }),
  specification('164.308(a)(1)', '164.308(a)(1)(ii)(D)', 'required', {
    title: 'Information system activity review',
    description:
      'Records of system activity, such as audit logs, access reports and security incident tracking, are looked at regularly. The duty: a review every calendar month. A month without one is a finding, and so is a bulk read of PHI by one account (by default 100 records within ten minutes), which a review must look into. The reads of the audit log through this service (queries, reports, verification, recorded by the server with key, scope and count) show the looking, not a review signed off.',
    evidence: [
      {
        id: 'monthly-activity-review',
        kind: 'AT_LEAST',
        description: 'System activity is reviewed at least once a month',
        match: succeeded(['audit.log.reviewed']),
        count: 1,
        period: 'MONTH',
      },
      observed('activity-records-read', 'The audit log was read through the audit service, each read recorded by the server', LOG_READS),
    ],
    violations: [
      {
        id: 'missed-activity-review',
        kind: 'AT_LEAST',
        description: 'A calendar month passed without a review of system activity',
        match: succeeded(['audit.log.reviewed']),
        count: 1,
        period: 'MONTH',
      },
      {
        id: 'phi-bulk-read',
        kind: 'BURST',
        description: 'One account read an unusual number of PHI records within a short window',
        match: { action: [{ glob: '**.read' }], outcome: ['SUCCESS'], categories: ['PHI'] },
        count: { parameter: 'phi-bulk-read-count' },
        within: { parameter: 'phi-bulk-read-window' },
        correlation: 'ACTOR',
      },
    ],
  }),

  standard('164.308(a)(2)', {
    title: 'Assigned security responsibility',
    description:
      'One named security official is responsible for developing and carrying out the security policies and procedures. Policy approvals record the sign-off of the responsible official.',
    evidence: [
      recorded('policies-signed-off', 'Security policies are approved by a responsible person', ['policy.approved'], {
        actorType: ['USER'],
      }),
    ],
    violations: [],
    mappings: [gdpr('Art. 24', 'INTERSECTS')],
  }),

  standard('164.308(a)(3)', {
    title: 'Workforce security',
    description:
      'Workforce members get the access to ePHI their work needs, and those who should not have it are kept from it. Role grants and removals record who gained or lost access.',
    evidence: [recorded('workforce-access-changed', 'Roles are granted and revoked', ['role.assigned', 'role.revoked'])],
    violations: [],
    mappings: [gdpr('Art. 32', 'INTERSECTS')],
  }),
  specification('164.308(a)(3)', '164.308(a)(3)(ii)(A)', 'addressable', {
    title: 'Authorization and/or supervision',
    description:
      'Workforce members who work with ePHI, or in places where it can be reached, are authorized or supervised. Role grants record each authorization and signed-off access reviews record the supervision.',
    evidence: [
      recorded('access-authorized', 'Roles are granted to workforce members', ['role.assigned']),
      recorded('access-reviewed', 'User access reviews are signed off', ['access.review.completed']),
    ],
    violations: [],
  }),
  specification('164.308(a)(3)', '164.308(a)(3)(ii)(B)', 'addressable', {
    title: 'Workforce clearance procedure',
    description:
      "A procedure decides whether a workforce member's access to ePHI is appropriate before it is given. New accounts and role grants are the recorded outcome of that clearance.",
    evidence: [recorded('cleared-access-provisioned', 'Accounts are created and roles granted', ['user.created', 'role.assigned'])],
    violations: [],
  }),
  specification('164.308(a)(3)', '164.308(a)(3)(ii)(C)', 'addressable', {
    title: 'Termination procedures',
    description:
      'Access to ePHI ends when a workforce member leaves or no longer has clearance. Disabled or deleted accounts and revoked roles show access being removed. A removal that failed and was not completed on a retry in time is a finding, and so is a successful sign-in to an account after it was disabled.',
    evidence: [recorded('access-terminated', 'Accounts are disabled or deleted and roles revoked', ACCESS_REMOVALS)],
    violations: [
      failureNotRecovered(
        'termination-not-completed',
        'An attempt to disable or delete an account or revoke a role failed and was not completed on a retry in time',
        ACCESS_REMOVALS,
        'failed-job-retry-window',
      ),
      {
        id: 'sign-in-after-disable',
        kind: 'FOLLOWED_BY',
        description: 'An account signed in successfully after it was disabled',
        trigger: succeeded(['user.disabled']),
        followUp: succeeded(['auth.login']),
        within: { parameter: 'disabled-account-watch' },
        correlation: 'RESOURCE',
      },
    ],
  }),

  standard('164.308(a)(4)', {
    title: 'Information access management',
    description:
      'Access to ePHI is authorized in line with the uses and disclosures the Privacy Rule allows. Role grants, revocations and access reviews record how access is authorized.',
    evidence: [
      recorded('access-authorization-managed', 'Roles are granted, revoked and reviewed', [
        'role.assigned',
        'role.revoked',
        'access.review.completed',
      ]),
    ],
    violations: [],
    mappings: [gdpr('Art. 32', 'INTERSECTS')],
  }),
  specification('164.308(a)(4)', '164.308(a)(4)(ii)(A)', 'required', {
    title: 'Isolating health care clearinghouse functions',
    description:
      'A health care clearinghouse that is part of a larger organization keeps the clearinghouse\'s ePHI away from the rest of that organization. Only events about the clearinghouse\'s own segment count: refused access to its PHI (metadata segment "clearinghouse") shows the separation enforced, and a signed-off review of who can reach that segment shows it checked. Out of scope unless the organisation is a clearinghouse.',
    evidence: [
      observed('clearinghouse-access-refused', 'Access to the clearinghouse segment’s PHI from outside it is refused', {
        categories: ['PHI'],
        outcome: ['DENIED'],
        metadata: [meta('segment', 'clearinghouse')],
      }),
      recorded('clearinghouse-access-reviewed', 'Access to the clearinghouse segment is reviewed', ['access.review.completed'], {
        metadata: [meta('segment', 'clearinghouse')],
      }),
    ],
    violations: [],
  }),
  specification('164.308(a)(4)', '164.308(a)(4)(ii)(B)', 'addressable', {
    title: 'Access authorization',
    description:
      'Policies decide how access to ePHI is granted, for example through a workstation, transaction, program or process. Role grants and API key creation record each grant.',
    evidence: [recorded('access-granted', 'Roles and API keys are granted', ['role.assigned', 'api_key.created'])],
    violations: [],
  }),
  specification('164.308(a)(4)', '164.308(a)(4)(ii)(C)', 'addressable', {
    title: 'Access establishment and modification',
    description:
      "Following the authorization policies, a user's access rights are set up, documented, reviewed and changed. Role changes and signed-off access reviews record it.",
    evidence: [
      recorded('access-modified', 'Roles are granted and revoked', ['role.assigned', 'role.revoked']),
      recorded('access-reviewed', 'User access reviews are signed off', ['access.review.completed']),
    ],
    violations: [],
  }),

  standard('164.308(a)(5)', {
    title: 'Security awareness and training',
    description:
      'All workforce members, management included, take part in a security awareness and training program. Completed training is recorded.',
    evidence: [recorded('training-completed', 'Security awareness training is completed', ['training.completed'])],
    violations: [],
  }),
  specification('164.308(a)(5)', '164.308(a)(5)(ii)(A)', 'addressable', {
    title: 'Security reminders',
    description:
      'Workforce members receive periodic security updates. Staff acknowledgements of security policies and notices are recorded.',
    evidence: [recorded('reminders-acknowledged', 'Staff acknowledge security policies and notices', ['policy.acknowledged'])],
    violations: [],
  }),
  specification('164.308(a)(5)', '164.308(a)(5)(ii)(B)', 'addressable', {
    title: 'Protection from malicious software',
    description:
      'Procedures guard against, detect and report malicious software. Completed scans show the checks run and quarantined malware shows it dealt with; caught malware is the control working, and a detection not quarantined or removed in time (by default 24 hours) is the finding, as in SOC 2 CC6.8.',
    evidence: [
      recorded('malware-quarantined', 'Detected malicious software was quarantined or removed', ['malware.quarantined']),
      recorded('systems-scanned', 'Vulnerability scans are completed', ['vulnerability.scan.completed']),
    ],
    violations: [
      answeredWithin(
        'malware-not-quarantined',
        'Malicious software was detected and not quarantined or removed in time',
        { action: actions('malware.detected') },
        { action: actions('malware.quarantined') },
        'malware-quarantine-window',
      ),
    ],
  }),
  specification('164.308(a)(5)', '164.308(a)(5)(ii)(C)', 'addressable', {
    title: 'Log-in monitoring',
    description:
      'Sign-in attempts are watched and discrepancies reported. Recorded sign-in attempts, failures included, and accounts locked after repeated failures show the monitoring; a blocked brute force is the control working, not a finding.',
    evidence: [
      observed('logins-monitored', 'Sign-in attempts are recorded, successful or not', { action: actions('auth.login') }),
      observed('failed-logins-recorded', 'Failed sign-in attempts are recorded', { action: actions('auth.login'), outcome: ['FAILURE'] }),
      recorded('accounts-locked', 'Accounts are locked after repeated failed sign-ins', ['auth.lockout']),
    ],
    violations: [
      burstNotLocked(
        'failed-logins-not-locked',
        'Five or more failed sign-ins to one account within ten minutes not answered by a lockout of that account in time (organisation-defined; by default within 5 minutes)',
        ['auth.login'],
      ),
    ],
  }),
  specification('164.308(a)(5)', '164.308(a)(5)(ii)(D)', 'addressable', {
    title: 'Password management',
    description: 'Procedures cover creating, changing and protecting passwords. Password changes and resets are recorded.',
    evidence: [recorded('passwords-changed', 'Passwords are changed or reset', ['auth.password.changed', 'auth.password.reset'])],
    violations: [],
  }),

  standard('164.308(a)(6)', {
    title: 'Security incident procedures',
    description: 'Security incidents are handled through set policies and procedures. Detected incidents and breaches are recorded.',
    evidence: [
      observed('incidents-recorded', 'Security incidents and breaches are recorded when detected', {
        action: actions('incident.detected', 'breach.detected'),
      }),
    ],
    violations: [],
    mappings: [gdpr('Art. 33', 'INTERSECTS')],
  }),
  specification('164.308(a)(6)', '164.308(a)(6)(ii)', 'required', {
    title: 'Response and reporting',
    description:
      'Suspected or known security incidents are identified and responded to, their harm is limited where practicable, and incidents and their outcomes are documented. Resolved incidents are recorded; an incident not resolved successfully within the organisation-defined window (by default 30 days) is a finding.',
    evidence: [observed('incidents-resolved', 'Security incidents are resolved', { action: actions('incident.resolved') })],
    violations: [
      answeredWithin(
        'incident-unresolved',
        'A security incident not resolved within the window after its detection',
        { action: actions('incident.detected') },
        { action: actions('incident.resolved') },
        'incident-resolution-window',
      ),
    ],
    mappings: [gdpr('Art. 33', 'INTERSECTS')],
  }),

  standard('164.308(a)(7)', {
    title: 'Contingency plan',
    description:
      'Policies and procedures prepare for an emergency or other event, such as fire, vandalism, system failure or natural disaster, that damages systems holding ePHI. Backups and contingency plan tests show the plan in use.',
    evidence: [
      recorded('contingency-plan-tested', 'Contingency plan tests are completed', ['contingency.test.completed']),
      recorded('backups-completed', 'Backups are completed', ['backup.completed']),
    ],
    violations: [],
    mappings: [gdpr('Art. 32', 'INTERSECTS')],
  }),
  specification('164.308(a)(7)', '164.308(a)(7)(ii)(A)', 'required', {
    title: 'Data backup plan',
    description:
      'Exact copies of ePHI that can be retrieved are made and kept. Completed backups and restore tests are recorded. A failed backup is the process catching a problem: the finding is a failed backup with no successful run of the same job in time, or a failed restore test not passed on a retest, as in SOC 2 A1.2 and A1.3.',
    evidence: [
      recorded('backups-completed', 'Backups are completed', ['backup.completed']),
      recorded('restores-tested', 'Restoring from a backup is tested successfully', ['backup.restore.tested']),
    ],
    violations: [
      failureNotRecovered(
        'failed-backup-not-recovered',
        'A backup failed and no successful backup of the same job followed in time',
        ['backup.completed'],
        'failed-job-retry-window',
      ),
      failureNotRecovered(
        'failed-restore-test-not-retested',
        'A restore test failed and was not passed on a retest in time',
        ['backup.restore.tested'],
        'recovery-retest-window',
      ),
    ],
    mappings: [gdpr('Art. 32', 'SUBSET')],
  }),
  specification('164.308(a)(7)', '164.308(a)(7)(ii)(B)', 'required', {
    title: 'Disaster recovery plan',
    description:
      'Procedures bring back any data that is lost. Successful restore tests and disaster recovery exercises show that data can be recovered; a failed one not passed on a retest in time is a finding.',
    evidence: [
      recorded('restores-tested', 'Restoring from a backup is tested successfully', ['backup.restore.tested']),
      recorded('recovery-exercised', 'Disaster recovery exercises are completed', ['contingency.test.completed']),
    ],
    violations: [
      failureNotRecovered(
        'failed-recovery-test-not-retested',
        'A restore test or disaster recovery exercise failed and was not passed on a retest in time',
        ['backup.restore.tested', 'contingency.test.completed'],
        'recovery-retest-window',
      ),
    ],
    mappings: [gdpr('Art. 32', 'SUBSET')],
  }),
  specification('164.308(a)(7)', '164.308(a)(7)(ii)(C)', 'required', {
    title: 'Emergency mode operation plan',
    description:
      'Critical business processes that protect ePHI keep running while the organization operates in emergency mode. Contingency plan tests record that emergency operation was exercised.',
    evidence: [
      recorded('emergency-mode-exercised', 'Contingency plan tests, emergency operation included, are completed', [
        'contingency.test.completed',
      ]),
    ],
    violations: [],
  }),
  specification('164.308(a)(7)', '164.308(a)(7)(ii)(D)', 'addressable', {
    title: 'Testing and revision procedures',
    description:
      'Contingency plans are tested from time to time and revised when needed. The duty: a passed test within the organisation-defined interval before the end of the period (by default a year); a failed test not passed on a retest in time is a finding.',
    evidence: [
      observed('contingency-tests-recorded', 'Contingency plan tests are recorded, whatever their result', {
        action: actions('contingency.test.completed'),
      }),
      recentWithin(
        'contingency-test-current',
        'A contingency plan test was passed within the interval before the period end',
        ['contingency.test.completed'],
        'contingency-test-interval',
      ),
    ],
    violations: [
      failureNotRecovered(
        'failed-contingency-test-not-retested',
        'A contingency plan test failed and was not passed on a retest in time',
        ['contingency.test.completed'],
        'recovery-retest-window',
      ),
    ],
    mappings: [gdpr('Art. 32', 'SUBSET')],
  }),
  specification('164.308(a)(7)', '164.308(a)(7)(ii)(E)', 'addressable', {
    title: 'Applications and data criticality analysis',
    description:
      'How critical each application and data set is gets assessed, to support the other parts of the contingency plan. Completed risk assessments record the analysis.',
    evidence: [recorded('criticality-assessed', 'Risk assessments, criticality included, are completed', ['risk.assessment.completed'])],
    violations: [],
  }),

  standard('164.308(a)(8)', {
    title: 'Evaluation',
    description:
      'Periodic technical and non-technical evaluations check how well the security policies and procedures meet the Security Rule, and are repeated after environmental or operational changes. Vulnerability scans are recorded; the duty is a completed risk assessment within the organisation-defined interval before the end of the period (by default a year).',
    evidence: [
      recorded('technical-evaluations', 'Vulnerability scans are completed', ['vulnerability.scan.completed']),
      recentWithin(
        'evaluation-current',
        'A risk assessment was completed within the interval before the period end',
        ['risk.assessment.completed'],
        'risk-assessment-interval',
      ),
    ],
    violations: [],
    mappings: [gdpr('Art. 32', 'SUBSET')],
  }),

  standard('164.308(b)(1)', {
    title: 'Business associate contracts and other arrangements',
    description:
      'A covered entity lets a business associate create, receive, keep or transmit ePHI on its behalf only with satisfactory written assurance that the associate will protect it; a business associate needs the same from its subcontractors. Signed agreements are recorded.',
    evidence: [recorded('associate-agreements-signed', 'Business associate agreements are signed', ['processor.agreement.signed'])],
    violations: [],
    mappings: [gdpr('Art. 28', 'INTERSECTS')],
  }),
  specification('164.308(b)(1)', '164.308(b)(3)', 'required', {
    title: 'Written contract or other arrangement',
    description:
      'The assurance is documented in a written contract or other arrangement that meets 164.314(a). Each signed agreement is recorded.',
    evidence: [recorded('written-agreement-signed', 'A written business associate agreement is signed', ['processor.agreement.signed'])],
    violations: [],
    mappings: [gdpr('Art. 28', 'INTERSECTS')],
  }),
];
