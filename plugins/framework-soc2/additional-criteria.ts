import type { CatalogControl } from '../../src/plugin-api';
import { failureNotRecovered } from './rules';

/** A1 and C1: the additional criteria for availability and confidentiality. */
export const additionalCriteria: CatalogControl[] = [
  {
    id: 'A1.1',
    title: 'Capacity management',
    description:
      'Current processing capacity and its use are kept up, watched and evaluated so that demand can be met and more capacity added in time. ' +
      'Availability and capacity alerts show the monitoring; a critical alert not resolved in time is a finding.',
    tags: ['availability'],
    evidence: [
      {
        id: 'capacity-monitored',
        kind: 'MATCH',
        description: 'An availability or capacity alert was raised by monitoring',
        match: { action: [{ equals: 'monitoring.alert' }] },
      },
    ],
    violations: [
      {
        id: 'critical-alert-unresolved',
        kind: 'NOT_FOLLOWED_BY',
        description: 'A critical availability or capacity alert not resolved in time',
        trigger: { action: [{ equals: 'monitoring.alert' }], minSeverity: 'CRITICAL' },
        followUp: { action: [{ equals: 'monitoring.alert.resolved' }], outcome: ['SUCCESS'] },
        within: { parameter: 'critical-alert-resolution-window' },
        correlation: 'RESOURCE',
      },
    ],
    mappings: [{ frameworkId: 'gdpr', controlId: 'Art. 32', relationship: 'INTERSECTS' }],
  },
  {
    id: 'A1.2',
    title: 'Environmental protection, backup and recovery',
    description:
      'Environmental safeguards, software, data backups and recovery infrastructure are put in place, run and monitored so the system can be restored. ' +
      'Backups completed at least weekly show it; a failed backup is the monitoring working, and a finding only when no successful backup of the same job follows in time.',
    tags: ['availability'],
    evidence: [
      {
        id: 'backups-weekly',
        kind: 'AT_LEAST',
        description: 'A backup completes at least once a week',
        match: { action: [{ equals: 'backup.completed' }], outcome: ['SUCCESS'] },
        count: 1,
        period: 'WEEK',
      },
    ],
    violations: [
      failureNotRecovered('failed-backup-not-recovered', 'A backup failed and no successful backup of the same job followed in time', [
        'backup.completed',
      ]),
    ],
    mappings: [
      { frameworkId: 'hipaa', controlId: '164.308(a)(7)(ii)(A)', relationship: 'INTERSECTS' },
      { frameworkId: 'hipaa', controlId: '164.308(a)(7)(ii)(B)', relationship: 'INTERSECTS' },
      { frameworkId: 'hipaa', controlId: '164.310(d)(2)(iv)', relationship: 'INTERSECTS' },
      { frameworkId: 'gdpr', controlId: 'Art. 32', relationship: 'INTERSECTS' },
    ],
  },
  {
    id: 'A1.3',
    title: 'Recovery testing',
    description:
      'The procedures that support recovery of the system are tested. ' +
      'Restore tests and a contingency plan test within the year before the period ends (organisation-defined) show it; a failed test not passed on a retest in time is a finding.',
    tags: ['availability'],
    evidence: [
      {
        id: 'contingency-tested-recently',
        kind: 'RECENT',
        description: 'The contingency plan was tested within the organisation-defined interval (by default a year) before the period ends',
        match: { action: [{ equals: 'contingency.test.completed' }], outcome: ['SUCCESS'] },
        count: 1,
        within: { parameter: 'contingency-test-interval' },
      },
      {
        id: 'restores-tested',
        kind: 'MATCH',
        description: 'Restoring from backup was tested',
        match: { action: [{ equals: 'backup.restore.tested' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [
      failureNotRecovered(
        'failed-recovery-test-not-retested',
        'A restore test or contingency plan test failed and was not passed on a retest in time',
        ['backup.restore.tested', 'contingency.test.completed'],
        'recovery-retest-window',
      ),
    ],
    mappings: [
      { frameworkId: 'hipaa', controlId: '164.308(a)(7)(ii)(D)', relationship: 'INTERSECTS' },
      { frameworkId: 'gdpr', controlId: 'Art. 32', relationship: 'INTERSECTS' },
    ],
  },
  {
    id: 'C1.1',
    title: 'Identification and protection of confidential information',
    description:
      'Confidential information is recognised and kept protected in line with the entity’s confidentiality commitments. ' +
      'Events classified confidential or higher show it is identified; encryption of stored data shows it is protected.',
    tags: ['confidentiality'],
    evidence: [
      {
        id: 'confidential-data-classified',
        kind: 'MATCH',
        description: 'An action on information classified confidential or restricted was recorded',
        match: { minClassification: 'CONFIDENTIAL' },
      },
      {
        id: 'data-encrypted',
        kind: 'MATCH',
        description: 'Stored data was encrypted',
        match: { action: [{ equals: 'data.encrypted' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [
      { frameworkId: 'hipaa', controlId: '164.312(a)(2)(iv)', relationship: 'INTERSECTS' },
      { frameworkId: 'gdpr', controlId: 'Art. 5', relationship: 'INTERSECTS' },
    ],
  },
  {
    id: 'C1.2',
    title: 'Disposal of confidential information',
    description:
      'Confidential information is disposed of once it is no longer needed, in line with the entity’s commitments. ' +
      'Retention deletions, erasures and media sanitisation show it; a failed retention deletion not completed on a retry in time is a finding.',
    tags: ['confidentiality'],
    evidence: [
      {
        id: 'data-disposed',
        kind: 'MATCH',
        description: 'Data past its retention period was deleted, or data was erased',
        match: { action: [{ equals: 'data.retention.applied' }, { equals: 'data.erased' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'media-sanitized',
        kind: 'MATCH',
        description: 'Media holding data were sanitised',
        match: { action: [{ equals: 'media.sanitized' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [
      failureNotRecovered(
        'failed-retention-not-retried',
        'A deletion of data past its retention period failed and was not completed on a retry in time',
        ['data.retention.applied'],
      ),
    ],
    mappings: [
      { frameworkId: 'hipaa', controlId: '164.310(d)(2)(i)', relationship: 'INTERSECTS' },
      { frameworkId: 'gdpr', controlId: 'Art. 5', relationship: 'INTERSECTS' },
    ],
  },
];
