import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { canonicalJson } from '../chain/canonical-json';
import { type SigningKey, signMessage } from '../chain/signing-key';
import { Classification, Severity } from '../audit/audit-event.model';
import type { IngestService } from '../ingest/ingest.service';
import type { DataSource } from 'typeorm';
import type { ErasureGround, ErasureReceipt } from './erasure.types';
import type { SubjectVault } from './subject-vault';
import { checkSubjectId, subjectScopeByIndex } from './subject-scope';

export const SUBJECT_ERASED_ACTION = 'datapunk.subject.erased';
/** The resource type of the erasure event: not a data-subject type, so nothing of it is sealed. */
export const ERASURE_RESOURCE_TYPE = 'datapunk.erasure';

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
    checkSubjectId(subjectId, 'input.subjectId');
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
    const state = await vault.erasureState(tenantId, ref);
    const erasedAt = state.erasedAt ?? now.toISOString();
    // From the indexes and the subject's row: no event row is read (ADR 0042, amended 2026-12-06).
    const { eventCount, fields, from, to } = await subjectScopeByIndex(this.deps.dataSource, tenantId, ref, state.sealedFields);
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
}
