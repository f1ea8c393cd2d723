/**
 * The erasure part of `npm run bench` (BENCH_ONLY=erase runs it alone; ADR 0042): a data subject
 * with BENCH_ERASE_SUBJECT_EVENTS (default 10,000) events among BENCH_ERASE_EVENTS (default
 * 200,000), recorded through the ingest service in batches of 1,000, on SQLite (a temporary file)
 * and on MariaDB (a fresh database). Half of the subject's events are its own (it is the actor),
 * half are about it (a `customer` resource, acted on by other people). Before the erasure an
 * action-prefix legal hold that matches none of the subject's events is placed (so the hold pass
 * runs over its events) and two reports are stored, one overlapping the subject's events. Then
 * one `eraseDataSubject` is timed, whole: the hold pass, the key, the scope, the chain event, the
 * report purge, the SQLite WAL checkpoint. Prints, per database,
 * `erase_subject_10k_seconds{db=<db>}=<s>` (target < 1 s).
 */
import 'reflect-metadata';
import { ActorType } from '../src/audit/audit-event.model';
import type { AuditEventInputShape } from '../src/ingest/event-validation';
import { ErasureGround } from '../src/privacy/erasure.types';
import { ReportType } from '../src/reports/report-template';
import { benchEvent, onBothDatabases, runAsScript, withSeededApp } from './in-process';

const EVENTS = Number(process.env.BENCH_ERASE_EVENTS ?? 200_000);
const SUBJECT_EVENTS = Number(process.env.BENCH_ERASE_SUBJECT_EVENTS ?? 10_000);
const SUBJECT = 'erase.me@example.com';

async function benchOne(label: string, databaseUrl?: string): Promise<void> {
  const start = Date.now() - 3_600_000;
  const every = Math.floor(EVENTS / SUBJECT_EVENTS);
  const make = (i: number): AuditEventInputShape => {
    const occurredAt = new Date(start + (i % 3_000_000) / 10);
    if (i % every !== 0 || i / every >= SUBJECT_EVENTS) return benchEvent(i, occurredAt);
    const own = (i / every) % 2 === 0;
    return {
      ...benchEvent(i, occurredAt),
      actor: own
        ? { id: SUBJECT, type: ActorType.USER, displayName: 'Erase Me', ip: '10.99.0.1', userAgent: 'bench' }
        : { id: `user-${i % 977}`, type: ActorType.USER, ip: `10.0.${(i >> 8) & 255}.${i & 255}` },
      action: own ? 'auth.login' : 'customer.profile.read',
      resource: own ? { type: 'record', id: `rec-${i % 5003}` } : { type: 'customer', id: SUBJECT, name: 'Erase Me' },
      categories: ['PII'],
    };
  };
  await withSeededApp('erase', databaseUrl, EVENTS, make, async (app) => {
    const by = { tenantId: 'default', keyId: 'bench', requestId: 'bench-erase' };
    await app.services.retention.placeHold(by, { actionPrefix: 'litigation.', reason: 'bench: a hold the subject is not under' });
    const period = { from: new Date(start - 60_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() };
    const old = { from: new Date(start - 30 * 86_400_000).toISOString(), to: new Date(start - 29 * 86_400_000).toISOString() };
    for (const p of [period, old]) {
      await app.services.reports.service.generate(by, {
        type: ReportType.AUDIT_TRAIL,
        format: 'json',
        ...p,
        filter: { action: 'auth.logout' },
      });
    }
    const started = performance.now();
    const receipt = await app.services.erasure.erase(
      'default',
      { subjectId: SUBJECT, reason: ErasureGround.CONSENT_WITHDRAWN },
      { keyId: 'bench', requestId: 'bench-erase' },
    );
    const seconds = (performance.now() - started) / 1000;
    if (receipt.eventCount !== SUBJECT_EVENTS) throw new Error(`erased ${receipt.eventCount} events, expected ${SUBJECT_EVENTS}`);
    if (receipt.reportsPurged !== 1) throw new Error(`purged ${receipt.reportsPurged} reports, expected 1`);
    console.log(
      `erase_subject_10k_seconds{db=${label}}=${seconds.toFixed(3)} (${receipt.eventCount} of ${EVENTS + 1} events, ${receipt.erasedFields.length} fields, ${receipt.reportsPurged} report purged)`,
    );
  });
}

/** Runs on SQLite, then on a fresh MariaDB database that it drops afterwards (BENCH_ERASE_DB=sqlite or mariadb: one of them). */
export async function eraseBench(): Promise<void> {
  console.log(`# erasure benchmark: one subject with ${SUBJECT_EVENTS} events among ${EVENTS}`);
  await onBothDatabases('erase', benchOne, process.env.BENCH_ERASE_DB);
}

if (require.main === module) runAsScript(eraseBench);
