import type { CatalogControl } from '../../src/plugin-api';
import { answeredInTime, recent, succeeded } from './rules';

/** Chapter IV: duties of controllers and processors and their records (Art. 24–30). */
export const controllerAndProcessor: CatalogControl[] = [
  {
    id: 'Art. 24',
    title: 'Responsibility of the controller',
    description:
      'The controller puts in place measures that fit the risks of its processing, can show they work, and reviews them. A policy ' +
      'or risk assessment approved within the review interval (by default a year) before the period ends shows the review; ' +
      'approvals and staff acknowledgements show the measures in place.',
    tags: ['controller-and-processor'],
    evidence: [
      succeeded('policies-approved', 'A data-protection or security policy was approved', ['policy.approved']),
      succeeded('policies-acknowledged', 'Staff acknowledged a policy', ['policy.acknowledged']),
      recent(
        'measures-reviewed',
        'A policy or risk assessment was approved recently',
        ['policy.approved', 'risk.assessment.completed'],
        'policy-review-interval',
      ),
    ],
    violations: [],
  },
  {
    id: 'Art. 25',
    title: 'Data protection by design and by default',
    description:
      'Protection is designed into systems from the start, for example by pseudonymisation, and by default each purpose gets only ' +
      'the data it needs, kept only as long as it needs. Impact assessments, encryption of stored data and retention deletions show it.',
    tags: ['controller-and-processor'],
    evidence: [
      succeeded('impact-assessed', 'A data-protection impact assessment was approved', ['dpia.completed']),
      succeeded('data-encrypted', 'Stored data was encrypted', ['data.encrypted']),
      succeeded('retention-applied', 'Personal data past its retention period was deleted', ['data.retention.applied']),
    ],
    violations: [],
  },
  {
    id: 'Art. 28',
    title: 'Processor',
    description:
      'A controller uses only processors that give sufficient guarantees, bound by a written contract that fixes the processing, ' +
      'its safeguards and the use of sub-processors, and checks them. Signed agreements show the contracts; a processor review ' +
      'within the review interval (by default a year) before the period ends shows the checks.',
    tags: ['controller-and-processor'],
    evidence: [
      succeeded('processor-agreements', 'A processor agreement was signed', ['processor.agreement.signed']),
      recent(
        'processors-reviewed',
        'A processor or sub-processor review was completed recently',
        ['vendor.review.completed'],
        'processor-review-interval',
      ),
    ],
    violations: [],
  },
  {
    id: 'Art. 30',
    title: 'Records of processing activities',
    description:
      'Controllers and processors keep a register of their processing activities — purposes, categories of data and subjects, ' +
      'recipients, transfers, retention and security measures — and show it to the supervisory authority on request. The register ' +
      'is a document, not an activity log: an update of it within the interval (by default a year) before the period ends shows it kept.',
    tags: ['controller-and-processor'],
    evidence: [
      recent(
        'record-current',
        'The record of processing activities was updated recently',
        ['processing.record.updated'],
        'processing-record-interval',
      ),
      succeeded('record-updated', 'The record of processing activities was updated', ['processing.record.updated']),
    ],
    violations: [],
  },
];

/** Chapter IV, section 3: impact assessment and prior consultation (Art. 35–36), listed after the security articles to keep article order. */
export const impactAssessment: CatalogControl[] = [
  {
    id: 'Art. 35',
    title: 'Data protection impact assessment',
    description:
      'Before processing likely to put people at high risk, such as profiling, large-scale use of sensitive data or systematic ' +
      'monitoring of public areas, the controller assesses its impact and the measures against the risks. Approved impact ' +
      'assessments show it.',
    tags: ['controller-and-processor'],
    evidence: [succeeded('impact-assessed', 'A data-protection impact assessment was approved', ['dpia.completed'])],
    violations: [],
  },
  {
    id: 'Art. 36',
    title: 'Prior consultation',
    description:
      'When an impact assessment finds that the processing would still pose a high risk without further measures ' +
      '(`residualRisk: high`), the controller consults the supervisory authority before starting it. Each such assessment needs a ' +
      'consultation for the same assessment within the window.',
    tags: ['controller-and-processor'],
    evidence: [
      answeredInTime(
        'high-risk-consulted',
        'An impact assessment with a high residual risk was followed by a consultation of the authority in time',
        { action: [{ equals: 'dpia.completed' }], outcome: ['SUCCESS'], metadata: [{ path: 'residualRisk', equals: 'high' }] },
        ['authority.consulted'],
        'prior-consultation-window',
      ),
    ],
    violations: [
      answeredInTime(
        'high-risk-not-consulted',
        'An impact assessment with a high residual risk not followed by a consultation of the authority in time (by default 30 days)',
        { action: [{ equals: 'dpia.completed' }], outcome: ['SUCCESS'], metadata: [{ path: 'residualRisk', equals: 'high' }] },
        ['authority.consulted'],
        'prior-consultation-window',
      ),
    ],
  },
];
