/**
 * The report part of `npm run bench`: an AUDIT_TRAIL report in DOCX of BENCH_REPORT_SMALL (default
 * 10,000) and BENCH_REPORT_EVENTS (default 50,000) events, each seeded in its own tenant the way
 * ingest writes them (bench/assessment.ts), generated through the real server over HTTP. Both are
 * large enough to be generated in the background, so the time is from generateReport to report(id)
 * saying READY (polled every 50 ms), which is what a user waits. Prints that time and the server's
 * peak resident set during it for each, their ratios, and the slowest answer to a health check
 * sent every 100 ms meanwhile (how long the server's event loop was kept busy).
 */
import type { AssessmentBenchTarget } from './assessment';
import { cpuSeconds, memory, resetPeak, seed } from './assessment';

const GENERATE = 'mutation G($input: GenerateReportInput!) { generateReport(input: $input) { id status } }';
const REPORT = 'query R($id: ID!) { report(id: $id) { status error sizeBytes headSequence } }';

export async function reportBench(target: AssessmentBenchTarget): Promise<void> {
  const small = Number(process.env.BENCH_REPORT_SMALL ?? 10_000);
  const large = Number(process.env.BENCH_REPORT_EVENTS ?? 50_000);
  const start = Date.now() - 400 * 86_400_000; // the seeded events span one year from here
  console.log(`# report benchmark: AUDIT_TRAIL as DOCX over ${small} and ${large} events, MariaDB`);
  const results: { events: number; seconds: number; cpu: number; growth: number; peak: number; size: number; lag: number }[] = [];
  for (const total of [small, large]) {
    const tenant = `report-${total}-${Date.now().toString(36)}`;
    await seed(target.conn, tenant, total, start);
    const key = await target.auditorKey(tenant);
    const input = { type: 'AUDIT_TRAIL', format: 'docx', from: new Date(start - 86_400_000).toISOString(), to: new Date().toISOString() };
    const before = memory(target.pid);
    resetPeak(target.pid);
    const health = probeHealth(target.url);
    const began = process.hrtime.bigint();
    const cpuBefore = cpuSeconds(target.pid);
    const json = await target.gql(target.url, key, JSON.stringify({ query: GENERATE, variables: { input } }));
    const { id } = json.data.generateReport as { id: string };
    let report: { status: string; error: string | null; sizeBytes: number; headSequence: number };
    for (;;) {
      const polled = await target.gql(target.url, key, JSON.stringify({ query: REPORT, variables: { id } }));
      report = polled.data.report;
      if (report.status !== 'PENDING') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const seconds = Number(process.hrtime.bigint() - began) / 1e9;
    const cpu = cpuSeconds(target.pid) - cpuBefore;
    const lag = await health.stop();
    const { peak } = memory(target.pid);
    if (report.status !== 'READY') throw new Error(`report ${report.status}: ${report.error}`);
    if (report.headSequence !== total) throw new Error(`report over ${report.headSequence} events, seeded ${total}`);
    results.push({ events: total, seconds, cpu, growth: peak - before.rss, peak, size: report.sizeBytes, lag });
    console.log(
      `docx audit trail of ${total} events: ${seconds.toFixed(2)} s (server CPU ${cpu.toFixed(2)} s), ${(report.sizeBytes / 1048576).toFixed(1)} MiB file, ` +
        `server RSS ${before.rss.toFixed(0)} MiB before, peak ${peak.toFixed(0)} MiB; slowest /healthz meanwhile ${lag.toFixed(0)} ms`,
    );
  }
  const [s, l] = results;
  console.log(`docx_seconds_${s.events}=${s.seconds.toFixed(2)}`);
  console.log(`docx_seconds_${l.events}=${l.seconds.toFixed(2)}`);
  console.log(`docx_server_cpu_seconds_${s.events}=${s.cpu.toFixed(2)}`);
  console.log(`docx_server_cpu_seconds_${l.events}=${l.cpu.toFixed(2)}`);
  console.log(`docx_time_ratio_${l.events}_vs_${s.events}=${(l.seconds / s.seconds).toFixed(2)}`);
  console.log(`docx_peak_rss_mib_${s.events}=${s.peak.toFixed(0)}`);
  console.log(`docx_peak_rss_mib_${l.events}=${l.peak.toFixed(0)}`);
  console.log(`docx_peak_rss_ratio_${l.events}_vs_${s.events}=${(l.peak / s.peak).toFixed(2)}`);
  console.log(
    `docx_peak_rss_growth_ratio_${l.events}_vs_${s.events}=${(l.growth / Math.max(1, s.growth)).toFixed(2)} (growth ${l.growth.toFixed(0)} vs ${s.growth.toFixed(0)} MiB)`,
  );
}

/** Asks /healthz every 100 ms until stopped; resolves to the slowest answer, in milliseconds. */
function probeHealth(graphqlUrl: string): { stop(): Promise<number> } {
  const url = new URL('/healthz', graphqlUrl);
  let slowest = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const began = process.hrtime.bigint();
      await fetch(url).then((r) => r.arrayBuffer());
      slowest = Math.max(slowest, Number(process.hrtime.bigint() - began) / 1e6);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return slowest;
    },
  };
}
