import { defineFrameworkPlugin } from '../../src/plugin-api';
import { catalog } from './catalog';

export default defineFrameworkPlugin({
  id: 'framework-soc2',
  kind: 'framework',
  version: '1.0.0',
  apiVersion: '^1.0.0',
  name: 'SOC 2',
  description:
    'The SOC 2 Trust Services Criteria (security, availability, confidentiality, privacy) with evidence and violation rules over audit events.',
  catalog,
});
