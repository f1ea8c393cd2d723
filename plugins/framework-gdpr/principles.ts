import type { CatalogControl } from '../../src/plugin-api';
import { SPECIAL_CATEGORIES, failureNotRecovered, processingAfter, recent, succeeded } from './rules';

const paragraph = (letter: string, title: string, description: string, rules: Pick<CatalogControl, 'evidence' | 'violations'>) => ({
  id: `Art. 5(1)(${letter})`,
  parentId: 'Art. 5',
  title,
  description,
  tags: ['principles'],
  ...rules,
});

/** Chapter II: principles, lawfulness, consent, special categories and criminal-offence data (Art. 5–10). */
export const principles: CatalogControl[] = [
  {
    id: 'Art. 5',
    title: 'Principles relating to processing of personal data',
    description:
      'Six principles govern every use of personal data, and the controller answers for all of them (Art. 5(2)). The article is ' +
      'judged through its paragraphs (a) to (f); it holds when each of them does.',
    tags: ['principles'],
    evidence: [],
    violations: [],
  },
  paragraph(
    'a',
    'Lawfulness, fairness and transparency',
    'People are told openly who uses their data and why, and the use rests on a lawful basis. Privacy notices given and consents ' +
      'recorded show it at work; the duties behind it are tested in Art. 6, 7, 13 and 14.',
    {
      evidence: [
        succeeded('notices-provided', 'A data subject was given the privacy notice', ['privacy.notice.provided']),
        succeeded('consent-given', 'A data subject gave consent', ['consent.given']),
      ],
      violations: [],
    },
  ),
  paragraph(
    'b',
    'Purpose limitation',
    'Data collected for a stated purpose is not reused for an unrelated one. The purposes are stated in the record of processing, ' +
      'which must have been brought up to date within the organisation’s interval (by default a year) before the period ends.',
    {
      evidence: [
        recent(
          'purposes-recorded',
          'The record of processing, which states each purpose, was updated recently',
          ['processing.record.updated'],
          'processing-record-interval',
        ),
      ],
      violations: [],
    },
  ),
  paragraph(
    'c',
    'Data minimisation',
    'Only the data a purpose needs is collected and kept. Approved impact assessments, which weigh necessity and proportionality, show it considered.',
    { evidence: [succeeded('impact-assessed', 'A data-protection impact assessment was approved', ['dpia.completed'])], violations: [] },
  ),
  paragraph(
    'd',
    'Accuracy',
    'Data is kept correct and up to date, and wrong data is fixed or deleted promptly. Corrections and integrity checks show it; a ' +
      'failed check not passed on a re-run in time is a finding.',
    {
      evidence: [
        succeeded('data-rectified', 'Inaccurate personal data was corrected', ['data.rectified']),
        succeeded('integrity-verified', 'The integrity of stored data was verified', ['data.integrity.verified']),
      ],
      violations: [
        failureNotRecovered(
          'failed-integrity-check-not-resolved',
          'An integrity check of stored data failed and no successful check of the same data followed in time',
          ['data.integrity.verified'],
        ),
      ],
    },
  ),
  paragraph(
    'e',
    'Storage limitation',
    'Data that identifies people is kept no longer than its purpose needs. Retention deletions must run without a longer gap than ' +
      'the organisation’s interval (by default 31 days); a failed deletion not completed on a retry in time is a finding.',
    {
      evidence: [
        {
          id: 'retention-runs',
          kind: 'MAX_GAP',
          description: 'Data past its retention period is deleted with no longer gap than the retention interval',
          match: { action: [{ equals: 'data.retention.applied' }], outcome: ['SUCCESS'] },
          maxGap: { parameter: 'retention-run-interval' },
        },
      ],
      violations: [
        failureNotRecovered(
          'failed-retention-not-retried',
          'A deletion of data past its retention period failed and was not completed on a retry in time',
          ['data.retention.applied'],
        ),
      ],
    },
  ),
  paragraph(
    'f',
    'Integrity and confidentiality',
    'Data is protected against unauthorised use, loss and damage. Encryption and refused attempts to reach personal data show the ' +
      'protection working; a failed encryption not completed on a re-run in time is a finding. Art. 32 tests the measures.',
    {
      evidence: [
        succeeded('data-encrypted', 'Stored data was encrypted', ['data.encrypted']),
        {
          id: 'access-refused',
          kind: 'MATCH',
          description: 'An unauthorised attempt to reach personal data was refused',
          match: { categories: ['PII'], outcome: ['DENIED'] },
        },
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
  {
    id: 'Art. 6',
    title: 'Lawfulness of processing',
    description:
      'Each use of personal data needs one of six legal bases — consent, a contract, a legal duty, vital interests, a public task ' +
      'or legitimate interests — and the basis of each activity is written in the record of processing, which must be current.',
    tags: ['principles'],
    evidence: [
      succeeded('consent-given', 'A data subject gave consent to processing', ['consent.given']),
      recent(
        'bases-recorded',
        'The record of processing, which names the basis of each activity, was updated recently',
        ['processing.record.updated'],
        'processing-record-interval',
      ),
    ],
    violations: [],
  },
  {
    id: 'Art. 7',
    title: 'Conditions for consent',
    description:
      'Where processing rests on consent, the controller can show it was given, and withdrawing it is as easy as giving it. Once a ' +
      'subject withdraws, processing of their data on consent stops (7(3)): such processing afterwards is a finding, as is a failed ' +
      'withdrawal not completed on a retry in time.',
    tags: ['principles'],
    evidence: [
      succeeded('consent-given', "A data subject's consent was recorded", ['consent.given']),
      succeeded('consent-withdrawn', "A data subject's withdrawal of consent was recorded", ['consent.withdrawn']),
    ],
    violations: [
      processingAfter(
        'processing-after-withdrawal',
        "The subject's data was processed on consent after the subject withdrew it",
        { action: [{ equals: 'consent.withdrawn' }], outcome: ['SUCCESS'] },
        ['consent'],
        'consent-withdrawal-watch',
      ),
      failureNotRecovered('failed-withdrawal-not-retried', 'A withdrawal of consent failed and was not completed on a retry in time', [
        'consent.withdrawn',
      ]),
    ],
  },
  {
    id: 'Art. 9',
    title: 'Processing of special categories of personal data',
    description:
      'Health, genetic and biometric data, and data revealing ethnic origin, opinions, beliefs, union membership or sex life, may ' +
      'be used only under a narrow exception such as explicit consent. Events tagged SPECIAL_CATEGORY or PHI (health data is ' +
      'special-category data) show such processing recorded, consented to and shielded from unauthorised access.',
    tags: ['principles', 'special-categories'],
    evidence: [
      succeeded('special-category-consent', 'Explicit consent to processing of special-category data was recorded', ['consent.given'], {
        categories: SPECIAL_CATEGORIES,
      }),
      {
        id: 'special-category-processing-recorded',
        kind: 'MATCH',
        description: 'Processing of special-category data, health data included, is recorded',
        match: { categories: SPECIAL_CATEGORIES, outcome: ['SUCCESS'] },
      },
      {
        id: 'special-category-access-refused',
        kind: 'MATCH',
        description: 'An unauthorised attempt to reach special-category data was refused',
        match: { categories: SPECIAL_CATEGORIES, outcome: ['DENIED'] },
      },
    ],
    violations: [],
  },
  {
    id: 'Art. 10',
    title: 'Processing of personal data relating to criminal convictions and offences',
    description:
      'Data about convictions, offences and related security measures may be used only under official authority or where a law ' +
      'allows it with safeguards. Events tagged CRIMINAL_OFFENCE show such processing recorded and unauthorised access refused.',
    tags: ['principles', 'special-categories'],
    evidence: [
      {
        id: 'criminal-offence-processing-recorded',
        kind: 'MATCH',
        description: 'Processing of criminal-offence data is recorded',
        match: { categories: ['CRIMINAL_OFFENCE'], outcome: ['SUCCESS'] },
      },
      {
        id: 'criminal-offence-access-refused',
        kind: 'MATCH',
        description: 'An unauthorised attempt to reach criminal-offence data was refused',
        match: { categories: ['CRIMINAL_OFFENCE'], outcome: ['DENIED'] },
      },
    ],
    violations: [],
  },
];
