import fs from 'node:fs';
import path from 'node:path';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { ErrorCode } from '../errors/error-code';

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

export const signMessage = (key: SigningKey, message: string): string =>
  sign(null, Buffer.from(message, 'utf8'), key.privateKey).toString('base64');

export function verifySignature(publicKeyPem: string, message: string, signature: string): boolean {
  try {
    return verify(null, Buffer.from(message, 'utf8'), createPublicKey(publicKeyPem), Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
