import { ComplianceRollup1795713152200 } from './1795713152200-ComplianceRollup';
import { Init1795703444852 } from './1795703444852-Init';
/** Migrations for mysql, oldest first. `npm run migration:generate` appends to this list. */
export const mysqlMigrations: Function[] = [Init1795703444852, ComplianceRollup1795713152200];
