import type { CatalogControl, EventMatch } from '../../src/plugin-api';
import { succeeded } from './rules';

/** The transfer mechanisms of Chapter V, as `metadata.mechanism` of `data.transfer.international`. */
const SAFEGUARDS = [
  'standard-contractual-clauses',
  'binding-corporate-rules',
  'code-of-conduct',
  'certification',
  'ad-hoc-clauses',
  'public-authority-arrangement',
];
const MECHANISMS = ['adequacy', ...SAFEGUARDS, 'derogation'];
/** The derogations of Art. 49(1)(a)–(g) and its second subparagraph, as `metadata.derogation`. */
const DEROGATIONS = [
  'explicit-consent',
  'contract-with-subject',
  'contract-in-subject-interest',
  'public-interest',
  'legal-claims',
  'vital-interests',
  'public-register',
  'compelling-legitimate-interests',
];

const transfer = (also: EventMatch = {}): EventMatch => ({
  action: [{ equals: 'data.transfer.international' }],
  outcome: ['SUCCESS'],
  ...also,
});

/** Chapter V: transfers of personal data to third countries (Art. 44–49). */
export const transfers: CatalogControl[] = [
  {
    id: 'Art. 44',
    title: 'General principle for transfers',
    description:
      'Personal data leaves the EEA only on a ground Chapter V allows — an adequacy decision, appropriate safeguards or a ' +
      'derogation — so that its protection travels with it. Every transfer names its `mechanism`; one without a recognised ' +
      'mechanism is a finding, and a refused transfer shows the check enforced.',
    tags: ['transfers'],
    evidence: [
      {
        id: 'transfers-on-a-ground',
        kind: 'RATIO',
        description: 'Every transfer outside the EEA names the Chapter V mechanism it rests on',
        population: transfer(),
        qualifying: { metadata: [{ path: 'mechanism', in: MECHANISMS }] },
        atLeast: 1,
      },
      {
        id: 'transfers-refused',
        kind: 'MATCH',
        description: 'A transfer of personal data outside the EEA was refused',
        match: { action: [{ equals: 'data.transfer.international' }], outcome: ['DENIED'] },
      },
    ],
    violations: [
      {
        id: 'transfer-without-ground',
        kind: 'RATIO',
        description: 'A transfer outside the EEA that names no recognised Chapter V mechanism',
        population: transfer(),
        qualifying: { metadata: [{ path: 'mechanism', in: MECHANISMS }] },
        atLeast: 1,
      },
    ],
  },
  {
    id: 'Art. 46',
    title: 'Transfers subject to appropriate safeguards',
    description:
      'Without an adequacy decision, data may go to a third country when the exporter provides safeguards such as standard ' +
      'contractual clauses or binding corporate rules, with enforceable rights for the subjects. Transfers recorded with such a ' +
      '`mechanism` show the safeguards in use.',
    tags: ['transfers'],
    evidence: [
      succeeded(
        'safeguarded-transfers',
        'A transfer outside the EEA under appropriate safeguards was recorded',
        ['data.transfer.international'],
        { metadata: [{ path: 'mechanism', in: SAFEGUARDS }] },
      ),
    ],
    violations: [],
  },
  {
    id: 'Art. 49',
    title: 'Derogations for specific situations',
    description:
      'With neither adequacy nor safeguards, a transfer is allowed only in the specific situations the article lists, such as the ' +
      'subject’s explicit consent or a contract with them. A transfer on `mechanism: derogation` must name one of them (`derogation`); ' +
      'one that does not is a finding.',
    tags: ['transfers'],
    evidence: [
      succeeded('derogation-transfers', 'A transfer outside the EEA on a derogation was recorded', ['data.transfer.international'], {
        metadata: [{ path: 'mechanism', equals: 'derogation' }],
      }),
    ],
    violations: [
      {
        id: 'derogation-not-named',
        kind: 'RATIO',
        description: 'A transfer on a derogation that names none of the situations of Art. 49(1)',
        population: transfer({ metadata: [{ path: 'mechanism', equals: 'derogation' }] }),
        qualifying: { metadata: [{ path: 'derogation', in: DEROGATIONS }] },
        atLeast: 1,
      },
    ],
  },
];
