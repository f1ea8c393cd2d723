import type { Control } from '../../src/plugin-api';

/** Chapter IV: duties of controllers and processors and their records (Art. 24–30). */
export const controllerAndProcessor: Control[] = [
  {
    id: 'Art. 24',
    title: 'Responsibility of the controller',
    description:
      'The controller must put in place technical and organisational measures suited to the risks of its processing, be able to ' +
      'show they work, and review them. Approved policies, staff acknowledgements and risk assessments, repeated every year, show it.',
    tags: ['controller-and-processor'],
    evidence: [
      {
        id: 'policies-approved',
        kind: 'MATCH',
        description: 'A data-protection or security policy was approved',
        match: { action: [{ equals: 'policy.approved' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'policies-acknowledged',
        kind: 'MATCH',
        description: 'Staff acknowledged a policy',
        match: { action: [{ equals: 'policy.acknowledged' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'risks-assessed',
        kind: 'MATCH',
        description: 'A risk assessment was completed',
        match: { action: [{ equals: 'risk.assessment.completed' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'measures-reviewed-yearly',
        kind: 'AT_LEAST',
        description: 'Policies or risk assessments are reviewed at least once a year',
        match: { action: [{ equals: 'policy.approved' }, { equals: 'risk.assessment.completed' }], outcome: ['SUCCESS'] },
        count: 1,
        period: 'YEAR',
      },
    ],
    violations: [],
  },
  {
    id: 'Art. 25',
    title: 'Data protection by design and by default',
    description:
      'Data protection must be built into systems from the design stage, for example through pseudonymisation, and by default only ' +
      'the data needed for each purpose may be processed and kept. Impact assessments, encryption of stored data and retention ' +
      'deletions show it.',
    tags: ['controller-and-processor'],
    evidence: [
      {
        id: 'impact-assessed',
        kind: 'MATCH',
        description: 'A data-protection impact assessment was approved',
        match: { action: [{ equals: 'dpia.completed' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'data-encrypted',
        kind: 'MATCH',
        description: 'Stored data was encrypted',
        match: { action: [{ equals: 'data.encrypted' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'retention-applied',
        kind: 'MATCH',
        description: 'Personal data past its retention period was deleted',
        match: { action: [{ equals: 'data.retention.applied' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
  },
  {
    id: 'Art. 28',
    title: 'Processor',
    description:
      'A controller may use only processors that give sufficient guarantees, bound by a written contract that fixes the ' +
      'processing, its safeguards and the use of sub-processors. Signed processor agreements and vendor reviews show it.',
    tags: ['controller-and-processor'],
    evidence: [
      {
        id: 'processor-agreements',
        kind: 'MATCH',
        description: 'A processor agreement was signed',
        match: { action: [{ equals: 'processor.agreement.signed' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'vendor-reviews',
        kind: 'MATCH',
        description: 'A processor or sub-processor review was completed',
        match: { action: [{ equals: 'vendor.review.completed' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
  },
  {
    id: 'Art. 30',
    title: 'Records of processing activities',
    description:
      'Controllers and processors must keep a written record of their processing activities, including purposes, categories of ' +
      'data and recipients, and show it to the supervisory authority on request; the small-organisation exemption does not cover ' +
      'special-category or criminal-offence data. Recorded processing of personal data and updates of the record show it.',
    tags: ['controller-and-processor'],
    evidence: [
      {
        id: 'activity-recorded',
        kind: 'MATCH',
        description: 'Processing of personal data is recorded',
        match: { categories: ['PII'] },
      },
      {
        id: 'sensitive-activity-recorded',
        kind: 'MATCH',
        description: 'Processing of special-category or criminal-offence data is recorded',
        match: { categories: ['SPECIAL_CATEGORY', 'CRIMINAL_OFFENCE'] },
      },
      {
        id: 'record-updated',
        kind: 'MATCH',
        description: 'The record of processing activities was updated',
        match: { action: [{ equals: 'processing.record.updated' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
  },
];

/** Chapter IV, section 3: impact assessment (Art. 35), listed after the security articles to keep article order. */
export const impactAssessment: Control[] = [
  {
    id: 'Art. 35',
    title: 'Data protection impact assessment',
    description:
      'Before processing likely to pose a high risk to people, such as profiling, large-scale processing of sensitive data or ' +
      'systematic monitoring of public areas, the controller must assess its impact and the measures against the risks. Approved ' +
      'impact assessments show it.',
    tags: ['controller-and-processor'],
    evidence: [
      {
        id: 'impact-assessed',
        kind: 'MATCH',
        description: 'A data-protection impact assessment was approved',
        match: { action: [{ equals: 'dpia.completed' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
  },
];
