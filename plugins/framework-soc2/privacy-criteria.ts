import type { CatalogControl } from '../../src/plugin-api';
import { failureNotRecovered } from './rules';

/** P1–P8: the additional criteria for privacy. */
export const privacyCriteria: CatalogControl[] = [
  {
    id: 'P1.1',
    title: 'Privacy notice',
    description:
      'Data subjects are told, in time and in a form they can follow, how the entity handles their personal information. ' +
      'Approved privacy policies and consents given after notice show it.',
    tags: ['privacy'],
    evidence: [
      {
        id: 'policies-approved',
        kind: 'MATCH',
        description: 'A privacy policy or notice was approved',
        match: { action: [{ equals: 'policy.approved' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'consent-given',
        kind: 'MATCH',
        description: 'A data subject gave consent after being informed',
        match: { action: [{ equals: 'consent.given' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [{ frameworkId: 'gdpr', controlId: 'Art. 12', relationship: 'INTERSECTS' }],
  },
  {
    id: 'P2.1',
    title: 'Choice and consent',
    description:
      'Data subjects learn what choices they have about how their personal information is collected, used, kept and shared, and their consent is obtained and recorded. ' +
      'Consents given and withdrawn, and objections received, show the choices are honoured.',
    tags: ['privacy'],
    evidence: [
      {
        id: 'consent-recorded',
        kind: 'MATCH',
        description: 'A data subject gave or withdrew consent',
        match: { action: [{ equals: 'consent.given' }, { equals: 'consent.withdrawn' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'objections-recorded',
        kind: 'MATCH',
        description: 'A data subject objected to processing',
        match: { action: [{ equals: 'processing.objection.received' }] },
      },
    ],
    violations: [],
    mappings: [
      { frameworkId: 'gdpr', controlId: 'Art. 6', relationship: 'INTERSECTS' },
      { frameworkId: 'gdpr', controlId: 'Art. 7', relationship: 'INTERSECTS' },
      { frameworkId: 'gdpr', controlId: 'Art. 21', relationship: 'INTERSECTS' },
    ],
  },
  {
    id: 'P3.1',
    title: 'Collection limited to objectives',
    description:
      'Personal information is collected only as far as the entity’s privacy objectives need. ' +
      'An up-to-date record of processing and completed impact assessments show collection is scoped.',
    tags: ['privacy'],
    evidence: [
      {
        id: 'processing-record-updated',
        kind: 'MATCH',
        description: 'The record of processing activities was updated',
        match: { action: [{ equals: 'processing.record.updated' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'dpia-completed',
        kind: 'MATCH',
        description: 'A data-protection impact assessment was approved',
        match: { action: [{ equals: 'dpia.completed' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [
      { frameworkId: 'gdpr', controlId: 'Art. 5', relationship: 'INTERSECTS' },
      { frameworkId: 'gdpr', controlId: 'Art. 6', relationship: 'INTERSECTS' },
    ],
  },
  {
    id: 'P3.2',
    title: 'Explicit consent for collection',
    description:
      'Where explicit consent is needed, it is obtained and recorded, after the subject is told why the information is collected. ' +
      'Recorded consents show it.',
    tags: ['privacy'],
    evidence: [
      {
        id: 'consent-given',
        kind: 'MATCH',
        description: 'A data subject gave consent',
        match: { action: [{ equals: 'consent.given' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [
      { frameworkId: 'gdpr', controlId: 'Art. 7', relationship: 'INTERSECTS' },
      { frameworkId: 'gdpr', controlId: 'Art. 9', relationship: 'INTERSECTS' },
    ],
  },
  {
    id: 'P4.1',
    title: 'Use limited to objectives',
    description:
      'Personal information is used only for the purposes the entity’s privacy objectives allow. ' +
      'An up-to-date record of processing and recorded restrictions of processing show use is limited.',
    tags: ['privacy'],
    evidence: [
      {
        id: 'processing-record-updated',
        kind: 'MATCH',
        description: 'The record of processing activities was updated',
        match: { action: [{ equals: 'processing.record.updated' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'processing-restricted',
        kind: 'MATCH',
        description: 'Processing of a data subject’s data was restricted',
        match: { action: [{ equals: 'data.restricted' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [
      { frameworkId: 'gdpr', controlId: 'Art. 5', relationship: 'INTERSECTS' },
      { frameworkId: 'gdpr', controlId: 'Art. 18', relationship: 'INTERSECTS' },
    ],
  },
  {
    id: 'P4.2',
    title: 'Retention',
    description:
      'Personal information is kept no longer than the entity’s privacy objectives need. ' +
      'Deletions of data past its retention period show it; a failed retention deletion not completed on a retry in time is a finding.',
    tags: ['privacy'],
    evidence: [
      {
        id: 'retention-applied',
        kind: 'MATCH',
        description: 'Data past its retention period was deleted',
        match: { action: [{ equals: 'data.retention.applied' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [
      failureNotRecovered(
        'failed-retention-not-retried',
        'A deletion of data past its retention period failed and was not completed on a retry in time',
        ['data.retention.applied'],
      ),
    ],
    mappings: [{ frameworkId: 'gdpr', controlId: 'Art. 5', relationship: 'INTERSECTS' }],
  },
  {
    id: 'P4.3',
    title: 'Secure disposal',
    description:
      'Personal information is disposed of securely, including when a data subject asks for it to be erased. ' +
      'Recorded erasures show it; a failed erasure is a finding.',
    tags: ['privacy'],
    evidence: [
      {
        id: 'data-erased',
        kind: 'MATCH',
        description: 'Personal data was erased',
        match: { action: [{ equals: 'data.erased' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [
      failureNotRecovered('failed-erasure-not-retried', 'An erasure of personal data failed and was not completed on a retry in time', [
        'data.erased',
      ]),
    ],
    mappings: [
      { frameworkId: 'gdpr', controlId: 'Art. 17', relationship: 'INTERSECTS' },
      { frameworkId: 'hipaa', controlId: '164.310(d)(2)(i)', relationship: 'INTERSECTS' },
    ],
  },
  {
    id: 'P5.1',
    title: 'Access by data subjects',
    description:
      'Identified and authenticated data subjects can see the personal information held about them, and are told the reason when access is refused. ' +
      'Fulfilled data-subject requests show it; a request not fulfilled successfully in time (by default 30 days) is a finding.',
    tags: ['privacy'],
    evidence: [
      {
        id: 'dsar-fulfilled',
        kind: 'MATCH',
        description: 'A data-subject request was fulfilled',
        match: { action: [{ equals: 'dsar.fulfilled' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [
      {
        id: 'dsar-unfulfilled',
        kind: 'NOT_FOLLOWED_BY',
        description: 'A data-subject request not fulfilled successfully in time (organisation-defined; by default 30 days)',
        trigger: { action: [{ equals: 'dsar.received' }] },
        followUp: { action: [{ equals: 'dsar.fulfilled' }], outcome: ['SUCCESS'] },
        within: { parameter: 'dsar-response-window' },
        correlation: 'RESOURCE',
      },
    ],
    mappings: [
      { frameworkId: 'gdpr', controlId: 'Art. 15', relationship: 'INTERSECTS' },
      { frameworkId: 'gdpr', controlId: 'Art. 12', relationship: 'INTERSECTS' },
      { frameworkId: 'gdpr', controlId: 'Art. 20', relationship: 'INTERSECTS' },
    ],
  },
  {
    id: 'P5.2',
    title: 'Correction of personal information',
    description:
      'Data subjects can have their personal information corrected or completed, and corrections are passed on to third parties that received the data. ' +
      'Recorded rectifications show it.',
    tags: ['privacy'],
    evidence: [
      {
        id: 'data-rectified',
        kind: 'MATCH',
        description: 'Personal data was corrected at a data subject’s request',
        match: { action: [{ equals: 'data.rectified' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [
      { frameworkId: 'gdpr', controlId: 'Art. 16', relationship: 'INTERSECTS' },
      { frameworkId: 'gdpr', controlId: 'Art. 19', relationship: 'INTERSECTS' },
    ],
  },
  {
    id: 'P6.1',
    title: 'Disclosure to third parties',
    description:
      'Personal information is shared with third parties only for the purposes given and with the subject’s consent where needed. ' +
      'Signed processor agreements and recorded transfers show disclosures are governed.',
    tags: ['privacy'],
    evidence: [
      {
        id: 'agreements-signed',
        kind: 'MATCH',
        description: 'A processor agreement was signed',
        match: { action: [{ equals: 'processor.agreement.signed' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'international-transfers',
        kind: 'MATCH',
        description: 'A transfer of personal data outside the EEA was recorded',
        match: { action: [{ equals: 'data.transfer.international' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [
      { frameworkId: 'gdpr', controlId: 'Art. 28', relationship: 'INTERSECTS' },
      { frameworkId: 'gdpr', controlId: 'Art. 44', relationship: 'INTERSECTS' },
    ],
  },
  {
    id: 'P6.2',
    title: 'Record of authorized disclosures',
    description:
      'Every authorised release of personal information to someone outside the entity is written down when it happens, with enough detail to answer later who received what. ' +
      'Recorded exports and transfers of personal data make up that register.',
    tags: ['privacy'],
    evidence: [
      {
        id: 'personal-data-exported',
        kind: 'MATCH',
        description: 'An export of personal data was recorded',
        match: { action: [{ equals: 'data.export' }], outcome: ['SUCCESS'], categories: ['PII'] },
      },
      {
        id: 'international-transfers',
        kind: 'MATCH',
        description: 'A transfer of personal data outside the EEA was recorded',
        match: { action: [{ equals: 'data.transfer.international' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [{ frameworkId: 'gdpr', controlId: 'Art. 30', relationship: 'INTERSECTS' }],
  },
  {
    id: 'P6.3',
    title: 'Record of unauthorized disclosures',
    description:
      'Personal information that reached someone it should not have — a breach found internally or one reported from outside — is logged as soon as it is known, so that none is lost or played down. ' +
      'Recorded breach detections make up that log.',
    tags: ['privacy'],
    evidence: [
      {
        id: 'breaches-recorded',
        kind: 'MATCH',
        description: 'A personal-data breach was recorded',
        match: { action: [{ equals: 'breach.detected' }] },
      },
    ],
    violations: [],
    mappings: [{ frameworkId: 'gdpr', controlId: 'Art. 33', relationship: 'INTERSECTS' }],
  },
  {
    id: 'P6.4',
    title: 'Privacy commitments of vendors',
    description:
      'Vendors and other third parties that receive personal information commit to protecting it, and their compliance is checked from time to time. ' +
      'Signed processor agreements and vendor reviews show it.',
    tags: ['privacy'],
    evidence: [
      {
        id: 'agreements-signed',
        kind: 'MATCH',
        description: 'A processor agreement was signed',
        match: { action: [{ equals: 'processor.agreement.signed' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'vendors-reviewed',
        kind: 'MATCH',
        description: 'A vendor or sub-processor review was completed',
        match: { action: [{ equals: 'vendor.review.completed' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [
      { frameworkId: 'gdpr', controlId: 'Art. 28', relationship: 'INTERSECTS' },
      { frameworkId: 'hipaa', controlId: '164.308(b)(1)', relationship: 'INTERSECTS' },
      { frameworkId: 'hipaa', controlId: '164.314(a)(1)', relationship: 'INTERSECTS' },
    ],
  },
  {
    id: 'P6.5',
    title: 'Vendor notification of unauthorized disclosures',
    description:
      'Vendors and other third parties holding personal information commit to telling the entity about actual or suspected unauthorised disclosures. ' +
      'Signed processor agreements carrying that duty show it.',
    tags: ['privacy'],
    evidence: [
      {
        id: 'agreements-signed',
        kind: 'MATCH',
        description: 'A processor agreement, including a duty to report breaches, was signed',
        match: { action: [{ equals: 'processor.agreement.signed' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [
      { frameworkId: 'gdpr', controlId: 'Art. 28', relationship: 'INTERSECTS' },
      { frameworkId: 'gdpr', controlId: 'Art. 33', relationship: 'INTERSECTS' },
      { frameworkId: 'hipaa', controlId: '164.314(a)(2)(i)', relationship: 'INTERSECTS' },
    ],
  },
  {
    id: 'P6.6',
    title: 'Notification of breaches and incidents',
    description:
      'Affected data subjects, regulators and others are notified of breaches and incidents as the entity’s commitments and the law require. ' +
      'Recorded notifications show it; a breach not notified successfully to the authority in time (by default 72 hours) is a finding.',
    tags: ['privacy'],
    evidence: [
      {
        id: 'breaches-notified',
        kind: 'MATCH',
        description: 'A breach was notified to the authority or to the data subjects',
        match: { action: [{ equals: 'breach.notified.authority' }, { equals: 'breach.notified.subjects' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [
      {
        id: 'breach-not-notified',
        kind: 'NOT_FOLLOWED_BY',
        description: 'A breach not notified successfully to the authority in time (organisation-defined; by default 72 hours)',
        trigger: { action: [{ equals: 'breach.detected' }] },
        followUp: { action: [{ equals: 'breach.notified.authority' }], outcome: ['SUCCESS'] },
        within: { parameter: 'breach-notification-window' },
        correlation: 'RESOURCE',
      },
    ],
    mappings: [
      { frameworkId: 'gdpr', controlId: 'Art. 33', relationship: 'INTERSECTS' },
      { frameworkId: 'gdpr', controlId: 'Art. 34', relationship: 'INTERSECTS' },
    ],
  },
  {
    id: 'P6.7',
    title: 'Accounting of personal information',
    description:
      'On request, data subjects get an account of the personal information held about them and of its disclosures. ' +
      'Fulfilled data-subject requests show it.',
    tags: ['privacy'],
    evidence: [
      {
        id: 'dsar-fulfilled',
        kind: 'MATCH',
        description: 'A data-subject request was fulfilled',
        match: { action: [{ equals: 'dsar.fulfilled' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [{ frameworkId: 'gdpr', controlId: 'Art. 15', relationship: 'INTERSECTS' }],
  },
  {
    id: 'P7.1',
    title: 'Data quality',
    description:
      'Personal information is kept accurate, current, complete and relevant to its purpose. ' +
      'Recorded corrections and integrity checks show it; a failed integrity check is a finding.',
    tags: ['privacy'],
    evidence: [
      {
        id: 'data-rectified',
        kind: 'MATCH',
        description: 'Personal data was corrected',
        match: { action: [{ equals: 'data.rectified' }], outcome: ['SUCCESS'] },
      },
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
    mappings: [
      { frameworkId: 'gdpr', controlId: 'Art. 5', relationship: 'INTERSECTS' },
      { frameworkId: 'gdpr', controlId: 'Art. 16', relationship: 'INTERSECTS' },
    ],
  },
  {
    id: 'P8.1',
    title: 'Inquiries, complaints and disputes',
    description:
      'The entity has a way for data subjects to raise privacy questions, complaints and disputes, and answers them. ' +
      'Received data-subject requests and objections show the channel is used.',
    tags: ['privacy'],
    evidence: [
      {
        id: 'requests-received',
        kind: 'MATCH',
        description: 'A data-subject request or objection was received',
        match: { action: [{ equals: 'dsar.received' }, { equals: 'processing.objection.received' }] },
      },
    ],
    violations: [],
    mappings: [{ frameworkId: 'gdpr', controlId: 'Art. 12', relationship: 'INTERSECTS' }],
  },
];
