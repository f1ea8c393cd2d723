import type { ScopeDimension } from '../../src/plugin-api';

/**
 * The organisation's GDPR role (ADR 0040). The principles, lawful bases, data subject rights,
 * Art. 24, 25, 34 and 35 are the controller's duties (a processor assists under Art. 28(3)(e)
 * and (f)); Art. 28, 30, 32, 33 and 44 bind both, by paragraph (30(1) and 30(2), 33(1) and 33(2)),
 * so both options name them and either keeps them in scope. A control no option names (one added
 * later) is always in scope: a paragraph-level item for one role only is added to that role's list.
 */
const BOTH = ['Art. 28', 'Art. 30', 'Art. 32', 'Art. 33', 'Art. 44'];

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
        controls: ['Art. 24', 'Art. 25', 'Art. 34', 'Art. 35', ...BOTH],
      },
      {
        id: 'processor',
        name: 'Processor',
        description: 'Processes personal data on behalf of a controller.',
        controls: BOTH,
      },
    ],
    // Both roles: what an assessment covered before scoping existed (ADR 0040).
    default: ['controller', 'processor'],
  },
];
