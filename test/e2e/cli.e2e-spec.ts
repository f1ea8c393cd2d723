import { spawn } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AuditEventRepository } from '../../src/audit/audit-event.repository';
import { eventHash, linkHash } from '../../src/chain/hashing';
import { main } from '../../src/cli';
import { toSqlDateTime } from '../../src/database/sql-format';
import { createTestEnvironment, eventInput, RECORD, REPO_ROOT, type TestEnvironment, VERIFY } from '../helpers/test-environment';

const CLI = path.join(REPO_ROOT, 'dist/src/cli.js');
const TENANT = "tenant_id = 'default'";
const CHECKPOINT = 'mutation { createCheckpoint { id tenantId sequence chainHash issuedAt keyId signature } }';
const CHECKPOINTS = '{ checkpoints(first: 500) { id tenantId sequence chainHash issuedAt keyId signature } }';
const SIGNING_KEYS = '{ signingKeys { id algorithm publicKeyPem createdAt } }';

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Verification {
  valid: boolean;
  checkedCount: number;
  checkpointsChecked: number;
  headSequence: number;
  fromSequence: number;
  toSequence: number;
  firstFailure: { sequence: number; reason: string; message: string } | null;
}

/**
 * Runs `datapunk-audit …` in this process, through the main() the binary runs, on the test server's
 * environment: dozens of runs cost no Node start-up each (which timed the suite out on a busy
 * machine). The binary itself is run as a process by `spawnCli` below.
 */
async function cli(env: Record<string, string>, args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    out: (text) => (stdout += text),
    err: (text) => (stderr += text),
    env: { ...process.env, ...env, LOG_LEVEL: 'silent', ...extraEnv },
  });
  return { code, signal: null, stdout, stderr };
}

/** Runs `datapunk-audit …` from dist/ in its own process: exit codes and output as a shell sees them. */
function spawnCli(env: Record<string, string>, args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env, LOG_LEVEL: 'silent', ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** `verify-chain --json …`: the exit status and the parsed report. */
async function verifyJson(env: TestEnvironment, ...args: string[]): Promise<{ code: number | null; result: Verification }> {
  const run = await cli(env.env, ['verify-chain', '--json', ...args]);
  let result: Verification | undefined;
  expect(() => (result = JSON.parse(run.stdout) as Verification)).not.toThrow();
  expect(typeof result!.valid).toBe('boolean');
  expect(result!).toHaveProperty('firstFailure');
  expect(result!.valid).toBe(result!.firstFailure === null);
  return { code: run.code, result: result! };
}

async function recordMany(env: TestEnvironment, count: number, from = 0, key?: string): Promise<{ sequence: number; chainHash: string }[]> {
  const events = Array.from({ length: count }, (_, i) =>
    eventInput({
      action: `cli.e${from + i + 1}`,
      actor: { id: `u-${from + i + 1}`, type: 'USER', ip: '203.0.113.7' },
      categories: ['PII'],
      tags: ['cli', `n${from + i + 1}`],
      metadata: { n: from + i + 1 },
    }),
  );
  const res = await env.gql(RECORD, { input: { events } }, key);
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.recordAuditEvents.receipts;
}

const count = async (env: TestEnvironment, from: string, where = '1 = 1', params: unknown[] = []) =>
  Number((await env.sql<{ n: unknown }>(`SELECT COUNT(*) AS n FROM ${from} WHERE ${where}`, params))[0].n);

/** The key id as docs/integrity.md defines it: the first 32 hex digits of SHA-256 over the SPKI DER. */
const keyIdOf = (key: KeyObject) =>
  createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 32);

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-cli-'));

describe('verify-chain --checkpoint: a truncation the database alone cannot show', () => {
  let env: TestEnvironment;
  let dir: string;
  let newest: string; // the createCheckpoint answer at sequence 10
  let kept: string; // the checkpoints answer: sequences 10 and 6, as an array
  let publicKey: string;

  beforeAll(async () => {
    env = await createTestEnvironment();
    dir = tempDir();
    await recordMany(env, 6);
    const first = (await env.gql(CHECKPOINT)).body.data!.createCheckpoint;
    expect(first.sequence).toBe(6);
    await recordMany(env, 4, 6);
    const second = (await env.gql(CHECKPOINT)).body.data!.createCheckpoint;
    expect(second.sequence).toBe(10);
    newest = path.join(dir, 'checkpoint-10.json');
    fs.writeFileSync(newest, JSON.stringify(second));
    const list = (await env.gql(CHECKPOINTS)).body.data!.checkpoints as { sequence: number }[];
    expect(list.map((c) => c.sequence)).toEqual([10, 6]);
    kept = path.join(dir, 'checkpoints.json');
    fs.writeFileSync(kept, JSON.stringify(list));
    publicKey = path.join(dir, 'public.pem');
    fs.writeFileSync(publicKey, (await env.gql(SIGNING_KEYS)).body.data!.signingKeys[0].publicKeyPem);
  });
  afterAll(async () => {
    await env.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('accepts the intact chain with the kept checkpoints, checking them besides the stored ones', async () => {
    expect(await verifyJson(env)).toMatchObject({ code: 0, result: { valid: true, checkedCount: 10, checkpointsChecked: 2 } });
    expect(await verifyJson(env, '--checkpoint', newest)).toMatchObject({
      code: 0,
      result: { valid: true, checkedCount: 10, checkpointsChecked: 3, firstFailure: null },
    });
    expect(await verifyJson(env, '--checkpoint', kept, '--checkpoint', newest, '--public-key', publicKey)).toMatchObject({
      code: 0,
      result: { valid: true, checkpointsChecked: 5 },
    });
    const plain = await cli(env.env, ['verify-chain', '--checkpoint', newest]);
    expect(plain.code).toBe(0);
  });

  it('deleted newest events, their checkpoints and a rewound head: valid from the database alone, TRUNCATED at 8 with a kept checkpoint', async () => {
    const [row7] = await env.sql<{ chain_hash: string }>(`SELECT chain_hash FROM audit_event WHERE ${TENANT} AND sequence = 7`);
    await env.sql(`DELETE FROM audit_event_label WHERE ${TENANT} AND sequence > 7`);
    await env.sql(`DELETE FROM audit_event WHERE ${TENANT} AND sequence > 7`);
    await env.sql(`DELETE FROM checkpoint WHERE ${TENANT} AND sequence > 7`);
    await env.sql(`UPDATE chain_head SET sequence = 7, chain_hash = ? WHERE ${TENANT}`, [row7.chain_hash]);
    expect(await count(env, 'audit_event', TENANT)).toBe(7);
    expect(await count(env, 'checkpoint', TENANT)).toBe(1); // the one at 6 is consistent, so the attacker leaves it

    // The database alone: a valid, shorter chain (the server's own check agrees).
    const alone = await cli(env.env, ['verify-chain']);
    expect(alone.code).toBe(0);
    expect(await verifyJson(env)).toMatchObject({
      code: 0,
      result: { valid: true, checkedCount: 7, headSequence: 7, checkpointsChecked: 1, firstFailure: null },
    });
    expect((await env.gql(VERIFY)).body.data!.verifyAuditChain).toMatchObject({ valid: true, headSequence: 7 });

    // A checkpoint kept outside the database proves events 8..10 existed.
    const caught = await cli(env.env, ['verify-chain', '--checkpoint', newest]);
    expect(caught.code).toBe(1);
    expect(caught.stdout).toMatch(/\bsequence 8\b/);
    expect(caught.stdout).toContain('TRUNCATED');
    for (const args of [
      ['--checkpoint', newest],
      ['--checkpoint', kept],
      ['--checkpoint', newest, '--public-key', publicKey],
    ]) {
      expect(await verifyJson(env, ...args)).toMatchObject({
        code: 1,
        result: { valid: false, checkedCount: 7, headSequence: 7, toSequence: 10, firstFailure: { sequence: 8, reason: 'TRUNCATED' } },
      });
    }
  });

  it('still catches it after the service has appended past the old head: CHECKPOINT_MISMATCH at the kept sequence', async () => {
    const appended = await recordMany(env, 4, 100);
    expect(appended.map((r) => r.sequence)).toEqual([8, 9, 10, 11]);
    expect(await verifyJson(env)).toMatchObject({ code: 0, result: { valid: true, checkedCount: 11 } });
    for (const file of [newest, kept]) {
      expect(await verifyJson(env, '--checkpoint', file)).toMatchObject({
        code: 1,
        result: { valid: false, checkedCount: 9, firstFailure: { sequence: 10, reason: 'CHECKPOINT_MISMATCH' } },
      });
    }
  });
});

describe('verify-chain --public-key: a forged signing key in the database', () => {
  let env: TestEnvironment;
  let dir: string;
  let realKey: string;
  const COUNT = 8;

  beforeAll(async () => {
    env = await createTestEnvironment();
    dir = tempDir();
    await recordMany(env, COUNT);
    expect((await env.gql(CHECKPOINT)).body.data!.createCheckpoint.sequence).toBe(COUNT);
    realKey = path.join(dir, 'real.pem');
  });
  afterAll(async () => {
    await env.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('pins the key that signingKeys publishes, which is the server’s key file', async () => {
    const keys = (await env.gql(SIGNING_KEYS)).body.data!.signingKeys as { id: string; publicKeyPem: string }[];
    expect(keys).toHaveLength(1);
    fs.writeFileSync(realKey, keys[0].publicKeyPem);
    // Out of band: the operator's key file yields the same public key and id.
    const fromFile = createPublicKey(createPrivateKey(fs.readFileSync(path.join(env.env.DATA_DIR, 'signing-key.pem'), 'utf8')));
    expect(keyIdOf(fromFile)).toBe(keys[0].id);
    expect(keyIdOf(createPublicKey(keys[0].publicKeyPem))).toBe(keys[0].id);

    expect(await verifyJson(env, '--public-key', realKey)).toMatchObject({
      code: 0,
      result: { valid: true, checkedCount: COUNT, checkpointsChecked: 1, firstFailure: null },
    });
  });

  it('a rewritten history re-signed with a key the attacker added: UNKNOWN_SIGNING_KEY, pinned or not', async () => {
    // Rewrite event 5 and re-chain everything after it, as the hashing rules allow anyone to.
    await env.sql(`UPDATE audit_event SET actor_id = 'u-attacker' WHERE ${TENANT} AND sequence = 5`);
    const repo = new AuditEventRepository(env.app.dataSource);
    let previous = String((await env.sql<{ h: string }>(`SELECT chain_hash AS h FROM audit_event WHERE ${TENANT} AND sequence = 4`))[0].h);
    for (let s = 5; s <= COUNT; s += 1) {
      const [event] = await repo.findRange('default', s, s, 1);
      const labels = (await repo.labelsFor('default', [event.id])).get(event.id)!;
      const { hash: _h, chainHash: _c, idempotencyKey: _k, ...rest } = event;
      const hash = eventHash({ ...rest, ...labels });
      previous = linkHash(previous, hash);
      await env.sql(`UPDATE audit_event SET hash = ?, chain_hash = ? WHERE ${TENANT} AND sequence = ?`, [hash, previous, s]);
    }
    await env.sql(`UPDATE chain_head SET chain_hash = ? WHERE ${TENANT}`, [previous]);
    // The real checkpoint would betray the rewrite (CHECKPOINT_MISMATCH) …
    expect(await verifyJson(env)).toMatchObject({ code: 1, result: { firstFailure: { sequence: COUNT, reason: 'CHECKPOINT_MISMATCH' } } });
    // … so it goes, replaced by one signed with the attacker's own key, registered in signing_key.
    await env.sql(`DELETE FROM checkpoint WHERE ${TENANT}`);
    const forged = generateKeyPairSync('ed25519');
    const forgedId = keyIdOf(forged.publicKey);
    const issuedAt = new Date().toISOString();
    await env.sql('INSERT INTO signing_key (id, public_key_pem, created_at) VALUES (?, ?, ?)', [
      forgedId,
      forged.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      toSqlDateTime(issuedAt),
    ]);
    const message = `{"chainHash":"${previous}","issuedAt":"${issuedAt}","sequence":${COUNT},"tenantId":"default","v":1}`;
    await env.sql(
      'INSERT INTO checkpoint (id, tenant_id, sequence, chain_hash, issued_at, key_id, signature) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [
        randomUUID(),
        'default',
        COUNT,
        previous,
        toSqlDateTime(issuedAt),
        forgedId,
        sign(null, Buffer.from(message), forged.privateKey).toString('base64'),
      ],
    );

    // Unpinned, only the configured key (the key file in DATA_DIR) is trusted, as in the server: the
    // forgery is named, through the CLI and through GraphQL, although its key is in signing_key.
    expect(await verifyJson(env)).toMatchObject({
      code: 1,
      result: {
        valid: false,
        checkedCount: COUNT,
        untrustedCheckpoints: 1,
        firstFailure: { sequence: COUNT, reason: 'UNKNOWN_SIGNING_KEY' },
      },
    });
    expect((await cli(env.env, ['verify-chain'])).code).toBe(1);
    expect((await env.gql(VERIFY)).body.data!.verifyAuditChain).toMatchObject({
      valid: false,
      firstFailure: { sequence: COUNT, reason: 'UNKNOWN_SIGNING_KEY' },
    });
    const listed = (await env.gql('{ signingKeys { id trusted } }')).body.data!.signingKeys as { id: string; trusted: boolean }[];
    const realId = keyIdOf(createPublicKey(fs.readFileSync(realKey, 'utf8')));
    expect(Object.fromEntries(listed.map((k) => [k.id, k.trusted]))).toEqual({ [forgedId]: false, [realId]: true });

    // Pinned to the real key, the same.
    const pinned = await cli(env.env, ['verify-chain', '--public-key', realKey]);
    expect(pinned.code).toBe(1);
    expect(pinned.stdout).toMatch(new RegExp(`\\bsequence ${COUNT}\\b`));
    expect(pinned.stdout).toContain('UNKNOWN_SIGNING_KEY');
    expect(await verifyJson(env, '--public-key', realKey)).toMatchObject({
      code: 1,
      result: { valid: false, checkedCount: COUNT, firstFailure: { sequence: COUNT, reason: 'UNKNOWN_SIGNING_KEY' } },
    });
  });
});

describe('CLI commands on a running server’s database', () => {
  let env: TestEnvironment;
  let dir: string;

  beforeAll(async () => {
    env = await createTestEnvironment();
    dir = tempDir();
    await recordMany(env, 3);
  });
  afterAll(async () => {
    await env.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('exits 2 on bad arguments, printing nothing on stdout and changing nothing', async () => {
    const checkpoint = (await env.gql(CHECKPOINT)).body.data!.createCheckpoint as Record<string, unknown>;
    const file = (name: string, content: string) => {
      const p = path.join(dir, name);
      fs.writeFileSync(p, content);
      return p;
    };
    const notAKey = file('not-a-key.pem', '-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n');
    const envelope = file('envelope.json', JSON.stringify({ data: { createCheckpoint: checkpoint } }));
    const { signature: _s, ...unsigned } = checkpoint;
    const noSignature = file('no-signature.json', JSON.stringify([checkpoint, unsigned]));
    const textSequence = file('text-sequence.json', JSON.stringify({ ...checkpoint, sequence: 'abc' }));
    const otherTenant = file('other-tenant.json', JSON.stringify({ ...checkpoint, tenantId: 'acme' }));
    const notJson = file('not-json.json', '{ nope');
    const rsa = file(
      'rsa.pem',
      generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    );
    const [keysBefore, tenantsBefore] = [await count(env, 'api_key'), await count(env, 'tenant')];

    for (const args of [
      ['verify-chain', '--from', 'abc'],
      ['verify-chain', '--from', '0'],
      ['verify-chain', '--to', '-1'],
      ['verify-chain', '--from', '1.5'],
      ['verify-chain', '--tenant', 'no-such-tenant'],
      ['verify-chain', '--public-key', path.join(dir, 'missing.pem')],
      ['verify-chain', '--public-key', notAKey],
      ['verify-chain', '--checkpoint', envelope],
      ['verify-chain', '--checkpoint', noSignature],
      ['verify-chain', '--checkpoint', textSequence],
      ['verify-chain', '--checkpoint', otherTenant],
      ['verify-chain', '--checkpoint', notJson],
      ['verify-chain', '--checkpoint', path.join(dir, 'missing.json')],
      ['verify-chain', '--public-key', rsa],
      ['verify-chain', '--public-key'],
      ['verify-chain', '--tenant', '--json'],
      ['verify-chain', '--from', '5', '--to', '2'],
      ['create-api-key', '--role', 'NOPE'],
      ['create-api-key', '--tenant', 'acme'],
      ['frobnicate'],
    ]) {
      const run = await cli(env.env, args);
      expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(run.stderr.length).toBeGreaterThan(0);
    }
    expect([await count(env, 'api_key'), await count(env, 'tenant')]).toEqual([keysBefore, tenantsBefore]);
    // The same tenant and files are fine once the arguments are.
    expect((await cli(env.env, ['verify-chain', '--checkpoint', file('ok.json', JSON.stringify(checkpoint))])).code).toBe(0);
  });

  it('refuses an unknown flag on every command with exit 2, naming it, printing nothing on stdout and changing nothing', async () => {
    const [keysBefore, tenantsBefore] = [await count(env, 'api_key'), await count(env, 'tenant')];
    for (const [flag, args] of [
      ['--frm', ['verify-chain', '--frm', '5']],
      ['--jsn', ['verify-chain', '--jsn']],
      ['--tenant-id', ['verify-chain', '--tenant-id', 'default']],
      ['-x', ['verify-chain', '-x']],
      ['--admin', ['create-api-key', '--role', 'ADMIN', '--admin']],
      ['--roles', ['create-api-key', '--roles', 'ADMIN']],
      ['--force', ['migrate', '--force']],
      ['--tenants', ['rebuild-rollup', '--tenants', 'default']],
      ['--chek', ['print-schema', '--chek', 'schema.graphql']],
      ['--jsn', ['plugin', 'check', './plugins/nope', '--jsn']],
      ['--port', ['serve', '--port', '1']],
    ] as [string, string[]][]) {
      const run = await cli(env.env, args);
      expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(run.stderr).toContain(flag);
    }
    // Stray arguments are refused too.
    for (const args of [
      ['migrate', 'now'],
      ['verify-chain', 'default'],
      ['create-api-key', 'ADMIN'],
    ]) {
      expect({ args, code: (await cli(env.env, args)).code }).toEqual({ args, code: 2 });
    }
    expect([await count(env, 'api_key'), await count(env, 'tenant')]).toEqual([keysBefore, tenantsBefore]);
  });

  it('the built binary: exit codes and streams as a shell sees them (0 valid, 2 unknown flag, 1 stale schema)', async () => {
    const valid = await spawnCli(env.env, ['verify-chain']);
    expect(valid.code).toBe(0);
    expect(valid.stdout).toMatch(/^valid: tenant "default"/);
    const unknown = await spawnCli(env.env, ['verify-chain', '--frm', '5']);
    expect({ code: unknown.code, stdout: unknown.stdout }).toEqual({ code: 2, stdout: '' });
    expect(unknown.stderr).toContain('--frm');
    const stale = path.join(dir, 'stale.graphql');
    fs.writeFileSync(stale, 'type Query { nothing: Int }\n');
    expect((await spawnCli({}, ['print-schema', '--check', stale])).code).toBe(1);
  });

  it('create-api-key --role INGEST --tenant acme prints a secret that records for acme and is refused for reading (FORBIDDEN)', async () => {
    const run = await cli(env.env, ['create-api-key', '--role', 'INGEST', '--tenant', 'acme', '--name', 'cli ingest']);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    const secret = lines[0];
    expect(secret).toMatch(/^\S{32,}$/);
    expect(run.stderr).not.toContain(secret);

    const recorded = await env.gql(RECORD, { input: { events: [eventInput({ action: 'cli.ingest' })] } }, secret);
    expect(recorded.body.errors).toBeUndefined();
    const receipt = recorded.body.data!.recordAuditEvents.receipts[0];
    expect(receipt.sequence).toBe(1); // acme's own chain, not default's (which holds 3)
    expect(await count(env, 'audit_event', 'id = ? AND tenant_id = ?', [receipt.id, 'acme'])).toBe(1);

    const read = await env.gql('{ auditEvents(first: 1) { totalCount } }', {}, secret);
    expect(read.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(read.body.data?.auditEvents ?? null).toBeNull();
    // Not a key of the default tenant's ADMIN kind either.
    expect((await env.gql('{ apiKeys { id } }', {}, secret)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('migrate on an up-to-date database says so and applies nothing', async () => {
    const before = await count(env, 'migrations');
    expect(before).toBeGreaterThan(0);
    const run = await cli(env.env, ['migrate']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/up to date/i);
    expect(await count(env, 'migrations')).toBe(before);
  });

  it.each([['migrate'], ['verify-chain'], ['create-api-key', '--role', 'ADMIN']])(
    '%s against an unreachable database exits 1 with DATABASE_UNREACHABLE',
    async (...args) => {
      for (const url of ['mysql://root@127.0.0.1:1/x', 'mariadb://root@127.0.0.1:1/x']) {
        const run = await cli(env.env, args, { DATABASE_URL: url });
        expect({ url, code: run.code }).toEqual({ url, code: 1 });
        expect(run.stderr).toContain('DATABASE_UNREACHABLE');
        expect(run.stdout).toBe('');
      }
    },
  );
});

describe('print-schema --check', () => {
  let dir: string;
  const committed = path.join(REPO_ROOT, 'schema.graphql');

  beforeAll(() => {
    dir = tempDir();
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('passes against the committed schema.graphql, which is what print-schema prints', async () => {
    const check = await cli({}, ['print-schema', '--check', committed]);
    expect(check.code).toBe(0);
    const printed = await cli({}, ['print-schema']);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toBe(fs.readFileSync(committed, 'utf8'));
  });

  it('fails (exit 1) against a modified copy, or a missing file', async () => {
    const sdl = fs.readFileSync(committed, 'utf8');
    const changes = {
      'field-removed.graphql': sdl.replace(/^ {2}signingKeys: \[SigningKey!\]!\n/m, ''),
      'comment-added.graphql': `${sdl}\n# one more line\n`,
      'one-character.graphql': sdl.replace('verifyAuditChain(', 'verifyAuditChains('),
    };
    for (const [name, content] of Object.entries(changes)) {
      expect(content).not.toBe(sdl);
      const copy = path.join(dir, name);
      fs.writeFileSync(copy, content);
      expect({ name, code: (await cli({}, ['print-schema', '--check', copy])).code }).toEqual({ name, code: 1 });
    }
    expect((await cli({}, ['print-schema', '--check', path.join(dir, 'missing.graphql')])).code).toBe(1);
  });
});
