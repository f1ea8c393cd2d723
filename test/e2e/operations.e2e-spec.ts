import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import { loadConfig } from '../../src/config/config';
import { createTestEnvironment, eventInput, RECORD, type TestEnvironment, VERIFY } from '../helpers/test-environment';

const route = (env: TestEnvironment | { url: string }, path: string) => new URL(path, env.url).toString();

/** The value of one sample in Prometheus text format; `labels` must match the sample's label set exactly. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = labels ? `^${escaped}\\{${labels.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\} (\\S+)$` : `^${escaped} (\\S+)$`;
  const match = new RegExp(pattern, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}

describe('operations: health, readiness, metrics', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(() => env.close());

  const metrics = async () => {
    const res = await fetch(route(env, '/metrics'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    return res.text();
  };

  it('answers /healthz and /readyz with 200 without a key', async () => {
    const health = await fetch(route(env, '/healthz'));
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(route(env, '/readyz'));
    expect(ready.status).toBe(200);
  });

  it('exposes request, event, latency and chain-length metrics that follow what happened', async () => {
    const before = await metrics();
    for (const name of [
      'datapunk_http_requests_total',
      'datapunk_audit_events_recorded_total',
      'datapunk_audit_ingest_duration_seconds',
      'datapunk_audit_chain_length',
    ]) {
      expect(before).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
    }
    const recordedBefore = sample(before, 'datapunk_audit_events_recorded_total') ?? Number.NaN;
    const batchesBefore = sample(before, 'datapunk_audit_ingest_duration_seconds_count') ?? Number.NaN;
    const okBefore = sample(before, 'datapunk_http_requests_total', 'route="/graphql",status="200"') ?? 0;

    const batches = [7, 3].map((size, i) => Array.from({ length: size }, (_, j) => eventInput({ idempotencyKey: `metrics-${i}-${j}` })));
    for (const events of batches) {
      const res = await env.gql(RECORD, { input: { events } });
      expect(res.body.data!.recordAuditEvents.recordedCount).toBe(events.length);
    }
    const afterWrites = await metrics();
    expect(sample(afterWrites, 'datapunk_audit_events_recorded_total')).toBe(recordedBefore + 10);
    expect(sample(afterWrites, 'datapunk_audit_ingest_duration_seconds_count')).toBe(batchesBefore + 2);
    expect(sample(afterWrites, 'datapunk_audit_ingest_duration_seconds_sum')).toBeGreaterThan(0);
    expect(sample(afterWrites, 'datapunk_http_requests_total', 'route="/graphql",status="200"')).toBe(okBefore + 2);

    // An idempotent replay writes nothing and counts nothing.
    const replay = await env.gql(RECORD, { input: { events: batches[1] } });
    expect(replay.body.errors).toBeUndefined();
    expect(replay.body.data!.recordAuditEvents.recordedCount).toBe(0);
    expect(sample(await metrics(), 'datapunk_audit_events_recorded_total')).toBe(recordedBefore + 10);
  });

  it('reports each tenant’s chain length as its head sequence', async () => {
    const other = await env.createKey('INGEST', 'metrics-tenant');
    await env.gql(RECORD, { input: { events: [eventInput(), eventInput()] } }, other);
    const head = (await env.gql(VERIFY)).body.data!.verifyAuditChain.headSequence;
    expect(head).toBeGreaterThan(0);
    const text = await metrics();
    expect(sample(text, 'datapunk_audit_chain_length', 'tenant="default"')).toBe(head);
    expect(sample(text, 'datapunk_audit_chain_length', 'tenant="metrics-tenant"')).toBe(2);
  });

  it('counts refused requests by status', async () => {
    const before = sample(await metrics(), 'datapunk_http_requests_total', 'route="/graphql",status="400"') ?? 0;
    await env.gql('{ noSuchField }');
    expect(sample(await metrics(), 'datapunk_http_requests_total', 'route="/graphql",status="400"')).toBe(before + 1);
  });
});

describe('operations: readiness follows the database', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(() => env.close());

  it('answers /readyz 503 while the database is closed, and 200 again once it is back; /healthz stays 200', async () => {
    await env.app.dataSource.destroy();
    try {
      const down = await fetch(route(env, '/readyz'));
      expect(down.status).toBe(503);
      expect((await fetch(route(env, '/healthz'))).status).toBe(200);
    } finally {
      await env.app.dataSource.initialize();
    }
    expect((await fetch(route(env, '/readyz'))).status).toBe(200);
  });
});

describe('operations: spawned server', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(() => env.close());

  const exitOf = (child: ChildProcess) =>
    new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
      else child.once('exit', (code, signal) => resolve({ code, signal }));
    });

  it('drains an in-flight batch on SIGTERM: the request completes with receipts, the process exits 0, the events are stored', async () => {
    // NODE_ENV=production as deployed: Apollo installs its own SIGTERM handler unless NODE_ENV=test (or
    // stopOnTerminationSignals is false), and that handler would end the process before the drain.
    const server = await env.spawnServer({ NODE_ENV: 'production', SHUTDOWN_TIMEOUT_SECONDS: '30', LOG_LEVEL: 'info' });
    let stdout = '';
    server.process.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = exitOf(server.process);
    const events = Array.from({ length: 1000 }, (_, i) => eventInput({ action: 'shutdown.batch', metadata: { i } }));
    const body = JSON.stringify({ query: RECORD, variables: { input: { events } } });
    const split = Math.floor(body.length / 2);

    let finish!: () => void;
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(
        server.url,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${env.adminKey}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, split));
      finish = () => req.end(body.slice(split));
    });

    // Half the body is in; SIGTERM arrives while the server is still reading the rest.
    await new Promise((resolve) => setTimeout(resolve, 300));
    server.process.kill('SIGTERM');
    const deadline = Date.now() + 10_000;
    while (!stdout.includes('"signal":"SIGTERM"') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stdout).toContain('"signal":"SIGTERM"');
    expect(stdout).toContain('"production":true');
    expect(server.process.exitCode).toBeNull();
    // While draining, new work is turned away.
    const late = await fetch(route(server, '/healthz')).then(
      (r) => r.status,
      () => 'refused',
    );
    expect([503, 'refused']).toContain(late);
    finish();

    const res = await response;
    expect(res.status).toBe(200);
    const payload = JSON.parse(res.text);
    expect(payload.errors).toBeUndefined();
    expect(payload.data.recordAuditEvents.recordedCount).toBe(1000);
    expect(payload.data.recordAuditEvents.receipts.map((r: { sequence: number }) => r.sequence)).toEqual(
      Array.from({ length: 1000 }, (_, i) => i + 1),
    );

    expect(await exited).toEqual({ code: 0, signal: null });
    const stored = await env.sql<{ n: unknown }>("SELECT COUNT(*) AS n FROM audit_event WHERE action = 'shutdown.batch'");
    expect(Number(stored[0].n)).toBe(1000);
    const verified = await env.gql(VERIFY);
    expect(verified.body.data!.verifyAuditChain).toMatchObject({ valid: true, checkedCount: 1000, headSequence: 1000 });
  });

  it('writes only JSON lines to stdout, even after recording strings with newlines and forged log lines', async () => {
    const server = await env.spawnServer({ LOG_LEVEL: 'debug' });
    let stdout = '';
    server.process.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const forged = '\n{"level":30,"msg":"forged","forged":true}\n';
    const nasty = {
      actor: { id: `u-1${forged}`, type: 'USER', displayName: `Mallory\r\n${forged}`, userAgent: `agent\u2028\u0000${forged}` },
      resource: { type: 'session', id: `s-1${forged}`, name: `name\n\n${forged}` },
      outcome: { status: 'FAILURE', reason: `line one\nline two${forged}` },
      metadata: { note: `a\nb${forged}`, nested: { [`key${forged}`]: `\u001b[31mred${forged}` } },
    };
    const recorded = await fetch(server.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.adminKey}`, 'content-type': 'application/json', 'x-request-id': 'dpa-log-test' },
      body: JSON.stringify({ query: RECORD, variables: { input: { events: [eventInput(nasty)] } } }),
    });
    const receipt = ((await recorded.json()) as any).data.recordAuditEvents.receipts[0];
    const read = await fetch(server.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        query:
          'query($id: String!) { auditEvent(id: $id) { actor { id displayName userAgent } resource { id name } outcome { reason } metadata } }',
        variables: { id: receipt.id },
      }),
    });
    // Stored and returned exactly.
    expect(((await read.json()) as any).data.auditEvent).toEqual({
      actor: { id: nasty.actor.id, displayName: nasty.actor.displayName, userAgent: nasty.actor.userAgent },
      resource: { id: nasty.resource.id, name: nasty.resource.name },
      outcome: { reason: nasty.outcome.reason },
      metadata: nasty.metadata,
    });
    const broken = await fetch(server.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ auditEvents(after: ${JSON.stringify(forged)}) { totalCount } }` }),
    });
    expect(((await broken.json()) as any).errors[0].extensions.code).toBe('INVALID_CURSOR');

    await server.stop();
    expect(server.process.exitCode).toBe(0);
    const lines = stdout.split('\n').filter((line) => line !== '');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    const entries = lines.map((line) => {
      let entry: Record<string, unknown> | null = null;
      expect(() => (entry = JSON.parse(line))).not.toThrow();
      return entry!;
    });
    for (const entry of entries) {
      expect(entry).toEqual(expect.objectContaining({ level: expect.any(Number), time: expect.any(String) }));
      expect(entry.forged).toBeUndefined();
    }
    // Start-up (it names the URL) and the SIGTERM shutdown are among them.
    expect(entries.some((e) => e.url === server.url)).toBe(true);
    expect(entries.some((e) => e.signal === 'SIGTERM')).toBe(true);
  });
});

describe('operations: /metrics behind METRICS_BEARER_TOKEN', () => {
  let env: TestEnvironment;
  const token = 'metrics-token-0123456789';
  beforeAll(async () => {
    env = await createTestEnvironment({ METRICS_BEARER_TOKEN: token });
  });
  afterAll(() => env.close());

  it('refuses /metrics without the token and serves it with the token', async () => {
    const anonymous = await fetch(route(env, '/metrics'));
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const wrong = await fetch(route(env, '/metrics'), { headers: { authorization: 'Bearer wrong-token-0123456789' } });
    expect(wrong.status).toBe(401);
    const ok = await fetch(route(env, '/metrics'), { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('datapunk_audit_chain_length{tenant="default"}');
  });

  it('accepts the scheme in any case, and refuses a prefix, a longer token and an empty one', async () => {
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      const res = await fetch(route(env, '/metrics'), { headers: { authorization: `${scheme} ${token}` } });
      expect({ scheme, status: res.status }).toEqual({ scheme, status: 200 });
    }
    for (const given of [token.slice(0, -1), `${token}0`, token.toUpperCase(), '']) {
      const res = await fetch(route(env, '/metrics'), { headers: { authorization: `Bearer ${given}` } });
      expect({ given, status: res.status }).toEqual({ given, status: 401 });
    }
  });
});

describe('operations: /metrics in production', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment({ NODE_ENV: 'production' });
  });
  afterAll(() => env.close());

  it('is closed without METRICS_BEARER_TOKEN (it lists every tenant id): 401 UNAUTHENTICATED to everyone', async () => {
    for (const headers of [{}, { authorization: 'Bearer anything-at-all-0123456789' }] as Record<string, string>[]) {
      const res = await fetch(route(env, '/metrics'), { headers });
      expect(res.status).toBe(401);
      const text = await res.text();
      expect(JSON.parse(text).errors[0].extensions.code).toBe('UNAUTHENTICATED');
      expect(text).not.toContain('tenant=');
    }
    expect((await fetch(route(env, '/healthz'))).status).toBe(200);
  });
});

describe('operations: HTTP keep-alive', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(() => env.close());

  /** The Keep-Alive header Node derives from server.keepAliveTimeout. */
  const keepAliveOf = (url: string) =>
    new Promise<string | undefined>((resolve, reject) => {
      const agent = new http.Agent({ keepAlive: true });
      http
        .get(new URL('/healthz', url), { agent }, (res) => {
          res.resume();
          res.on('end', () => {
            agent.destroy();
            resolve(res.headers['keep-alive'] as string | undefined);
          });
        })
        .on('error', reject);
    });

  it('keeps idle connections 65 s by default (above load balancers’ 60 s), and HTTP_KEEP_ALIVE_TIMEOUT_SECONDS sets it', async () => {
    expect(await keepAliveOf(env.url)).toBe('timeout=65');
    const other = await createTestEnvironment({ HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: '120', HTTP_REQUEST_TIMEOUT_SECONDS: '600' });
    try {
      expect(await keepAliveOf(other.url)).toBe('timeout=120');
    } finally {
      await other.close();
    }
  });

  it('derives headersTimeout above keep-alive, and refuses a request timeout that is not above it', async () => {
    expect(loadConfig({}).http).toEqual({ keepAliveTimeoutMs: 65_000, headersTimeoutMs: 66_000, requestTimeoutMs: 300_000 });
    expect(() => loadConfig({ HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: '300' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => loadConfig({ HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: '0' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
