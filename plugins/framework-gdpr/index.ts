import { defineFrameworkPlugin } from '../../src/plugin-api';
import { catalog } from './catalog';

export default defineFrameworkPlugin({
  id: 'framework-gdpr',
  kind: 'framework',
  version: '1.0.0',
  apiVersion: '^1.0.0',
  name: 'GDPR',
  description: 'GDPR articles on processing, data-subject rights, security, breach notification and transfers, as rules over audit events.',
  catalog,
});
