import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ErrorCode } from '../errors/error-code';
import { IvPool, loadPrivacyKey, open, PrivacyKeys, PrivacyKeyError, seal } from './privacy-key';

describe('the privacy key', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-privacy-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is generated once, mode 0600, and read back the same', () => {
    const file = path.join(dir, 'keys', 'privacy-key');
    const first = loadPrivacyKey({ file });
    expect(first).toHaveLength(32);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(loadPrivacyKey({ file }).equals(first)).toBe(true);
  });

  it('refuses anything but the base64 of 32 bytes with PRIVACY_KEY_INVALID', () => {
    for (const bad of ['', 'not base64!', Buffer.alloc(31).toString('base64'), Buffer.alloc(33).toString('base64')]) {
      let error: unknown;
      try {
        loadPrivacyKey({ base64: bad || ' ', file: path.join(dir, 'unused') });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PrivacyKeyError);
      expect((error as PrivacyKeyError).code).toBe(ErrorCode.PRIVACY_KEY_INVALID);
    }
    const file = path.join(dir, 'broken');
    fs.writeFileSync(file, 'short\n');
    expect(() => loadPrivacyKey({ file })).toThrow(ErrorCode.PRIVACY_KEY_INVALID);
  });

  it('seals with a fresh IV each time, and opens only with the same key and AAD', () => {
    const keys = new PrivacyKeys(Buffer.alloc(32, 7));
    const { key, wrapped } = keys.newDataKey('t', 's_ref');
    expect(keys.unwrap('t', 's_ref', wrapped).equals(key)).toBe(true);
    expect(() => keys.unwrap('t', 's_other', wrapped)).toThrow();
    const a = seal(key, 'alice', 'aad');
    expect(a).not.toBe(seal(key, 'alice', 'aad'));
    expect(open(key, a, 'aad')).toBe('alice');
    expect(() => open(key, a, 'other aad')).toThrow();
    expect(() => open(Buffer.alloc(32, 1), a, 'aad')).toThrow();
  });

  it('hands out each IV of a pool once, across draws, and seals with it', () => {
    const pool = new IvPool();
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i += 1) {
      const iv = pool.next();
      expect(iv).toHaveLength(12);
      seen.add(iv.toString('hex'));
    }
    expect(seen.size).toBe(3000);
    const key = Buffer.alloc(32, 3);
    const iv = pool.next();
    const sealed = seal(key, 'alice', 'aad', iv);
    expect(Buffer.from(sealed, 'base64').subarray(0, 12).equals(iv)).toBe(true);
    expect(open(key, sealed, 'aad')).toBe('alice');
  });

  it('derives a pseudonym key per tenant that is neither the KEK nor another tenant’s', () => {
    const keys = new PrivacyKeys(Buffer.alloc(32, 7));
    expect(keys.pseudonymKey('a').equals(keys.pseudonymKey('b'))).toBe(false);
    expect(keys.pseudonymKey('a').equals(keys.kek)).toBe(false);
    expect(keys.pseudonymKey('a').equals(new PrivacyKeys(Buffer.alloc(32, 7)).pseudonymKey('a'))).toBe(true);
  });
});
