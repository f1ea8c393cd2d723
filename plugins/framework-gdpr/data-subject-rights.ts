import type { CatalogControl, EventMatch } from '../../src/plugin-api';
import { answeredInTime, failureNotRecovered, processingAfter, requestDeadlines, succeeded } from './rules';

/** A right exercised by request: the request deadlines of Art. 12(3) for its `type`, plus `rules`. */
const right = (
  id: string,
  title: string,
  description: string,
  type: string,
  what: string,
  rules: Pick<CatalogControl, 'evidence' | 'violations'>,
): CatalogControl => {
  const deadlines = requestDeadlines(what, type);
  return {
    id,
    title,
    description,
    tags: ['data-subject-rights'],
    evidence: [...rules.evidence, ...deadlines.evidence],
    violations: [...rules.violations, ...deadlines.violations],
  };
};

const all = requestDeadlines('A data-subject request');

/** Personal data obtained (`data.collected`), from the subject (`direct`) or from someone else (`indirect`). */
const collected = (collection: 'direct' | 'indirect'): EventMatch => ({
  action: [{ equals: 'data.collected' }],
  outcome: ['SUCCESS'],
  metadata: [{ path: 'collection', equals: collection }],
});

/** Chapter III: rights of the data subject (Art. 12–22). */
export const dataSubjectRights: CatalogControl[] = [
  {
    id: 'Art. 12',
    title: 'Transparent information, communication and modalities for the exercise of the rights of the data subject',
    description:
      'Requests under Art. 15 to 22 are answered without undue delay and within one month of receipt; a complex or numerous ' +
      'request may be extended by two more months if the subject is told why within the first month. Every request is judged: ' +
      'fulfilled or extended within the month, and fulfilled within the extended limit.',
    tags: ['data-subject-rights'],
    evidence: all.evidence,
    violations: all.violations,
  },
  {
    id: 'Art. 13',
    title: 'Information to be provided where personal data are collected from the data subject',
    description:
      'When people hand over their own data, they are told at that moment who the controller is, why and on what basis the data is ' +
      'used, who receives it and for how long it is kept. Each `data.collected` with `collection: direct` needs a privacy notice to the ' +
      'same subject at or shortly before it.',
    tags: ['data-subject-rights'],
    evidence: [
      {
        id: 'notice-before-collection',
        kind: 'NOT_PRECEDED_BY',
        description: 'Personal data collected from the subject was preceded by the privacy notice to that subject',
        trigger: collected('direct'),
        precededBy: { action: [{ equals: 'privacy.notice.provided' }], outcome: ['SUCCESS'] },
        within: { parameter: 'notice-before-collection' },
        correlation: 'RESOURCE',
      },
    ],
    violations: [
      {
        id: 'collected-without-notice',
        kind: 'NOT_PRECEDED_BY',
        description: 'Personal data collected from the subject with no privacy notice to that subject at or shortly before',
        trigger: collected('direct'),
        precededBy: { action: [{ equals: 'privacy.notice.provided' }], outcome: ['SUCCESS'] },
        within: { parameter: 'notice-before-collection' },
        correlation: 'RESOURCE',
      },
    ],
  },
  {
    id: 'Art. 14',
    title: 'Information to be provided where personal data have not been obtained from the data subject',
    description:
      'When data about people comes from someone else, they are told what was obtained, from where and why, within a reasonable ' +
      'period and at the latest one month after. Each `data.collected` with `collection: indirect` needs a privacy notice to the same ' +
      'subject within that window.',
    tags: ['data-subject-rights'],
    evidence: [
      answeredInTime(
        'informed-after-indirect-collection',
        'A subject whose data was obtained from someone else was given the privacy notice in time',
        collected('indirect'),
        ['privacy.notice.provided'],
        'indirect-notice-window',
      ),
    ],
    violations: [
      answeredInTime(
        'not-informed-after-indirect-collection',
        'A subject whose data was obtained from someone else was not given the privacy notice in time (by default one month)',
        collected('indirect'),
        ['privacy.notice.provided'],
        'indirect-notice-window',
      ),
    ],
  },
  right(
    'Art. 15',
    'Right of access by the data subject',
    'A subject may learn whether their data is used and get a copy, with the purposes, recipients, retention and source. Access ' +
      'requests (`type: access`) are judged against the deadlines of Art. 12(3).',
    'access',
    'An access request',
    {
      evidence: [
        succeeded('access-requests-fulfilled', 'An access request was fulfilled', ['dsar.fulfilled'], {
          metadata: [{ path: 'type', equals: 'access' }],
        }),
      ],
      violations: [],
    },
  ),
  right(
    'Art. 16',
    'Right to rectification',
    'A subject may have wrong data about them corrected and incomplete data completed. Corrections show it; rectification requests ' +
      'are judged against the deadlines of Art. 12(3), and a failed correction not completed on a retry in time is a finding.',
    'rectification',
    'A rectification request',
    {
      evidence: [succeeded('rectifications', "Personal data was corrected at a subject's request", ['data.rectified'])],
      violations: [
        failureNotRecovered(
          'failed-rectification-not-retried',
          'A correction of personal data failed and was not completed on a retry in time',
          ['data.rectified'],
        ),
      ],
    },
  ),
  right(
    'Art. 17',
    "Right to erasure ('right to be forgotten')",
    'A subject may have their data deleted when, among other grounds, it is no longer needed, consent is withdrawn or the use was ' +
      'unlawful. Erasures, crypto-shredding included, show it; erasure requests are judged against the deadlines of Art. 12(3), ' +
      'and a failed erasure not completed on a retry in time is a finding, as in SOC 2 P4.3.',
    'erasure',
    'An erasure request',
    {
      evidence: [succeeded('erasures', 'Personal data was erased', ['data.erased'])],
      violations: [
        failureNotRecovered('failed-erasure-not-retried', 'An erasure of personal data failed and was not completed on a retry in time', [
          'data.erased',
        ]),
      ],
    },
  ),
  right(
    'Art. 18',
    'Right to restriction of processing',
    'While accuracy or an objection is settled, or where data is kept only for legal claims, a subject may have its use limited to ' +
      'storage. Restrictions show it; restriction requests are judged against the deadlines of Art. 12(3), and a failed restriction ' +
      'not completed on a retry in time is a finding.',
    'restriction',
    'A restriction request',
    {
      evidence: [succeeded('restrictions', "Processing of a subject's personal data was restricted", ['data.restricted'])],
      violations: [
        failureNotRecovered(
          'failed-restriction-not-retried',
          'A restriction of processing failed and was not completed on a retry in time',
          ['data.restricted'],
        ),
      ],
    },
  ),
  {
    id: 'Art. 19',
    title: 'Notification obligation regarding rectification or erasure of personal data or restriction of processing',
    description:
      'Every correction, erasure or restriction is passed on to those the data was disclosed to, unless that proves impossible or ' +
      'disproportionate, and the subject learns who they are on request. The changes recorded are what has to be passed on.',
    tags: ['data-subject-rights'],
    evidence: [
      succeeded('changes-recorded', 'A correction, erasure or restriction that recipients must be told of was recorded', [
        'data.rectified',
        'data.erased',
        'data.restricted',
      ]),
    ],
    violations: [],
  },
  right(
    'Art. 20',
    'Right to data portability',
    'Where processing rests on consent or a contract and is automated, a subject may take the data they provided in a ' +
      'machine-readable form, or have it sent to another controller. Portability requests (`type: portability`) are judged against ' +
      'the deadlines of Art. 12(3).',
    'portability',
    'A portability request',
    {
      evidence: [succeeded('personal-data-exported', 'Personal data was exported', ['data.export'], { categories: ['PII'] })],
      violations: [],
    },
  ),
  {
    id: 'Art. 21',
    title: 'Right to object',
    description:
      'A subject may object to processing on legitimate interests or a public task, and always to direct marketing; the controller ' +
      'then stops unless it shows overriding grounds. An objection is met by a restriction within the response window, and ' +
      'processing of that subject’s data on those bases afterwards is a finding.',
    tags: ['data-subject-rights'],
    evidence: [
      answeredInTime(
        'objections-actioned',
        'An objection was followed by a restriction of the same subject’s data within the response window',
        { action: [{ equals: 'processing.objection.received' }] },
        ['data.restricted'],
        'dsar-response-window',
      ),
    ],
    violations: [
      answeredInTime(
        'objection-not-actioned',
        'An objection not followed by a successful restriction of the same subject’s data within the response window',
        { action: [{ equals: 'processing.objection.received' }] },
        ['data.restricted'],
        'dsar-response-window',
      ),
      processingAfter(
        'processing-after-objection',
        "The subject's data was processed on legitimate interests or a public task after the subject objected",
        { action: [{ equals: 'processing.objection.received' }] },
        ['legitimate-interests', 'public-task'],
        'objection-watch',
      ),
    ],
  },
  {
    id: 'Art. 22',
    title: 'Automated individual decision-making, including profiling',
    description:
      'A subject may refuse to be bound by a decision with legal or similarly serious effect taken by a machine alone, save for ' +
      'narrow exceptions that still need human review and a way to contest. Impact assessments of such processing and recorded ' +
      'contests show the safeguards.',
    tags: ['data-subject-rights'],
    evidence: [
      succeeded(
        'impact-assessed',
        'A data-protection impact assessment, which automated decision-making and profiling call for, was approved',
        ['dpia.completed'],
      ),
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
