import type { ScopeDimension } from '../../src/plugin-api';

/**
 * The organisation's GDPR role (ADR 0040). The principles, lawful bases, data subject rights,
 * Art. 24, 25, 34, 35 and 36, and the controller's paragraphs of Art. 33 (1, 3 and 5) are the
 * controller's duties (a processor assists under Art. 28(3)(e) and (f)); Art. 33(2) is the
 * processor's. Art. 28, 30, 32 and its paragraphs, 33 and the transfer articles bind both, so both
 * options name them and either keeps them in scope. A control no option names is always in scope
 * (a child follows its parent), so every paragraph-level item is named here.
 */
const BOTH = [
  'Art. 28',
  'Art. 30',
  'Art. 32',
  'Art. 32(1)(a)',
  'Art. 32(1)(b)',
  'Art. 32(1)(c)',
  'Art. 32(1)(d)',
  'Art. 33',
  'Art. 44',
  'Art. 46',
  'Art. 49',
];

export const scoping: ScopeDimension[] = [
  {
    id: 'role',
    name: 'role',
    description: 'Whether the organisation acts as a controller, a processor, or both (Art. 4(7) and 4(8)).',
    multiple: true,
    options: [
      {
        id: 'controller',
        name: 'Controller',
        description: 'Determines the purposes and means of the processing of personal data.',
        tags: ['principles', 'data-subject-rights'],
        controls: ['Art. 24', 'Art. 25', 'Art. 33(1)', 'Art. 33(3)', 'Art. 33(5)', 'Art. 34', 'Art. 35', 'Art. 36', ...BOTH],
      },
      {
        id: 'processor',
        name: 'Processor',
        description: 'Processes personal data on behalf of a controller.',
        controls: ['Art. 33(2)', ...BOTH],
      },
    ],
    // Both roles: what an assessment covered before scoping existed (ADR 0040).
    default: ['controller', 'processor'],
  },
];
