import type { MigrationInterface, QueryRunner } from 'typeorm';
import { binaryCollation } from './collation';

/**
 * Metadata facets (ADR 0056): the registry of the facets events carry as `audit_event_label` rows of
 * kind `facet`. No event data moves here: the server labels the existing events at its next start,
 * from the rules it loads (a migration imports no live code, and the rules come from plugins).
 */
export class MetadataFacets1796900000200 implements MigrationInterface {
  name = 'MetadataFacets1796900000200';

  async up(q: QueryRunner): Promise<void> {
    const collation = await binaryCollation(q);
    await q.query(`CREATE TABLE \`metadata_facet\` (\`facet\` varchar(64) NOT NULL, \`definition\` text NOT NULL, \`ready\` smallint NOT NULL DEFAULT '0', \`updated_at\` datetime(3) NOT NULL, PRIMARY KEY (\`facet\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=${collation}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE \`metadata_facet\``);
  }
}
