import type { FrameworkParameter } from '../../src/plugin-api';

/**
 * The windows and thresholds SOC 2 leaves to the entity: its system description and policies set
 * them, and the auditor tests against those. The defaults are common practice; a tenant sets its
 * own with `setFrameworkParameters`.
 */
export const parameters: FrameworkParameter[] = [
  {
    id: 'mfa-coverage',
    type: 'RATIO',
    description: 'The least share of successful sign-ins that use a second factor (CC6.1)',
    default: 0.95,
  },
  {
    id: 'disabled-account-watch',
    type: 'DURATION',
    description: 'How long after an account is disabled a successful sign-in to it is still a finding (CC6.2)',
    default: { days: 90 },
    min: { days: 1 },
  },
  {
    id: 'emergency-access-review-window',
    type: 'DURATION',
    description: 'Time to review a use of break-glass access (CC6.3)',
    default: { hours: 24 },
    min: { hours: 1 },
    max: { days: 30 },
  },
  {
    id: 'sanitization-before-disposal',
    type: 'DURATION',
    description: 'How long before a device is disposed of its sanitisation may have taken place (CC6.5)',
    default: { days: 90 },
    min: { days: 1 },
  },
  {
    id: 'bulk-export-count',
    type: 'INTEGER',
    description: 'Data exports by one actor that make an unusual volume (CC6.7)',
    default: 20,
    min: 2,
  },
  {
    id: 'bulk-export-window',
    type: 'DURATION',
    description: 'The window in which that many exports make an unusual volume (CC6.7)',
    default: { hours: 1 },
    min: { minutes: 1 },
    max: { days: 7 },
  },
  {
    id: 'malware-quarantine-window',
    type: 'DURATION',
    description: 'Time to quarantine or remove detected malicious software (CC6.8)',
    default: { hours: 24 },
    min: { minutes: 1 },
    max: { days: 30 },
  },
  {
    id: 'failed-job-retry-window',
    type: 'DURATION',
    description:
      'Time for a failed scheduled job — a vulnerability scan, a backup, a retention deletion, a processing job, an output delivery, an integrity check — to succeed on a re-run (CC7.1, A1.2, C1.2, P4.2, PI1.3–PI1.5)',
    default: { hours: 24 },
    min: { minutes: 1 },
    max: { days: 30 },
  },
  {
    id: 'incident-resolution-window',
    type: 'DURATION',
    description: 'Time to resolve a security incident after its detection (CC7.4)',
    default: { days: 30 },
    min: { hours: 1 },
  },
  {
    id: 'change-approval-window',
    type: 'DURATION',
    description: 'How long before a deployment the approval of the same change may have been given (CC8.1)',
    default: { days: 30 },
    min: { hours: 1 },
  },
  {
    id: 'critical-alert-resolution-window',
    type: 'DURATION',
    description: 'Time to resolve a critical availability or capacity alert (A1.1)',
    default: { hours: 24 },
    min: { minutes: 1 },
    max: { days: 30 },
  },
  {
    id: 'recovery-retest-window',
    type: 'DURATION',
    description: 'Time to pass a restore or contingency plan test on a retest after a failed one (A1.3)',
    default: { days: 30 },
    min: { days: 1 },
  },
  {
    id: 'input-correction-window',
    type: 'DURATION',
    description: 'Time to correct a refused input and have it accepted (PI1.2)',
    default: { days: 2 },
    min: { minutes: 1 },
    max: { days: 30 },
  },
  {
    id: 'processing-success-rate',
    type: 'RATIO',
    description: 'The least share of processing jobs that complete successfully (PI1.3)',
    default: 0.99,
  },
  {
    id: 'dsar-response-window',
    type: 'DURATION',
    description: 'Time to fulfil a data-subject request (P5.1)',
    default: { days: 30 },
    min: { days: 1 },
    max: { days: 90 },
  },
  {
    id: 'breach-notification-window',
    type: 'DURATION',
    description: 'Time to notify the authority of a breach, as the entity’s commitments and the law require (P6.6)',
    default: { hours: 72 },
    min: { hours: 1 },
  },
];
