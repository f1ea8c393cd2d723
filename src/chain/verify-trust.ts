/**
 * What an auditor brings to verifyAuditChain from outside the database (issue 13 part 5, ADR
 * 0051): pinned public keys, checkpoints they kept (C2SP signed notes, possibly cosigned) and a
 * witness policy. Checked before anything runs: one bad value is INVALID_ARGUMENT, with every
 * problem named, and nothing is verified or recorded.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { AppError, type Problem } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { type CosignatureCheck, parseWitnessKey, verifyCosignatures, type WitnessKey } from './cosignature';
import { type NoteVerifier, openNote, parseCheckpointText, parseVerifierKey } from './signed-note';
import { keyIdOf, type PublicSigningKey } from './signing-key';

/** At most this many of each: a request names a handful, never a keyring. */
export const MAX_TRUST_KEYS = 20;
export const MAX_TRUSTED_CHECKPOINTS = 100;
/** A checkpoint note with a hundred signature lines stays well under this. */
export const MAX_NOTE_LENGTH = 64 * 1024;

/** The auditor's input as GraphQL gives it (raw strings). */
export interface TrustInput {
  publicKeys?: string[] | null;
  checkpoints?: string[] | null;
  witnessKeys?: string[] | null;
  witnessQuorum?: number | null;
}

/** k of these witnesses must have cosigned. */
export interface WitnessPolicy {
  keys: WitnessKey[];
  quorum: number;
}

/** A checkpoint the auditor kept, its log signature verified with a trusted key. */
export interface TrustedCheckpoint {
  size: number;
  root: Buffer;
  /** The note as passed, cosignature lines included. */
  note: string;
  /** The witness quorum on it under the policy in force; null without a policy. */
  cosignatures: CosignatureCheck | null;
}

/** The trust a verification runs under, from the input (what it leaves out: the server's configuration). */
export interface VerifyTrust {
  /** Pinned keys: only these verify checkpoints. Undefined: the server's configured keys. */
  keys?: PublicSigningKey[];
  checkpoints: TrustedCheckpoint[];
  /** The auditor's witness policy. Undefined: the server's (WITNESSES, WITNESS_QUORUM), if any. */
  witnesses?: WitnessPolicy;
}

/** An Ed25519 key as verify-proof and verify-checkpoint accept it: SPKI PEM, or a C2SP verifier key `name+id+base64`. */
function pinnedKey(text: string): { key: PublicSigningKey; name: string | null; publicKey: KeyObject } {
  const trimmed = text.trim();
  let publicKey: KeyObject;
  let name: string | null = null;
  if (trimmed.startsWith('-----BEGIN')) {
    publicKey = createPublicKey(trimmed);
    if (publicKey.asymmetricKeyType !== 'ed25519') throw new Error(`an ${publicKey.asymmetricKeyType} key, not Ed25519`);
  } else {
    ({ name, publicKey } = parseVerifierKey(trimmed));
  }
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return { key: { id: keyIdOf(publicKey), publicKeyPem, createdAt: new Date(0).toISOString() }, name, publicKey };
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Checks the auditor's input for the tenant whose checkpoints are named `origin`: keys parse,
 * each checkpoint is a C2SP checkpoint of that origin signed by a trusted key (the pinned ones, or
 * else `configured`), the quorum is between 1 and the number of witness keys. INVALID_ARGUMENT
 * with every problem otherwise.
 */
export function parseTrust(input: TrustInput | null | undefined, origin: string, configured: readonly PublicSigningKey[]): VerifyTrust {
  const problems: Problem[] = [];
  const limit = (values: unknown[] | null | undefined, max: number, path: string) => {
    if (values && values.length > max) problems.push({ path, message: `at most ${max} are accepted, not ${values.length}` });
  };
  limit(input?.publicKeys, MAX_TRUST_KEYS, 'trust.publicKeys');
  limit(input?.witnessKeys, MAX_TRUST_KEYS, 'trust.witnessKeys');
  limit(input?.checkpoints, MAX_TRUSTED_CHECKPOINTS, 'trust.checkpoints');
  if (problems.length) throw invalid(problems);

  // Pinned keys: their JSON signatures (key id) and their note signatures (name: the origin for a PEM).
  let keys: PublicSigningKey[] | undefined;
  const verifiers: NoteVerifier[] = [];
  if (input?.publicKeys) {
    if (!input.publicKeys.length) problems.push({ path: 'trust.publicKeys', message: 'pin at least one key, or leave publicKeys out' });
    keys = [];
    input.publicKeys.forEach((text, i) => {
      try {
        const pinned = pinnedKey(text);
        if (pinned.name !== null && pinned.name !== origin) {
          throw new Error(`the verifier key is named ${pinned.name}; this tenant's checkpoints are signed as ${origin}`);
        }
        if (!keys!.some((k) => k.id === pinned.key.id)) keys!.push(pinned.key);
        verifiers.push({ name: origin, publicKey: pinned.publicKey });
      } catch (error) {
        problems.push({
          path: `trust.publicKeys[${i}]`,
          message: `not an Ed25519 public key in PEM or a C2SP verifier key (${message(error)})`,
        });
      }
    });
  } else {
    for (const k of configured) verifiers.push({ name: origin, publicKey: createPublicKey(k.publicKeyPem) });
  }

  let witnesses: WitnessPolicy | undefined;
  if (input?.witnessKeys) {
    const parsed: WitnessKey[] = [];
    input.witnessKeys.forEach((text, i) => {
      try {
        const w = parseWitnessKey(text.trim());
        if (parsed.some((p) => p.name === w.name)) throw new Error(`witness ${w.name} is named twice`);
        parsed.push(w);
      } catch (error) {
        problems.push({ path: `trust.witnessKeys[${i}]`, message: message(error) });
      }
    });
    const quorum = input.witnessQuorum ?? input.witnessKeys.length;
    if (!Number.isSafeInteger(quorum) || quorum < 1 || quorum > input.witnessKeys.length) {
      problems.push({
        path: 'trust.witnessQuorum',
        message: `a quorum is between 1 and the number of witnessKeys (${input.witnessKeys.length}), not ${quorum}`,
      });
    }
    witnesses = { keys: parsed, quorum };
  } else if (input?.witnessQuorum !== undefined && input?.witnessQuorum !== null) {
    problems.push({ path: 'trust.witnessQuorum', message: 'a quorum needs witnessKeys' });
  }

  const checkpoints: TrustedCheckpoint[] = [];
  (input?.checkpoints ?? []).forEach((note, i) => {
    const path = `trust.checkpoints[${i}]`;
    if (note.length > MAX_NOTE_LENGTH) {
      problems.push({ path, message: `a checkpoint note is at most ${MAX_NOTE_LENGTH} characters` });
      return;
    }
    try {
      const { text, verifiedBy } = openNote(note, verifiers);
      const body = parseCheckpointText(text);
      if (body.origin !== origin) throw new Error(`it is a checkpoint of ${body.origin}, not of this tenant (${origin})`);
      if (!verifiedBy.length) throw new Error(`no signature line of a trusted key (key name ${origin}) verifies it`);
      let cosignatures: CosignatureCheck | null = null;
      if (witnesses && !problems.some((p) => p.path.startsWith('trust.witness')))
        cosignatures = verifyCosignatures(note, witnesses.keys, witnesses.quorum);
      checkpoints.push({ size: body.size, root: body.root, note, cosignatures });
    } catch (error) {
      problems.push({ path, message: `not a checkpoint of this tenant signed by a trusted key (${message(error)})` });
    }
  });
  if (problems.length) throw invalid(problems);
  return { keys, checkpoints, witnesses };
}

const invalid = (problems: Problem[]) =>
  new AppError(
    ErrorCode.INVALID_ARGUMENT,
    `verifyAuditChain's trust argument is not usable: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}. Nothing was verified.`,
    { problems },
  );
