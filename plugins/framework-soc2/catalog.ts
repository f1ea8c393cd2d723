import type { FrameworkCatalog } from '../../src/plugin-api';
import { additionalCriteria } from './additional-criteria';
import { cosoCriteria } from './coso-criteria';
import { operationalCriteria } from './operational-criteria';
import { parameters } from './parameters';
import { privacyCriteria } from './privacy-criteria';
import { processingIntegrityCriteria } from './processing-integrity-criteria';
import { scoping } from './scoping';

/** The SOC 2 Trust Services Criteria: common criteria plus availability, confidentiality, processing integrity and privacy. */
export const catalog: FrameworkCatalog = {
  framework: {
    id: 'soc2',
    name: 'SOC 2',
    version: '2017 Trust Services Criteria (rev. 2022)',
    description:
      'The AICPA Trust Services Criteria that SOC 2 examinations report on: the common criteria for security, ' +
      'plus the additional criteria for availability, confidentiality, processing integrity and privacy. ' +
      'Each criterion names the audit events that show it operating and those an auditor should treat as findings.',
  },
  controls: [...cosoCriteria, ...operationalCriteria, ...additionalCriteria, ...processingIntegrityCriteria, ...privacyCriteria],
  parameters,
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
