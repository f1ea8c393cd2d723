import { MetadataFacets1796900000100 } from './1796900000100-MetadataFacets';
import { ErasureEpoch1796900000300 } from './1796900000300-ErasureEpoch';
import { MerkleTiles1796900000500 } from './1796900000500-MerkleTiles';
import { ErasureByIndex1796700000500 } from './1796700000500-ErasureByIndex';
import { ResourceIdIndex1796600000100 } from './1796600000100-ResourceIdIndex';
import { TemporalCoveringIndexes1796414808851 } from './1796414808851-TemporalCoveringIndexes';
import { Retention1796295332256 } from './1796295332256-Retention';
import { DataSubject1796400000100 } from './1796400000100-DataSubject';
import { PruneDeletedChainHash1796500000100 } from './1796500000100-PruneDeletedChainHash';
import { LegalHoldSubjectRef1796500000300 } from './1796500000300-LegalHoldSubjectRef';
import { AssessmentRun1796276793773 } from './1796276793773-AssessmentRun';
import { IdempotencyScope1796155051451 } from './1796155051451-IdempotencyScope';
import { ReportHeartbeat1796155425002 } from './1796155425002-ReportHeartbeat';
import { ReadinessProbe1796155857188 } from './1796155857188-ReadinessProbe';
import { TemporalRuleIndex1796155232119 } from './1796155232119-TemporalRuleIndex';
import { Reports1795717760527 } from './1795717760527-Reports';
import { ServerActionFloor1795715012772 } from './1795715012772-ServerActionFloor';
import { BurstIndex1795713977190 } from './1795713977190-BurstIndex';
import { ComplianceRollup1795713152131 } from './1795713152131-ComplianceRollup';
import { Init1795703444771 } from './1795703444771-Init';
import { MerkleTree1796500000500 } from './1796500000500-MerkleTree';
import { CheckpointNote1796500000700 } from './1796500000700-CheckpointNote';
import { ReportBundles1796700000100 } from './1796700000100-ReportBundles';
import { CheckpointCosignature1796700000300 } from './1796700000300-CheckpointCosignature';
/** Migrations for sqlite, oldest first. `npm run migration:generate` appends to this list. */
export const sqliteMigrations: Function[] = [
  Init1795703444771,
  ComplianceRollup1795713152131,
  BurstIndex1795713977190,
  ServerActionFloor1795715012772,
  Reports1795717760527,
  IdempotencyScope1796155051451,
  TemporalRuleIndex1796155232119,
  ReportHeartbeat1796155425002,
  ReadinessProbe1796155857188,
  AssessmentRun1796276793773,
  Retention1796295332256,
  DataSubject1796400000100,
  TemporalCoveringIndexes1796414808851,
  PruneDeletedChainHash1796500000100,
  LegalHoldSubjectRef1796500000300,
  MerkleTree1796500000500,
  CheckpointNote1796500000700,
  ResourceIdIndex1796600000100,
  ReportBundles1796700000100,
  CheckpointCosignature1796700000300,
  ErasureByIndex1796700000500,
  MetadataFacets1796900000100,
  ErasureEpoch1796900000300,
  MerkleTiles1796900000500,
];
