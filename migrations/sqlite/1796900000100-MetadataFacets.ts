import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Metadata facets (ADR 0056): the registry of the facets events carry as `audit_event_label` rows of
 * kind `facet`. No event data moves here: the server labels the existing events at its next start,
 * from the rules it loads (a migration imports no live code, and the rules come from plugins).
 */
export class MetadataFacets1796900000100 implements MigrationInterface {
  name = 'MetadataFacets1796900000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "metadata_facet" ("facet" varchar(64) PRIMARY KEY NOT NULL, "definition" text NOT NULL, "ready" smallint NOT NULL DEFAULT (0), "updated_at" datetime(3) NOT NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "metadata_facet"`);
  }
}
