import type { CatalogControl } from '../../src/plugin-api';
import { failureNotRecovered } from './rules';

const action = (equals: string) => ({ equals });

/**
 * PI1: the additional criteria for processing integrity. Inputs, processing and outputs are
 * judged on their own events: a rejected or failed item is the control working, and a finding
 * only when nobody corrects it in time.
 */
export const processingIntegrityCriteria: CatalogControl[] = [
  {
    id: 'PI1.1',
    title: 'Processing specifications',
    description:
      'What the system is meant to process, and how, is written down and kept current: the data it takes in and its definitions, and the specifications of the products and services it delivers. ' +
      'Approved or updated processing specifications show the definitions are maintained; events alone cannot show they are the right ones.',
    tags: ['processing-integrity'],
    evidence: [
      {
        id: 'specifications-approved',
        kind: 'MATCH',
        description: 'A processing specification (data definitions, service specification) was approved or updated',
        match: { action: [action('processing.specification.approved')], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
  },
  {
    id: 'PI1.2',
    title: 'Complete and accurate inputs',
    description:
      'Inputs are checked on the way in, so that only complete and accurate data enters processing. ' +
      'Validated inputs and refused ones show the checks run; an input refused and not corrected and accepted in time is a finding.',
    tags: ['processing-integrity'],
    evidence: [
      {
        id: 'inputs-validated',
        kind: 'MATCH',
        description: 'An input passed its completeness and accuracy checks',
        match: { action: [action('data.input.validated')], outcome: ['SUCCESS'] },
      },
      {
        id: 'inputs-refused',
        kind: 'MATCH',
        description: 'An input that failed its checks was refused',
        match: { action: [action('data.input.rejected')] },
      },
    ],
    violations: [
      {
        id: 'refused-input-not-corrected',
        kind: 'NOT_FOLLOWED_BY',
        description: 'A refused input was not corrected and accepted in time',
        trigger: { action: [action('data.input.rejected')] },
        followUp: { action: [action('data.input.validated')], outcome: ['SUCCESS'] },
        within: { parameter: 'input-correction-window' },
        correlation: 'RESOURCE',
      },
    ],
  },
  {
    id: 'PI1.3',
    title: 'Complete, accurate and timely processing',
    description:
      'Processing runs as specified, completely, accurately and on time. ' +
      'The share of processing jobs that complete successfully shows it (organisation-defined; by default 99 %); a failed job not re-run successfully in time is a finding.',
    tags: ['processing-integrity'],
    evidence: [
      {
        id: 'jobs-succeed',
        kind: 'RATIO',
        description: 'Processing jobs complete successfully at the organisation-defined rate',
        population: { action: [action('job.completed')] },
        qualifying: { outcome: ['SUCCESS'] },
        atLeast: { parameter: 'processing-success-rate' },
      },
    ],
    violations: [
      failureNotRecovered('failed-job-not-rerun', 'A processing job failed and was not re-run successfully in time', ['job.completed']),
    ],
  },
  {
    id: 'PI1.4',
    title: 'Complete and accurate outputs, delivered to the intended parties',
    description:
      'What the system produces is complete and accurate and reaches only the people and systems it is meant for, when it should. ' +
      'Delivered outputs show it; an output whose delivery failed and was not delivered in time afterwards is a finding.',
    tags: ['processing-integrity'],
    evidence: [
      {
        id: 'outputs-delivered',
        kind: 'MATCH',
        description: 'An output was delivered to its intended recipient',
        match: { action: [action('output.delivered')], outcome: ['SUCCESS'] },
      },
    ],
    violations: [
      failureNotRecovered(
        'failed-delivery-not-recovered',
        'An output delivery failed and the output was not delivered in time afterwards',
        ['output.delivered'],
      ),
    ],
  },
  {
    id: 'PI1.5',
    title: 'Complete and accurate storage',
    description:
      'Data held by the system — inputs waiting, items in processing and outputs — stays complete and accurate for as long as it is kept. ' +
      'Integrity checks of stored data every month show it; a failed check not followed by a successful one of the same data in time (after a repair or restore) is a finding.',
    tags: ['processing-integrity'],
    evidence: [
      {
        id: 'integrity-verified-monthly',
        kind: 'AT_LEAST',
        description: 'Stored data passes an integrity check at least once a month',
        match: { action: [action('data.integrity.verified')], outcome: ['SUCCESS'] },
        count: 1,
        period: 'MONTH',
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
      { frameworkId: 'hipaa', controlId: '164.312(c)(1)', relationship: 'INTERSECTS' },
      { frameworkId: 'gdpr', controlId: 'Art. 5', relationship: 'INTERSECTS' },
    ],
  },
];
