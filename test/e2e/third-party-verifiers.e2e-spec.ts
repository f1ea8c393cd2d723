import { spawn } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import { VerificationError } from '@sigstore/verify';
import { verifyTLogInclusion } from '@sigstore/verify/dist/tlog';
import { cosign } from '../../src/chain/cosignature';
import { verifierKey } from '../../src/chain/signed-note';
import { createTestEnvironment, eventInput, RECORD, type TestEnvironment } from '../helpers/test-environment';

/**
 * Verifiers that are not ours accept our checkpoints and proofs (issue 13 part 7, ADR 0053):
 *
 * - `@sigstore/verify` (npm, Sigstore's own verification library): the code it runs on a Rekor
 *   entry's inclusion proof (`verifyTLogInclusion`: the signed-note checkpoint's Ed25519 signature,
 *   then the RFC 6962 path from the leaf to the checkpoint's root). Always runs.
 * - Go's `golang.org/x/mod/sumdb/note` and `sumdb/tlog`, where the signed-note format comes from,
 *   through `test/interop/go` built from Debian's packages: checkpoints, inclusion and consistency
 *   proofs and tlog-proof bundles. Runs when DATAPUNK_GO_VERIFIER names the built program, which
 *   `.ci/run` always does (it fails when the program cannot be built).
 *
 * Everything is fetched through GraphQL: the checkpoint notes, the proofs, the events' hashes and
 * the public key. Each verifier must also refuse a one-byte change to a note, a proof or a record.
 */
const TENANT = 'interop';
const CREATE = 'mutation { createCheckpoint { sequence note } }';
const INCLUSION = `query I($sequence: SafeInt!, $treeSize: SafeInt) {
  inclusionProof(sequence: $sequence, treeSize: $treeSize) { leafIndex treeSize rootHash hashes }
}`;
const CONSISTENCY = `query C($fromSize: SafeInt!, $toSize: SafeInt) {
  consistencyProof(fromSize: $fromSize, toSize: $toSize) { fromSize toSize hashes }
}`;
const HASHES = `query H($from: SafeInt!, $to: SafeInt!) {
  auditEvents(filter: { sequenceFrom: $from, sequenceTo: $to }, first: 500, order: ASC) { edges { node { sequence hash } } }
}`;
const GO_VERIFIER = process.env.DATAPUNK_GO_VERIFIER;

interface Note {
  sequence: number;
  note: string;
}
interface Inclusion {
  leafIndex: number;
  treeSize: number;
  rootHash: string;
  hashes: string[];
}

/** One byte of a base64 value changed. */
const flipBase64 = (b64: string, byte = 0): string => {
  const data = Buffer.from(b64, 'base64');
  data[byte] ^= 0x01;
  return data.toString('base64');
};
/** One byte of a hex value changed. */
const flipHex = (hex: string): string => `${hex.slice(0, -1)}${hex.endsWith('0') ? '1' : '0'}`;

/** A note with line `at` of its text changed by `change`. */
const editLine = (note: string, at: number, change: (line: string) => string): string =>
  note
    .split('\n')
    .map((l, i) => (i === at ? change(l) : l))
    .join('\n');

/** A note whose signature (the last line's base64) has one byte changed past the key id. */
function flipSignature(note: string): string {
  const lines = note.split('\n');
  const last = lines.length - 2;
  const [dash, name, sig] = lines[last].split(' ');
  lines[last] = [dash, name, flipBase64(sig, 10)].join(' ');
  return lines.join('\n');
}

/** The note with a witness's cosignature line (cosignature/v1) appended, as served once cosigned (ADR 0050). */
function cosigned(note: string): string {
  const witness = generateKeyPairSync('ed25519');
  const text = note.slice(0, note.indexOf('\n\n') + 1);
  return `${note}${cosign(text, 'witness.example.org', witness.privateKey, witness.publicKey, 1_796_800_000)}`;
}

describe('third-party verifiers accept our checkpoints and proofs', () => {
  let env: TestEnvironment;
  let auditor: string;
  let publicKeyPem: string;
  let origin: string;
  /** The two checkpoints, older first. */
  let older: Note;
  let newer: Note;
  /** The events' hashes (hex) by sequence. */
  const hashes = new Map<number, string>();

  async function inclusion(sequence: number, treeSize: number): Promise<Inclusion> {
    const res = await env.gql<{ inclusionProof: Inclusion }>(INCLUSION, { sequence, treeSize }, auditor);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.inclusionProof;
  }

  beforeAll(async () => {
    env = await createTestEnvironment();
    auditor = await env.createKey('AUDITOR', TENANT);
    const ingest = await env.createKey('INGEST', TENANT);
    const record = async (n: number) => {
      const events = Array.from({ length: n }, (_, i) => eventInput({ action: i % 3 ? 'auth.login' : 'record.read', metadata: { i } }));
      expect((await env.gql(RECORD, { input: { events } }, ingest)).body.errors).toBeUndefined();
    };
    const checkpoint = async (): Promise<Note> => {
      const res = await env.gql<{ createCheckpoint: Note }>(CREATE, {}, auditor);
      expect(res.body.errors).toBeUndefined();
      return res.body.data!.createCheckpoint;
    };
    // Sizes that are not powers of two, so proofs have right-edge subtrees and both proof shapes.
    await record(300);
    older = await checkpoint();
    await record(133);
    newer = await checkpoint();
    expect([older.sequence, newer.sequence]).toEqual([300, expect.any(Number)]);
    expect(newer.sequence).toBeGreaterThan(433 - 1);
    for (let from = 1; from <= newer.sequence; from += 500) {
      const res = await env.gql<{ auditEvents: { edges: { node: { sequence: number; hash: string } }[] } }>(
        HASHES,
        { from, to: from + 499 },
        auditor,
      );
      expect(res.body.errors).toBeUndefined();
      for (const { node } of res.body.data!.auditEvents.edges) hashes.set(node.sequence, node.hash);
    }
    expect(hashes.size).toBeGreaterThanOrEqual(newer.sequence);
    const keys = await env.gql<{ signingKeys: { publicKeyPem: string; trusted: boolean }[] }>(
      '{ signingKeys { publicKeyPem trusted } }',
      {},
      auditor,
    );
    publicKeyPem = keys.body.data!.signingKeys.find((k) => k.trusted)!.publicKeyPem;
    origin = older.note.split('\n')[0];
    expect(origin).toMatch(new RegExp(`/${TENANT}$`));
  });
  afterAll(() => env?.close());

  /** Sequences to prove: the first, the last of each tree, both sides of subtree edges, and between. */
  const SEQUENCES = [1, 2, 3, 128, 129, 256, 257, 299, 300];

  describe('@sigstore/verify', () => {
    /**
     * The log as Sigstore's trust material describes it. Sigstore finds a checkpoint's key by the
     * first 4 bytes of the log id; for a C2SP log those are the C2SP key id, SHA-256(name ‖ 0x0A ‖
     * 0x01 ‖ key)[:4], written out here from the specification. The key name is matched against the
     * log's base URL.
     */
    function authority(publicKey: KeyObject, name = origin) {
      const raw = publicKey.export({ type: 'spki', format: 'der' }).subarray(12);
      const keyId = createHash('sha256').update(`${name}\n`).update(Buffer.of(1)).update(raw).digest().subarray(0, 4);
      return { logID: keyId, baseURL: `https://${name}`, publicKey, validFor: { start: new Date(0), end: new Date(8.64e15) } };
    }

    type Entry = Parameters<typeof verifyTLogInclusion>[0];
    /** A Rekor-style log entry whose body is the event's hash: the leaf is SHA-256(0x00 ‖ body). */
    function entry(note: string, index: number, eventHash: string, proof: string[]): Entry {
      return {
        logIndex: String(index),
        logId: { keyId: Buffer.alloc(32) },
        kindVersion: { kind: 'datapunk-audit-event', version: '1' },
        integratedTime: '0',
        inclusionPromise: undefined,
        inclusionProof: {
          logIndex: String(index),
          rootHash: Buffer.alloc(32),
          treeSize: note.split('\n')[1],
          hashes: proof.map((h) => Buffer.from(h, 'base64')),
          checkpoint: { envelope: note },
        },
        canonicalizedBody: Buffer.from(eventHash, 'hex'),
      };
    }

    /** The verdict of @sigstore/verify: 'ok', or its error code. */
    function sigstore(e: Entry, publicKey = createPublicKey(publicKeyPem)): string {
      try {
        verifyTLogInclusion(e, [authority(publicKey)]);
        return 'ok';
      } catch (err) {
        if (err instanceof VerificationError) return err.code;
        throw err;
      }
    }

    it('accepts our checkpoints and the inclusion proof of every sampled event into both', async () => {
      for (const cp of [older, newer]) {
        for (const sequence of [...SEQUENCES, cp.sequence]) {
          const p = await inclusion(sequence, cp.sequence);
          expect(p.treeSize).toBe(cp.sequence);
          expect(p.rootHash).toBe(cp.note.split('\n')[2]);
          expect(sigstore(entry(cp.note, p.leafIndex, hashes.get(sequence)!, p.hashes))).toBe('ok');
        }
      }
      // A witness's cosignature line beside the log's signature changes nothing.
      const p = await inclusion(5, newer.sequence);
      const note = cosigned(newer.note);
      expect(note.split('\n').filter((l) => l.startsWith('\u2014'))).toHaveLength(2);
      expect(sigstore(entry(note, p.leafIndex, hashes.get(5)!, p.hashes))).toBe('ok');
    });

    it('refuses a one-byte change to the note, a proof hash, the event hash or the index, a proof hash removed, and another key', async () => {
      const p = await inclusion(129, newer.sequence);
      const hash = hashes.get(129)!;
      const good = (note = newer.note, index = p.leafIndex, h = hash, proof = p.hashes) => sigstore(entry(note, index, h, proof));
      expect(good()).toBe('ok');
      const refused = 'TLOG_INCLUSION_PROOF_ERROR';
      expect(good(editLine(newer.note, 1, (s) => String(Number(s) + 1)))).toBe(refused);
      expect(good(editLine(newer.note, 2, (s) => flipBase64(s, 31)))).toBe(refused);
      expect(good(editLine(newer.note, 0, (s) => `${s}x`))).toBe(refused);
      expect(good(flipSignature(newer.note))).toBe(refused);
      for (let i = 0; i < p.hashes.length; i += 1) {
        expect(
          good(
            newer.note,
            p.leafIndex,
            hash,
            p.hashes.map((h, j) => (j === i ? flipBase64(h) : h)),
          ),
        ).toBe(refused);
      }
      expect(good(newer.note, p.leafIndex, hash, p.hashes.slice(0, -1))).toBe(refused);
      expect(good(newer.note, p.leafIndex, hash, [...p.hashes, p.hashes[0]])).toBe(refused);
      expect(good(newer.note, p.leafIndex, flipHex(hash))).toBe(refused);
      expect(good(newer.note, p.leafIndex + 1)).toBe(refused);
      // The right proof of another event, for this event, does not pass either.
      expect(good(newer.note, p.leafIndex, hashes.get(130))).toBe(refused);
      const stranger = generateKeyPairSync('ed25519').publicKey;
      expect(sigstore(entry(newer.note, p.leafIndex, hash, p.hashes), stranger)).toBe(refused);
    });
  });

  (GO_VERIFIER ? describe : describe.skip)('golang.org/x/mod/sumdb (note, tlog), test/interop/go', () => {
    type Check =
      | { kind: 'checkpoint'; note: string }
      | { kind: 'inclusion'; note: string; index: number; record: string; proof: string[] }
      | { kind: 'consistency'; oldNote: string; newNote: string; proof: string[] }
      | { kind: 'bundle'; bundle: string; record: string };
    interface Verdict {
      ok: boolean;
      error?: string;
      origin?: string;
      size?: number;
      root?: string;
    }

    /** Runs the Go verifier on the checks with the public key under the origin as key name. */
    function go(checks: Check[], pem = publicKeyPem): Promise<{ verifierKey: string; results: Verdict[] }> {
      return new Promise((resolve, reject) => {
        const child = spawn(GO_VERIFIER!, [], { stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        child.on('error', reject);
        child.on('close', (code) => {
          if (code !== 0) reject(new Error(`the Go verifier exited with ${code}: ${stderr}`));
          else resolve(JSON.parse(stdout) as { verifierKey: string; results: Verdict[] });
        });
        child.stdin.end(JSON.stringify({ name: origin, publicKeyPem: pem, checks }));
      });
    }
    const verdicts = async (checks: Check[]) => (await go(checks)).results.map((r) => (r.ok ? 'ok' : r.error));

    it('is the program named by DATAPUNK_GO_VERIFIER', () => {
      expect(fs.statSync(GO_VERIFIER!).isFile()).toBe(true);
    });

    it('derives the verifier key we print, and opens both checkpoints, also with a witness cosignature appended', async () => {
      const { verifierKey: vkey, results } = await go([
        { kind: 'checkpoint', note: older.note },
        { kind: 'checkpoint', note: newer.note },
        { kind: 'checkpoint', note: cosigned(newer.note) },
      ]);
      expect(vkey).toBe(verifierKey(origin, createPublicKey(publicKeyPem)));
      expect(results).toEqual([
        { ok: true, origin, size: older.sequence, root: older.note.split('\n')[2] },
        { ok: true, origin, size: newer.sequence, root: newer.note.split('\n')[2] },
        { ok: true, origin, size: newer.sequence, root: newer.note.split('\n')[2] },
      ]);
    });

    it('accepts the inclusion proofs of sampled events into both checkpoints and the consistency proof between them', async () => {
      const checks: Check[] = [];
      for (const cp of [older, newer]) {
        for (const sequence of [...SEQUENCES, cp.sequence]) {
          const p = await inclusion(sequence, cp.sequence);
          checks.push({ kind: 'inclusion', note: cp.note, index: p.leafIndex, record: hashes.get(sequence)!, proof: p.hashes });
        }
      }
      const res = await env.gql<{ consistencyProof: { hashes: string[] } }>(
        CONSISTENCY,
        { fromSize: older.sequence, toSize: newer.sequence },
        auditor,
      );
      expect(res.body.errors).toBeUndefined();
      checks.push({ kind: 'consistency', oldNote: older.note, newNote: newer.note, proof: res.body.data!.consistencyProof.hashes });
      checks.push({ kind: 'consistency', oldNote: newer.note, newNote: newer.note, proof: [] });
      expect(await verdicts(checks)).toEqual(checks.map(() => 'ok'));
    });

    it('refuses a one-byte change to a note, an inclusion or consistency proof, or the record, and a reversed consistency proof', async () => {
      const p = await inclusion(257, newer.sequence);
      const record = hashes.get(257)!;
      const c = (
        await env.gql<{ consistencyProof: { hashes: string[] } }>(
          CONSISTENCY,
          { fromSize: older.sequence, toSize: newer.sequence },
          auditor,
        )
      ).body.data!.consistencyProof.hashes;
      const incl = (note: string, proof = p.hashes, index = p.leafIndex, rec = record): Check => ({
        kind: 'inclusion',
        note,
        index,
        record: rec,
        proof,
      });
      const cons = (oldNote: string, newNote: string, proof = c): Check => ({ kind: 'consistency', oldNote, newNote, proof });
      const changedNotes = [
        editLine(newer.note, 1, (s) => String(Number(s) - 1)),
        editLine(newer.note, 2, (s) => flipBase64(s, 5)),
        flipSignature(newer.note),
      ];
      const OK = /^ok$/;
      const BAD_NOTE = /^(old |new )?note: invalid signature/;
      const BAD_PROOF = /^(inclusion|consistency): invalid transparency proof$/;
      const cases: [Check, RegExp][] = [
        [incl(newer.note), OK],
        ...changedNotes.map((n): [Check, RegExp] => [incl(n), BAD_NOTE]),
        ...p.hashes.map((_, i): [Check, RegExp] => [
          incl(
            newer.note,
            p.hashes.map((h, j) => (j === i ? flipBase64(h, 31) : h)),
          ),
          BAD_PROOF,
        ]),
        [incl(newer.note, p.hashes.slice(1)), BAD_PROOF],
        [incl(newer.note, p.hashes, p.leafIndex - 1), BAD_PROOF],
        [incl(newer.note, p.hashes, p.leafIndex, flipHex(record)), BAD_PROOF],
        [cons(older.note, newer.note), OK],
        ...changedNotes.map((n): [Check, RegExp] => [cons(older.note, n), BAD_NOTE]),
        [cons(flipSignature(older.note), newer.note), BAD_NOTE],
        ...c.map((_, i): [Check, RegExp] => [
          cons(
            older.note,
            newer.note,
            c.map((h, j) => (j === i ? flipBase64(h, 0) : h)),
          ),
          BAD_PROOF,
        ]),
        [cons(older.note, newer.note, c.slice(0, -1)), BAD_PROOF],
        [cons(older.note, newer.note, [...c, c[0]]), BAD_PROOF],
        // Older and newer swapped: tlog refuses a "prefix" larger than the tree.
        [cons(newer.note, older.note), /^consistency: tlog: invalid inputs/],
      ];
      expect(c.length).toBeGreaterThan(1);
      const got = await verdicts(cases.map(([check]) => check));
      got.forEach((verdict, i) => expect([i, verdict]).toEqual([i, expect.stringMatching(cases[i][1])]));
      // Another key: nothing opens.
      const stranger = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const foreign = await go([{ kind: 'checkpoint', note: newer.note }, incl(newer.note)], stranger);
      expect(foreign.results.map((r) => r.ok)).toEqual([false, false]);
    });

    it('reads our tlog-proof bundles and verifies the proof in them, and refuses a changed proof line', async () => {
      const checks: Check[] = [];
      for (const sequence of [1, 200, newer.sequence]) {
        const res = await env.gql<{ proofBundle: string }>('query B($s: SafeInt!) { proofBundle(sequence: $s) }', { s: sequence }, auditor);
        expect(res.body.errors).toBeUndefined();
        const bundle = res.body.data!.proofBundle;
        checks.push({ kind: 'bundle', bundle, record: hashes.get(sequence)! });
        const lines = bundle.split('\n');
        // The record given to Go is the event hash the bundle itself carries.
        const extra = JSON.parse(Buffer.from(lines[1].slice('extra '.length), 'base64').toString('utf8')) as { eventHash: string };
        expect(extra.eventHash).toBe(hashes.get(sequence));
        const proofLine = lines.findIndex((l) => l.startsWith('index ')) + 1;
        if (lines[proofLine] !== '') {
          checks.push({ kind: 'bundle', bundle: editLine(bundle, proofLine, (s) => flipBase64(s, 7)), record: hashes.get(sequence)! });
        }
      }
      const got = await verdicts(checks);
      expect(got.filter((v) => v === 'ok')).toHaveLength(3);
      expect(got.filter((v) => v !== 'ok')).toHaveLength(checks.length - 3);
      expect(checks.length).toBeGreaterThan(3);
    });
  });
});
