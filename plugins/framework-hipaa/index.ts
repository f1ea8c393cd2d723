import { defineFrameworkPlugin } from '../../src/plugin-api';
import { catalog } from './catalog';

/** The built-in HIPAA Security Rule framework. */
export default defineFrameworkPlugin({
  id: 'framework-hipaa',
  kind: 'framework',
  version: '1.0.0',
  apiVersion: '^1.0.0',
  name: 'HIPAA Security Rule',
  description:
    'Controls, evidence rules, parameters and PHI classification for the HIPAA Security Rule and Breach Notification Rule (45 CFR Part 164 Subparts C and D).',
  catalog,
});
