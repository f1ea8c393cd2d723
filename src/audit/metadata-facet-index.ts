import type { DataSource } from 'typeorm';
import { placeholders, toNumber, toSqlDateTime } from '../database/sql-format';
import { FACET_KIND, type FacetDefinition, facetDefinition, facetKey, type FacetOf, MetadataFacets } from './metadata-facets';
import type { MetadataPredicate } from '../plugin-api';

/** Which facets answer a predicate in an assessment: only those every event of the database carries. */
export interface FacetLookup {
  /** The facet answering `p` (and whether its complement does), or null: test the metadata itself. */
  facetOf(p: MetadataPredicate): FacetOf | null;
}

export const NO_FACETS: FacetLookup = { facetOf: () => null };

/** Events read per backfill page. */
const PAGE = 5000;

const pause = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The registry of metadata facets (`metadata_facet`, ADR 0056) and the backfill that labels the
 * events recorded before a facet was registered.
 *
 * At start (before the process records anything) `register()` writes a row, not ready, for each
 * facet of the loaded rules that has none, and sets back to not ready every facet these rules do
 * not have: this process will record events without them. `backfill()` then labels, tenant by
 * tenant up to the head it reads, every event with metadata (INSERT IGNORE: events this process
 * recorded meanwhile are labelled already), evaluating the facets in JavaScript exactly as ingest
 * does, and marks the facets ready. Until then an assessment tests the metadata as before.
 */
export class MetadataFacetIndex {
  private readonly mysql: boolean;

  constructor(
    private readonly dataSource: DataSource,
    readonly facets: MetadataFacets,
  ) {
    this.mysql = dataSource.options.type !== 'better-sqlite3';
  }

  /** Registers the loaded rules' facets; a stored facet of the same key and another definition is refused. */
  async register(now = new Date()): Promise<void> {
    const rows: { facet: string; definition: string; ready: unknown }[] = await this.dataSource.query(
      'SELECT facet, definition, ready FROM metadata_facet',
    );
    const stored = new Map(rows.map((r) => [String(r.facet), String(r.definition)]));
    const at = toSqlDateTime(now.toISOString());
    for (const [key, definition] of this.facets.definitions) {
      const json = JSON.stringify(definition);
      const known = stored.get(key);
      if (known !== undefined && known !== json) throw new Error(`metadata facet ${key}: stored as ${known}, computed as ${json}`);
      if (known === undefined) {
        await this.dataSource.query(
          `${this.mysql ? 'INSERT IGNORE' : 'INSERT OR IGNORE'} INTO metadata_facet (facet, definition, ready, updated_at) VALUES (?, ?, 0, ?)`,
          [key, json, at],
        );
      }
    }
    const gone = rows.filter((r) => !this.facets.definitions.has(String(r.facet)) && toNumber(r.ready) === 1).map((r) => String(r.facet));
    if (gone.length) {
      await this.dataSource.query(
        `UPDATE metadata_facet SET ready = 0, updated_at = ? WHERE facet IN (${gone.map(() => '?').join(', ')})`,
        [at, ...gone],
      );
    }
  }

  /**
   * Every facet registered in the database, for a process that records events without loading the
   * rules (the CLI's prune event): its events carry the labels the server's would.
   */
  static async registered(dataSource: DataSource): Promise<MetadataFacets> {
    const rows: { definition: string }[] = await dataSource.query('SELECT definition FROM metadata_facet');
    return new MetadataFacets(
      [],
      rows.map((r) => JSON.parse(String(r.definition)) as FacetDefinition),
    );
  }

  /** The facets of the loaded rules not yet ready. */
  async pending(): Promise<string[]> {
    const rows: { facet: string }[] = await this.dataSource.query('SELECT facet FROM metadata_facet WHERE ready = 0');
    return rows.map((r) => String(r.facet)).filter((key) => this.facets.definitions.has(key));
  }

  /**
   * Labels the events recorded before registration with the pending facets, then marks them ready.
   * Stops between pages when `signal` aborts (the facets stay pending: a later start goes on).
   * Returns the number of labels written.
   */
  async backfill(signal?: AbortSignal): Promise<number> {
    const pending = await this.pending();
    if (!pending.length) return 0;
    const only = new Set(pending);
    const tenants: { tenant_id: string; sequence: unknown }[] = await this.dataSource.query(
      'SELECT tenant_id, sequence FROM chain_head WHERE sequence > 0 ORDER BY tenant_id',
    );
    const insert = `${this.mysql ? 'INSERT IGNORE' : 'INSERT OR IGNORE'} INTO audit_event_label (event_id, kind, value, tenant_id, sequence) VALUES `;
    let written = 0;
    for (const { tenant_id: tenantId, sequence } of tenants) {
      const head = toNumber(sequence);
      let after = 0;
      while (after < head) {
        if (signal?.aborted) return written;
        const page: { id: string; sequence: unknown; metadata: string | null }[] = await this.dataSource.query(
          'SELECT id, sequence, metadata FROM audit_event WHERE tenant_id = ? AND sequence > ? AND sequence <= ? ORDER BY sequence LIMIT ?',
          [tenantId, after, head, PAGE],
        );
        if (!page.length) break;
        after = toNumber(page[page.length - 1].sequence);
        const labels: unknown[][] = [];
        for (const row of page) {
          for (const key of this.facets.keysOf(row.metadata === null ? null : String(row.metadata))) {
            if (only.has(key)) labels.push([String(row.id), FACET_KIND, key, tenantId, toNumber(row.sequence)]);
          }
        }
        for (let i = 0; i < labels.length; i += 2000) {
          const part = labels.slice(i, i + 2000);
          await this.dataSource.query(insert + placeholders(part.length, 5), part.flat());
        }
        written += labels.length;
        await pause();
      }
    }
    await this.dataSource.query(
      `UPDATE metadata_facet SET ready = 1, updated_at = ? WHERE ready = 0 AND facet IN (${pending.map(() => '?').join(', ')})`,
      [toSqlDateTime(new Date().toISOString()), ...pending],
    );
    return written;
  }

  /** The facets ready now, as a lookup for the statements of one assessment. */
  async lookup(): Promise<FacetLookup> {
    if (!this.facets.size) return NO_FACETS;
    const rows: { facet: string }[] = await this.dataSource.query('SELECT facet FROM metadata_facet WHERE ready = 1');
    const ready = new Set(rows.map((r) => String(r.facet)));
    if (!ready.size) return NO_FACETS;
    return {
      facetOf: (p) => {
        const { definition, negated } = facetDefinition(p);
        const key = facetKey(definition);
        return ready.has(key) && this.facets.definitions.has(key) ? { key, negated } : null;
      },
    };
  }
}
