import { spawn } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli';
import { verifierKey } from '../../src/chain/signed-note';
import { createTestEnvironment, eventInput, RECORD, REPO_ROOT, type TestEnvironment } from '../helpers/test-environment';

/**
 * Offline proof bundles and `datapunk-audit verify-proof` (issue 13 part 3, ADR 0049): a bundle
 * fetched through GraphQL verifies on a machine with only the public key — the CLI run in an empty
 * directory with no database settings at all — and any one-byte change to its event, its proof or
 * its checkpoint fails with the reason's code.
 */
const CLI = path.join(REPO_ROOT, 'dist/src/cli.js');
const BUNDLE = 'query B($sequence: SafeInt!) { proofBundle(sequence: $sequence) }';
const TENANT = 'bundles';
const ALICE = { id: 'alice.liddell@example.com', displayName: 'Alice Pleasance Liddell', ip: '10.77.12.34' };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `datapunk-audit …` in this process, with an empty environment: nothing of the server's settings. */
async function cli(args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { out: (t) => (stdout += t), err: (t) => (stderr += t), env: {} });
  return { code, stdout, stderr };
}

/** The built binary in its own process, in `cwd`, with no environment but PATH. */
function spawnCli(cwd: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const flipBase64 = (b64: string, byte: number) => {
  const data = Buffer.from(b64, 'base64');
  data[byte] ^= 0x01;
  return data.toString('base64');
};

describe('proof bundles and verify-proof', () => {
  let env: TestEnvironment;
  let auditor: string;
  let ingest: string;
  let dir: string;
  let keyFile: string;
  let publicKeyPem: string;

  async function bundle(sequence: number, key = auditor) {
    return env.gql<{ proofBundle: string }>(BUNDLE, { sequence }, key);
  }

  /** Writes a bundle and runs verify-proof on it in this process. */
  async function verify(text: string, key = keyFile): Promise<Run> {
    const file = path.join(dir, `b-${Math.random().toString(36).slice(2)}.tlog-proof`);
    fs.writeFileSync(file, text);
    return cli(['verify-proof', '--key', key, file]);
  }

  beforeAll(async () => {
    env = await createTestEnvironment();
    auditor = await env.createKey('AUDITOR', TENANT);
    ingest = await env.createKey('INGEST', TENANT);
    const events = Array.from({ length: 300 }, (_, i) => eventInput({ action: i % 2 ? 'auth.login' : 'record.read', metadata: { n: i } }));
    expect((await env.gql(RECORD, { input: { events } }, ingest)).body.errors).toBeUndefined();
    const keys = await env.gql<{ signingKeys: { publicKeyPem: string; trusted: boolean }[] }>(
      '{ signingKeys { publicKeyPem trusted } }',
      {},
      auditor,
    );
    publicKeyPem = keys.body.data!.signingKeys.find((k) => k.trusted)!.publicKeyPem;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-bundles-'));
    keyFile = path.join(dir, 'log.pem');
    fs.writeFileSync(keyFile, publicKeyPem);
  });
  afterAll(async () => {
    await env?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves a bundle that the binary verifies in an empty directory with only the public key and no database settings', async () => {
    // No checkpoint covers the events yet: the bundle's is signed for it.
    const res = await bundle(123);
    expect(res.body.errors).toBeUndefined();
    const text = res.body.data!.proofBundle;
    expect(text.split('\n').slice(0, 3)).toEqual(['c2sp.org/tlog-proof@v1', expect.stringMatching(/^extra /), 'index 122']);
    const offline = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-offline-'));
    try {
      fs.writeFileSync(path.join(offline, 'event.tlog-proof'), text);
      fs.writeFileSync(path.join(offline, 'log.pem'), publicKeyPem);
      const run = await spawnCli(offline, ['verify-proof', '--key', 'log.pem', 'event.tlog-proof']);
      expect(run).toEqual(expect.objectContaining({ code: 0, stderr: '' }));
      expect(run.stdout).toMatch(
        /^verified event\.tlog-proof: event 123 \(.+\) is in the tree of 300 of .+\/bundles, signed by the pinned key; 0 other/,
      );
      expect(run.stdout).toMatch(/^valid: 1 bundle\(s\) verified$/m);
      // Nothing was created beside the two files (no database opened, no key made).
      expect(fs.readdirSync(offline).sort()).toEqual(['event.tlog-proof', 'log.pem']);
      // The C2SP verifier key form pins the same key.
      fs.writeFileSync(
        path.join(offline, 'log.vkey'),
        `${verifierKey(text.split('\n')[text.split('\n').indexOf('') + 1], createPublicKey(publicKeyPem))}\n`,
      );
      expect((await spawnCli(offline, ['verify-proof', '--key', 'log.vkey', 'event.tlog-proof'])).code).toBe(0);
      expect((await spawnCli(offline, ['verify-proof', '--key', 'log.pem', '--database', 'x', 'event.tlog-proof'])).code).toBe(2);
    } finally {
      fs.rmSync(offline, { recursive: true, force: true });
    }
    // The server's own checkpoint: the bundle's note is the one the checkpoints query shows.
    const noted = await env.gql<{ checkpoints: { sequence: number; note: string }[] }>(
      '{ checkpoints(first: 1) { sequence note } }',
      {},
      auditor,
    );
    expect(text.endsWith(noted.body.data!.checkpoints[0].note)).toBe(true);
  });

  it('fails a one-byte change to the event, to each proof line, to the checkpoint size, root and signature, and another key', async () => {
    const text = (await bundle(77)).body.data!.proofBundle;
    const lines = text.split('\n');
    expect((await verify(text)).code).toBe(0);
    const edit = (at: number, change: (line: string) => string) => lines.map((l, i) => (i === at ? change(l) : l)).join('\n');
    const expectFailure = async (changed: string, code: string, key?: string) => {
      const run = await verify(changed, key);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(new RegExp(`^FAILED .*: ${code} — `, 'm'));
    };
    // The event: one character of its action.
    const extra = Buffer.from(lines[1].slice('extra '.length), 'base64').toString('utf8');
    expect(extra).toContain('"action":"record.read"');
    await expectFailure(
      edit(1, () => `extra ${Buffer.from(extra.replace('"record.read"', '"record.reae"')).toString('base64')}`),
      'BUNDLE_EVENT_CHANGED',
    );
    // Each proof line (the tree of 300 is 9 levels high for event 77).
    const proofLines = lines.slice(3, lines.indexOf(''));
    expect(proofLines).toHaveLength(9);
    for (let at = 3; at < 3 + proofLines.length; at += 1)
      await expectFailure(
        edit(at, (l) => flipBase64(l, 7)),
        'BUNDLE_PROOF_MISMATCH',
      );
    // The checkpoint: its size, its root, its signature.
    const noteAt = lines.indexOf('') + 1;
    await expectFailure(
      edit(noteAt + 1, (l) => String(Number(l) + 1)),
      'BUNDLE_BAD_SIGNATURE',
    );
    await expectFailure(
      edit(noteAt + 2, (l) => flipBase64(l, 3)),
      'BUNDLE_BAD_SIGNATURE',
    );
    await expectFailure(
      edit(noteAt + 4, (l) => l.replace(/\S+$/, (b) => flipBase64(b, 40))),
      'BUNDLE_BAD_SIGNATURE',
    );
    // Another key.
    const other = path.join(dir, 'other.pem');
    const { generateKeyPairSync } = await import('node:crypto');
    fs.writeFileSync(other, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString());
    await expectFailure(text, 'BUNDLE_WRONG_KEY', other);
    // Not a bundle at all.
    await expectFailure(
      edit(0, () => 'c2sp.org/tlog-proof@v0'),
      'BUNDLE_MALFORMED',
    );
  });

  it('proves against the newest checkpoint that covers the event, signing the head only when none does', async () => {
    const more = Array.from({ length: 10 }, () => eventInput({ action: 'auth.login' }));
    expect((await env.gql(RECORD, { input: { events: more } }, ingest)).body.errors).toBeUndefined();
    const old = (await bundle(5)).body.data!.proofBundle;
    expect(old).toMatch(/\n300\n/);
    const fresh = (await bundle(305)).body.data!.proofBundle;
    expect(fresh).toMatch(/\n310\n/);
    expect((await verify(old)).code).toBe(0);
    expect((await verify(fresh)).code).toBe(0);
    const missing = await bundle(311);
    expect(missing.body.errors?.[0].extensions?.code).toBe('PROOF_UNAVAILABLE');
    expect((await bundle(0)).body.errors?.[0].extensions?.code).toBe('INVALID_ARGUMENT');
  });

  it('carries an event with sealed personal fields as stored: ciphertext, never the plaintext', async () => {
    const sealed = eventInput({
      action: 'customer.profile.read',
      actor: { id: ALICE.id, type: 'USER', displayName: ALICE.displayName, ip: ALICE.ip },
      resource: { type: 'customer', id: ALICE.id },
      categories: ['PII'],
    });
    const rec = await env.gql<{ recordAuditEvents: { receipts: { sequence: number }[] } }>(RECORD, { input: { events: [sealed] } }, ingest);
    expect(rec.body.errors).toBeUndefined();
    const text = (await bundle(rec.body.data!.recordAuditEvents.receipts[0].sequence)).body.data!.proofBundle;
    const extra = Buffer.from(text.split('\n')[1].slice('extra '.length), 'base64').toString('utf8');
    expect(JSON.parse(extra).event).toEqual(expect.objectContaining({ v: 2, sealed: expect.any(String) }));
    for (const plain of Object.values(ALICE)) expect(extra).not.toContain(plain);
    expect((await verify(text)).code).toBe(0);
  });

  it('stores a bundle file for the events a JSON and a DOCX report list, which verify-proof checks whole', async () => {
    const GENERATE = 'mutation G($input: GenerateReportInput!) { generateReport(input: $input) { id status contentBase64 } }';
    const BUNDLES = 'query R($id: ID!) { reportProofBundles(id: $id) }';
    const period = { from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() };
    const filter = { action: 'auth.login' };
    for (const format of ['json', 'docx']) {
      const made = await env.gql(GENERATE, { input: { type: 'AUDIT_TRAIL', format, ...period, filter, proofBundles: true } }, auditor);
      expect(made.body.errors).toBeUndefined();
      const { id, status, contentBase64 } = made.body.data!.generateReport;
      expect(status).toBe('READY');
      const file = await env.gql<{ reportProofBundles: string }>(BUNDLES, { id }, auditor);
      expect(file.body.errors).toBeUndefined();
      const text = file.body.data!.reportProofBundles;
      const indexes = [...text.matchAll(/^index (\d+)$/gm)].map((m) => Number(m[1]) + 1);
      if (format === 'json') {
        // Exactly the events of the report's table, by sequence.
        const report = JSON.parse(Buffer.from(contentBase64, 'base64').toString('utf8'));
        const table = report.sections
          .flatMap((sec: { blocks: { type: string; rows?: unknown[][] }[] }) => sec.blocks)
          .find((b: { type: string }) => b.type === 'table');
        expect(indexes).toEqual(table.rows.map((r: unknown[]) => r[0]));
      }
      expect(indexes.length).toBe(160);
      const run = await verify(text);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^valid: 160 bundle\(s\) verified$/m);
      // One proof line changed in one bundle of the file: that bundle fails, by its position.
      const lines = text.split('\n');
      const at = lines.indexOf('index 41') + 1;
      const broken = await verify(lines.map((l, i) => (i === at ? flipBase64(l, 0) : l)).join('\n'));
      expect(broken.code).toBe(1);
      expect(broken.stdout).toMatch(/^FAILED .* bundle \d+ \(index 41\): BUNDLE_PROOF_MISMATCH/m);
    }
    // Without the option: no bundle file. A VIEWER is refused.
    const plain = await env.gql(GENERATE, { input: { type: 'AUDIT_TRAIL', format: 'json', ...period, filter } }, auditor);
    expect((await env.gql(BUNDLES, { id: plain.body.data!.generateReport.id }, auditor)).body.data!.reportProofBundles).toBeNull();
    const viewer = await env.createKey('VIEWER', TENANT);
    const refused = await env.gql(BUNDLES, { id: plain.body.data!.generateReport.id }, viewer);
    expect(refused.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await env.gql(BUNDLES, { id: '01a00000-0000-7000-8000-000000000000' }, auditor)).body.errors?.[0].extensions?.code).toBe(
      'NOT_FOUND',
    );
  });

  it('gives a VIEWER (and an INGEST key) nothing: a bundle holds the event unredacted', async () => {
    const viewer = await env.createKey('VIEWER', TENANT);
    for (const key of [viewer, ingest]) {
      const res = await bundle(1, key);
      expect(res.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect(res.body.data?.proofBundle ?? null).toBeNull();
    }
  });
});
