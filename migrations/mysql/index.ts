import { MetadataFacets1796900000200 } from './1796900000200-MetadataFacets';
import { ErasureEpoch1796900000400 } from './1796900000400-ErasureEpoch';
import { MerkleTiles1796900000600 } from './1796900000600-MerkleTiles';
import { ErasureByIndex1796700000600 } from './1796700000600-ErasureByIndex';
import { ResourceIdIndex1796600000200 } from './1796600000200-ResourceIdIndex';
import { TemporalCoveringIndexes1796414810213 } from './1796414810213-TemporalCoveringIndexes';
import { Retention1796295332724 } from './1796295332724-Retention';
import { DataSubject1796400000200 } from './1796400000200-DataSubject';
import { PruneDeletedChainHash1796500000200 } from './1796500000200-PruneDeletedChainHash';
import { LegalHoldSubjectRef1796500000400 } from './1796500000400-LegalHoldSubjectRef';
import { AssessmentRun1796276794631 } from './1796276794631-AssessmentRun';
import { IdempotencyScope1796155051585 } from './1796155051585-IdempotencyScope';
import { ReportHeartbeat1796155425338 } from './1796155425338-ReportHeartbeat';
import { ReadinessProbe1796155858111 } from './1796155858111-ReadinessProbe';
import { TemporalRuleIndex1796155232236 } from './1796155232236-TemporalRuleIndex';
import { Reports1795717760615 } from './1795717760615-Reports';
import { ServerActionFloor1795715013275 } from './1795715013275-ServerActionFloor';
import { BurstIndex1795713977272 } from './1795713977272-BurstIndex';
import { ComplianceRollup1795713152200 } from './1795713152200-ComplianceRollup';
import { Init1795703444852 } from './1795703444852-Init';
import { MerkleTree1796500000600 } from './1796500000600-MerkleTree';
import { CheckpointNote1796500000800 } from './1796500000800-CheckpointNote';
import { ReportBundles1796700000200 } from './1796700000200-ReportBundles';
import { CheckpointCosignature1796700000400 } from './1796700000400-CheckpointCosignature';
/** Migrations for mysql, oldest first. `npm run migration:generate` appends to this list. */
export const mysqlMigrations: Function[] = [
  Init1795703444852,
  ComplianceRollup1795713152200,
  BurstIndex1795713977272,
  ServerActionFloor1795715013275,
  Reports1795717760615,
  IdempotencyScope1796155051585,
  TemporalRuleIndex1796155232236,
  ReportHeartbeat1796155425338,
  ReadinessProbe1796155858111,
  AssessmentRun1796276794631,
  Retention1796295332724,
  DataSubject1796400000200,
  TemporalCoveringIndexes1796414810213,
  PruneDeletedChainHash1796500000200,
  LegalHoldSubjectRef1796500000400,
  MerkleTree1796500000600,
  CheckpointNote1796500000800,
  ResourceIdIndex1796600000200,
  ReportBundles1796700000200,
  CheckpointCosignature1796700000400,
  ErasureByIndex1796700000600,
  MetadataFacets1796900000200,
  ErasureEpoch1796900000400,
  MerkleTiles1796900000600,
];
