import type { FrameworkCatalog } from '../../src/plugin-api';
import { additionalCriteria } from './additional-criteria';
import { cosoCriteria } from './coso-criteria';
import { operationalCriteria } from './operational-criteria';
import { privacyCriteria } from './privacy-criteria';
import { scoping } from './scoping';

/** The SOC 2 Trust Services Criteria: common criteria plus availability, confidentiality and privacy. */
export const catalog: FrameworkCatalog = {
  framework: {
    id: 'soc2',
    name: 'SOC 2',
    version: '2017 Trust Services Criteria (rev. 2022)',
    description:
      'The AICPA Trust Services Criteria that SOC 2 examinations report on: the common criteria for security, ' +
      'plus the additional criteria for availability, confidentiality and privacy (processing integrity is not included). ' +
      'Each criterion names the audit events that show it operating and those an auditor should treat as findings.',
  },
  controls: [...cosoCriteria, ...operationalCriteria, ...additionalCriteria, ...privacyCriteria],
  scoping,
  classificationRules: [
    {
      id: 'credentials',
      action: [{ prefix: 'auth.password.' }, { prefix: 'api_key.' }, { equals: 'key.rotated' }],
      classification: 'CONFIDENTIAL',
      categories: ['CREDENTIALS'],
    },
  ],
};
