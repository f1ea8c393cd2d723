import type { Control } from '../../src/plugin-api';

/** Chapter II: principles, lawfulness, consent and special categories (Art. 5–9). */
export const principles: Control[] = [
  {
    id: 'Art. 5',
    title: 'Principles relating to processing of personal data',
    description:
      'Personal data must be handled lawfully, fairly and openly, for stated purposes only, kept to what is needed, accurate, ' +
      'deleted when no longer needed and protected against loss or misuse, and the controller must be able to prove all of this. ' +
      'Retention deletions, corrections and integrity checks in the audit trail show these principles at work.',
    tags: ['principles'],
    evidence: [
      {
        id: 'retention-applied',
        kind: 'MATCH',
        description: 'Personal data past its retention period was deleted',
        match: { action: [{ equals: 'data.retention.applied' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'data-rectified',
        kind: 'MATCH',
        description: 'Inaccurate personal data was corrected',
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
      {
        id: 'retention-failed',
        kind: 'MATCH',
        description: 'A deletion of data past its retention period failed',
        match: { action: [{ equals: 'data.retention.applied' }], outcome: ['FAILURE', 'ERROR'] },
      },
      {
        id: 'integrity-check-failed',
        kind: 'MATCH',
        description: 'An integrity check of stored data failed',
        match: { action: [{ equals: 'data.integrity.verified' }], outcome: ['FAILURE', 'ERROR'] },
      },
    ],
  },
  {
    id: 'Art. 6',
    title: 'Lawfulness of processing',
    description:
      "Every processing of personal data needs a legal basis, such as the subject's consent, a contract, a legal duty or a legitimate " +
      "interest. Recorded consents and an up-to-date record of processing that names each activity's basis show it.",
    tags: ['principles'],
    evidence: [
      {
        id: 'consent-given',
        kind: 'MATCH',
        description: 'A data subject gave consent to processing',
        match: { action: [{ equals: 'consent.given' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'processing-basis-documented',
        kind: 'MATCH',
        description: 'The record of processing activities, which states the legal basis of each activity, was updated',
        match: { action: [{ equals: 'processing.record.updated' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
  },
  {
    id: 'Art. 7',
    title: 'Conditions for consent',
    description:
      'Where processing rests on consent, the controller must be able to show that the subject gave it, and the subject must be able ' +
      'to withdraw it at any time as easily as it was given. Recorded grants and withdrawals of consent show this; a withdrawal that ' +
      'fails is a finding.',
    tags: ['principles'],
    evidence: [
      {
        id: 'consent-given',
        kind: 'MATCH',
        description: "A data subject's consent was recorded",
        match: { action: [{ equals: 'consent.given' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'consent-withdrawn',
        kind: 'MATCH',
        description: "A data subject's withdrawal of consent was recorded",
        match: { action: [{ equals: 'consent.withdrawn' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [
      {
        id: 'consent-withdrawal-failed',
        kind: 'MATCH',
        description: 'A data subject tried to withdraw consent and the withdrawal did not go through',
        match: { action: [{ equals: 'consent.withdrawn' }], outcome: ['FAILURE', 'DENIED', 'ERROR'] },
      },
    ],
  },
  {
    id: 'Art. 9',
    title: 'Processing of special categories of personal data',
    description:
      'Data revealing health, ethnic origin, political or religious views, trade-union membership, sex life or orientation, and ' +
      'genetic or biometric identifiers may be processed only under a narrow exception such as explicit consent. Events tagged ' +
      'SPECIAL_CATEGORY show such processing being recorded, consented to and shielded from unauthorised access.',
    tags: ['principles', 'special-categories'],
    evidence: [
      {
        id: 'special-category-consent',
        kind: 'MATCH',
        description: 'Explicit consent to processing of special-category data was recorded',
        match: { action: [{ equals: 'consent.given' }], outcome: ['SUCCESS'], categories: ['SPECIAL_CATEGORY'] },
      },
      {
        id: 'special-category-processing-recorded',
        kind: 'MATCH',
        description: 'Processing of special-category data is recorded',
        match: { categories: ['SPECIAL_CATEGORY'], outcome: ['SUCCESS'] },
      },
      {
        id: 'special-category-access-refused',
        kind: 'MATCH',
        description: 'Unauthorised attempts to reach special-category data were refused',
        match: { categories: ['SPECIAL_CATEGORY'], outcome: ['DENIED'] },
      },
    ],
    violations: [],
  },
];
