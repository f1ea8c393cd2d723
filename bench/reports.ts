/**
 * The report part of `npm run bench`: an AUDIT_TRAIL report in DOCX of BENCH_REPORT_SMALL (default
 * 10,000) and BENCH_REPORT_EVENTS (default 50,000) events, each seeded in its own tenant the way
 * ingest writes them (bench/assessment.ts), generated through the real server over HTTP. Prints the
 * time of generateReport and the server's peak resident set during it, for each, and their ratios.
 */
import type { AssessmentBenchTarget } from './assessment';
import { memory, resetPeak, seed } from './assessment';

const GENERATE = 'mutation G($input: GenerateReportInput!) { generateReport(input: $input) { sizeBytes headSequence } }';

export async function reportBench(target: AssessmentBenchTarget): Promise<void> {
  const small = Number(process.env.BENCH_REPORT_SMALL ?? 10_000);
  const large = Number(process.env.BENCH_REPORT_EVENTS ?? 50_000);
  const start = Date.now() - 400 * 86_400_000; // the seeded events span one year from here
  console.log(`# report benchmark: AUDIT_TRAIL as DOCX over ${small} and ${large} events, MariaDB`);
  const results: { events: number; seconds: number; growth: number; peak: number; size: number }[] = [];
  for (const total of [small, large]) {
    const tenant = `report-${total}-${Date.now().toString(36)}`;
    await seed(target.conn, tenant, total, start);
    const key = await target.auditorKey(tenant);
    const input = { type: 'AUDIT_TRAIL', format: 'docx', from: new Date(start - 86_400_000).toISOString(), to: new Date().toISOString() };
    const before = memory(target.pid);
    resetPeak(target.pid);
    const began = process.hrtime.bigint();
    const json = await target.gql(target.url, key, JSON.stringify({ query: GENERATE, variables: { input } }));
    const seconds = Number(process.hrtime.bigint() - began) / 1e9;
    const { peak } = memory(target.pid);
    const report = json.data.generateReport as { sizeBytes: number; headSequence: number };
    if (report.headSequence !== total) throw new Error(`report over ${report.headSequence} events, seeded ${total}`);
    results.push({ events: total, seconds, growth: peak - before.rss, peak, size: report.sizeBytes });
    console.log(
      `docx audit trail of ${total} events: ${seconds.toFixed(2)} s, ${(report.sizeBytes / 1048576).toFixed(1)} MiB file, server RSS ${before.rss.toFixed(0)} MiB before, peak ${peak.toFixed(0)} MiB`,
    );
  }
  const [s, l] = results;
  console.log(`docx_seconds_${s.events}=${s.seconds.toFixed(2)}`);
  console.log(`docx_seconds_${l.events}=${l.seconds.toFixed(2)}`);
  console.log(`docx_time_ratio_${l.events}_vs_${s.events}=${(l.seconds / s.seconds).toFixed(2)}`);
  console.log(
    `docx_peak_rss_growth_ratio_${l.events}_vs_${s.events}=${(l.growth / Math.max(1, s.growth)).toFixed(2)} (growth ${l.growth.toFixed(0)} vs ${s.growth.toFixed(0)} MiB)`,
  );
}
