import fs from 'node:fs';
import path from 'node:path';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { ErrorCode } from '../errors/error-code';

/** The public half of a signing key, as recorded in signing_key or trusted by configuration. */
export interface PublicSigningKey {
  id: string;
  publicKeyPem: string;
  createdAt: string;
}

/** The Ed25519 key that signs checkpoints. */
export interface SigningKey {
  id: string;
  privateKey: KeyObject;
  publicKeyPem: string;
}

export class SigningKeyError extends Error {
  readonly code = ErrorCode.SIGNING_KEY_INVALID;
}

export const keyIdOf = (publicKey: KeyObject): string =>
  createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 32);

function fromPem(pem: string, source: string): SigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem.includes('-----BEGIN') ? pem : Buffer.from(pem, 'base64').toString('utf8'));
  } catch (error) {
    throw new SigningKeyError(`${ErrorCode.SIGNING_KEY_INVALID}: ${source} is not a PEM private key (${(error as Error).message})`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new SigningKeyError(`${ErrorCode.SIGNING_KEY_INVALID}: ${source} must be an Ed25519 key, is ${privateKey.asymmetricKeyType}`);
  }
  const publicKey = createPublicKey(privateKey);
  return { id: keyIdOf(publicKey), privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/**
 * The configured key (DATAPUNK_SIGNING_KEY), else the key file, created with mode 0600 on first
 * start. The private key never goes into the database, so a database-only attacker cannot re-sign
 * a truncated chain.
 */
export function loadSigningKey(options: { pem?: string; file: string }): SigningKey {
  if (options.pem) return fromPem(options.pem, 'DATAPUNK_SIGNING_KEY');
  if (!fs.existsSync(options.file)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    fs.mkdirSync(path.dirname(options.file), { recursive: true, mode: 0o700 });
    // Write aside, then link into place: the link is atomic and fails if another process sharing
    // DATA_DIR won the race, so nobody ever reads a half-written key.
    const temporary = `${options.file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    try {
      fs.linkSync(temporary, options.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      fs.unlinkSync(temporary);
    }
  }
  return fromPem(fs.readFileSync(options.file, 'utf8'), options.file);
}

/** The public half of a signing key, as checkpoints name and verification trusts it. */
export const publicHalf = (key: SigningKey): PublicSigningKey => ({
  id: key.id,
  publicKeyPem: key.publicKeyPem,
  createdAt: new Date(0).toISOString(),
});

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/**
 * The Ed25519 public keys in a PEM file (DATAPUNK_TRUSTED_KEYS_FILE, `verify-chain
 * --public-key`): one or more `PUBLIC KEY` blocks; anything else in a block is refused, so a private
 * key or a certificate put there by mistake is named instead of silently ignored.
 */
export function loadPublicKeys(file: string, source = file): PublicSigningKey[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new SigningKeyError(`${ErrorCode.SIGNING_KEY_INVALID}: ${source} cannot be read (${(error as Error).message})`);
  }
  const blocks = [...text.matchAll(PEM_BLOCK)];
  if (!blocks.length) throw new SigningKeyError(`${ErrorCode.SIGNING_KEY_INVALID}: ${source} holds no PEM public key`);
  const keys = new Map<string, PublicSigningKey>();
  blocks.forEach((block, i) => {
    const where = `${source} (block ${i + 1})`;
    if (block[1] !== 'PUBLIC KEY') {
      throw new SigningKeyError(`${ErrorCode.SIGNING_KEY_INVALID}: ${where} is a ${block[1]}, not a PUBLIC KEY`);
    }
    let key: KeyObject;
    try {
      key = createPublicKey(block[0]);
    } catch (error) {
      throw new SigningKeyError(`${ErrorCode.SIGNING_KEY_INVALID}: ${where} is not a PEM public key (${(error as Error).message})`);
    }
    if (key.asymmetricKeyType !== 'ed25519') {
      throw new SigningKeyError(`${ErrorCode.SIGNING_KEY_INVALID}: ${where} must be an Ed25519 key, is ${key.asymmetricKeyType}`);
    }
    const id = keyIdOf(key);
    keys.set(id, { id, publicKeyPem: key.export({ type: 'spki', format: 'pem' }).toString(), createdAt: new Date(0).toISOString() });
  });
  return [...keys.values()];
}

function readKeyFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new SigningKeyError(
      `${ErrorCode.SIGNING_KEY_INVALID}: ${file} cannot be read (${(error as Error).message}); pass the public key with --public-key instead`,
    );
  }
}

/**
 * The keys verification trusts: the configured signing key's public half (when one is configured or
 * its file exists; never created here) plus every key in the trusted-keys file. Never the
 * `signing_key` table, which anyone who can write the database can add to.
 */
export function configuredTrustedKeys(options: { signing?: SigningKey | null; pem?: string; file?: string; trustedFile?: string }) {
  const keys = new Map<string, PublicSigningKey>();
  const signing =
    options.signing ??
    (options.pem
      ? fromPem(options.pem, 'DATAPUNK_SIGNING_KEY')
      : options.file && fs.existsSync(options.file)
        ? fromPem(readKeyFile(options.file), options.file)
        : null);
  if (signing) keys.set(signing.id, publicHalf(signing));
  if (options.trustedFile) {
    for (const key of loadPublicKeys(options.trustedFile, `DATAPUNK_TRUSTED_KEYS_FILE (${options.trustedFile})`)) keys.set(key.id, key);
  }
  return [...keys.values()];
}

/** Fingerprint of a set of trusted keys: part of a cached verification's key. */
export const trustFingerprint = (keys: readonly PublicSigningKey[]): string =>
  createHash('sha256')
    .update(
      keys
        .map((k) => k.id)
        .sort()
        .join(','),
    )
    .digest('hex')
    .slice(0, 16);

export const signMessage = (key: SigningKey, message: string): string =>
  sign(null, Buffer.from(message, 'utf8'), key.privateKey).toString('base64');

export function verifySignature(publicKeyPem: string | KeyObject, message: string, signature: string): boolean {
  try {
    const key = typeof publicKeyPem === 'string' ? createPublicKey(publicKeyPem) : publicKeyPem;
    return verify(null, Buffer.from(message, 'utf8'), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
