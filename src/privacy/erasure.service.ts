import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { canonicalJson } from '../chain/canonical-json';
import { type SigningKey, signMessage } from '../chain/signing-key';
import { Classification, Severity } from '../audit/audit-event.model';
import type { IngestService } from '../ingest/ingest.service';
import type { DataSource } from 'typeorm';
import { fromSqlDateTime } from '../database/sql-format';
import type { ErasureGround, ErasureReceipt } from './erasure.types';
import type { SubjectVault } from './subject-vault';
import { FIELD_ORDER } from './personal-data.service';

export const SUBJECT_ERASED_ACTION = 'datapunk.subject.erased';
/** The resource type of the erasure event: not a data-subject type, so nothing of it is sealed. */
export const ERASURE_RESOURCE_TYPE = 'datapunk.erasure';
const MAX_SUBJECT_ID = 256;

/** Deletes what a subject's earlier reports hold: the composition root binds it to the reports module. */
export type ReportPurge = (tenantId: string, period: { from: string; to: string }, createdBefore: Date) => Promise<number>;

export interface ErasureDeps {
  dataSource: DataSource;
  vault: SubjectVault;
  ingest: IngestService;
  signingKey: SigningKey;
  purgeReports: ReportPurge;
  /** The active legal holds that forbid erasing the subject stored as `ref` (the composition root binds it to retention). */
  holdsOn: (tenantId: string, ref: string, subjectId: string) => Promise<string[]>;
}

/** eraseDataSubject (ADR 0042): destroy the key, record the erasure, purge reports, sign a receipt. */
export class ErasureService {
  constructor(private readonly deps: ErasureDeps) {}

  async erase(
    tenantId: string,
    input: { subjectId: string; reason: ErasureGround },
    by: { keyId: string; requestId: string; clientRequestId?: string | null },
    now = new Date(),
  ): Promise<ErasureReceipt & { reportsPurged: number }> {
    const { subjectId, reason } = input;
    if (subjectId.length < 1 || subjectId.length > MAX_SUBJECT_ID || /\p{Cc}/u.test(subjectId)) {
      throw new AppError(ErrorCode.INVALID_ARGUMENT, `subjectId must be 1 to ${MAX_SUBJECT_ID} characters without control characters.`, {
        problems: [{ path: 'input.subjectId', message: 'is empty, too long or holds control characters' }],
      });
    }
    const { vault } = this.deps;
    const subject = await vault.find(tenantId, subjectId);
    if (!subject) {
      throw new AppError(
        ErrorCode.SUBJECT_NOT_FOUND,
        'No data subject of this id holds personal data in your tenant: none was recorded, or it was already erased (nothing keeps the id after an erasure).',
      );
    }
    const { ref } = subject;
    // A retry after the key went finishes the erasure; before that, a legal hold stops it (Art. 17(3)(e)).
    if (!subject.keyDestroyed) {
      const holds = await this.deps.holdsOn(tenantId, ref, subjectId);
      if (holds.length) {
        throw new AppError(
          ErrorCode.SUBJECT_UNDER_LEGAL_HOLD,
          `A legal hold preserves this subject's events (${holds.join(', ')}); nothing was erased. Release the hold first.`,
          { holds },
        );
      }
    }
    // The key goes first: once this statement commits the subject is unreadable, whatever follows.
    // The lookup stays until the chain event is recorded, so that a retry after a failure finishes the erasure.
    if (!subject.keyDestroyed) await vault.destroyKey(tenantId, ref, now);
    const erasedAt = (await vault.erasedAt(tenantId, ref)) ?? now.toISOString();
    const { eventCount, fields, from, to } = await this.scope(tenantId, ref);
    const receipt = await this.deps.ingest.recordServerEvent(tenantId, {
      keyId: by.keyId,
      requestId: by.requestId,
      clientRequestId: by.clientRequestId,
      action: SUBJECT_ERASED_ACTION,
      resource: { type: ERASURE_RESOURCE_TYPE, id: ref },
      severity: Severity.NOTICE,
      classification: Classification.INTERNAL,
      metadata: { reason, eventCount, erasedFields: fields, erasedAt },
    });
    await vault.forget(tenantId, ref);
    // Reports rendered before now from a period with the subject's events hold its plaintext.
    const reportsPurged = eventCount && from && to ? await this.deps.purgeReports(tenantId, { from, to }, new Date()) : 0;
    // SQLite: what the purge overwrote (secure_delete) must not linger in the write-ahead log either.
    if (this.deps.dataSource.options.type === 'better-sqlite3') await this.deps.dataSource.query('PRAGMA wal_checkpoint(TRUNCATE)');
    const signed = {
      v: 1,
      type: SUBJECT_ERASED_ACTION,
      tenantId,
      subjectRef: ref,
      erasedFields: fields,
      eventCount,
      reason,
      erasedAt,
      sequence: receipt.sequence,
      chainHash: receipt.chainHash,
    };
    const message = canonicalJson(signed);
    return {
      subjectRef: ref,
      erasedFields: fields,
      eventCount,
      reason,
      erasedAt,
      sequence: receipt.sequence,
      chainHash: receipt.chainHash,
      keyId: this.deps.signingKey.id,
      message,
      signature: signMessage(this.deps.signingKey, message),
      reportsPurged,
    };
  }

  /** How many events name the reference, which fields of them were sealed under it, and their period. */
  private async scope(
    tenantId: string,
    ref: string,
  ): Promise<{ eventCount: number; fields: string[]; from: string | null; to: string | null }> {
    // Two index searches (ix_audit_event_actor, ix_audit_event_resource_id), each event once: SQLite
    // reads `actor_id = ? OR resource_id = ?` as a scan of the whole tenant.
    const rows: { occurred_at: unknown; sealed: string }[] = await this.deps.dataSource.query(
      'SELECT occurred_at, sealed FROM audit_event WHERE tenant_id = ? AND actor_id = ? AND sealed IS NOT NULL UNION ALL ' +
        'SELECT occurred_at, sealed FROM audit_event WHERE tenant_id = ? AND resource_id = ? AND actor_id <> ? AND sealed IS NOT NULL',
      [tenantId, ref, tenantId, ref, ref],
    );
    const sealed = new Set<string>();
    let from: string | null = null;
    let to: string | null = null;
    for (const row of rows) {
      // The field names of each part are stored in clear beside its ciphertext.
      const part = (JSON.parse(row.sealed) as Record<string, { fields: string[] }>)[ref];
      for (const field of part?.fields ?? []) sealed.add(field);
      const at = fromSqlDateTime(row.occurred_at);
      if (from === null || at < from) from = at;
      if (to === null || at > to) to = at;
    }
    const fields = FIELD_ORDER.filter((f) => sealed.has(f));
    return { eventCount: rows.length, fields, from, to };
  }
}
