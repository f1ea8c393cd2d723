import fs from 'node:fs';
import path from 'node:path';
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { ErrorCode } from '../errors/error-code';

export class PrivacyKeyError extends Error {
  readonly code = ErrorCode.PRIVACY_KEY_INVALID;
}

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * The privacy master key (ADR 0042): DATAPUNK_PRIVACY_KEY (base64 of 32 bytes), else the key file,
 * created with mode 0600 on first start like the signing key. Never stored in the database.
 */
export function loadPrivacyKey(options: { base64?: string; file: string }): Buffer {
  const parse = (text: string, source: string): Buffer => {
    const trimmed = text.trim();
    const key = Buffer.from(trimmed, 'base64');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || key.length !== KEY_BYTES) {
      throw new PrivacyKeyError(`${ErrorCode.PRIVACY_KEY_INVALID}: ${source} must be the base64 of exactly ${KEY_BYTES} bytes`);
    }
    return key;
  };
  if (options.base64) return parse(options.base64, 'DATAPUNK_PRIVACY_KEY');
  if (!fs.existsSync(options.file)) {
    fs.mkdirSync(path.dirname(options.file), { recursive: true, mode: 0o700 });
    // Written aside, then linked into place: another process sharing DATA_DIR that won the race keeps its key.
    const temporary = `${options.file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, `${randomBytes(KEY_BYTES).toString('base64')}\n`, { mode: 0o600 });
    try {
      fs.linkSync(temporary, options.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      fs.unlinkSync(temporary);
    }
  }
  return parse(fs.readFileSync(options.file, 'utf8'), options.file);
}

/**
 * Fresh random 96-bit IVs, drawn from the CSPRNG 1,024 at a time (one `randomBytes` call costs
 * about as much as the AES-GCM seal of a small field set). Each IV is handed out once.
 */
export class IvPool {
  private static readonly PER_DRAW = 1024;
  private pool = Buffer.alloc(0);
  private offset = 0;

  next(): Buffer {
    if (this.offset + IV_BYTES > this.pool.length) {
      this.pool = randomBytes(IV_BYTES * IvPool.PER_DRAW);
      this.offset = 0;
    }
    const iv = this.pool.subarray(this.offset, this.offset + IV_BYTES);
    this.offset += IV_BYTES;
    return iv;
  }
}

/** AES-256-GCM: base64 of iv ‖ tag ‖ ciphertext, a fresh 96-bit IV each time (`iv`: one from an {@link IvPool}). */
export function seal(key: Buffer, plaintext: string, aad: string | Buffer, iv: Buffer = randomBytes(IV_BYTES)): string {
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(typeof aad === 'string' ? Buffer.from(aad, 'utf8') : aad);
  const body = cipher.update(plaintext, 'utf8');
  const rest = cipher.final(); // empty for GCM, kept for the form
  return Buffer.concat([iv, cipher.getAuthTag(), body, rest]).toString('base64');
}

/** The plaintext of {@link seal}; throws when the key, the AAD or the bytes do not match. */
export function open(key: Buffer, sealed: string, aad: string): string {
  const bytes = Buffer.from(sealed, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
}

export const hmac = (key: Buffer, data: string): string => createHmac('sha256', key).update(data, 'utf8').digest('base64url');

/**
 * The keys derived from the master key with HKDF-SHA256 under distinct labels: the key-encryption
 * key, and per tenant the pseudonym key (never a subject key; erasure leaves it in place).
 */
export class PrivacyKeys {
  readonly kek: Buffer;
  private readonly pseudonymKeys = new Map<string, Buffer>();

  constructor(private readonly master: Buffer) {
    this.kek = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'datapunk-audit kek v1', KEY_BYTES));
  }

  pseudonymKey(tenantId: string): Buffer {
    let key = this.pseudonymKeys.get(tenantId);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', this.master, Buffer.alloc(0), `datapunk-audit pseudonym v1 ${tenantId}`, KEY_BYTES));
      this.pseudonymKeys.set(tenantId, key);
    }
    return key;
  }

  /** A new random data key and its wrapped form. */
  newDataKey(tenantId: string, ref: string): { key: Buffer; wrapped: string } {
    const key = randomBytes(KEY_BYTES);
    return { key, wrapped: seal(this.kek, key.toString('base64'), `${tenantId}\u0000${ref}`) };
  }

  unwrap(tenantId: string, ref: string, wrapped: string): Buffer {
    return Buffer.from(open(this.kek, wrapped, `${tenantId}\u0000${ref}`), 'base64');
  }
}
