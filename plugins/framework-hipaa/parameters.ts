import type { FrameworkParameter } from '../../src/plugin-api';

/** A window of days a tenant may shorten but, where the rule sets the limit, never lengthen. */
const days = (id: string, description: string, value: number, max = value): FrameworkParameter => ({
  id,
  type: 'DURATION',
  description,
  default: { days: value },
  min: { days: 1 },
  max: { days: max },
});

/**
 * The windows and thresholds the HIPAA rules leave to the entity's risk analysis and policies, and
 * the deadlines the Breach Notification Rule fixes (their maximum is the rule's). The defaults
 * follow common practice and, where they are SOC 2's too, have the same value; a tenant sets its
 * own with `setFrameworkParameters`.
 */
export const parameters: FrameworkParameter[] = [
  days(
    'risk-assessment-interval',
    'How recent the last risk assessment must be at the end of the period (164.308(a)(1)(ii)(A), 164.308(a)(8))',
    365,
    731,
  ),
  days(
    'contingency-test-interval',
    'How recent the last contingency plan test must be at the end of the period (164.308(a)(7)(ii)(D))',
    365,
    731,
  ),
  days(
    'policy-review-interval',
    'How recent the last approval of the security policies must be at the end of the period (164.316(b)(2)(iii))',
    365,
    731,
  ),
  {
    id: 'audit-log-review-gap',
    type: 'DURATION',
    description: 'The longest stretch allowed without a review of the audit logs of systems holding ePHI (164.312(b))',
    default: { days: 7 },
    min: { hours: 1 },
    max: { days: 92 },
  },
  {
    id: 'phi-bulk-read-count',
    type: 'INTEGER',
    description: 'Reads of PHI records by one account that make a bulk read to look into (164.308(a)(1)(ii)(D))',
    default: 100,
    min: 2,
  },
  {
    id: 'phi-bulk-read-window',
    type: 'DURATION',
    description: 'The window in which that many PHI reads by one account make a bulk read (164.308(a)(1)(ii)(D))',
    default: { minutes: 10 },
    min: { minutes: 1 },
    max: { days: 1 },
  },
  {
    id: 'lockout-response-window',
    type: 'DURATION',
    description:
      'Time after five failed sign-ins or second factors of one account within ten minutes within which the account must be locked (164.308(a)(5)(ii)(C), 164.312(d))',
    default: { minutes: 5 },
    min: { minutes: 1 },
    max: { days: 1 },
  },
  {
    id: 'malware-quarantine-window',
    type: 'DURATION',
    description: 'Time to quarantine or remove detected malicious software (164.308(a)(5)(ii)(B))',
    default: { hours: 24 },
    min: { minutes: 1 },
    max: { days: 30 },
  },
  {
    id: 'emergency-access-review-window',
    type: 'DURATION',
    description: 'Time to review a use of emergency (break-glass) access (164.312(a)(2)(ii))',
    default: { hours: 24 },
    min: { hours: 1 },
    max: { days: 30 },
  },
  {
    id: 'disabled-account-watch',
    type: 'DURATION',
    description: 'How long after an account is disabled a successful sign-in to it is still a finding (164.308(a)(3)(ii)(C))',
    default: { days: 90 },
    min: { days: 1 },
  },
  {
    id: 'failed-job-retry-window',
    type: 'DURATION',
    description:
      'Time for a failed run — a backup, an access removal, a media sanitisation, an encryption, an integrity check — to succeed on a re-run (164.308(a)(3)(ii)(C), 164.308(a)(7)(ii)(A), 164.310(d)(2)(ii), 164.312)',
    default: { hours: 24 },
    min: { minutes: 1 },
    max: { days: 30 },
  },
  {
    id: 'recovery-retest-window',
    type: 'DURATION',
    description: 'Time to pass a restore or contingency plan test on a retest after a failed one (164.308(a)(7)(ii)(A), (B), (D))',
    default: { days: 30 },
    min: { days: 1 },
  },
  {
    id: 'incident-resolution-window',
    type: 'DURATION',
    description: 'Time to resolve a security incident after its detection (164.308(a)(6)(ii))',
    default: { days: 30 },
    min: { hours: 1 },
  },
  {
    id: 'sanitization-before-disposal',
    type: 'DURATION',
    description: 'How long before a device is disposed of its sanitisation may have taken place (164.310(d)(2)(i))',
    default: { days: 90 },
    min: { days: 1 },
  },
  days(
    'individual-notice-window',
    'Time from the discovery of a breach of unsecured PHI to notice to the individuals (164.404(b); at most 60 days)',
    60,
  ),
  days(
    'media-notice-window',
    'Time from discovery to notice to the media of a breach affecting more than 500 residents of a state (164.406(b); at most 60 days)',
    60,
  ),
  days(
    'secretary-notice-window',
    'Time from discovery to notice to the Secretary of a breach affecting 500 or more individuals (164.408(b); at most 60 days)',
    60,
  ),
  days(
    'secretary-annual-log-window',
    'Outer bound from discovery to the annual notice to the Secretary of a breach affecting fewer than 500 individuals: the rule’s 60 days after the end of the calendar year, for a breach discovered on 1 January (164.408(c))',
    425,
  ),
  days(
    'business-associate-notice-window',
    'Time from discovery for a business associate to notify the covered entity of a breach (164.410(b); at most 60 days)',
    60,
  ),
];
