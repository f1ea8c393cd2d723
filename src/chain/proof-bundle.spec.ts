import { createHash, generateKeyPairSync } from 'node:crypto';
import { canonicalJson } from './canonical-json';
import { buildProof, inclusionPlan, leafHash, type SubtreeRef, nodeHash } from './merkle';
import {
  bundleExtra,
  formatProofBundle,
  MalformedBundleError,
  parseProofBundles,
  type PinnedKey,
  PROOF_HEADER,
  ProofBundleFailure,
  verifyProofBundle,
} from './proof-bundle';
import { readPinnedKey, verifyProofFiles } from './verify-proof';
import { checkpointText, signatureLine, signedNote, verifierKey } from './signed-note';
import { cosign, parseWitnessKey, witnessVerifierKey } from './cosignature';

const ORIGIN = 'audit.example/datapunk-audit/acme';
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const witness = generateKeyPairSync('ed25519');

const events = Array.from({ length: 7 }, (_, i) => ({
  v: 1,
  id: `e-${i + 1}`,
  tenantId: 'acme',
  sequence: i + 1,
  action: 'auth.login',
  metadata: { n: i, note: 'ünïcode' },
}));
const leaves = events.map((e) => leafHash(createHash('sha256').update(canonicalJson(e)).digest()));

/** The hash of a perfect subtree, straight from the leaves. */
function subtree(ref: SubtreeRef): Buffer {
  if (ref.level === 0) return leaves[ref.index];
  return nodeHash(subtree({ level: ref.level - 1, index: ref.index * 2 }), subtree({ level: ref.level - 1, index: ref.index * 2 + 1 }));
}
const root = nodeHash(
  nodeHash(subtree({ level: 1, index: 0 }), subtree({ level: 1, index: 1 })),
  nodeHash(subtree({ level: 1, index: 2 }), leaves[6]),
);

function note(text = checkpointText(ORIGIN, 7, root), witnessed = false): string {
  const lines = [signatureLine(text, ORIGIN, privateKey, publicKey)];
  if (witnessed) lines.push(signatureLine(text, 'witness.example', witness.privateKey, witness.publicKey));
  return signedNote(text, lines);
}

function bundleOf(sequence: number, n = note()): string {
  return formatProofBundle({
    extra: bundleExtra(events[sequence - 1]),
    index: sequence - 1,
    hashes: buildProof(inclusionPlan(sequence - 1, 7), subtree),
    note: n,
  });
}

const pem: PinnedKey = { name: null, publicKey };
const check = (text: string, key = pem) => verifyProofBundle(parseProofBundles(text)[0], key);
const failure = (text: string, key = pem) => {
  const result = check(text, key);
  return result.ok ? 'OK' : result.failure;
};

/** `text` with the line starting with `prefix` (or line `n`) rewritten. */
function editLine(text: string, at: number, edit: (line: string) => string): string {
  const lines = text.split('\n');
  lines[at] = edit(lines[at]);
  return lines.join('\n');
}
const flipBase64 = (b64: string, byte: number) => {
  const data = Buffer.from(b64, 'base64');
  data[byte] ^= 0x01;
  return data.toString('base64');
};

describe('proof bundles (C2SP tlog-proof)', () => {
  it('writes the tlog-proof shape: header, extra, index, proof hashes, a blank line, the note verbatim', () => {
    const text = bundleOf(3, note(undefined, true));
    const lines = text.split('\n');
    expect(lines[0]).toBe(PROOF_HEADER);
    expect(lines[1]).toMatch(/^extra [A-Za-z0-9+/]+=*$/);
    expect(lines[2]).toBe('index 2');
    expect(lines.slice(3, 6).every((l) => Buffer.from(l, 'base64').length === 32)).toBe(true);
    expect(lines[6]).toBe('');
    expect(text.endsWith(note(undefined, true))).toBe(true);
    const [parsed] = parseProofBundles(text);
    expect(parsed.index).toBe(2);
    expect(parsed.hashes).toHaveLength(3);
    expect(parsed.note).toBe(note(undefined, true));
    expect(JSON.parse(parsed.extra!.toString('utf8'))).toEqual({
      event: events[2],
      eventHash: createHash('sha256').update(canonicalJson(events[2])).digest('hex'),
    });
  });

  it('verifies every event of the tree with the PEM key or the C2SP verifier key, and counts the lines it did not check', () => {
    for (let s = 1; s <= 7; s += 1) {
      expect(check(bundleOf(s))).toEqual(
        expect.objectContaining({ ok: true, sequence: s, treeSize: 7, origin: ORIGIN, unverifiedSignatures: 0 }),
      );
    }
    const vkey = readPinnedKey(verifierKey(ORIGIN, publicKey));
    expect(check(bundleOf(5, note(undefined, true)), vkey)).toEqual(expect.objectContaining({ ok: true, unverifiedSignatures: 1 }));
    expect(readPinnedKey(publicKey.export({ type: 'spki', format: 'pem' }).toString()).name).toBeNull();
  });

  it('fails a one-byte change to the event, with or without its hash changed to match', () => {
    const text = bundleOf(4);
    const extra = parseProofBundles(text)[0].extra!.toString('utf8');
    const changed = extra.replace('auth.login', 'auth.logIn');
    expect(failure(editLine(text, 1, () => `extra ${Buffer.from(changed).toString('base64')}`))).toBe(
      ProofBundleFailure.BUNDLE_EVENT_CHANGED,
    );
    // A byte of whitespace: the same JSON value, not the same bytes.
    const spaced = extra.replace('{"event":', '{ "event":');
    expect(failure(editLine(text, 1, () => `extra ${Buffer.from(spaced).toString('base64')}`))).toBe(
      ProofBundleFailure.BUNDLE_EVENT_CHANGED,
    );
    // The event and its hash both changed: the leaf is another one, which the proof does not fit.
    const event = { ...events[3], action: 'auth.logIn' };
    const forged = bundleExtra(event).toString('base64');
    expect(failure(editLine(text, 1, () => `extra ${forged}`))).toBe(ProofBundleFailure.BUNDLE_PROOF_MISMATCH);
    // Another event of the tree under this index.
    expect(failure(editLine(text, 1, () => `extra ${bundleExtra(events[4]).toString('base64')}`))).toBe(
      ProofBundleFailure.BUNDLE_EVENT_CHANGED,
    );
  });

  it('fails a one-byte change to any proof line, or a line added or removed', () => {
    const text = bundleOf(6);
    for (const at of [3, 4, 5]) {
      expect(failure(editLine(text, at, (l) => flipBase64(l, 31)))).toBe(ProofBundleFailure.BUNDLE_PROOF_MISMATCH);
    }
    expect(() => parseProofBundles(editLine(text, 5, () => ''))).toThrow(MalformedBundleError);
    expect(failure(editLine(text, 5, (l) => `${l}\n${l}`))).toBe(ProofBundleFailure.BUNDLE_PROOF_MISMATCH);
    const lines = text.split('\n');
    expect(failure([...lines.slice(0, 5), ...lines.slice(6)].join('\n'))).toBe(ProofBundleFailure.BUNDLE_PROOF_MISMATCH);
  });

  it('fails a changed checkpoint size, root or signature, and another key', () => {
    const text = bundleOf(2);
    const noteAt = text.split('\n').indexOf(ORIGIN);
    expect(failure(editLine(text, noteAt + 1, () => '8'))).toBe(ProofBundleFailure.BUNDLE_BAD_SIGNATURE);
    expect(failure(editLine(text, noteAt + 2, (l) => flipBase64(l, 0)))).toBe(ProofBundleFailure.BUNDLE_BAD_SIGNATURE);
    const sigAt = noteAt + 4;
    expect(failure(editLine(text, sigAt, (l) => l.replace(/\S+$/, (b) => flipBase64(b, 20))))).toBe(
      ProofBundleFailure.BUNDLE_BAD_SIGNATURE,
    );
    expect(failure(text, { name: null, publicKey: other.publicKey })).toBe(ProofBundleFailure.BUNDLE_WRONG_KEY);
    expect(failure(text, { name: 'another.example/log', publicKey })).toBe(ProofBundleFailure.BUNDLE_WRONG_KEY);
    // A checkpoint that someone else signed for the event's root does not pass for the pinned key's.
    const text2 = checkpointText(ORIGIN, 7, root);
    const foreign = signedNote(text2, [signatureLine(text2, ORIGIN, other.privateKey, other.publicKey)]);
    expect(failure(bundleOf(2, foreign))).toBe(ProofBundleFailure.BUNDLE_WRONG_KEY);
  });

  it('refuses what is not a tlog-proof, line by line', () => {
    const text = bundleOf(1);
    const malformed = [
      '',
      text.slice(0, -1),
      editLine(text, 0, () => 'c2sp.org/tlog-proof@v2'),
      editLine(text, 2, () => 'index 01'),
      editLine(text, 2, () => 'index -1'),
      editLine(text, 3, (l) => `${l}=`),
      editLine(text, 3, () => Buffer.alloc(31).toString('base64')),
      text.slice(0, text.indexOf('\n\n') + 2),
      `${text}trailing\n`,
    ];
    for (const bad of malformed) expect(() => parseProofBundles(bad)).toThrow(MalformedBundleError);
    expect(failure(editLine(text, 1, () => 'extra bm90IGpzb24='))).toBe(ProofBundleFailure.BUNDLE_EVENT_CHANGED);
    const noExtra = text
      .split('\n')
      .filter((_, i) => i !== 1)
      .join('\n');
    expect(failure(noExtra)).toBe(ProofBundleFailure.BUNDLE_MALFORMED);
  });

  it('reads a report’s bundle file, bundles one after another, and names the one that fails', () => {
    const file = [1, 4, 7].map((s) => bundleOf(s, note(undefined, true))).join('');
    expect(parseProofBundles(file).map((b) => b.index)).toEqual([0, 3, 6]);
    const files: Record<string, string> = {
      key: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      good: file,
      bad: file.replace(
        bundleOf(4, note(undefined, true)),
        editLine(bundleOf(4, note(undefined, true)), 3, (l) => flipBase64(l, 0)),
      ),
    };
    const read = (f: string) => files[f];
    const good = verifyProofFiles('key', ['good'], read);
    expect(good.ok).toBe(true);
    expect(good.lines.at(-1)).toBe('valid: 3 bundle(s) verified');
    const bad = verifyProofFiles('key', ['bad'], read);
    expect(bad.ok).toBe(false);
    expect(bad.lines.filter((l) => l.startsWith('FAILED'))).toEqual([
      expect.stringMatching(/^FAILED bad bundle 2 \(index 3\): BUNDLE_PROOF_MISMATCH/),
    ]);
    expect(() => verifyProofFiles('good', ['good'], read)).toThrow(/not an Ed25519 public key/);
  });

  it('with --witness-key, verifies a bundle only when the quorum of those witnesses cosigned its checkpoint', () => {
    const text = checkpointText(ORIGIN, 7, root);
    const w1 = generateKeyPairSync('ed25519');
    const w2 = generateKeyPairSync('ed25519');
    const line1 = cosign(text, 'w1.example', w1.privateKey, w1.publicKey, 1_790_000_000);
    const line2 = cosign(text, 'w2.example', w2.privateKey, w2.publicKey, 1_790_000_001);
    const own = signatureLine(text, ORIGIN, privateKey, publicKey);
    const keys = [witnessVerifierKey('w1.example', w1.publicKey), witnessVerifierKey('w2.example', w2.publicKey)].map(parseWitnessKey);
    // A forged line: w2's name and key id over another signature.
    const forged = line2.replace(/ (\S+)\n$/, (_, b64: string) => {
      const bytes = Buffer.from(b64, 'base64');
      bytes[bytes.length - 1] ^= 1;
      return ` ${bytes.toString('base64')}\n`;
    });
    const files: Record<string, string> = {
      key: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      both: bundleOf(3, signedNote(text, [own, line1, line2])),
      one: bundleOf(3, signedNote(text, [own, line1])),
      forged: bundleOf(3, signedNote(text, [own, line1, forged])),
    };
    const read = (file: string) => files[file];
    const both = verifyProofFiles('key', ['both'], read, { keys, quorum: 2 });
    expect(both.ok).toBe(true);
    expect(both.lines[0]).toMatch(/cosigned by 2 of 2 witnesses \(w1\.example, w2\.example; quorum 2\); 0 other signature line/);
    expect(verifyProofFiles('key', ['one'], read, { keys, quorum: 1 }).ok).toBe(true);
    const one = verifyProofFiles('key', ['one'], read, { keys, quorum: 2 });
    expect(one.ok).toBe(false);
    expect(one.lines[0]).toMatch(/^FAILED one: BUNDLE_WITNESS_QUORUM — cosigned by 1 of 2 witnesses \(w1\.example\), quorum 2/);
    const bad = verifyProofFiles('key', ['forged'], read, { keys, quorum: 1 });
    expect(bad.ok).toBe(false);
    expect(bad.lines[0]).toMatch(/BUNDLE_WITNESS_QUORUM .*a cosignature of w2\.example does not verify/);
    // Without witness keys the cosignatures are counted, not checked.
    expect(verifyProofFiles('key', ['both'], read).lines[0]).toMatch(/; 2 other signature line\(s\) not verified$/);
  });
});
