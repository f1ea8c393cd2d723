import type { Control } from '../../src/plugin-api';

/** Chapter V: transfers of personal data to third countries (Art. 44). */
export const transfers: Control[] = [
  {
    id: 'Art. 44',
    title: 'General principle for transfers',
    description:
      'Personal data may leave the EEA, or be passed on from there, only when the conditions of Chapter V are met, for instance an ' +
      'adequacy decision or appropriate safeguards, so that the protection travels with the data. Recorded international ' +
      'transfers show which transfers took place, and refused ones that the check is enforced.',
    tags: ['transfers'],
    evidence: [
      {
        id: 'international-transfers',
        kind: 'MATCH',
        description: 'A transfer of personal data outside the EEA was recorded',
        match: { action: [{ equals: 'data.transfer.international' }], outcome: ['SUCCESS'] },
      },
      {
        id: 'transfers-refused',
        kind: 'MATCH',
        description: 'A transfer of personal data outside the EEA was refused',
        match: { action: [{ equals: 'data.transfer.international' }], outcome: ['DENIED'] },
      },
    ],
    violations: [],
  },
];
