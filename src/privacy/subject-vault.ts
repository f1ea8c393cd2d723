import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { fromSqlDateTime, toSqlDateTime } from '../database/sql-format';
import { hmac, open, type PrivacyKeys, seal } from './privacy-key';
import { ipPseudonymWith } from './seal-event';
import { bumpErasureEpoch, erasureEpochOf } from '../chain/chain-head';
import { atomically } from '../database/atomically';

/** A data subject able to seal: its stored reference and its data key. */
export interface Subject {
  ref: string;
  key: Buffer;
  /** The fields sealed under its key so far, as stored (bit i: FIELD_ORDER[i]); null: not recorded (made before 2026-12-06). */
  sealedFields: number | null;
}

type LiveRow = { ref: string; lookup: string; wrapped_key: string; sealed_fields: unknown };
const maskOf = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** A subject reference as events store it. */
export const SUBJECT_REF = /^s_[A-Za-z0-9_-]{22}$/;
const newRef = (): string => `s_${randomBytes(16).toString('base64url')}`;
const aad = (tenantId: string, ref: string) => `${tenantId}\u0000${ref}`;
const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/** Every statement on `data_subject` (ADR 0042). Lookups go by a keyed HMAC of the id, never the id. */
export class SubjectVault {
  /**
   * Unwrapped data keys by their wrapped text, so a batch does not decrypt the same key again. It
   * never decides whether a subject is live: every use reads the row first, and a destroyed key's
   * row has no wrapped text to look up. Bounded; this node drops an entry when it erases the subject.
   */
  private readonly unwrapped = new Map<string, Buffer>();
  private static readonly MAX_UNWRAPPED = 50_000;
  /**
   * Per tenant, the live subjects this node sealed with, by lookup, and the tenant's erasure epoch
   * read before any of them was (ADR 0042, amended 2026-12-07). Valid while the head's epoch is
   * that one: an erasure bumps it in the transaction that destroys the key, and an append sealed at
   * an older epoch is refused under the head lock and sealed again after {@link stale}. Keyed by
   * the keyed lookup, never by a subject id. Bounded.
   */
  private readonly sealing = new Map<string, { epoch: number; byLookup: Map<string, Subject> }>();
  private static readonly MAX_SEALING = 50_000;

  constructor(
    private readonly dataSource: DataSource,
    private readonly keys: PrivacyKeys,
  ) {}

  private unwrap(tenantId: string, ref: string, wrapped: string): Buffer {
    const cacheKey = `${tenantId}\u0000${ref}\u0000${wrapped}`;
    let key = this.unwrapped.get(cacheKey);
    if (!key) {
      key = this.keys.unwrap(tenantId, ref, wrapped);
      if (this.unwrapped.size >= SubjectVault.MAX_UNWRAPPED) this.unwrapped.delete(this.unwrapped.keys().next().value!);
      this.unwrapped.set(cacheKey, key);
    }
    return key;
  }

  private get sqlite(): boolean {
    return this.dataSource.options.type === 'better-sqlite3';
  }

  /** The keyed pseudonym a read record names a filtered id by (its own HMAC domain: it matches no lookup). */
  readPseudonymOf(tenantId: string, value: string): string {
    return `p_${hmac(this.keys.pseudonymKey(tenantId), `read\u0000${value}`)}`;
  }

  /** The keyed pseudonym a released legal hold names a subject that is no longer live by (its own HMAC domain). */
  holdPseudonymOf(tenantId: string, value: string): string {
    return `h_${hmac(this.keys.pseudonymKey(tenantId), `hold\u0000${value}`)}`;
  }

  lookupOf(tenantId: string, subjectId: string): string {
    return hmac(this.keys.pseudonymKey(tenantId), `subject\u0000${subjectId}`);
  }

  /** The keyed pseudonym of an IP address, stored in place of it. */
  ipPseudonym(tenantId: string, ip: string): string {
    return ipPseudonymWith(this.keys.pseudonymKey(tenantId), ip);
  }

  /** The tenant's pseudonym key: what a sealing worker needs to write IP pseudonyms (never a subject key). */
  pseudonymKey(tenantId: string): Buffer {
    return this.keys.pseudonymKey(tenantId);
  }

  private async live(tenantId: string, lookups: string[]): Promise<LiveRow[]> {
    if (!lookups.length) return [];
    return this.dataSource.query<LiveRow[]>(
      `SELECT ref, lookup, wrapped_key, sealed_fields FROM data_subject WHERE tenant_id = ? AND lookup IN (${placeholders(lookups.length)}) AND wrapped_key IS NOT NULL`,
      [tenantId, ...lookups],
    );
  }

  /**
   * The subjects of `ids`, created (new reference, new key) for ids not seen before or erased
   * since. Safe with several nodes: the unique lookup lets one insert win, every node reads it.
   */
  async resolve(tenantId: string, ids: readonly string[], now = new Date()): Promise<Map<string, Subject>> {
    const lookups = new Map(ids.map((id) => [this.lookupOf(tenantId, id), id]));
    const found = new Map<string, Subject>();
    const take = (rows: LiveRow[]) => {
      for (const r of rows)
        found.set(lookups.get(r.lookup)!, {
          ref: r.ref,
          key: this.unwrap(tenantId, r.ref, r.wrapped_key),
          sealedFields: maskOf(r.sealed_fields),
        });
    };
    take(await this.live(tenantId, [...lookups.keys()]));
    // In lookup order: concurrent resolves (batches of one tenant in flight together, ADR 0052)
    // then take the unique index's locks in one order.
    const missing = [...lookups].filter(([, id]) => !found.has(id)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (missing.length) {
      const rows: unknown[] = [];
      for (const [lookup, id] of missing) {
        const ref = newRef();
        const { key, wrapped } = this.keys.newDataKey(tenantId, ref);
        rows.push(tenantId, ref, lookup, wrapped, seal(key, id, aad(tenantId, ref)), 0, toSqlDateTime(now.toISOString()));
      }
      const values = missing.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ');
      const insert = `INSERT INTO data_subject (tenant_id, ref, lookup, wrapped_key, sealed_id, sealed_fields, created_at) VALUES ${values}`;
      const statement = this.sqlite ? `${insert} ON CONFLICT DO NOTHING` : `${insert} ON DUPLICATE KEY UPDATE ref = data_subject.ref`;
      // Two inserts of overlapping new subjects can still deadlock on InnoDB's gap locks: the
      // statement is idempotent (the unique lookup lets one insert win), and the data source redoes
      // it after a jittered pause (ADR 0054).
      await this.dataSource.query(statement, rows);
      take(
        await this.live(
          tenantId,
          missing.map(([lookup]) => lookup),
        ),
      );
    }
    return found;
  }

  /**
   * The subjects of `ids` for sealing a batch, and the erasure epoch they are valid at: those this
   * node already holds for the tenant at that epoch without a statement, the others as
   * {@link resolve} finds or creates them. The append compares the epoch under the head lock.
   */
  async resolveForSealing(
    tenantId: string,
    ids: readonly string[],
    now = new Date(),
  ): Promise<{ subjects: Map<string, Subject>; epoch: number }> {
    let held = this.sealing.get(tenantId);
    if (!held) {
      // Read before any subject is: an erasure committed after this read bumps the head past it.
      held = { epoch: await erasureEpochOf((sql, params) => this.dataSource.query(sql, params), tenantId), byLookup: new Map() };
      this.sealing.set(tenantId, held);
    }
    const subjects = new Map<string, Subject>();
    const missing: string[] = [];
    for (const id of ids) {
      const subject = held.byLookup.get(this.lookupOf(tenantId, id));
      if (subject) subjects.set(id, subject);
      else missing.push(id);
    }
    if (missing.length) {
      const found = await this.resolve(tenantId, missing, now);
      const { byLookup } = held;
      for (const [id, subject] of found) {
        subjects.set(id, subject);
        if (byLookup.size >= SubjectVault.MAX_SEALING) byLookup.delete(byLookup.keys().next().value!);
        byLookup.set(this.lookupOf(tenantId, id), subject);
      }
    }
    return { subjects, epoch: held.epoch };
  }

  /** An append refused a batch sealed at `epoch`: the subjects held for it are forgotten. */
  stale(tenantId: string, epoch: number): void {
    if (this.sealing.get(tenantId)?.epoch === epoch) this.sealing.delete(tenantId);
  }

  /** The live reference of `id`, created (new reference, new key) when there is none: what a legal hold by subject stores. */
  async refFor(tenantId: string, id: string): Promise<string> {
    return (await this.resolve(tenantId, [id])).get(id)!.ref;
  }

  /** The live (not erased) references of `ids`. */
  async refsOf(tenantId: string, ids: readonly string[]): Promise<Map<string, string>> {
    const lookups = new Map(ids.map((id) => [this.lookupOf(tenantId, id), id]));
    const rows = await this.live(tenantId, [...lookups.keys()]);
    return new Map(rows.map((r) => [lookups.get(r.lookup)!, r.ref]));
  }

  /** The data keys of `refs`; an erased subject's reference is missing. */
  async keysOf(tenantId: string, refs: readonly string[]): Promise<Map<string, Buffer>> {
    if (!refs.length) return new Map();
    const rows: { ref: string; wrapped_key: string }[] = await this.dataSource.query(
      `SELECT ref, wrapped_key FROM data_subject WHERE tenant_id = ? AND ref IN (${placeholders(refs.length)}) AND wrapped_key IS NOT NULL`,
      [tenantId, ...refs],
    );
    return new Map(rows.map((r) => [r.ref, this.unwrap(tenantId, r.ref, r.wrapped_key)]));
  }

  /** The subject ids behind `refs`; an erased subject's reference is missing. */
  async idsOf(tenantId: string, refs: readonly string[]): Promise<Map<string, string>> {
    if (!refs.length) return new Map();
    const rows: { ref: string; wrapped_key: string; sealed_id: string }[] = await this.dataSource.query(
      `SELECT ref, wrapped_key, sealed_id FROM data_subject WHERE tenant_id = ? AND ref IN (${placeholders(refs.length)}) AND wrapped_key IS NOT NULL`,
      [tenantId, ...refs],
    );
    return new Map(rows.map((r) => [r.ref, open(this.unwrap(tenantId, r.ref, r.wrapped_key), r.sealed_id, aad(tenantId, r.ref))]));
  }

  /**
   * The subject `subjectId` names: live, or with its key destroyed but its lookup kept (an erasure
   * whose chain event is not recorded yet); else, for a subject reference (`s_…`, as a receipt
   * names it: re-running an erasure after a restored backup), the live subject of that reference;
   * null when there is none.
   */
  async find(tenantId: string, subjectId: string): Promise<{ ref: string; keyDestroyed: boolean } | null> {
    const [row]: { ref: string; wrapped_key: string | null }[] = await this.dataSource.query(
      'SELECT ref, wrapped_key FROM data_subject WHERE tenant_id = ? AND lookup = ?',
      [tenantId, this.lookupOf(tenantId, subjectId)],
    );
    if (row) return { ref: row.ref, keyDestroyed: row.wrapped_key === null };
    if (!SUBJECT_REF.test(subjectId)) return null;
    const [byRef]: { ref: string }[] = await this.dataSource.query(
      'SELECT ref FROM data_subject WHERE tenant_id = ? AND ref = ? AND wrapped_key IS NOT NULL',
      [tenantId, subjectId],
    );
    return byRef ? { ref: byRef.ref, keyDestroyed: false } : null;
  }

  /**
   * Destroys the data key and the sealed id (the erasure proper), and bumps the tenant's erasure
   * epoch in the same transaction: every node's append of events sealed with subjects read before
   * is refused from its commit on, and sealed again.
   */
  async destroyKey(tenantId: string, ref: string, now: Date): Promise<void> {
    for (const cacheKey of this.unwrapped.keys()) if (cacheKey.startsWith(`${tenantId}\u0000${ref}\u0000`)) this.unwrapped.delete(cacheKey);
    this.sealing.delete(tenantId);
    const at = toSqlDateTime(now.toISOString());
    await atomically(this.dataSource, [
      {
        text: 'UPDATE data_subject SET wrapped_key = NULL, sealed_id = NULL, erased_at = ? WHERE tenant_id = ? AND ref = ? AND wrapped_key IS NOT NULL',
        params: [at, tenantId, ref],
      },
      ...bumpErasureEpoch(this.sqlite, tenantId, at),
    ]);
    this.sealing.delete(tenantId);
  }

  /** Forgets the lookup once the erasure is in the chain: nothing stored links the id to the reference any more. */
  async forget(tenantId: string, ref: string): Promise<void> {
    await this.dataSource.query('UPDATE data_subject SET lookup = NULL WHERE tenant_id = ? AND ref = ?', [tenantId, ref]);
  }

  /**
   * Records that fields were sealed under these subjects' keys (bit i: FIELD_ORDER[i]): one
   * `sealed_fields = sealed_fields | mask` statement per distinct mask, so nodes sealing at once
   * only ever add bits; a null (not recorded) stays null.
   */
  async addSealedFields(tenantId: string, masks: ReadonlyMap<string, number>): Promise<void> {
    const byMask = new Map<number, string[]>();
    for (const [ref, mask] of masks) byMask.set(mask, [...(byMask.get(mask) ?? []), ref]);
    for (const [mask, refs] of byMask) {
      await this.dataSource.query(
        `UPDATE data_subject SET sealed_fields = sealed_fields | ? WHERE tenant_id = ? AND ref IN (${placeholders(refs.length)}) AND sealed_fields IS NOT NULL`,
        [mask, tenantId, ...refs],
      );
    }
  }

  /** When the subject was erased (null: not yet), and the fields sealed under its key (null: not recorded). */
  async erasureState(tenantId: string, ref: string): Promise<{ erasedAt: string | null; sealedFields: number | null }> {
    const [row]: { erased_at: unknown; sealed_fields: unknown }[] = await this.dataSource.query(
      'SELECT erased_at, sealed_fields FROM data_subject WHERE tenant_id = ? AND ref = ?',
      [tenantId, ref],
    );
    return {
      erasedAt: row?.erased_at === null || row?.erased_at === undefined ? null : fromSqlDateTime(row.erased_at),
      sealedFields: maskOf(row?.sealed_fields),
    };
  }
}
