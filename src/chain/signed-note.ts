/**
 * C2SP `signed-note` and `tlog-checkpoint` (issue 13 part 2, ADR 0048): the text form in which
 * transparency logs publish signed tree heads, so that witnesses and verifiers not written for
 * this service can read ours.
 *
 * A note is UTF-8 text of lines each ending in '\n', then a blank line, then one signature line
 * per signer: "— <key name> <base64(key id[4] ‖ Ed25519 signature[64])>\n". The signature covers
 * the text including its final '\n'. The key id is the first 4 bytes of
 * SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ the 32-byte public key). A checkpoint is a note whose text is
 * "<origin>\n<tree size>\n<base64 root hash>\n", optionally followed by extension lines.
 */
import { createHash, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';

const EM_DASH = '\u2014';
const ED25519 = 0x01;
/** The DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
/** Signature lines a note may carry, at most (as the Go reference implementation allows). */
export const MAX_SIGNATURES = 100;

/** The raw 32 bytes of an Ed25519 public key. */
export function rawPublicKey(key: KeyObject | string): Buffer {
  const der = (typeof key === 'string' ? createPublicKey(key) : key).export({ type: 'spki', format: 'der' });
  if (der.length !== 44 || !der.subarray(0, 12).equals(ED25519_SPKI_PREFIX)) throw new Error('not an Ed25519 public key');
  return der.subarray(12);
}

/** An Ed25519 public key from its raw 32 bytes. */
export function publicKeyFromRaw(raw: Buffer): KeyObject {
  if (raw.length !== 32) throw new Error('an Ed25519 public key is 32 bytes');
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** Whether `s` holds an ASCII control character (below U+0020, or DEL). */
const hasControl = (s: string): boolean => [...s].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f);

/** A key name: non-empty, no Unicode space, no '+'. */
export function checkKeyName(name: string): void {
  if (!name || /[\s+]/u.test(name) || hasControl(name)) throw new Error(`"${name}" is not a valid key name`);
}

/** The C2SP key id of an Ed25519 key under `name`. */
export function noteKeyId(name: string, publicKey: KeyObject | string): Buffer {
  checkKeyName(name);
  return createHash('sha256')
    .update(Buffer.from(`${name}\n`, 'utf8'))
    .update(Buffer.of(ED25519))
    .update(rawPublicKey(publicKey))
    .digest()
    .subarray(0, 4);
}

/** The verifier key a witness or verifier is configured with: "<name>+<hex key id>+<base64(0x01 ‖ key)>". */
export function verifierKey(name: string, publicKey: KeyObject | string): string {
  return `${name}+${noteKeyId(name, publicKey).toString('hex')}+${Buffer.concat([Buffer.of(ED25519), rawPublicKey(publicKey)]).toString('base64')}`;
}

/** Parses a verifier key; throws on anything but a well-formed Ed25519 key whose id matches. */
export function parseVerifierKey(vkey: string): { name: string; keyId: Buffer; publicKey: KeyObject } {
  // The name holds no '+'; the base64 key may.
  const [name, hexId, ...rest] = vkey.split('+');
  const keyB64 = rest.join('+');
  if (!keyB64 || !/^[0-9a-f]{8}$/.test(hexId ?? '')) throw new Error('a verifier key is <name>+<8 hex digits>+<base64 key>');
  checkKeyName(name);
  const key = Buffer.from(keyB64, 'base64');
  if (key.toString('base64') !== keyB64 || key.length !== 33 || key[0] !== ED25519)
    throw new Error('only Ed25519 verifier keys are supported');
  const publicKey = publicKeyFromRaw(key.subarray(1));
  if (!noteKeyId(name, publicKey).equals(Buffer.from(hexId, 'hex'))) throw new Error('the verifier key’s id does not match its key');
  return { name, keyId: Buffer.from(hexId, 'hex'), publicKey };
}

/** Checks a note's text: non-empty lines, each ending in '\n', no blank line, no control characters. */
function checkText(text: string): void {
  if (!text.endsWith('\n') || text.includes('\n\n') || hasControl(text.replaceAll('\n', ''))) {
    throw new Error('a note’s text is lines each ending in a newline, with no blank line and no control character');
  }
}

/** A signature line of `name` over `text`. */
export function signatureLine(text: string, name: string, privateKey: KeyObject, publicKey: KeyObject | string): string {
  checkText(text);
  const signature = sign(null, Buffer.from(text, 'utf8'), privateKey);
  return `${EM_DASH} ${name} ${Buffer.concat([noteKeyId(name, publicKey), signature]).toString('base64')}\n`;
}

/** The note: its text, a blank line and the signature lines. */
export const signedNote = (text: string, lines: readonly string[]): string => `${text}\n${lines.join('')}`;

/** One signature line of a note as parsed (not yet verified). */
export interface NoteSignature {
  name: string;
  keyId: Buffer;
  signature: Buffer;
  line: string;
}

/** Splits a note into its text and signature lines; throws on a malformed note. */
export function parseNote(note: string): { text: string; signatures: NoteSignature[] } {
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new Error('a note has a blank line between its text and its signatures');
  const text = note.slice(0, split + 1);
  checkText(text);
  const rest = note.slice(split + 2);
  if (!rest.endsWith('\n')) throw new Error('a note ends in a newline');
  const lines = rest.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw new Error(`a note carries at most ${MAX_SIGNATURES} signatures`);
  const signatures = lines.map((line) => {
    const m = /^\u2014 (\S+) (\S+)$/u.exec(line);
    if (!m) throw new Error('a signature line is "— <name> <base64>"');
    const blob = Buffer.from(m[2], 'base64');
    if (blob.toString('base64') !== m[2] || blob.length < 5) throw new Error('a signature is base64 of a key id and the signature');
    return { name: m[1], keyId: blob.subarray(0, 4), signature: blob.subarray(4), line: `${line}\n` };
  });
  return { text, signatures };
}

/** A key a verifier trusts: its name and public key. */
export interface NoteVerifier {
  name: string;
  publicKey: KeyObject;
}

/**
 * The note's text and the names of the verifiers whose signatures verify. A signature line of a
 * known key (same name and key id) that does not verify makes the whole note invalid, as the
 * specification says; lines of unknown keys are ignored.
 */
export function openNote(note: string, verifiers: readonly NoteVerifier[]): { text: string; verifiedBy: string[] } {
  const { text, signatures } = parseNote(note);
  const verifiedBy: string[] = [];
  for (const s of signatures) {
    const v = verifiers.find((k) => k.name === s.name && noteKeyId(k.name, k.publicKey).equals(s.keyId));
    if (!v) continue;
    if (s.signature.length !== 64 || !verify(null, Buffer.from(text, 'utf8'), v.publicKey, s.signature)) {
      throw new Error(`the signature of ${s.name} does not verify`);
    }
    if (!verifiedBy.includes(s.name)) verifiedBy.push(s.name);
  }
  return { text, verifiedBy };
}

/** The text of a checkpoint (C2SP tlog-checkpoint). */
export function checkpointText(origin: string, size: number, root: Buffer, extensions: readonly string[] = []): string {
  if (!origin || origin.includes('\n')) throw new Error('an origin is one non-empty line');
  if (root.length !== 32) throw new Error('a root hash is 32 bytes');
  return [origin, String(size), root.toString('base64'), ...extensions].map((l) => `${l}\n`).join('');
}

/** A checkpoint's text parsed: origin, tree size, root hash and any extension lines. */
export function parseCheckpointText(text: string): { origin: string; size: number; root: Buffer; extensions: string[] } {
  const lines = text.split('\n').slice(0, -1);
  if (lines.length < 3) throw new Error('a checkpoint has an origin, a size and a root hash');
  const [origin, size, rootB64, ...extensions] = lines;
  if (!/^(0|[1-9][0-9]*)$/.test(size) || !Number.isSafeInteger(Number(size))) throw new Error('a checkpoint’s size is a decimal number');
  const root = Buffer.from(rootB64, 'base64');
  if (root.length !== 32 || root.toString('base64') !== rootB64) throw new Error('a checkpoint’s root hash is 32 bytes in base64');
  return { origin, size: Number(size), root, extensions };
}
