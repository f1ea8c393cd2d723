import { TemporalRuleIndex1796155232236 } from './1796155232236-TemporalRuleIndex';
import { Reports1795717760615 } from './1795717760615-Reports';
import { ServerActionFloor1795715013275 } from './1795715013275-ServerActionFloor';
import { BurstIndex1795713977272 } from './1795713977272-BurstIndex';
import { ComplianceRollup1795713152200 } from './1795713152200-ComplianceRollup';
import { Init1795703444852 } from './1795703444852-Init';
/** Migrations for mysql, oldest first. `npm run migration:generate` appends to this list. */
export const mysqlMigrations: Function[] = [
  Init1795703444852,
  ComplianceRollup1795713152200,
  BurstIndex1795713977272,
  ServerActionFloor1795715013275,
  Reports1795717760615,
  TemporalRuleIndex1796155232236,
];
