import type { FrameworkCatalog } from '../../src/plugin-api';
import { administrativeControls } from './administrative.controls';
import { breachNotificationControls } from './breach.controls';
import { documentationControls } from './documentation.controls';
import { organizationalControls } from './organizational.controls';
import { parameters } from './parameters';
import { physicalControls } from './physical.controls';
import { technicalControls } from './technical.controls';
import { alternativeMeasures, scoping } from './scoping';

/** The HIPAA Security Rule's standards and implementation specifications, the Breach Notification Rule, and PHI classification. */
export const catalog: FrameworkCatalog = {
  framework: {
    id: 'hipaa',
    name: 'HIPAA Security Rule',
    version: '45 CFR Part 164 Subparts C and D',
    description:
      'The US rule for protecting electronic protected health information (ePHI) held by covered entities and their business associates: administrative, physical and technical safeguards, organizational requirements and documentation (Subpart C), and the notices owed after a breach of unsecured PHI (Subpart D, 164.404–164.414). Each standard is a control; its implementation specifications, tagged required or addressable, are controls under it.',
  },
  controls: [
    ...administrativeControls,
    ...physicalControls,
    ...technicalControls,
    ...organizationalControls,
    ...documentationControls,
    ...breachNotificationControls,
  ],
  parameters,
  scoping,
  alternativeMeasures,
  classificationRules: [
    {
      id: 'phi-resources',
      resourceType: [
        { equals: 'patient_record' },
        { prefix: 'patient_record.' },
        { prefix: 'medical_' },
        { prefix: 'prescription' },
        { prefix: 'lab_result' },
      ],
      classification: 'RESTRICTED',
      categories: ['PHI'],
    },
  ],
};
