import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { AuditEventRepository } from '../audit/audit-event.repository';
import type { ChainVerifier } from '../chain/chain-verifier';
import type { CheckpointService } from '../chain/checkpoint.service';
import type { IngestService } from '../ingest/ingest.service';
import type { SigningKey } from '../chain/signing-key';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import type { Logger } from '../observability/logger';
import { DOWNLOADED_ACTION, GENERATED_ACTION, recordReportEvent, REPORT_RESOURCE } from './report-events';
import type { ReportRepository, StoredReport } from './report.repository';

/** Chunks read from the database at a time when a report is downloaded (under half a MiB). */
const CHUNKS_PER_READ = 8;

/**
 * What reports ask of the API keys (the auth module's): whether the key a download URL was issued
 * to still stands. `ApiKeyService` implements it.
 */
export interface KeyStatus {
  /** False when the tenant has no such key or it is revoked. */
  isActive(tenantId: string, keyId: string): Promise<boolean>;
}

/**
 * Signed download URLs and the downloads they serve: a URL names the tenant, the report, the key
 * it was issued to and its expiry, signed with a key derived from the checkpoint signing key
 * (shared by every node already); a download is checked against the report's chain event before
 * a byte goes out, and recorded in the chain.
 */
export class ReportDownloads {
  private readonly urlKey: Buffer;

  constructor(
    private readonly deps: {
      reports: ReportRepository;
      /** The audit module's event reads: the chain event a download is checked against. */
      events: AuditEventRepository;
      keys: KeyStatus;
      ingest: IngestService;
      /** Checks the `datapunk.report.generated` event a download is checked against. */
      verifier: ChainVerifier;
      checkpoints: CheckpointService;
      signingKey: SigningKey;
      /** How long a download URL stays valid. */
      urlTtlSeconds: number;
      logger: Logger;
    },
  ) {
    const secret = deps.signingKey.privateKey.export({ type: 'pkcs8', format: 'der' });
    this.urlKey = Buffer.from(hkdfSync('sha256', secret, 'datapunk-audit', 'report download URLs v1', 32));
  }

  /** A URL path that lets its holder download one report until `expires` (seconds since 1970). */
  downloadPath(r: StoredReport, keyId: string, now = Date.now()): string {
    const expires = Math.floor(now / 1000) + this.deps.urlTtlSeconds;
    const sig = this.sign(r.tenantId, r.id, keyId, expires);
    return `/reports/${encodeURIComponent(r.tenantId)}/${r.id}?key=${encodeURIComponent(keyId)}&expires=${expires}&sig=${sig}`;
  }

  private sign(tenantId: string, id: string, keyId: string, expires: number): string {
    return createHmac('sha256', this.urlKey).update(`${tenantId}\n${id}\n${keyId}\n${expires}`).digest('base64url');
  }

  /**
   * Checks a download URL and the stored file, and returns the report and its bytes (read as
   * they are sent, see {@link content}); records the download in the chain unless `head`. Throws
   * FORBIDDEN for a bad signature or a revoked key, DOWNLOAD_EXPIRED for an expired URL,
   * REPORT_DAMAGED for a file that no longer matches the size and SHA-256 of its
   * `datapunk.report.generated` chain event (or has none), NOT_FOUND otherwise.
   */
  async download(
    url: URL,
    requestId: string,
    options: { head?: boolean } = {},
    now = Date.now(),
  ): Promise<{ report: StoredReport; content: AsyncIterable<Buffer> }> {
    const match = /^\/reports\/([^/]+)\/([0-9a-f-]{36})$/.exec(url.pathname);
    const keyId = url.searchParams.get('key') ?? '';
    const expires = Number(url.searchParams.get('expires'));
    const sig = url.searchParams.get('sig') ?? '';
    if (!match || !keyId || !Number.isSafeInteger(expires)) throw new AppError(ErrorCode.NOT_FOUND, 'Not a report download URL.');
    let tenantId: string;
    try {
      tenantId = decodeURIComponent(match[1]);
    } catch {
      throw new AppError(ErrorCode.NOT_FOUND, 'Not a report download URL.');
    }
    const expected = Buffer.from(this.sign(tenantId, match[2], keyId, expires));
    const given = Buffer.from(sig);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new AppError(ErrorCode.FORBIDDEN, 'The download URL is not one this server signed (tampered or for another report).');
    }
    if (expires * 1000 <= now)
      throw new AppError(ErrorCode.DOWNLOAD_EXPIRED, 'The download URL has expired; ask report(id) for a fresh downloadUrl.');
    // The URL carries the key that asked for it: revoking that key withdraws its URLs at once.
    if (!(await this.deps.keys.isActive(tenantId, keyId)))
      throw new AppError(ErrorCode.FORBIDDEN, 'The key this download URL was issued to is revoked.');
    const found = await this.deps.reports.find(tenantId, match[2]);
    if (!found || found.status !== 'READY') throw new AppError(ErrorCode.NOT_FOUND, 'No such report, or it is not READY.');
    // The whole file is checked against the chain before a byte goes out, so a damaged one gets a coded error.
    const report = await this.verify(found);
    if (options.head) return { report, content: nothing() };
    // Recorded as the download starts: no file leaves without its event in the chain.
    await recordReportEvent(this.deps.ingest, { tenantId, keyId, requestId }, DOWNLOADED_ACTION, report, new Date(now));
    return { report, content: this.content(report) };
  }

  /**
   * The size and SHA-256 the chain recorded for a report, from its `datapunk.report.generated`
   * event, or why that cannot be relied on: no such event, or a chain that does not verify from
   * that event to the first trusted checkpoint after it (or to the head when there is none). So an
   * edit of the event, rehashed or not, has to be carried through every event up to a signed
   * checkpoint, which it cannot match. Checkpoints of keys no longer trusted are passed over here:
   * they make `verifyAuditChain` fail, but say nothing about this event.
   */
  private async recorded(report: StoredReport): Promise<{ sizeBytes: number; sha256: string } | string> {
    const event = await this.deps.events.firstOnResource(report.tenantId, { type: REPORT_RESOURCE, id: report.id }, GENERATED_ACTION);
    if (!event) return `report ${report.id} has no ${GENERATED_ACTION} event in the chain`;
    const { sequence } = event;
    const { verifier, checkpoints } = this.deps;
    const anchor = await checkpoints.firstTrusted(report.tenantId, verifier.trustedKeys, sequence + 1);
    const check = await verifier.verify(report.tenantId, sequence, anchor?.sequence ?? null, { untrusted: 'skip' });
    if (!check.valid) {
      const failure = check.firstFailure;
      return `the chain from the ${GENERATED_ACTION} event of report ${report.id} (sequence ${sequence}) fails verification: ${failure?.reason} at ${failure?.sequence}: ${failure?.message}`;
    }
    try {
      const metadata = JSON.parse(String(event.metadata)) as { sizeBytes?: unknown; sha256?: unknown };
      const { sizeBytes, sha256 } = metadata;
      if (typeof sizeBytes === 'number' && typeof sha256 === 'string') return { sizeBytes, sha256 };
    } catch {
      // reported below
    }
    return `the ${GENERATED_ACTION} event of report ${report.id} carries no size and SHA-256`;
  }

  /**
   * Reads a stored report through once and returns it with the size and SHA-256 of its chain
   * event; REPORT_DAMAGED unless the chain has the event, the `report` row agrees with it and the
   * file's bytes hash to it. The chain, not the row, is the reference: a file forged together with
   * its `size_bytes` and `sha256` columns still fails.
   */
  private async verify(report: StoredReport): Promise<StoredReport> {
    const damaged = (reason: string) => {
      this.deps.logger.error({ err: reason, report: report.id }, 'stored report damaged');
      return new AppError(
        ErrorCode.REPORT_DAMAGED,
        'The stored file of this report does not match the SHA-256 recorded in the audit chain when it was generated; generate the report again.',
      );
    };
    const recorded = await this.recorded(report);
    if (typeof recorded === 'string') throw damaged(recorded);
    if (recorded.sha256 !== report.sha256 || recorded.sizeBytes !== report.sizeBytes) {
      throw damaged(
        `report ${report.id} is stored as ${report.sizeBytes} bytes, ${report.sha256}; the chain recorded ${recorded.sizeBytes} bytes, ${recorded.sha256}`,
      );
    }
    const checked = { ...report, ...recorded };
    try {
      for await (const _bytes of this.content(checked));
    } catch (error) {
      throw damaged(error instanceof Error ? error.message : String(error));
    }
    return checked;
  }

  /**
   * A stored report's bytes, read a few chunks at a time, checked against `report.sizeBytes` and
   * `report.sha256` (in a download, those of the chain event: see {@link verify}). The last chunk is held back until the whole file checks out:
   * a damaged file throws before its end, so a download of it is cut off instead of completing.
   */
  async *content(report: StoredReport): AsyncGenerator<Buffer> {
    const hash = createHash('sha256');
    let size = 0;
    let held: Buffer | null = null;
    for (let part = 0; ; part += CHUNKS_PER_READ) {
      const chunks = await this.deps.reports.chunks(report.id, part, CHUNKS_PER_READ);
      for (const chunk of chunks) {
        if (held) yield held;
        held = chunk;
        hash.update(held);
        size += held.length;
      }
      if (chunks.length < CHUNKS_PER_READ) break;
    }
    const sha256 = hash.digest('hex');
    if (size !== report.sizeBytes || sha256 !== report.sha256) {
      throw new Error(
        `report ${report.id} is damaged: ${size} bytes with SHA-256 ${sha256}, generated as ${report.sizeBytes} bytes, ${report.sha256}`,
      );
    }
    if (held) yield held;
  }
}

async function* nothing(): AsyncGenerator<Buffer> {}
