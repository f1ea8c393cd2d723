import { spawn } from 'node:child_process';

/** What a probe saw: every /healthz latency in milliseconds, the requests that failed, the slowest. */
export interface ProbeResult {
  latencies: number[];
  failures: number;
  max: number;
}

/**
 * The slowest single probe allowed: the stall bound every abuse test holds the server to. One probe
 * is all a stall shows up as (the probe waits it out), so this catches a stall of any length, while
 * leaving room for the scheduling delays of a busy 2-core machine. The tests hold no percentile: a
 * p99 of tens of milliseconds is a property of how loaded the machine is, not of the code, and it
 * failed CI when other work shared the cores. How long the event loop is held is measured in
 * `npm run bench` instead (`verify_max_loop_block_ms_*`, `prune_max_loop_block_ms_*`, the slowest
 * /healthz during a report).
 */
export const HEALTH_MAX_MS = Number(process.env.HEALTH_MAX_MS ?? 1000);

// Runs in its own process, so that work the test itself does (building a 16 MiB document, parsing
// a large answer) never delays a probe: what it measures is the server alone.
const PROBE_SCRIPT = `
const http = require('node:http');
const target = new URL(process.argv[1]);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const latencies = [];
let failures = 0;
let stopping = false;
process.stdin.on('data', () => (stopping = true));
process.stdin.on('end', () => (stopping = true));
function once() {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const req = http.get({ host: target.hostname, port: target.port, path: '/healthz', agent, timeout: 30000 }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode === 200) latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
        else failures += 1;
        process.stdout.write('.');
        resolve();
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => { failures += 1; process.stdout.write('.'); resolve(); });
  });
}
(async () => {
  process.stdout.write('ready\\n');
  while (!stopping) {
    await once();
    await new Promise((r) => setTimeout(r, 20));
  }
  process.stdout.write('\\n' + JSON.stringify({ latencies, failures }) + '\\n');
  agent.destroy();
})();
`;

/**
 * Probes `/healthz` of the server at `url` every 20 ms from a child process until `stop()`.
 * A probe needs a server in another process too (env.spawnServer), or the test's own work counts.
 */
export async function startHealthProbe(url: string): Promise<{ samples(): number; stop(): Promise<ProbeResult> }> {
  const child = spawn(process.execPath, ['-e', PROBE_SCRIPT, url], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (out.startsWith('ready\n')) {
        child.stdout.off('data', check);
        resolve();
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => reject(new Error(`health probe exited with ${code}`)));
  });
  return {
    samples: () => out.length - out.replace(/\./g, '').length,
    stop: () =>
      new Promise<ProbeResult>((resolve, reject) => {
        child.once('exit', () => {
          try {
            const { latencies, failures } = JSON.parse(out.slice(out.lastIndexOf('\n', out.length - 2) + 1)) as {
              latencies: number[];
              failures: number;
            };
            resolve({ latencies, failures, max: latencies.length ? Math.max(...latencies) : Infinity });
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
        child.stdin.end();
      }),
  };
}

/**
 * Runs `attack` while probing `url`, and returns what the attack returned with what the probe saw.
 * Probing goes on after the attack (work it left running is seen too) until at least `minSamples`
 * probes are in, so that a stall the attack left behind is waited out by a probe too.
 */
export async function whileProbing<T>(url: string, attack: () => Promise<T>, minSamples = 100): Promise<{ result: T; probe: ProbeResult }> {
  const probe = await startHealthProbe(url);
  let result: T;
  try {
    result = await attack();
  } catch (error) {
    await probe.stop().catch(() => undefined);
    throw error;
  }
  for (let waits = 0; probe.samples() < minSamples && waits < minSamples * 40; waits += 1) await new Promise((r) => setTimeout(r, 25));
  return { result, probe: await probe.stop() };
}
