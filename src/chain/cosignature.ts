/**
 * C2SP `tlog-cosignature` (cosignature/v1, Ed25519; issue 13 part 4, ADR 0050): a witness's
 * statement that, as of its timestamp, the checkpoint is the largest consistent tree it has seen of
 * that origin. A cosignature is a note signature line whose key id uses signature type 0x04, and
 * whose signature is an 8-byte big-endian POSIX timestamp followed by an Ed25519 signature over
 * "cosignature/v1\ntime <timestamp>\n" and the whole checkpoint text.
 */
import { createHash, type KeyObject, sign, verify } from 'node:crypto';
import { checkKeyName, parseNote, publicKeyFromRaw, rawPublicKey } from './signed-note';

/** The signature type of Ed25519 cosignature/v1 keys. */
export const COSIGNATURE_V1 = 0x04;
const EM_DASH = '\u2014';
const MAX_TIMESTAMP = 2n ** 63n - 1n;

/** The key id of a cosignature/v1 key: SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)[:4]. */
export function cosignatureKeyId(name: string, publicKey: KeyObject | string): Buffer {
  checkKeyName(name);
  return createHash('sha256')
    .update(Buffer.from(`${name}\n`, 'utf8'))
    .update(Buffer.of(COSIGNATURE_V1))
    .update(rawPublicKey(publicKey))
    .digest()
    .subarray(0, 4);
}

/** A witness's verifier key: "<name>+<hex key id>+<base64(0x04 ‖ key)>". */
export function witnessVerifierKey(name: string, publicKey: KeyObject | string): string {
  const raw = Buffer.concat([Buffer.of(COSIGNATURE_V1), rawPublicKey(publicKey)]);
  return `${name}+${cosignatureKeyId(name, publicKey).toString('hex')}+${raw.toString('base64')}`;
}

/** A witness a verifier trusts: its name, key id and public key. */
export interface WitnessKey {
  name: string;
  keyId: Buffer;
  publicKey: KeyObject;
}

/** Parses a witness verifier key; throws on anything but a well-formed cosignature/v1 key whose id matches. */
export function parseWitnessKey(vkey: string): WitnessKey {
  const [name, hexId, ...rest] = vkey.split('+');
  const keyB64 = rest.join('+');
  if (!keyB64 || !/^[0-9a-f]{8}$/.test(hexId ?? '')) throw new Error('a witness key is <name>+<8 hex digits>+<base64 key>');
  checkKeyName(name);
  const key = Buffer.from(keyB64, 'base64');
  if (key.toString('base64') !== keyB64 || key.length !== 33 || key[0] !== COSIGNATURE_V1) {
    throw new Error('a witness key is a cosignature/v1 Ed25519 key (signature type 0x04)');
  }
  const publicKey = publicKeyFromRaw(key.subarray(1));
  if (!cosignatureKeyId(name, publicKey).equals(Buffer.from(hexId, 'hex'))) throw new Error('the witness key’s id does not match its key');
  return { name, keyId: Buffer.from(hexId, 'hex'), publicKey };
}

/** The bytes a cosignature/v1 signs: the header, the time line and the checkpoint text. */
export function cosignatureMessage(text: string, timestamp: number): Buffer {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new Error('a cosignature timestamp is a whole number of seconds');
  return Buffer.from(`cosignature/v1\ntime ${timestamp}\n${text}`, 'utf8');
}

/** The cosignature line of witness `name` over checkpoint `text`, at `timestamp` (POSIX seconds). */
export function cosign(text: string, name: string, privateKey: KeyObject, publicKey: KeyObject | string, timestamp: number): string {
  const signature = sign(null, cosignatureMessage(text, timestamp), privateKey);
  const time = Buffer.alloc(8);
  time.writeBigUInt64BE(BigInt(timestamp));
  return `${EM_DASH} ${name} ${Buffer.concat([cosignatureKeyId(name, publicKey), time, signature]).toString('base64')}\n`;
}

/** One witness's cosignature found on a note and checked. */
export interface Cosigned {
  name: string;
  /** The witness's timestamp, POSIX seconds. */
  timestamp: number;
  line: string;
}

/** What `verifyCosignatures` found. */
export interface CosignatureCheck {
  /** The checkpoint text the cosignatures cover. */
  text: string;
  /** Trusted witnesses with a valid cosignature, in the order of `witnessKeys`. */
  cosigned: Cosigned[];
  /** Trusted witnesses with a line on the note whose signature does not verify. */
  invalid: string[];
  /** Trusted witnesses without a cosignature on the note. */
  missing: string[];
  quorum: number;
  /** At least `quorum` trusted witnesses cosigned and no trusted witness's line failed. */
  ok: boolean;
}

/**
 * Checks the cosignatures of `witnessKeys` on `note` and whether `quorum` of them hold. Lines of
 * other keys (the log's own signature among them) are ignored, as C2SP says; a line of a trusted
 * witness that does not verify fails the check. Throws on a malformed note.
 */
export function verifyCosignatures(note: string, witnessKeys: readonly WitnessKey[], quorum: number): CosignatureCheck {
  if (!Number.isSafeInteger(quorum) || quorum < 0 || quorum > witnessKeys.length) {
    throw new RangeError(`a quorum is between 0 and the number of witness keys (${witnessKeys.length}), not ${quorum}`);
  }
  const { text, signatures } = parseNote(note);
  const cosigned: Cosigned[] = [];
  const invalid: string[] = [];
  for (const w of witnessKeys) {
    const lines = signatures.filter((s) => s.name === w.name && s.keyId.equals(w.keyId));
    if (!lines.length) continue;
    const good = lines.every((s) => {
      if (s.signature.length !== 8 + 64) return false;
      const timestamp = s.signature.readBigUInt64BE(0);
      if (timestamp > MAX_TIMESTAMP || timestamp > BigInt(Number.MAX_SAFE_INTEGER)) return false;
      return verify(null, cosignatureMessage(text, Number(timestamp)), w.publicKey, s.signature.subarray(8));
    });
    if (!good) invalid.push(w.name);
    else cosigned.push({ name: w.name, timestamp: Number(lines[0].signature.readBigUInt64BE(0)), line: lines[0].line });
  }
  const seen = new Set([...cosigned.map((c) => c.name), ...invalid]);
  const missing = witnessKeys.map((w) => w.name).filter((n) => !seen.has(n));
  return { text, cosigned, invalid, missing, quorum, ok: invalid.length === 0 && cosigned.length >= quorum };
}
