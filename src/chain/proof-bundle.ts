/**
 * Offline proof bundles (issue 13 part 3, ADR 0049): one event, its RFC 9162 inclusion proof and
 * the signed checkpoint the proof leads to, in the C2SP `tlog-proof` text form, so an auditor can
 * check one event with nothing but the log's public key.
 *
 *     c2sp.org/tlog-proof@v1
 *     extra <base64 of the canonical JSON {"event":{…the event as hashed…},"eventHash":"<hex>"}>
 *     index <sequence − 1>
 *     <base64 proof hash, leaf's sibling first>
 *     …
 *     <blank line>
 *     <the checkpoint note, verbatim, with every signature line>
 *
 * The extra data is the event exactly as its hash covers it (for an event with sealed personal
 * fields, the stored ciphertext form, ADR 0042). The verifier re-hashes it itself: the leaf is
 * SHA-256(0x00 ‖ SHA-256(canonical event)), so a changed event cannot reach the signed root. The
 * `eventHash` beside it is not trusted; it only tells a changed event from a proof that does not
 * fit. A report's bundle file is the tlog-proofs of its events one after another.
 *
 * Pure and synchronous: `datapunk-audit verify-proof` runs it with no database and no server config.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { canonicalJson } from './canonical-json';
import { HASH_BYTES, leafHash, verifyInclusion } from './merkle';
import { noteKeyId, openNote, parseCheckpointText, parseNote } from './signed-note';

/** The first line of every C2SP tlog-proof. */
export const PROOF_HEADER = 'c2sp.org/tlog-proof@v1';

/** Why a bundle did not verify: the codes `verify-proof` prints (docs/errors.md). */
export enum ProofBundleFailure {
  /** Not a tlog-proof this verifier can read: a line out of place, bad base64, a hash of the wrong length. */
  BUNDLE_MALFORMED = 'BUNDLE_MALFORMED',
  /** No signature line of the checkpoint is by the pinned key (another key, or another key name). */
  BUNDLE_WRONG_KEY = 'BUNDLE_WRONG_KEY',
  /** A signature line of the pinned key does not verify: the checkpoint's text or signature was changed. */
  BUNDLE_BAD_SIGNATURE = 'BUNDLE_BAD_SIGNATURE',
  /** The event does not hash to the hash beside it, or is not the event at the bundle's index. */
  BUNDLE_EVENT_CHANGED = 'BUNDLE_EVENT_CHANGED',
  /** The event and the proof do not lead to the signed root (a proof hash or the index was changed). */
  BUNDLE_PROOF_MISMATCH = 'BUNDLE_PROOF_MISMATCH',
  /** `--witness-key`: fewer than the quorum of the named witnesses cosigned the checkpoint, or one's line does not verify (ADR 0050). */
  BUNDLE_WITNESS_QUORUM = 'BUNDLE_WITNESS_QUORUM',
}

/** A bundle's parts as written, before any check. */
export interface ProofBundle {
  /** The extra data (the event envelope), or null when the bundle carries none. */
  extra: Buffer | null;
  index: number;
  hashes: Buffer[];
  /** The checkpoint note, verbatim. */
  note: string;
}

/** The event envelope carried as extra data. */
export interface BundledEvent {
  /** The event as its hash covers it (`hashedView`). */
  event: Record<string, unknown>;
  /** SHA-256 (hex) of the canonical JSON of `event`: the event's `hash`. */
  eventHash: string;
}

const b64 = (data: Buffer): string => data.toString('base64');

/** The extra data of an event: the canonical JSON of its envelope, as bytes. */
export function bundleExtra(event: Record<string, unknown>): Buffer {
  const eventHash = createHash('sha256').update(canonicalJson(event), 'utf8').digest('hex');
  return Buffer.from(canonicalJson({ event, eventHash } satisfies BundledEvent), 'utf8');
}

/** The text of one tlog-proof. `note` is the checkpoint note as served (it ends in '\n'). */
export function formatProofBundle(bundle: ProofBundle): string {
  const lines = [PROOF_HEADER];
  if (bundle.extra) lines.push(`extra ${b64(bundle.extra)}`);
  lines.push(`index ${bundle.index}`, ...bundle.hashes.map(b64));
  return `${lines.join('\n')}\n\n${bundle.note}`;
}

/** A file that is not a tlog-proof (or a run of them), with the line where it went wrong. */
export class MalformedBundleError extends Error {
  readonly failure = ProofBundleFailure.BUNDLE_MALFORMED;
}

/** Strict base64 (RFC 4648 §4): the text must be exactly what the bytes encode to. */
function strictBase64(text: string, what: string, line: number): Buffer {
  const data = Buffer.from(text, 'base64');
  if (!text || data.toString('base64') !== text) throw new MalformedBundleError(`line ${line}: ${what} is not base64`);
  return data;
}

/**
 * Every tlog-proof in `text`, in order: one bundle, or a report's bundle file (bundles one after
 * another, each starting with the header). Throws MalformedBundleError on anything else.
 */
export function parseProofBundles(text: string): ProofBundle[] {
  if (!text.endsWith('\n')) throw new MalformedBundleError('a tlog-proof ends in a newline');
  const lines = text.slice(0, -1).split('\n');
  const bundles: ProofBundle[] = [];
  let i = 0;
  const at = () => i + 1;
  while (i < lines.length) {
    if (lines[i] !== PROOF_HEADER) throw new MalformedBundleError(`line ${at()}: expected "${PROOF_HEADER}"`);
    i += 1;
    let extra: Buffer | null = null;
    if (lines[i]?.startsWith('extra ')) {
      extra = strictBase64(lines[i].slice('extra '.length), 'the extra data', at());
      i += 1;
    }
    const index = /^index (0|[1-9][0-9]*)$/.exec(lines[i] ?? '');
    if (!index || !Number.isSafeInteger(Number(index[1]))) throw new MalformedBundleError(`line ${at()}: expected "index <N>"`);
    i += 1;
    const hashes: Buffer[] = [];
    while (i < lines.length && lines[i] !== '') {
      const hash = strictBase64(lines[i], 'a proof hash', at());
      if (hash.length !== HASH_BYTES) throw new MalformedBundleError(`line ${at()}: a proof hash is ${HASH_BYTES} bytes`);
      hashes.push(hash);
      i += 1;
    }
    if (i >= lines.length) throw new MalformedBundleError('a blank line and the checkpoint follow the proof');
    i += 1;
    // The note: text lines, a blank line, then signature lines (each starting with an em dash).
    const start = i;
    while (i < lines.length && lines[i] !== '') i += 1;
    if (i >= lines.length || i === start) throw new MalformedBundleError(`line ${start + 1}: the checkpoint has no signature`);
    i += 1;
    const signatures = i;
    while (i < lines.length && lines[i].startsWith('\u2014 ')) i += 1;
    if (i === signatures) throw new MalformedBundleError(`line ${signatures + 1}: the checkpoint has no signature line`);
    const note = `${lines.slice(start, i).join('\n')}\n`;
    bundles.push({ extra, index: Number(index[1]), hashes, note });
  }
  if (!bundles.length) throw new MalformedBundleError('the file holds no tlog-proof');
  return bundles;
}

/** The key a bundle is checked against: a PEM key (its name is the log's origin) or a C2SP verifier key. */
export interface PinnedKey {
  /** The key name of the log's signature line; null: the checkpoint's origin, as this service names its key (ADR 0048). */
  name: string | null;
  publicKey: KeyObject;
}

export type BundleCheck =
  | {
      ok: true;
      origin: string;
      treeSize: number;
      sequence: number;
      eventId: string;
      eventHash: string;
      /** Signature lines not checked (witness cosignatures, other keys). */
      unverifiedSignatures: number;
    }
  | { ok: false; failure: ProofBundleFailure; reason: string };

const failed = (failure: ProofBundleFailure, reason: string): BundleCheck => ({ ok: false, failure, reason });

/**
 * Checks one bundle: the checkpoint's signature by the pinned key, then the event (re-hashed here),
 * then the inclusion proof from the event's leaf to the signed root (RFC 9162 §2.1.3.2).
 */
export function verifyProofBundle(bundle: ProofBundle, key: PinnedKey): BundleCheck {
  let origin: string;
  let signatures: ReturnType<typeof parseNote>['signatures'];
  try {
    const parsed = parseNote(bundle.note);
    signatures = parsed.signatures;
    origin = parsed.text.slice(0, parsed.text.indexOf('\n'));
  } catch (error) {
    return failed(ProofBundleFailure.BUNDLE_MALFORMED, `the checkpoint is not a signed note (${(error as Error).message})`);
  }
  let text: string;
  let verified: number;
  const name = key.name ?? origin;
  try {
    const opened = openNote(bundle.note, [{ name, publicKey: key.publicKey }]);
    if (!opened.verifiedBy.length) {
      return failed(ProofBundleFailure.BUNDLE_WRONG_KEY, `no signature line of the checkpoint is by the pinned key (key name ${name})`);
    }
    text = opened.text;
    const id = noteKeyId(name, key.publicKey);
    verified = signatures.filter((s) => s.name === name && s.keyId.equals(id)).length;
  } catch (error) {
    return failed(ProofBundleFailure.BUNDLE_BAD_SIGNATURE, (error as Error).message);
  }
  let checkpoint: ReturnType<typeof parseCheckpointText>;
  try {
    checkpoint = parseCheckpointText(text);
  } catch (error) {
    return failed(ProofBundleFailure.BUNDLE_MALFORMED, `the signed note is not a checkpoint (${(error as Error).message})`);
  }
  if (!bundle.extra) return failed(ProofBundleFailure.BUNDLE_MALFORMED, 'the bundle carries no event (no extra line)');
  const envelope = readEnvelope(bundle.extra);
  if (typeof envelope === 'string') return failed(ProofBundleFailure.BUNDLE_EVENT_CHANGED, envelope);
  const { event, eventHash } = envelope;
  if (event.sequence !== bundle.index + 1) {
    return failed(
      ProofBundleFailure.BUNDLE_EVENT_CHANGED,
      `the event has sequence ${String(event.sequence)}, not ${bundle.index + 1} (index ${bundle.index})`,
    );
  }
  if (typeof event.tenantId !== 'string' || !checkpoint.origin.endsWith(`/${event.tenantId}`)) {
    return failed(
      ProofBundleFailure.BUNDLE_PROOF_MISMATCH,
      `the event is of tenant ${String(event.tenantId)}, the checkpoint of log ${checkpoint.origin}`,
    );
  }
  const leaf = leafHash(Buffer.from(eventHash, 'hex'));
  const inclusion = verifyInclusion(bundle.index, checkpoint.size, leaf, bundle.hashes, checkpoint.root);
  if (!inclusion.ok) {
    return failed(
      ProofBundleFailure.BUNDLE_PROOF_MISMATCH,
      `the proof does not lead from event ${bundle.index + 1} to the signed root of the tree of ${checkpoint.size}: ${inclusion.reason} (${inclusion.failure})`,
    );
  }
  return {
    ok: true,
    origin: checkpoint.origin,
    treeSize: checkpoint.size,
    sequence: bundle.index + 1,
    eventId: String(event.id),
    eventHash,
    unverifiedSignatures: signatures.length - verified,
  };
}

/** The envelope, its event re-hashed; a string says why it is not the event as hashed. */
function readEnvelope(extra: Buffer): BundledEvent | string {
  const text = extra.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'the event is not JSON any more';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'the event envelope is not a JSON object';
  const { event, eventHash } = parsed as Partial<BundledEvent>;
  if (typeof event !== 'object' || event === null || Array.isArray(event) || typeof eventHash !== 'string') {
    return 'the event envelope has no event object and eventHash';
  }
  // Bytes, not meaning: the envelope must be exactly the canonical JSON it parses to.
  if (!Buffer.from(canonicalJson(parsed), 'utf8').equals(extra)) return 'the event envelope is not in canonical JSON form';
  const hashed = createHash('sha256').update(canonicalJson(event), 'utf8').digest('hex');
  if (hashed !== eventHash) return `the event hashes to ${hashed}, not to its hash ${eventHash}`;
  return { event, eventHash };
}
