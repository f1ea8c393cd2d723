import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';

/** The latest checkpoint a witness cosigned for one origin. */
export interface WitnessedCheckpoint {
  origin: string;
  size: number;
  /** The root hash, base64. */
  root: string;
  /** The checkpoint note as it was submitted (evidence for an auditor). */
  note: string;
}

/**
 * A witness's state: one JSON file per origin in a directory, the latest cosigned checkpoint only
 * (C2SP tlog-witness). Each write goes to a temporary file that is synced, then renamed over the
 * old one and the directory synced, so a crash leaves the old state or the new, never half of one.
 * A lock file keeps a second witness process off the same directory.
 */
export class WitnessState {
  private readonly cache = new Map<string, WitnessedCheckpoint | null>();

  private constructor(
    private readonly dir: string,
    private readonly lockFile: string,
  ) {}

  /** Opens (creating) the directory and takes its lock; throws when another live process holds it. */
  static open(dir: string): WitnessState {
    fs.mkdirSync(dir, { recursive: true });
    const lockFile = path.join(dir, 'witness.lock');
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        fs.writeFileSync(lockFile, `${process.pid}\n`, { flag: 'wx' });
        return new WitnessState(dir, lockFile);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const pid = Number(fs.readFileSync(lockFile, 'utf8').trim());
        if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
          throw new Error(`${dir} is in use by witness process ${pid}: one witness per state directory`);
        }
        fs.rmSync(lockFile, { force: true }); // left by a process that is gone
      }
    }
    throw new Error(`cannot take the lock ${lockFile}`);
  }

  private file(origin: string): string {
    return path.join(this.dir, `${createHash('sha256').update(origin, 'utf8').digest('hex')}.json`);
  }

  /** The latest checkpoint cosigned for `origin`, or null when none was. */
  get(origin: string): WitnessedCheckpoint | null {
    if (this.cache.has(origin)) return this.cache.get(origin)!;
    let value: WitnessedCheckpoint | null = null;
    try {
      value = JSON.parse(fs.readFileSync(this.file(origin), 'utf8')) as WitnessedCheckpoint;
      if (value.origin !== origin || !Number.isSafeInteger(value.size)) throw new Error(`the state file of ${origin} is damaged`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    this.cache.set(origin, value);
    return value;
  }

  /** Replaces the state of `value.origin`, durably, before it returns. */
  put(value: WitnessedCheckpoint): void {
    const target = this.file(value.origin);
    const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      const fd = fs.openSync(temp, 'w', 0o600);
      try {
        fs.writeSync(fd, JSON.stringify(value));
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(temp, target);
      const dirFd = fs.openSync(this.dir, 'r');
      try {
        fs.fsyncSync(dirFd);
      } finally {
        fs.closeSync(dirFd);
      }
    } catch (error) {
      // Whether the rename happened or not, the next read goes to the disk.
      this.cache.delete(value.origin);
      fs.rmSync(temp, { force: true });
      throw error;
    }
    this.cache.set(value.origin, value);
  }

  close(): void {
    fs.rmSync(this.lockFile, { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
