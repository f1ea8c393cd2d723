import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSigningKey } from '../chain/signing-key';
import { createDataSource } from './data-source';

const mode = (file: string) => fs.statSync(file).mode & 0o777;

describe('file modes of DATA_DIR', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-modes-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('creates the data directory 0700 and the SQLite database, -wal and -shm files 0600', async () => {
    const dataDir = path.join(root, 'data');
    const location = path.join(dataDir, 'datapunk-audit.sqlite');
    const dataSource = createDataSource({ database: { dialect: 'sqlite', location } });
    await dataSource.initialize();
    try {
      await dataSource.runMigrations();
      await dataSource.query('SELECT COUNT(*) FROM audit_event');
      expect(mode(dataDir)).toBe(0o700);
      for (const file of [location, `${location}-wal`, `${location}-shm`]) {
        expect(fs.existsSync(file)).toBe(true);
        expect({ file, mode: mode(file) }).toEqual({ file, mode: 0o600 });
      }
    } finally {
      await dataSource.destroy();
    }
  });

  it('tightens an existing world-readable database file to 0600 when it opens it', async () => {
    const location = path.join(root, 'old.sqlite');
    fs.writeFileSync(location, '');
    fs.chmodSync(location, 0o644);
    const dataSource = createDataSource({ database: { dialect: 'sqlite', location } });
    await dataSource.initialize();
    await dataSource.destroy();
    expect(mode(location)).toBe(0o600);
  });

  it('creates the signing key 0600 in a 0700 directory', () => {
    const file = path.join(root, 'keys', 'signing-key.pem');
    loadSigningKey({ file });
    expect(mode(path.dirname(file))).toBe(0o700);
    expect(mode(file)).toBe(0o600);
  });
});
