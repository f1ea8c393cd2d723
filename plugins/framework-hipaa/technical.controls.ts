import type { CatalogControl } from '../../src/plugin-api';
import {
  actions,
  answeredWithin,
  burstNotLocked,
  failureNotRecovered,
  gdpr,
  LOG_READS,
  observed,
  recorded,
  safeguard,
  succeeded,
} from './helpers';

const { standard, specification } = safeguard('technical');

/** A failed encryption of data not repeated successfully in time (164.312(a)(2)(iv), (e)(2)(ii)). */
const encryptionNotCompleted = () =>
  failureNotRecovered(
    'encryption-not-completed',
    'An encryption of data failed and was not completed on a retry in time',
    ['data.encrypted'],
    'failed-job-retry-window',
  );

/** A failed integrity check with no passing check of the same data in time, as in SOC 2 CC2.1 and PI1.5. */
const integrityFailureNotResolved = () =>
  failureNotRecovered(
    'failed-integrity-check-not-resolved',
    'A checksum or signature check of data failed and no successful check of the same data followed in time',
    ['data.integrity.verified'],
    'failed-job-retry-window',
  );

/** 45 CFR 164.312: technical safeguards. */
export const technicalControls: CatalogControl[] = [
  standard('164.312(a)(1)', {
    title: 'Access control',
    description:
      'Technical policies and procedures let only the people or software programs that were granted access rights reach systems holding ePHI. Every access to PHI, allowed or refused, is recorded; a refusal is access control working.',
    evidence: [
      observed('phi-access-controlled', 'Access to PHI is allowed or refused by access control', {
        categories: ['PHI'],
        outcome: ['SUCCESS', 'DENIED'],
      }),
    ],
    violations: [],
    mappings: [gdpr('Art. 32', 'INTERSECTS')],
  }),
  specification('164.312(a)(1)', '164.312(a)(2)(i)', 'required', {
    title: 'Unique user identification',
    description:
      'Each user gets a unique name or number that identifies and tracks them. Account creation and sign-ins attributed to individual users are recorded.',
    evidence: [
      recorded('accounts-created', 'User accounts are created', ['user.created']),
      recorded('sign-ins-attributed', 'Successful sign-ins are attributed to individual users', ['auth.login'], { actorType: ['USER'] }),
    ],
    violations: [],
  }),
  specification('164.312(a)(1)', '164.312(a)(2)(ii)', 'required', {
    title: 'Emergency access procedure',
    description:
      'Procedures make the necessary ePHI reachable during an emergency. Each use of emergency (break-glass) access is recorded and is the procedure working; a use not reviewed successfully in time (by default 24 hours) is the finding, as in SOC 2 CC6.3.',
    evidence: [
      recorded('emergency-access-used', 'Emergency access is granted', ['access.emergency.granted']),
      recorded('emergency-access-reviewed', 'A use of emergency access is reviewed', ['access.emergency.reviewed']),
    ],
    violations: [
      answeredWithin(
        'emergency-access-not-reviewed',
        'A break-glass access was not reviewed in time',
        succeeded(['access.emergency.granted']),
        { action: actions('access.emergency.reviewed') },
        'emergency-access-review-window',
      ),
    ],
  }),
  specification('164.312(a)(1)', '164.312(a)(2)(iii)', 'addressable', {
    title: 'Automatic logoff',
    description: 'An electronic session ends after a set time of inactivity. Sessions closed for inactivity are recorded.',
    evidence: [observed('idle-sessions-closed', 'Idle sessions are closed automatically', { action: actions('auth.session.expired') })],
    violations: [],
  }),
  specification('164.312(a)(1)', '164.312(a)(2)(iv)', 'addressable', {
    title: 'Encryption and decryption',
    description:
      'A mechanism encrypts and decrypts ePHI. Encryption, decryption and key rotation are recorded; an encryption that failed and was not completed on a retry in time is a finding.',
    evidence: [
      recorded('data-encrypted', 'Stored data is encrypted or decrypted', ['data.encrypted', 'data.decrypted']),
      recorded('keys-rotated', 'Encryption keys are rotated', ['key.rotated']),
    ],
    violations: [encryptionNotCompleted()],
    mappings: [gdpr('Art. 32', 'SUBSET')],
  }),

  standard('164.312(b)', {
    title: 'Audit controls',
    description:
      'Hardware, software or procedures record and examine activity in systems that hold or use ePHI. Recording is what this service does; the duty shown is the examining: audit logs reviewed with no stretch longer than the organisation-defined gap (by default seven days) without a review. The server records every read of the audit log itself (key, scope, count), which shows the log being examined and who examined it.',
    evidence: [
      {
        id: 'audit-logs-reviewed',
        kind: 'MAX_GAP',
        description: 'Audit logs are reviewed with no stretch longer than the allowed gap without a review',
        match: succeeded(['audit.log.reviewed']),
        maxGap: { parameter: 'audit-log-review-gap' },
      },
      observed('audit-log-reads-recorded', 'Reads of the audit log are themselves recorded: which key read what, and how much', LOG_READS),
    ],
    violations: [],
    mappings: [gdpr('Art. 32', 'INTERSECTS')],
  }),

  standard('164.312(c)(1)', {
    title: 'Integrity',
    description:
      'ePHI is protected from being changed or destroyed improperly. Integrity checks of stored data are recorded; a failed check is the check working, and one with no passing check of the same data in time is a finding.',
    evidence: [recorded('integrity-verified', 'Integrity checks of stored data pass', ['data.integrity.verified'])],
    violations: [integrityFailureNotResolved()],
    mappings: [gdpr('Art. 32', 'SUBSET'), gdpr('Art. 5', 'INTERSECTS')],
  }),
  specification('164.312(c)(1)', '164.312(c)(2)', 'addressable', {
    title: 'Mechanism to authenticate electronic protected health information',
    description:
      'Electronic mechanisms confirm that ePHI has not been changed or destroyed improperly. Checksum and signature checks are recorded; a failed one with no passing check of the same data in time is a finding.',
    evidence: [recorded('integrity-verified', 'Checksum or signature checks of stored data pass', ['data.integrity.verified'])],
    violations: [integrityFailureNotResolved()],
    mappings: [gdpr('Art. 32', 'SUBSET')],
  }),

  standard('164.312(d)', {
    title: 'Person or entity authentication',
    description:
      'Anyone seeking access to ePHI is verified to be who they claim to be. Successful sign-ins and second-factor checks are recorded; a refused second factor is the verification working.',
    evidence: [
      recorded('sign-ins-authenticated', 'Successful sign-ins are recorded', ['auth.login']),
      recorded('second-factor-verified', 'Second factors are verified', ['auth.mfa.verified']),
    ],
    violations: [
      burstNotLocked(
        'failed-second-factors-not-locked',
        'Five or more refused second factors of one account within ten minutes not answered by a lockout of that account in time (organisation-defined; by default within 5 minutes)',
        ['auth.mfa.verified'],
      ),
    ],
    mappings: [gdpr('Art. 32', 'SUBSET')],
  }),

  standard('164.312(e)(1)', {
    title: 'Transmission security',
    description:
      'Technical measures guard against unauthorized access to ePHI sent over an electronic communications network. Data leaving the system is recorded, so that each transmission can be checked.',
    evidence: [
      observed('transmissions-recorded', 'Data exports and transfers are recorded', {
        action: actions('data.export', 'data.transfer.international'),
      }),
    ],
    violations: [],
    mappings: [gdpr('Art. 32', 'SUBSET')],
  }),
  specification('164.312(e)(1)', '164.312(e)(2)(i)', 'addressable', {
    title: 'Integrity controls',
    description:
      'Security measures make sure that ePHI sent electronically is not changed improperly without that being detected, until it is disposed of. Integrity checks are recorded; a failed one with no passing check of the same data in time is a finding.',
    evidence: [recorded('integrity-verified', 'Checksum or signature checks of data pass', ['data.integrity.verified'])],
    violations: [integrityFailureNotResolved()],
    mappings: [gdpr('Art. 32', 'SUBSET')],
  }),
  specification('164.312(e)(1)', '164.312(e)(2)(ii)', 'addressable', {
    title: 'Encryption',
    description:
      'ePHI is encrypted whenever that is judged appropriate, in transit included. Encryption operations are recorded; an encryption that failed and was not completed on a retry in time is a finding.',
    evidence: [recorded('data-encrypted', 'Data is encrypted', ['data.encrypted'])],
    violations: [encryptionNotCompleted()],
    mappings: [gdpr('Art. 32', 'SUBSET')],
  }),
];
