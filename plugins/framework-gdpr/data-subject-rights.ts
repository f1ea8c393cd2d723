import type { Control } from '../../src/plugin-api';

/** Chapter III: rights of the data subject (Art. 12–22). */
export const dataSubjectRights: Control[] = [
  {
    id: 'Art. 12',
    title: 'Transparent information, communication and modalities for the exercise of the rights of the data subject',
    description:
      'The controller must make it easy for subjects to exercise their rights and answer each request without undue delay, ' +
      'normally within a month; complex or numerous requests allow two more months. Requests paired with their fulfilment ' +
      'show the response times.',
    tags: ['data-subject-rights'],
    evidence: [
      {
        id: 'requests-answered-30d',
        kind: 'NOT_FOLLOWED_BY',
        description: 'A data-subject request was answered within 30 days',
        trigger: { action: [{ equals: 'dsar.received' }] },
        followUp: { action: [{ equals: 'dsar.fulfilled' }] },
        within: { days: 30 },
        correlation: 'RESOURCE',
      },
    ],
    violations: [
      {
        id: 'request-unanswered-90d',
        kind: 'NOT_FOLLOWED_BY',
        description: 'A data-subject request not answered within 90 days, beyond even the longest extension allowed',
        trigger: { action: [{ equals: 'dsar.received' }] },
        followUp: { action: [{ equals: 'dsar.fulfilled' }] },
        within: { days: 90 },
        correlation: 'RESOURCE',
      },
    ],
  },
  {
    id: 'Art. 15',
    title: 'Right of access by the data subject',
    description:
      'A subject may learn whether their personal data is processed and obtain a copy of it together with the purposes, recipients, ' +
      'retention and source. Access requests are shown answered by a fulfilment event for the same request within 30 days.',
    tags: ['data-subject-rights'],
    evidence: [
      {
        id: 'access-requests-fulfilled',
        kind: 'MATCH',
        description: 'A data-subject request was fulfilled',
        match: { action: [{ equals: 'dsar.fulfilled' }] },
      },
      {
        id: 'access-requests-answered-30d',
        kind: 'NOT_FOLLOWED_BY',
        description: 'A data-subject request was fulfilled within 30 days',
        trigger: { action: [{ equals: 'dsar.received' }] },
        followUp: { action: [{ equals: 'dsar.fulfilled' }] },
        within: { days: 30 },
        correlation: 'RESOURCE',
      },
    ],
    violations: [
      {
        id: 'access-request-overdue',
        kind: 'NOT_FOLLOWED_BY',
        description: 'A data-subject request not fulfilled within 30 days',
        trigger: { action: [{ equals: 'dsar.received' }] },
        followUp: { action: [{ equals: 'dsar.fulfilled' }] },
        within: { days: 30 },
        correlation: 'RESOURCE',
      },
    ],
  },
  {
    id: 'Art. 16',
    title: 'Right to rectification',
    description:
      'A subject may have inaccurate personal data corrected and incomplete data completed without undue delay. Recorded ' +
      'corrections show it; a correction that fails is a finding.',
    tags: ['data-subject-rights'],
    evidence: [
      {
        id: 'rectifications',
        kind: 'MATCH',
        description: "Personal data was corrected at a subject's request",
        match: { action: [{ equals: 'data.rectified' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [
      {
        id: 'rectification-failed',
        kind: 'MATCH',
        description: 'A correction of personal data failed',
        match: { action: [{ equals: 'data.rectified' }], outcome: ['FAILURE', 'ERROR'] },
      },
    ],
  },
  {
    id: 'Art. 17',
    title: "Right to erasure ('right to be forgotten')",
    description:
      'A subject may have their personal data erased without undue delay when, among other grounds, it is no longer needed, ' +
      'consent is withdrawn or the processing was unlawful. Completed erasures, crypto-shredding included, show it; an erasure ' +
      'that fails is a finding.',
    tags: ['data-subject-rights'],
    evidence: [
      {
        id: 'erasures',
        kind: 'MATCH',
        description: 'Personal data was erased',
        match: { action: [{ equals: 'data.erased' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [
      {
        id: 'erasure-failed',
        kind: 'MATCH',
        description: 'An erasure of personal data failed',
        match: { action: [{ equals: 'data.erased' }], outcome: ['FAILURE', 'ERROR'] },
      },
    ],
  },
  {
    id: 'Art. 18',
    title: 'Right to restriction of processing',
    description:
      'While accuracy or an objection is being settled, or where data is kept only for legal claims, a subject may have processing ' +
      'of their data limited to storage. Recorded restrictions show it; a restriction that fails is a finding.',
    tags: ['data-subject-rights'],
    evidence: [
      {
        id: 'restrictions',
        kind: 'MATCH',
        description: "Processing of a subject's personal data was restricted",
        match: { action: [{ equals: 'data.restricted' }], outcome: ['SUCCESS'] },
      },
    ],
    violations: [
      {
        id: 'restriction-failed',
        kind: 'MATCH',
        description: 'A restriction of processing failed',
        match: { action: [{ equals: 'data.restricted' }], outcome: ['FAILURE', 'ERROR'] },
      },
    ],
  },
  {
    id: 'Art. 19',
    title: 'Notification obligation regarding rectification or erasure of personal data or restriction of processing',
    description:
      'The controller must pass every correction, erasure or restriction on to the recipients the data was disclosed to, unless ' +
      'that is impossible or disproportionate, and tell the subject who they are on request. The recorded corrections, erasures ' +
      'and restrictions are what must be passed on.',
    tags: ['data-subject-rights'],
    evidence: [
      {
        id: 'changes-recorded',
        kind: 'MATCH',
        description: 'A correction, erasure or restriction that recipients must be told of was recorded',
        match: {
          action: [{ equals: 'data.rectified' }, { equals: 'data.erased' }, { equals: 'data.restricted' }],
          outcome: ['SUCCESS'],
        },
      },
    ],
    violations: [],
  },
  {
    id: 'Art. 20',
    title: 'Right to data portability',
    description:
      'Where processing rests on consent or a contract and is automated, a subject may receive the data they provided in a ' +
      'structured, machine-readable form or have it sent to another controller. Completed requests and exports of personal data show it.',
    tags: ['data-subject-rights'],
    evidence: [
      {
        id: 'requests-fulfilled',
        kind: 'MATCH',
        description: 'A data-subject request, portability included, was fulfilled',
        match: { action: [{ equals: 'dsar.fulfilled' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'personal-data-exported',
        kind: 'MATCH',
        description: 'Personal data was exported',
        match: { action: [{ equals: 'data.export' }], outcome: ['SUCCESS'], categories: ['PII'] },
      },
    ],
    violations: [],
  },
  {
    id: 'Art. 21',
    title: 'Right to object',
    description:
      'A subject may object to processing based on public or legitimate interest, and always to direct marketing; the controller ' +
      'must then stop unless it has overriding grounds. An objection should be followed by a restriction of the same request ' +
      'within 30 days, the one-month answer period of Art. 12.',
    tags: ['data-subject-rights'],
    evidence: [
      {
        id: 'objections-received',
        kind: 'MATCH',
        description: "A subject's objection to processing was recorded",
        match: { action: [{ equals: 'processing.objection.received' }] },
      },
      {
        id: 'objections-actioned',
        kind: 'NOT_FOLLOWED_BY',
        description: 'An objection to processing was followed by a restriction within 30 days',
        trigger: { action: [{ equals: 'processing.objection.received' }] },
        followUp: { action: [{ equals: 'data.restricted' }] },
        within: { days: 30 },
        correlation: 'RESOURCE',
      },
    ],
    violations: [
      {
        id: 'objection-not-actioned',
        kind: 'NOT_FOLLOWED_BY',
        description: 'An objection to processing not followed by a restriction within 30 days',
        trigger: { action: [{ equals: 'processing.objection.received' }] },
        followUp: { action: [{ equals: 'data.restricted' }] },
        within: { days: 30 },
        correlation: 'RESOURCE',
      },
    ],
  },
  {
    id: 'Art. 22',
    title: 'Automated individual decision-making, including profiling',
    description:
      'A subject may refuse to be bound by a decision with legal or similarly significant effect made solely by automated means, ' +
      'save for narrow exceptions that still require human review and a way to contest. Impact assessments of such processing and ' +
      'recorded objections show the safeguards.',
    tags: ['data-subject-rights'],
    evidence: [
      {
        id: 'impact-assessed',
        kind: 'MATCH',
        description: 'A data-protection impact assessment, which automated decision-making and profiling call for, was approved',
        match: { action: [{ equals: 'dpia.completed' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'objections-received',
        kind: 'MATCH',
        description: "A subject's objection, such as a contest of an automated decision, was recorded",
        match: { action: [{ equals: 'processing.objection.received' }] },
      },
    ],
    violations: [],
  },
];
