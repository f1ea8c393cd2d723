import type { FrameworkCatalog } from '../../src/plugin-api';
import { controllerAndProcessor, impactAssessment } from './controller-and-processor';
import { dataSubjectRights } from './data-subject-rights';
import { parameters } from './parameters';
import { principles } from './principles';
import { security } from './security';
import { transfers } from './transfers';
import { scoping } from './scoping';

/** The GDPR articles, and the paragraphs auditors test, that an audit trail can show, with the classification of personal data they rely on. */
export const catalog: FrameworkCatalog = {
  framework: {
    id: 'gdpr',
    name: 'GDPR',
    version: 'Regulation (EU) 2016/679',
    description:
      'The EU General Data Protection Regulation: the principles and legal bases for processing personal data, the rights of data ' +
      'subjects, the duties of controllers and processors including security and breach notification, and the rules for sending ' +
      'personal data outside the EEA.',
  },
  controls: [...principles, ...dataSubjectRights, ...controllerAndProcessor, ...security, ...impactAssessment, ...transfers],
  parameters,
  scoping,
  classificationRules: [
    {
      id: 'personal-data-resources',
      resourceType: [{ equals: 'user_profile' }, { prefix: 'user_profile.' }, { prefix: 'customer' }, { prefix: 'data_subject' }],
      classification: 'CONFIDENTIAL',
      categories: ['PII'],
    },
    {
      id: 'consent-and-requests',
      action: [{ prefix: 'consent.' }, { prefix: 'dsar.' }],
      classification: 'CONFIDENTIAL',
      categories: ['PII'],
    },
  ],
  dataCategories: [
    {
      id: 'SPECIAL_CATEGORY',
      description:
        'Special categories of personal data (GDPR Art. 9): health, genetic or biometric data, racial or ethnic origin, political, ' +
        'religious or philosophical beliefs, trade-union membership, sex life or sexual orientation',
    },
    {
      id: 'CRIMINAL_OFFENCE',
      description: 'Personal data about criminal convictions, offences or related security measures (GDPR Art. 10)',
    },
  ],
};
