import type { Control } from '../../src/plugin-api';

/** Chapter IV, section 2: security of personal data and breach notification (Art. 32–34). */
export const security: Control[] = [
  {
    id: 'Art. 32',
    title: 'Security of processing',
    description:
      'Controllers and processors must secure personal data in proportion to the risk, through measures such as encryption, ' +
      'resilient systems, the ability to restore data after an incident and regular testing of these measures. Encryption, key ' +
      'rotation, integrity checks, refused access and quarterly tests show it; failed encryption, integrity checks or restore ' +
      'tests are findings.',
    tags: ['security'],
    evidence: [
      {
        id: 'data-encrypted',
        kind: 'MATCH',
        description: 'Stored data was encrypted',
        match: { action: [{ equals: 'data.encrypted' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'keys-rotated',
        kind: 'MATCH',
        description: 'An encryption key was rotated',
        match: { action: [{ equals: 'key.rotated' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'integrity-verified',
        kind: 'MATCH',
        description: 'The integrity of stored data was verified',
        match: { action: [{ equals: 'data.integrity.verified' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'restore-tested',
        kind: 'MATCH',
        description: 'Restoring from backup was tested',
        match: { action: [{ equals: 'backup.restore.tested' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'vulnerability-scans',
        kind: 'MATCH',
        description: 'A vulnerability scan was completed',
        match: { action: [{ equals: 'vulnerability.scan.completed' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'personal-data-access-refused',
        kind: 'MATCH',
        description: 'Unauthorised attempts to reach personal data were refused',
        match: { categories: ['PII'], outcome: ['DENIED'] },
      },
      {
        id: 'measures-tested-quarterly',
        kind: 'AT_LEAST',
        description: 'Security measures are tested at least once a quarter by a vulnerability scan, restore test or contingency test',
        match: {
          action: [
            { equals: 'vulnerability.scan.completed' },
            { equals: 'backup.restore.tested' },
            { equals: 'contingency.test.completed' },
          ],
          outcome: ['SUCCESS'],
        },
        count: 1,
        period: 'QUARTER',
      },
    ],
    violations: [
      {
        id: 'encryption-failed',
        kind: 'MATCH',
        description: 'An encryption of stored data failed',
        match: { action: [{ equals: 'data.encrypted' }], outcome: ['FAILURE', 'ERROR'] },
      },
      {
        id: 'integrity-check-failed',
        kind: 'MATCH',
        description: 'An integrity check of stored data failed',
        match: { action: [{ equals: 'data.integrity.verified' }], outcome: ['FAILURE', 'ERROR'] },
      },
      {
        id: 'restore-test-failed',
        kind: 'MATCH',
        description: 'A test restore from backup failed',
        match: { action: [{ equals: 'backup.restore.tested' }], outcome: ['FAILURE', 'ERROR'] },
      },
    ],
  },
  {
    id: 'Art. 33',
    title: 'Notification of a personal data breach to the supervisory authority',
    description:
      'The controller must report a personal-data breach to the supervisory authority without undue delay and within 72 hours of ' +
      'becoming aware of it, unless it is unlikely to put people at risk, and must document every breach. Each detected breach ' +
      'should be followed by an authority notification for the same breach within 72 hours.',
    tags: ['security'],
    evidence: [
      {
        id: 'breach-notified-72h',
        kind: 'NOT_FOLLOWED_BY',
        description: 'A breach was notified to the supervisory authority within 72 hours',
        trigger: { action: [{ equals: 'breach.detected' }] },
        followUp: { action: [{ equals: 'breach.notified.authority' }] },
        within: { hours: 72 },
        correlation: 'RESOURCE',
      },
      {
        id: 'authority-notified',
        kind: 'MATCH',
        description: 'The supervisory authority was notified of a breach',
        match: { action: [{ equals: 'breach.notified.authority' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'breaches-documented',
        kind: 'MATCH',
        description: 'A personal-data breach was documented when found',
        match: { action: [{ equals: 'breach.detected' }] },
      },
    ],
    violations: [
      {
        id: 'breach-not-notified-72h',
        kind: 'NOT_FOLLOWED_BY',
        description: 'A breach not notified to the supervisory authority within 72 hours',
        trigger: { action: [{ equals: 'breach.detected' }] },
        followUp: { action: [{ equals: 'breach.notified.authority' }] },
        within: { hours: 72 },
        correlation: 'RESOURCE',
      },
    ],
  },
  {
    id: 'Art. 34',
    title: 'Communication of a personal data breach to the data subject',
    description:
      'When a breach is likely to put people at high risk, the controller must tell the affected subjects without undue delay, in ' +
      'plain language, unless measures such as encryption made the data unintelligible. Recorded notifications of subjects show ' +
      'it; a notification that fails is a finding.',
    tags: ['security'],
    evidence: [
      {
        id: 'subjects-notified',
        kind: 'MATCH',
        description: 'Affected data subjects were notified of a breach',
        match: { action: [{ equals: 'breach.notified.subjects' }] },
      },
    ],
    violations: [
      {
        id: 'subject-notification-failed',
        kind: 'MATCH',
        description: 'A notification of affected data subjects about a breach failed',
        match: { action: [{ equals: 'breach.notified.subjects' }], outcome: ['FAILURE', 'ERROR'] },
      },
    ],
  },
];
