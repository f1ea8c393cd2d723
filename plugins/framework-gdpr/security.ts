import type { CatalogControl, EventMatch } from '../../src/plugin-api';
import { answeredInTime, failureNotRecovered, recent, succeeded } from './rules';

const child = (
  parentId: string,
  paragraph: string,
  title: string,
  description: string,
  rules: Pick<CatalogControl, 'evidence' | 'violations'>,
) => ({
  id: `${parentId}${paragraph}`,
  parentId,
  title,
  description,
  tags: ['security'],
  ...rules,
});

const breach = (...metadata: NonNullable<EventMatch['metadata']>): EventMatch => ({
  action: [{ equals: 'breach.detected' }],
  ...(metadata.length ? { metadata } : {}),
});

/** Chapter IV, section 2: security of personal data and breach notification (Art. 32–34). */
export const security: CatalogControl[] = [
  {
    id: 'Art. 32',
    title: 'Security of processing',
    description:
      'Controllers and processors secure personal data in proportion to the risk. The article is judged through the measures of ' +
      'paragraph 1, (a) to (d).',
    tags: ['security'],
    evidence: [],
    violations: [],
  },
  child(
    'Art. 32',
    '(1)(a)',
    'Pseudonymisation and encryption',
    'Personal data is pseudonymised or encrypted where that fits the risk, and encryption keys are renewed. Encryption of stored ' +
      'data shows it, a key rotation within the interval (by default a year) before the period ends shows the keys kept; a failed ' +
      'encryption not completed on a re-run in time is a finding.',
    {
      evidence: [
        succeeded('data-encrypted', 'Stored data was encrypted', ['data.encrypted']),
        recent('keys-rotated', 'An encryption key was rotated recently', ['key.rotated'], 'key-rotation-interval'),
      ],
      violations: [
        failureNotRecovered(
          'failed-encryption-not-retried',
          'An encryption of stored data failed and was not completed on a re-run in time',
          ['data.encrypted'],
        ),
      ],
    },
  ),
  child(
    'Art. 32',
    '(1)(b)',
    'Confidentiality, integrity, availability and resilience',
    'Systems and services that process personal data stay confidential, correct, available and resilient. Integrity checks, ' +
      'backups, refused attempts to reach personal data and the server’s record of every read of the audit trail show it; a failed check or backup with no successful re-run of the same job in time is a finding.',
    {
      evidence: [
        succeeded('integrity-verified', 'The integrity of stored data was verified', ['data.integrity.verified']),
        succeeded('backups-completed', 'A backup completed', ['backup.completed']),
        {
          id: 'personal-data-access-refused',
          kind: 'MATCH',
          description: 'An unauthorised attempt to reach personal data was refused',
          match: { categories: ['PII'], outcome: ['DENIED'] },
        },
        {
          id: 'audit-trail-reads-recorded',
          kind: 'MATCH',
          description: 'Reads of the audit trail, which holds personal data, are recorded: which key read what, and how much',
          match: {
            action: [{ equals: 'datapunk.log.read' }, { equals: 'datapunk.report.generated' }, { equals: 'datapunk.report.downloaded' }],
            outcome: ['SUCCESS'],
          },
        },
      ],
      violations: [
        failureNotRecovered(
          'failed-integrity-check-not-resolved',
          'An integrity check failed and no successful check of the same data followed in time',
          ['data.integrity.verified'],
        ),
        failureNotRecovered('failed-backup-not-recovered', 'A backup failed and no successful run of the same backup followed in time', [
          'backup.completed',
        ]),
      ],
    },
  ),
  child(
    'Art. 32',
    '(1)(c)',
    'Timely restoration after an incident',
    'Access to personal data can be restored quickly after a physical or technical incident. A successful restore test within the ' +
      'interval (by default a year) before the period ends shows it; a failed test not passed on a retest in time is a finding.',
    {
      evidence: [
        recent(
          'restore-tested',
          'Restoring from backup was tested successfully, recently',
          ['backup.restore.tested'],
          'restore-test-interval',
        ),
      ],
      violations: [
        failureNotRecovered(
          'failed-restore-test-not-retested',
          'A restore test failed and was not passed on a retest in time',
          ['backup.restore.tested'],
          'recovery-retest-window',
        ),
      ],
    },
  ),
  child(
    'Art. 32',
    '(1)(d)',
    'Regular testing of the measures',
    'The measures are tested and evaluated regularly. A vulnerability scan, restore test or contingency test within the interval ' +
      '(by default a quarter) before the period ends shows it; a failed scan not completed on a re-run in time is a finding.',
    {
      evidence: [
        recent(
          'measures-tested',
          'The security measures were tested recently by a vulnerability scan, restore test or contingency test',
          ['vulnerability.scan.completed', 'backup.restore.tested', 'contingency.test.completed'],
          'security-test-interval',
        ),
      ],
      violations: [
        failureNotRecovered('failed-scan-not-retried', 'A vulnerability scan failed and was not completed on a re-run in time', [
          'vulnerability.scan.completed',
        ]),
      ],
    },
  ),
  {
    id: 'Art. 33',
    title: 'Notification of a personal data breach to the supervisory authority',
    description:
      'Breaches of personal data are documented, notified to the supervisory authority by the controller and to the controller by ' +
      'a processor. The article is judged through paragraphs 1, 2, 3 and 5.',
    tags: ['security'],
    evidence: [],
    violations: [],
  },
  child(
    'Art. 33',
    '(1)',
    'Notification to the supervisory authority within 72 hours',
    'The controller notifies the authority without undue delay and within 72 hours of becoming aware, unless the breach is unlikely ' +
      'to put people at risk — a decision recorded on the detection as `notifiable: false`. A breach decided notifiable, or with no ' +
      'decision recorded, not notified successfully within the window is a finding.',
    {
      evidence: [
        answeredInTime(
          'notified-in-time',
          'A notifiable breach was notified successfully to the authority in time',
          breach({ path: 'notifiable', equals: true }),
          ['breach.notified.authority'],
          'breach-notification-window',
        ),
      ],
      violations: [
        answeredInTime(
          'breach-not-notified',
          'A notifiable breach not notified successfully to the authority in time (by default 72 hours)',
          breach({ path: 'notifiable', equals: true }),
          ['breach.notified.authority'],
          'breach-notification-window',
        ),
        answeredInTime(
          'undecided-breach-not-notified',
          'A breach with no recorded decision that it is unlikely to put people at risk, not notified successfully to the authority in time',
          breach({ path: 'notifiable', exists: false }),
          ['breach.notified.authority'],
          'breach-notification-window',
        ),
      ],
    },
  ),
  child(
    'Art. 33',
    '(2)',
    'Notification by the processor to the controller',
    'A processor tells the controller of a breach without undue delay after becoming aware of it. A breach of data processed for a ' +
      'controller (`controller` named on the detection) not followed by a successful notice to the controller within the window is a finding.',
    {
      evidence: [
        answeredInTime(
          'controller-told-in-time',
          'A breach of data processed for a controller was notified to that controller in time',
          breach({ path: 'controller', exists: true }),
          ['breach.notified.controller'],
          'processor-breach-notice-window',
        ),
      ],
      violations: [
        answeredInTime(
          'controller-not-told',
          'A breach of data processed for a controller not notified successfully to that controller in time (by default 24 hours)',
          breach({ path: 'controller', exists: true }),
          ['breach.notified.controller'],
          'processor-breach-notice-window',
        ),
      ],
    },
  ),
  child(
    'Art. 33',
    '(3)',
    'Content of the notification',
    'The notification describes the breach and the people and records concerned, names a contact, and states the likely ' +
      'consequences and the measures taken or proposed. Every successful notification to the authority carrying `nature`, ' +
      '`contact`, `consequences` and `measures` shows it.',
    {
      evidence: [
        {
          id: 'notifications-complete',
          kind: 'RATIO',
          description: 'Notifications to the authority describe the breach, a contact, its consequences and the measures',
          population: { action: [{ equals: 'breach.notified.authority' }], outcome: ['SUCCESS'] },
          qualifying: {
            metadata: [
              { path: 'nature', exists: true },
              { path: 'contact', exists: true },
              { path: 'consequences', exists: true },
              { path: 'measures', exists: true },
            ],
          },
          atLeast: 1,
        },
      ],
      violations: [],
    },
  ),
  child(
    'Art. 33',
    '(5)',
    'Documentation of breaches',
    'Every breach is documented — its facts, effects and remedy — so the authority can check compliance, whether or not it was ' +
      'notified. Every detection carrying the notification decision (`notifiable`) shows it; one without is a finding.',
    {
      evidence: [
        {
          id: 'breaches-decided',
          kind: 'RATIO',
          description: 'Every breach detected records the decision whether to notify it',
          population: breach(),
          qualifying: { metadata: [{ path: 'notifiable', exists: true }] },
          atLeast: 1,
        },
      ],
      violations: [
        {
          id: 'breach-undocumented',
          kind: 'RATIO',
          description: 'A breach detected with no decision whether to notify it',
          population: breach(),
          qualifying: { metadata: [{ path: 'notifiable', exists: true }] },
          atLeast: 1,
        },
      ],
    },
  ),
  {
    id: 'Art. 34',
    title: 'Communication of a personal data breach to the data subject',
    description:
      'When a breach is likely to put people at high risk (`highRisk: true` on the detection), the controller tells them without ' +
      'undue delay and in plain words, unless measures such as encryption made the data unintelligible. Such a breach not followed ' +
      'by a successful notification of the subjects within the window is a finding.',
    tags: ['security'],
    evidence: [
      succeeded('subjects-notified', 'Affected data subjects were notified of a breach', ['breach.notified.subjects']),
      answeredInTime(
        'high-risk-communicated',
        'A high-risk breach was communicated to the subjects in time',
        breach({ path: 'highRisk', equals: true }),
        ['breach.notified.subjects'],
        'subject-notification-window',
      ),
    ],
    violations: [
      answeredInTime(
        'high-risk-not-communicated',
        'A high-risk breach not communicated successfully to the affected subjects in time (by default 72 hours)',
        breach({ path: 'highRisk', equals: true }),
        ['breach.notified.subjects'],
        'subject-notification-window',
      ),
    ],
  },
];
