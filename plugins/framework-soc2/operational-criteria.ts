import type { CatalogControl, EventMatch } from '../../src/plugin-api';
import { failureNotRecovered } from './rules';

/** The answer to a burst of failed sign-ins: the account locked (CC6.1, CC6.6). */
const LOCKOUT: EventMatch = { action: [{ equals: 'auth.lockout' }], outcome: ['SUCCESS'] };
/** The server's read records (ADR 0044): a key read the log, or generated or downloaded a report built from it. */
const LOG_READS: EventMatch = {
  action: [{ equals: 'datapunk.log.read' }, { equals: 'datapunk.report.generated' }, { equals: 'datapunk.report.downloaded' }],
  outcome: ['SUCCESS'],
};

/** CC6–CC9: logical and physical access, system operations, change management, risk mitigation. */
export const operationalCriteria: CatalogControl[] = [
  {
    id: 'CC6.1',
    title: 'Logical access security',
    description:
      'Software, infrastructure and architecture restrict access to information assets to identified, authenticated users and protect those assets. ' +
      'The share of successful sign-ins that used a second factor shows the duty (by default at least 95 %); second-factor checks, lockouts and refused calls show access control working; a burst of failed sign-ins starts the test, and a burst not answered by a lockout of the account in time is a finding.',
    tags: ['common-criteria', 'logical-and-physical-access'],
    evidence: [
      {
        id: 'successful-logins',
        kind: 'MATCH',
        description: 'Successful sign-ins are recorded',
        match: { action: [{ equals: 'auth.login' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'mfa-verified',
        kind: 'MATCH',
        description: 'A second authentication factor was verified',
        match: { action: [{ equals: 'auth.mfa.verified' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'mfa-coverage',
        kind: 'RATIO',
        description: 'Successful sign-ins use a second factor at the organisation-defined rate (by default 95 %)',
        population: { action: [{ equals: 'auth.login' }], outcome: ['SUCCESS'] },
        qualifying: { metadata: [{ path: 'mfa', equals: true }] },
        atLeast: { parameter: 'mfa-coverage' },
      },
      {
        id: 'accounts-locked',
        kind: 'MATCH',
        description: 'An account was locked after failed attempts',
        match: { action: [{ equals: 'auth.lockout' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'unauthorized-calls-refused',
        kind: 'MATCH',
        description: 'A call its role does not allow was refused',
        match: { action: [{ equals: 'datapunk.authorization.denied' }] },
      },
    ],
    violations: [
      {
        id: 'repeated-failed-logins',
        kind: 'BURST',
        description:
          'Five or more failed sign-ins to one account within ten minutes not answered by a lockout of that account in time (organisation-defined; by default within 5 minutes)',
        match: { action: [{ equals: 'auth.login' }], outcome: ['FAILURE'] },
        count: 5,
        within: { minutes: 10 },
        correlation: 'ACTOR',
        response: { match: LOCKOUT, within: { parameter: 'lockout-response-window' } },
      },
      {
        id: 'mfa-disabled',
        kind: 'MATCH',
        description: 'A second authentication factor was removed from an account',
        match: { action: [{ equals: 'auth.mfa.disabled' }], outcome: ['SUCCESS'] },
      },
    ],
    mappings: [
      { frameworkId: 'hipaa', controlId: '164.312(a)(1)', relationship: 'INTERSECTS' },
      { frameworkId: 'hipaa', controlId: '164.312(d)', relationship: 'INTERSECTS' },
      { frameworkId: 'hipaa', controlId: '164.312(a)(2)(i)', relationship: 'INTERSECTS' },
      { frameworkId: 'gdpr', controlId: 'Art. 32', relationship: 'SUBSET' },
    ],
  },
  {
    id: 'CC6.2',
    title: 'User registration and removal',
    description:
      'Users, internal and external, are registered and authorised before they get credentials, and their access is removed when it is no longer needed. ' +
      'Recorded account creations, role grants, disablements and deletions show this life cycle; a successful sign-in to an account after it was disabled is a finding.',
    tags: ['common-criteria', 'logical-and-physical-access'],
    evidence: [
      {
        id: 'accounts-provisioned',
        kind: 'MATCH',
        description: 'An account was created or granted a role',
        match: { action: [{ equals: 'user.created' }, { equals: 'role.assigned' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'accounts-deprovisioned',
        kind: 'MATCH',
        description: 'An account was disabled or deleted, or a role was removed',
        match: { action: [{ equals: 'user.disabled' }, { equals: 'user.deleted' }, { equals: 'role.revoked' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [
      {
        id: 'sign-in-after-disable',
        kind: 'FOLLOWED_BY',
        description: 'An account signed in successfully after it was disabled',
        trigger: { action: [{ equals: 'user.disabled' }], outcome: ['SUCCESS'] },
        followUp: { action: [{ equals: 'auth.login' }], outcome: ['SUCCESS'] },
        within: { parameter: 'disabled-account-watch' },
        correlation: 'RESOURCE',
      },
    ],
    mappings: [
      { frameworkId: 'hipaa', controlId: '164.308(a)(3)(ii)(C)', relationship: 'INTERSECTS' },
      { frameworkId: 'hipaa', controlId: '164.308(a)(4)(ii)(C)', relationship: 'INTERSECTS' },
    ],
  },
  {
    id: 'CC6.3',
    title: 'Role-based access and least privilege',
    description:
      'Access is granted, changed and removed according to roles, giving each person only what their job needs and keeping incompatible duties apart. ' +
      'Role changes and user-access reviews at least every quarter show it. Break-glass access outside the roles is allowed for emergencies; each use not reviewed in time is a finding.',
    tags: ['common-criteria', 'logical-and-physical-access'],
    evidence: [
      {
        id: 'roles-changed',
        kind: 'MATCH',
        description: 'A role was granted or removed',
        match: { action: [{ equals: 'role.assigned' }, { equals: 'role.revoked' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'access-reviewed-quarterly',
        kind: 'AT_LEAST',
        description: 'User access is reviewed at least once a quarter',
        match: { action: [{ equals: 'access.review.completed' }], outcome: ['SUCCESS'] },
        count: 1,
        period: 'QUARTER',
      },
    ],
    violations: [
      {
        id: 'emergency-access-not-reviewed',
        kind: 'NOT_FOLLOWED_BY',
        description: 'A break-glass access was not reviewed in time',
        trigger: { action: [{ equals: 'access.emergency.granted' }], outcome: ['SUCCESS'] },
        followUp: { action: [{ equals: 'access.emergency.reviewed' }], outcome: ['SUCCESS'] },
        within: { parameter: 'emergency-access-review-window' },
        correlation: 'RESOURCE',
      },
    ],
    mappings: [
      { frameworkId: 'hipaa', controlId: '164.308(a)(4)', relationship: 'INTERSECTS' },
      { frameworkId: 'hipaa', controlId: '164.308(a)(4)(ii)(B)', relationship: 'INTERSECTS' },
    ],
  },
  {
    id: 'CC6.4',
    title: 'Physical access',
    description:
      'Only people with a reason to be there get into the places that hold the system: server rooms, offices with production access, stores of backup media. ' +
      'Recorded badge entries and refusals show the restriction at work; a run of refused entries by one person is a finding to look into.',
    tags: ['common-criteria', 'logical-and-physical-access'],
    evidence: [
      {
        id: 'facility-access-recorded',
        kind: 'MATCH',
        description: 'A physical entry was granted or refused',
        match: { action: [{ equals: 'facility.access' }], outcome: ['SUCCESS', 'DENIED'] },
      },
    ],
    violations: [
      {
        id: 'repeated-denied-entries',
        kind: 'BURST',
        description: 'Three or more refused physical entries by one person within ten minutes',
        match: { action: [{ equals: 'facility.access' }], outcome: ['DENIED'] },
        count: 3,
        within: { minutes: 10 },
        correlation: 'ACTOR',
      },
    ],
    mappings: [
      { frameworkId: 'hipaa', controlId: '164.310(a)(1)', relationship: 'INTERSECTS' },
      { frameworkId: 'hipaa', controlId: '164.310(a)(2)(iii)', relationship: 'INTERSECTS' },
    ],
  },
  {
    id: 'CC6.5',
    title: 'Disposal of assets',
    description:
      'A device or storage medium leaves the entity’s protection only after the data on it has been wiped beyond recovery. ' +
      'Recorded sanitisations and disposals show it; a device disposed of without a successful sanitisation of it beforehand is a finding.',
    tags: ['common-criteria', 'logical-and-physical-access'],
    evidence: [
      {
        id: 'assets-disposed',
        kind: 'MATCH',
        description: 'A device was disposed of or media were sanitised',
        match: { action: [{ equals: 'device.disposed' }, { equals: 'media.sanitized' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [
      {
        id: 'disposed-without-sanitization',
        kind: 'NOT_PRECEDED_BY',
        description: 'A device was disposed of without a successful sanitisation of it beforehand',
        trigger: { action: [{ equals: 'device.disposed' }], outcome: ['SUCCESS'] },
        precededBy: { action: [{ equals: 'media.sanitized' }], outcome: ['SUCCESS'] },
        within: { parameter: 'sanitization-before-disposal' },
        correlation: 'RESOURCE',
      },
    ],
    mappings: [
      { frameworkId: 'hipaa', controlId: '164.310(d)(1)', relationship: 'INTERSECTS' },
      { frameworkId: 'hipaa', controlId: '164.310(d)(2)(i)', relationship: 'INTERSECTS' },
      { frameworkId: 'hipaa', controlId: '164.310(d)(2)(ii)', relationship: 'INTERSECTS' },
    ],
  },
  {
    id: 'CC6.6',
    title: 'Protection against external threats',
    description:
      'Logical access measures guard the system against threats from beyond its boundaries, for example with stronger authentication for remote access. ' +
      'Verified second factors and managed API keys show the measures; many failed sign-ins from one address are a finding when no lockout recorded from that address answers them in time.',
    tags: ['common-criteria', 'logical-and-physical-access'],
    evidence: [
      {
        id: 'mfa-verified',
        kind: 'MATCH',
        description: 'A second authentication factor was verified',
        match: { action: [{ equals: 'auth.mfa.verified' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'api-keys-managed',
        kind: 'MATCH',
        description: 'A machine credential was issued or revoked',
        match: { action: [{ equals: 'api_key.created' }, { equals: 'api_key.revoked' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [
      {
        id: 'failed-logins-from-one-address',
        kind: 'BURST',
        description:
          'Twenty or more failed sign-ins from one IP address within ten minutes not answered by a lockout recorded from that address in time (organisation-defined; by default within 5 minutes)',
        match: { action: [{ equals: 'auth.login' }], outcome: ['FAILURE'] },
        count: 20,
        within: { minutes: 10 },
        correlation: 'IP',
        response: { match: LOCKOUT, within: { parameter: 'lockout-response-window' } },
      },
    ],
    mappings: [
      { frameworkId: 'hipaa', controlId: '164.312(d)', relationship: 'INTERSECTS' },
      { frameworkId: 'hipaa', controlId: '164.312(e)(1)', relationship: 'INTERSECTS' },
    ],
  },
  {
    id: 'CC6.7',
    title: 'Data transmission and movement',
    description:
      'Sending, moving or taking out information is limited to authorised users and processes, and the information is protected on the way. ' +
      'Recorded exports and encryption show it; an unusual volume of exports by one actor is a finding.',
    tags: ['common-criteria', 'logical-and-physical-access'],
    evidence: [
      {
        id: 'exports-recorded',
        kind: 'MATCH',
        description: 'Data leaving the system was recorded',
        match: { action: [{ equals: 'data.export' }, { equals: 'data.transfer.international' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'data-encrypted',
        kind: 'MATCH',
        description: 'Data was encrypted',
        match: { action: [{ equals: 'data.encrypted' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [
      {
        id: 'bulk-exports',
        kind: 'BURST',
        description:
          'An unusual number of data exports by one actor within a short time (organisation-defined; by default twenty within an hour)',
        match: { action: [{ equals: 'data.export' }], outcome: ['SUCCESS'] },
        count: { parameter: 'bulk-export-count' },
        within: { parameter: 'bulk-export-window' },
        correlation: 'ACTOR',
      },
    ],
    mappings: [
      { frameworkId: 'hipaa', controlId: '164.312(e)(1)', relationship: 'INTERSECTS' },
      { frameworkId: 'hipaa', controlId: '164.312(e)(2)(ii)', relationship: 'INTERSECTS' },
      { frameworkId: 'hipaa', controlId: '164.310(d)(1)', relationship: 'INTERSECTS' },
    ],
  },
  {
    id: 'CC6.8',
    title: 'Unauthorized and malicious software',
    description:
      'Controls keep out, or detect and deal with, unauthorised or malicious software. ' +
      'Completed scans show the checks run and quarantined malware shows it is dealt with; malicious software detected and not quarantined in time is a finding.',
    tags: ['common-criteria', 'logical-and-physical-access'],
    evidence: [
      {
        id: 'scans-completed',
        kind: 'MATCH',
        description: 'A scan for vulnerable or unauthorised software completed',
        match: { action: [{ equals: 'vulnerability.scan.completed' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'malware-quarantined',
        kind: 'MATCH',
        description: 'Detected malicious software was quarantined or removed',
        match: { action: [{ equals: 'malware.quarantined' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [
      {
        id: 'malware-not-quarantined',
        kind: 'NOT_FOLLOWED_BY',
        description: 'Malicious software was detected and not quarantined or removed in time',
        trigger: { action: [{ equals: 'malware.detected' }] },
        followUp: { action: [{ equals: 'malware.quarantined' }], outcome: ['SUCCESS'] },
        within: { parameter: 'malware-quarantine-window' },
        correlation: 'RESOURCE',
      },
    ],
    mappings: [{ frameworkId: 'hipaa', controlId: '164.308(a)(5)(ii)(B)', relationship: 'INTERSECTS' }],
  },
  {
    id: 'CC7.1',
    title: 'Vulnerability and configuration monitoring',
    description:
      'Detection and monitoring find configuration changes that open weaknesses and newly disclosed vulnerabilities. ' +
      'Vulnerability scans at least every quarter, recorded setting changes and remediations show it; a failed scan not re-run successfully in time is a finding.',
    tags: ['common-criteria', 'system-operations'],
    evidence: [
      {
        id: 'scans-quarterly',
        kind: 'AT_LEAST',
        description: 'A vulnerability scan completes at least once a quarter',
        match: { action: [{ equals: 'vulnerability.scan.completed' }], outcome: ['SUCCESS'] },
        count: 1,
        period: 'QUARTER',
      },
      {
        id: 'config-changes-recorded',
        kind: 'MATCH',
        description: 'A security-relevant setting was changed and recorded',
        match: { action: [{ equals: 'config.changed' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'vulnerabilities-remediated',
        kind: 'MATCH',
        description: 'A vulnerability finding was fixed',
        match: { action: [{ equals: 'vulnerability.remediated' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [
      failureNotRecovered('failed-scan-not-rerun', 'A vulnerability scan failed and was not re-run successfully in time', [
        'vulnerability.scan.completed',
      ]),
    ],
    mappings: [{ frameworkId: 'gdpr', controlId: 'Art. 32', relationship: 'INTERSECTS' }],
  },
  {
    id: 'CC7.2',
    title: 'Monitoring for anomalies',
    description:
      'System components and their operation are watched for anomalies that may signal attacks, disasters or errors, and the anomalies are analysed. ' +
      'Audit logs reviewed at least every month show the watch; the server records every read of the audit log (key, scope, count), so the watch is watched too. A run of denied actions by one actor is an anomaly, a finding until it is investigated.',
    tags: ['common-criteria', 'system-operations'],
    evidence: [
      {
        id: 'logs-reviewed',
        kind: 'AT_LEAST',
        description: 'Audit logs are reviewed at least once a month',
        match: { action: [{ equals: 'audit.log.reviewed' }] },
        count: 1,
        period: 'MONTH',
      },
      {
        id: 'audit-log-reads-recorded',
        kind: 'MATCH',
        description: 'Reads of the audit log are themselves recorded: which key read what, and how much',
        match: LOG_READS,
      },
    ],
    violations: [
      {
        id: 'repeated-denied-actions',
        kind: 'BURST',
        description: 'Ten or more denied actions by one actor within ten minutes',
        match: { outcome: ['DENIED'] },
        count: 10,
        within: { minutes: 10 },
        correlation: 'ACTOR',
      },
    ],
    mappings: [
      { frameworkId: 'hipaa', controlId: '164.312(b)', relationship: 'INTERSECTS' },
      { frameworkId: 'hipaa', controlId: '164.308(a)(1)(ii)(D)', relationship: 'INTERSECTS' },
      { frameworkId: 'hipaa', controlId: '164.308(a)(5)(ii)(C)', relationship: 'INTERSECTS' },
    ],
  },
  {
    id: 'CC7.3',
    title: 'Evaluation of security events',
    description:
      'Security events are assessed to decide whether they are incidents that could stop the entity meeting its objectives, and incidents are acted on. ' +
      'Raised incidents and detected breaches show events are evaluated.',
    tags: ['common-criteria', 'system-operations'],
    evidence: [
      {
        id: 'incidents-raised',
        kind: 'MATCH',
        description: 'A security event was evaluated and opened as an incident',
        match: { action: [{ equals: 'incident.detected' }] },
      },
      {
        id: 'breaches-identified',
        kind: 'MATCH',
        description: 'A security event was identified as a personal-data breach',
        match: { action: [{ equals: 'breach.detected' }] },
      },
    ],
    violations: [],
    mappings: [
      { frameworkId: 'hipaa', controlId: '164.308(a)(6)', relationship: 'INTERSECTS' },
      { frameworkId: 'gdpr', controlId: 'Art. 33', relationship: 'INTERSECTS' },
    ],
  },
  {
    id: 'CC7.4',
    title: 'Incident response',
    description:
      'Identified incidents are handled through a defined response programme that contains, fixes and communicates them. ' +
      'Resolved incidents show the response; an incident not resolved in time after its detection (by default 30 days) is a finding.',
    tags: ['common-criteria', 'system-operations'],
    evidence: [
      {
        id: 'incidents-resolved',
        kind: 'MATCH',
        description: 'A security incident was resolved',
        match: { action: [{ equals: 'incident.resolved' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [
      {
        id: 'incident-unresolved',
        kind: 'NOT_FOLLOWED_BY',
        description: 'A security incident not resolved in time (organisation-defined; by default 30 days)',
        trigger: { action: [{ equals: 'incident.detected' }] },
        followUp: { action: [{ equals: 'incident.resolved' }], outcome: ['SUCCESS'] },
        within: { parameter: 'incident-resolution-window' },
        correlation: 'RESOURCE',
      },
    ],
    mappings: [
      { frameworkId: 'hipaa', controlId: '164.308(a)(6)', relationship: 'INTERSECTS' },
      { frameworkId: 'hipaa', controlId: '164.308(a)(6)(ii)', relationship: 'INTERSECTS' },
      { frameworkId: 'gdpr', controlId: 'Art. 33', relationship: 'INTERSECTS' },
    ],
  },
  {
    id: 'CC7.5',
    title: 'Incident recovery',
    description:
      'After an incident the entity works out and carries out what is needed to recover. ' +
      'Resolved incidents, tested restores and fixed vulnerabilities show recovery taking place.',
    tags: ['common-criteria', 'system-operations'],
    evidence: [
      {
        id: 'incidents-resolved',
        kind: 'MATCH',
        description: 'A security incident was resolved',
        match: { action: [{ equals: 'incident.resolved' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'restores-tested',
        kind: 'MATCH',
        description: 'Restoring from backup was tested',
        match: { action: [{ equals: 'backup.restore.tested' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'vulnerabilities-remediated',
        kind: 'MATCH',
        description: 'A vulnerability finding was fixed',
        match: { action: [{ equals: 'vulnerability.remediated' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [
      { frameworkId: 'hipaa', controlId: '164.308(a)(7)', relationship: 'INTERSECTS' },
      { frameworkId: 'hipaa', controlId: '164.308(a)(7)(ii)(B)', relationship: 'INTERSECTS' },
      { frameworkId: 'gdpr', controlId: 'Art. 32', relationship: 'INTERSECTS' },
    ],
  },
  {
    id: 'CC8.1',
    title: 'Change management',
    description:
      'A change to the system — code, infrastructure, configuration, data or procedure — goes live only through the entity’s change process, which has it planned, tested and approved first. ' +
      'Approvals and deployments show the process; a deployment with no approval of the same change before it is a finding. A failed deployment that is rolled back is the process working, not a deviation.',
    tags: ['common-criteria', 'change-management'],
    evidence: [
      {
        id: 'changes-approved',
        kind: 'MATCH',
        description: 'A change was approved',
        match: { action: [{ equals: 'change.approved' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'changes-deployed',
        kind: 'MATCH',
        description: 'A change was deployed',
        match: { action: [{ equals: 'change.deployed' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [
      {
        id: 'deployment-not-approved',
        kind: 'NOT_PRECEDED_BY',
        description: 'A change was deployed without an approval of the same change before it',
        trigger: { action: [{ equals: 'change.deployed' }], outcome: ['SUCCESS'] },
        precededBy: { action: [{ equals: 'change.approved' }], outcome: ['SUCCESS'] },
        within: { parameter: 'change-approval-window' },
        correlation: 'RESOURCE',
      },
    ],
    mappings: [{ frameworkId: 'hipaa', controlId: '164.308(a)(8)', relationship: 'INTERSECTS' }],
  },
  {
    id: 'CC9.1',
    title: 'Business disruption risk',
    description:
      'The entity chooses and builds activities that reduce the risk of disruption to its business. ' +
      'Risk assessments, backups and contingency plan tests show the mitigation.',
    tags: ['common-criteria', 'risk-mitigation'],
    evidence: [
      {
        id: 'risk-assessments-completed',
        kind: 'MATCH',
        description: 'A risk assessment was completed',
        match: { action: [{ equals: 'risk.assessment.completed' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'backups-completed',
        kind: 'MATCH',
        description: 'A backup completed',
        match: { action: [{ equals: 'backup.completed' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'contingency-tested',
        kind: 'MATCH',
        description: 'A contingency plan test was completed',
        match: { action: [{ equals: 'contingency.test.completed' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [
      { frameworkId: 'hipaa', controlId: '164.308(a)(1)(ii)(B)', relationship: 'INTERSECTS' },
      { frameworkId: 'hipaa', controlId: '164.308(a)(7)', relationship: 'INTERSECTS' },
    ],
  },
  {
    id: 'CC9.2',
    title: 'Vendor and business partner risk',
    description:
      'Risks that come from vendors and business partners are assessed and managed. ' +
      'A vendor risk review within the year before the period ends (organisation-defined), and signed processor agreements, show it.',
    tags: ['common-criteria', 'risk-mitigation'],
    evidence: [
      {
        id: 'vendors-reviewed-recently',
        kind: 'RECENT',
        description:
          'A vendor risk review was completed within the organisation-defined interval (by default a year) before the period ends',
        match: { action: [{ equals: 'vendor.review.completed' }], outcome: ['SUCCESS'] },
        count: 1,
        within: { parameter: 'vendor-review-interval' },
      },
      {
        id: 'agreements-signed',
        kind: 'MATCH',
        description: 'A processor or business-associate agreement was signed',
        match: { action: [{ equals: 'processor.agreement.signed' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [
      { frameworkId: 'hipaa', controlId: '164.308(b)(1)', relationship: 'INTERSECTS' },
      { frameworkId: 'hipaa', controlId: '164.314(a)(1)', relationship: 'INTERSECTS' },
      { frameworkId: 'gdpr', controlId: 'Art. 28', relationship: 'INTERSECTS' },
    ],
  },
];
