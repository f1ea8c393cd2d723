import type { ScopeDimension } from '../../src/plugin-api';

/**
 * The Trust Services Categories a SOC 2 examination covers (ADR 0040): Security (the common
 * criteria) always, the others as management chooses them. By tag, so the criteria need not
 * name their category twice; processing integrity (PI1) brings in what carries its tag.
 */
export const scoping: ScopeDimension[] = [
  {
    id: 'trust-services-categories',
    name: 'category',
    description:
      'The Trust Services Categories in the examination. Security (the common criteria CC1 to CC9) is always in scope; ' +
      'availability, confidentiality, processing integrity and privacy are included as management chooses.',
    multiple: true,
    options: [
      {
        id: 'security',
        name: 'Security',
        description: 'The common criteria (CC1 to CC9): every SOC 2 examination covers them.',
        required: true,
        tags: ['common-criteria'],
      },
      { id: 'availability', name: 'Availability', description: 'The additional criteria for availability (A1).', tags: ['availability'] },
      {
        id: 'confidentiality',
        name: 'Confidentiality',
        description: 'The additional criteria for confidentiality (C1).',
        tags: ['confidentiality'],
      },
      {
        id: 'processing-integrity',
        name: 'Processing integrity',
        description: 'The additional criteria for processing integrity (PI1).',
        tags: ['processing-integrity'],
      },
      { id: 'privacy', name: 'Privacy', description: 'The additional criteria for privacy (P1 to P8).', tags: ['privacy'] },
    ],
    // Every category: what an assessment covered before scoping existed (ADR 0040).
    default: ['security', 'availability', 'confidentiality', 'processing-integrity', 'privacy'],
  },
];
