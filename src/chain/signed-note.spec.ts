import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import {
  checkpointText,
  noteKeyId,
  openNote,
  parseCheckpointText,
  parseNote,
  parseVerifierKey,
  signatureLine,
  signedNote,
  verifierKey,
} from './signed-note';

// The key, text and signature of the Go reference implementation's tests
// (golang.org/x/mod/sumdb/note, note_test.go), carried over as a known answer. Ed25519 signatures
// are deterministic, so signing the text with the key must give exactly this line.
const VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const SIG = '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';

function goPrivateKey(skey: string) {
  // PRIVATE+KEY+<name>+<id>+<base64(0x01 ‖ seed)>: the base64 may hold '+' itself.
  const seed = Buffer.from(skey.split('+').slice(4).join('+'), 'base64').subarray(1);
  return createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
    format: 'der',
    type: 'pkcs8',
  });
}

describe('C2SP signed notes', () => {
  it('signs the Go reference note byte for byte, and derives its verifier key and key id', () => {
    const privateKey = goPrivateKey(SKEY);
    const publicKey = createPublicKey(privateKey);
    expect(verifierKey('PeterNeumann', publicKey)).toBe(VKEY);
    expect(noteKeyId('PeterNeumann', publicKey).toString('hex')).toBe('c74f20a3');
    expect(signatureLine(TEXT, 'PeterNeumann', privateKey, publicKey)).toBe(SIG);
    const { name, publicKey: parsed } = parseVerifierKey(VKEY);
    expect(openNote(signedNote(TEXT, [SIG]), [{ name, publicKey: parsed }])).toEqual({ text: TEXT, verifiedBy: ['PeterNeumann'] });
  });

  it('refuses a changed text or signature of a known key, ignores unknown keys, and refuses malformed notes', () => {
    const { name, publicKey } = parseVerifierKey(VKEY);
    const known = [{ name, publicKey }];
    expect(() => openNote(signedNote(TEXT.replace('problem,', 'problem;'), [SIG]), known)).toThrow(/does not verify/);
    const flipped = SIG.replace('SffcvIAQ', 'SffcvIAR'); // inside the signature, past the key id
    expect(() => openNote(signedNote(TEXT, [flipped]), known)).toThrow(/does not verify/);
    const other = generateKeyPairSync('ed25519');
    const stranger = signatureLine(TEXT, 'Stranger', other.privateKey, other.publicKey);
    expect(openNote(signedNote(TEXT, [stranger]), known)).toEqual({ text: TEXT, verifiedBy: [] });
    expect(openNote(signedNote(TEXT, [stranger, SIG]), known).verifiedBy).toEqual(['PeterNeumann']);
    for (const bad of [TEXT + SIG, `${TEXT}\n`, `${TEXT}\n— PeterNeumann !!!\n`, `no newline\n\n${SIG}`.slice(0, -1)]) {
      expect(() => parseNote(bad)).toThrow();
    }
    expect(() => parseVerifierKey(VKEY.replace('c74f20a3', 'c74f20a4'))).toThrow(/does not match/);
    expect(() => signatureLine('two\n\nparagraphs\n', 'PeterNeumann', goPrivateKey(SKEY), publicKey)).toThrow();
  });

  it('writes and reads a tlog-checkpoint body', () => {
    const root = Buffer.alloc(32, 7);
    const text = checkpointText('example.com/log/tenant-a', 600, root);
    expect(text).toBe(`example.com/log/tenant-a\n600\n${root.toString('base64')}\n`);
    expect(parseCheckpointText(text)).toEqual({ origin: 'example.com/log/tenant-a', size: 600, root, extensions: [] });
    expect(() => parseCheckpointText('o\n06\nAA==\n')).toThrow();
    expect(() => parseCheckpointText(`o\n6\n${Buffer.alloc(31).toString('base64')}\n`)).toThrow(/32 bytes/);
  });
});
