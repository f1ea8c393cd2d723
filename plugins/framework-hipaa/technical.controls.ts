import type { Control } from '../../src/plugin-api';
import { actions, gdpr, safeguard } from './helpers';

const { standard, specification } = safeguard('technical');

/** 45 CFR 164.312: technical safeguards. */
export const technicalControls: Control[] = [
  standard('164.312(a)(1)', {
    title: 'Access control',
    description:
      'Technical policies and procedures let only the people or software programs that were granted access rights reach systems holding ePHI. Every access to PHI, allowed or refused, is recorded.',
    evidence: [
      {
        id: 'phi-access-controlled',
        kind: 'MATCH',
        description: 'Access to PHI is allowed or refused by access control',
        match: { categories: ['PHI'], outcome: ['SUCCESS', 'DENIED'] },
      },
    ],
    violations: [],
    mappings: [gdpr('Art. 32', 'INTERSECTS')],
  }),
  specification('164.312(a)(1)', '164.312(a)(2)(i)', 'required', {
    title: 'Unique user identification',
    description:
      'Each user gets a unique name or number that identifies and tracks them. Account creation and sign-ins attributed to individual users are recorded.',
    evidence: [
      {
        id: 'accounts-created',
        kind: 'MATCH',
        description: 'User accounts are created',
        match: { action: actions('user.created'), outcome: ['SUCCESS'] },
      },
      {
        id: 'sign-ins-attributed',
        kind: 'MATCH',
        description: 'Successful sign-ins are attributed to individual users',
        match: { action: actions('auth.login'), outcome: ['SUCCESS'], actorType: ['USER'] },
      },
    ],
    violations: [],
  }),
  specification('164.312(a)(1)', '164.312(a)(2)(ii)', 'required', {
    title: 'Emergency access procedure',
    description:
      'Procedures make the necessary ePHI reachable during an emergency. Each use of emergency (break-glass) access is recorded.',
    evidence: [
      {
        id: 'emergency-access-used',
        kind: 'MATCH',
        description: 'Emergency access is granted',
        match: { action: actions('access.emergency.granted'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
  }),
  specification('164.312(a)(1)', '164.312(a)(2)(iii)', 'addressable', {
    title: 'Automatic logoff',
    description: 'An electronic session ends after a set time of inactivity. Sessions closed for inactivity are recorded.',
    evidence: [
      {
        id: 'idle-sessions-closed',
        kind: 'MATCH',
        description: 'Idle sessions are closed automatically',
        match: { action: actions('auth.session.expired') },
      },
    ],
    violations: [],
  }),
  specification('164.312(a)(1)', '164.312(a)(2)(iv)', 'addressable', {
    title: 'Encryption and decryption',
    description:
      'A mechanism encrypts and decrypts ePHI. Encryption, decryption and key rotation are recorded; an encryption that failed is a finding.',
    evidence: [
      {
        id: 'data-encrypted',
        kind: 'MATCH',
        description: 'Stored data is encrypted or decrypted',
        match: { action: actions('data.encrypted', 'data.decrypted'), outcome: ['SUCCESS'] },
      },
      {
        id: 'keys-rotated',
        kind: 'MATCH',
        description: 'Encryption keys are rotated',
        match: { action: actions('key.rotated'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [
      {
        id: 'encryption-failed',
        kind: 'MATCH',
        description: 'An encryption of stored data failed',
        match: { action: actions('data.encrypted'), outcome: ['FAILURE', 'ERROR'] },
      },
    ],
    mappings: [gdpr('Art. 32', 'SUBSET')],
  }),

  standard('164.312(b)', {
    title: 'Audit controls',
    description:
      'Hardware, software or procedures record and examine activity in systems that hold or use ePHI. The audit trail itself, every recorded event, is the evidence.',
    evidence: [
      {
        id: 'activity-recorded',
        kind: 'MATCH',
        description: 'System activity is recorded in the audit trail',
        match: {},
      },
    ],
    violations: [],
    mappings: [gdpr('Art. 30', 'INTERSECTS')],
  }),

  standard('164.312(c)(1)', {
    title: 'Integrity',
    description:
      'ePHI is protected from being changed or destroyed improperly. Integrity checks of stored data are recorded; a failed check is a finding.',
    evidence: [
      {
        id: 'integrity-verified',
        kind: 'MATCH',
        description: 'Integrity checks of stored data pass',
        match: { action: actions('data.integrity.verified'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [
      {
        id: 'integrity-check-failed',
        kind: 'MATCH',
        description: 'A checksum or signature check of stored data failed',
        match: { action: actions('data.integrity.verified'), outcome: ['FAILURE'] },
      },
    ],
    mappings: [gdpr('Art. 32', 'SUBSET'), gdpr('Art. 5', 'INTERSECTS')],
  }),
  specification('164.312(c)(1)', '164.312(c)(2)', 'addressable', {
    title: 'Mechanism to authenticate electronic protected health information',
    description:
      'Electronic mechanisms confirm that ePHI has not been changed or destroyed improperly. Checksum and signature checks are recorded; a failed check is a finding.',
    evidence: [
      {
        id: 'integrity-verified',
        kind: 'MATCH',
        description: 'Checksum or signature checks of stored data pass',
        match: { action: actions('data.integrity.verified'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [
      {
        id: 'integrity-check-failed',
        kind: 'MATCH',
        description: 'A checksum or signature check of stored data failed',
        match: { action: actions('data.integrity.verified'), outcome: ['FAILURE'] },
      },
    ],
    mappings: [gdpr('Art. 32', 'SUBSET')],
  }),

  standard('164.312(d)', {
    title: 'Person or entity authentication',
    description:
      'Anyone seeking access to ePHI is verified to be who they claim to be. Successful sign-ins and second-factor checks are recorded; five failed second-factor checks for one account within ten minutes are a finding.',
    evidence: [
      {
        id: 'sign-ins-authenticated',
        kind: 'MATCH',
        description: 'Successful sign-ins are recorded',
        match: { action: actions('auth.login'), outcome: ['SUCCESS'] },
      },
      {
        id: 'second-factor-verified',
        kind: 'MATCH',
        description: 'Second factors are verified',
        match: { action: actions('auth.mfa.verified'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [
      {
        id: 'repeated-failed-mfa',
        kind: 'BURST',
        description: 'Five failed second-factor checks for one account within ten minutes',
        match: { action: actions('auth.mfa.verified'), outcome: ['FAILURE'] },
        count: 5,
        within: { minutes: 10 },
        correlation: 'ACTOR',
      },
    ],
    mappings: [gdpr('Art. 32', 'SUBSET')],
  }),

  standard('164.312(e)(1)', {
    title: 'Transmission security',
    description:
      'Technical measures guard against unauthorized access to ePHI sent over an electronic communications network. Data leaving the system is recorded, so that each transmission can be checked.',
    evidence: [
      {
        id: 'transmissions-recorded',
        kind: 'MATCH',
        description: 'Data exports and transfers are recorded',
        match: { action: actions('data.export', 'data.transfer.international') },
      },
    ],
    violations: [],
    mappings: [gdpr('Art. 32', 'SUBSET')],
  }),
  specification('164.312(e)(1)', '164.312(e)(2)(i)', 'addressable', {
    title: 'Integrity controls',
    description:
      'Security measures make sure that ePHI sent electronically is not changed improperly without that being detected, until it is disposed of. Integrity checks are recorded; a failed check is a finding.',
    evidence: [
      {
        id: 'integrity-verified',
        kind: 'MATCH',
        description: 'Checksum or signature checks of data pass',
        match: { action: actions('data.integrity.verified'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [
      {
        id: 'integrity-check-failed',
        kind: 'MATCH',
        description: 'A checksum or signature check of data failed',
        match: { action: actions('data.integrity.verified'), outcome: ['FAILURE'] },
      },
    ],
    mappings: [gdpr('Art. 32', 'SUBSET')],
  }),
  specification('164.312(e)(1)', '164.312(e)(2)(ii)', 'addressable', {
    title: 'Encryption',
    description:
      'ePHI is encrypted whenever that is judged appropriate, in transit included. Encryption operations are recorded; an encryption that failed is a finding.',
    evidence: [
      {
        id: 'data-encrypted',
        kind: 'MATCH',
        description: 'Data is encrypted',
        match: { action: actions('data.encrypted'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [
      {
        id: 'encryption-failed',
        kind: 'MATCH',
        description: 'An encryption of data failed',
        match: { action: actions('data.encrypted'), outcome: ['FAILURE', 'ERROR'] },
      },
    ],
    mappings: [gdpr('Art. 32', 'SUBSET')],
  }),
];
