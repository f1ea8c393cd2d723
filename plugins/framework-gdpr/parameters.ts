import type { FrameworkParameter } from '../../src/plugin-api';

const year = (id: string, description: string): FrameworkParameter => ({
  id,
  type: 'DURATION',
  description,
  default: { days: 365 },
  min: { days: 30 },
  max: { days: 731 },
});

/**
 * The windows the GDPR fixes ("72 hours", "one month") or leaves to the organisation ("without
 * undue delay", "regularly"). A legal deadline is the default and the upper bound: a tenant may set
 * a stricter policy, never a looser one. A tenant sets its own with `setFrameworkParameters`.
 */
export const parameters: FrameworkParameter[] = [
  {
    id: 'dsar-response-window',
    type: 'DURATION',
    description: 'Time to fulfil a data-subject request, or to tell the subject it is extended and why (Art. 12(3), 15–18, 20, 21)',
    default: { days: 30 },
    min: { days: 1 },
    max: { days: 31 },
  },
  {
    id: 'dsar-extended-response-window',
    type: 'DURATION',
    description: 'The latest a data-subject request may be fulfilled when it was extended (Art. 12(3): two further months)',
    default: { days: 90 },
    min: { days: 1 },
    max: { days: 92 },
  },
  {
    id: 'breach-notification-window',
    type: 'DURATION',
    description: 'Time to notify the supervisory authority of a breach after becoming aware of it (Art. 33(1))',
    default: { hours: 72 },
    min: { hours: 1 },
    max: { hours: 72 },
  },
  {
    id: 'processor-breach-notice-window',
    type: 'DURATION',
    description:
      'Time for a processor to tell its controller of a breach, "without undue delay" as the processor agreement fixes it (Art. 33(2))',
    default: { hours: 24 },
    min: { hours: 1 },
    max: { hours: 72 },
  },
  {
    id: 'subject-notification-window',
    type: 'DURATION',
    description: 'Time to tell the data subjects of a breach likely to put them at high risk (Art. 34(1))',
    default: { hours: 72 },
    min: { hours: 1 },
    max: { days: 30 },
  },
  {
    id: 'consent-withdrawal-watch',
    type: 'DURATION',
    description: 'How long after a withdrawal of consent processing of the subject’s data on consent is still a finding (Art. 7(3))',
    default: { days: 90 },
    min: { days: 1 },
  },
  {
    id: 'objection-watch',
    type: 'DURATION',
    description:
      'How long after an objection processing of the subject’s data on legitimate interests or a public task is still a finding (Art. 21)',
    default: { days: 90 },
    min: { days: 1 },
  },
  {
    id: 'notice-before-collection',
    type: 'DURATION',
    description: 'How long before personal data is collected from the subject the privacy notice may have been given (Art. 13)',
    default: { hours: 24 },
    min: { minutes: 1 },
    max: { days: 365 },
  },
  {
    id: 'indirect-notice-window',
    type: 'DURATION',
    description: 'Time to inform the subject after obtaining personal data from someone else (Art. 14(3): at the latest one month)',
    default: { days: 30 },
    min: { days: 1 },
    max: { days: 31 },
  },
  {
    id: 'prior-consultation-window',
    type: 'DURATION',
    description: 'Time to consult the supervisory authority after an impact assessment finds a high residual risk (Art. 36(1))',
    default: { days: 30 },
    min: { days: 1 },
    max: { days: 365 },
  },
  {
    id: 'failed-job-retry-window',
    type: 'DURATION',
    description:
      'Time for a failed erasure, restriction, correction, consent withdrawal, retention deletion, integrity check, encryption, backup or scan to succeed on a re-run (Art. 5(1), 7, 16–18, 32(1))',
    default: { hours: 24 },
    min: { minutes: 1 },
    max: { days: 30 },
  },
  {
    id: 'recovery-retest-window',
    type: 'DURATION',
    description: 'Time to pass a restore test on a retest after a failed one (Art. 32(1)(c))',
    default: { days: 30 },
    min: { days: 1 },
  },
  {
    id: 'retention-run-interval',
    type: 'DURATION',
    description: 'The longest stretch without a successful retention deletion (Art. 5(1)(e))',
    default: { days: 31 },
    min: { days: 1 },
    max: { days: 366 },
  },
  {
    id: 'security-test-interval',
    type: 'DURATION',
    description:
      'How recent the last test of the security measures — a vulnerability scan, restore or contingency test — must be at the period end (Art. 32(1)(d))',
    default: { days: 92 },
    min: { days: 1 },
    max: { days: 366 },
  },
  year(
    'processing-record-interval',
    'How recent the last update of the record of processing activities must be at the period end (Art. 5(1)(b), 6, 30)',
  ),
  year('policy-review-interval', 'How recent the last approval of a policy or risk assessment must be at the period end (Art. 24(1))'),
  year('processor-review-interval', 'How recent the last review of a processor or sub-processor must be at the period end (Art. 28(1))'),
  year('key-rotation-interval', 'How recent the last rotation of an encryption key must be at the period end (Art. 32(1)(a))'),
  year('restore-test-interval', 'How recent the last successful restore test must be at the period end (Art. 32(1)(c))'),
];
