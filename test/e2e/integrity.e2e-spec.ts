import { execFile } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import path from 'node:path';
import { AuditEventRepository } from '../../src/audit/audit-event.repository';
import { eventHash, linkHash } from '../../src/chain/hashing';
import { fromSqlDateTime, toSqlDateTime } from '../../src/database/sql-format';
import { createTestEnvironment, eventInput, RECORD, REPO_ROOT, type TestEnvironment, VERIFY } from '../helpers/test-environment';

interface Receipt {
  id: string;
  sequence: number;
  hash: string;
  chainHash: string;
}
interface Verification {
  valid: boolean;
  checkedCount: number;
  checkpointsChecked: number;
  headSequence: number;
  headChainHash: string;
  fromSequence: number;
  toSequence: number;
  firstFailure: { sequence: number; reason: string; message: string } | null;
  latestCheckpoint: { sequence: number; chainHash: string; signature: string; keyId: string } | null;
}

const CHECKPOINT = 'mutation { createCheckpoint { id tenantId sequence chainHash issuedAt keyId signature } }';
const SIGNING_KEYS = '{ signingKeys { id algorithm publicKeyPem createdAt } }';
const TENANT = "tenant_id = 'default'";

/** A DATETIME(3) cell (a Date from mysql2, a string from SQLite) moved by `ms`, as SQL text. */
const plusMs = (value: unknown, ms: number) => toSqlDateTime(new Date(Date.parse(fromSqlDateTime(value)) + ms).toISOString());

async function recordMany(env: TestEnvironment, count: number, from = 0): Promise<Receipt[]> {
  const events = Array.from({ length: count }, (_, i) =>
    eventInput({
      action: `integrity.e${from + i + 1}`,
      // A SERVICE actor: stored in clear, so rows can be tampered with by their plaintext values. A
      // person's sealed event (hash version 2) is tampered with in privacy-erasure.e2e-spec.
      actor: { id: `u-${from + i + 1}`, type: 'SERVICE', ip: '203.0.113.7' },
      categories: ['PII'],
      tags: ['integrity', `n${from + i + 1}`],
      metadata: { n: from + i + 1, note: 'original' },
    }),
  );
  const res = await env.gql(RECORD, { input: { events } });
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.recordAuditEvents.receipts;
}

async function verifyChain(env: TestEnvironment, from?: number, to?: number): Promise<Verification> {
  const res = await env.gql<{ verifyAuditChain: Verification }>(VERIFY, { from, to });
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.verifyAuditChain;
}

async function expectBrokenAt(env: TestEnvironment, sequence: number, reason: string): Promise<Verification> {
  const result = await verifyChain(env);
  expect(result.valid).toBe(false);
  expect(result.firstFailure).toMatchObject({ sequence, reason });
  return result;
}

async function expectValid(env: TestEnvironment, count: number): Promise<Verification> {
  const result = await verifyChain(env);
  expect(result).toMatchObject({ valid: true, firstFailure: null, checkedCount: count, headSequence: count });
  return result;
}

async function cell(env: TestEnvironment, column: string, sequence: number): Promise<unknown> {
  const rows = await env.sql<Record<string, unknown>>(`SELECT ${column} AS v FROM audit_event WHERE ${TENANT} AND sequence = ?`, [
    sequence,
  ]);
  return rows[0]?.v;
}

/** Runs `cli verify-chain` in its own process, from the database alone. */
function cli(env: TestEnvironment, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(REPO_ROOT, 'dist/src/cli.js'), 'verify-chain', ...args],
      { env: { ...process.env, ...env.env, LOG_LEVEL: 'silent' }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Deleting one stored event with its labels, and putting both back exactly as they were. */
async function deletion(env: TestEnvironment, row: Record<string, unknown>) {
  const labels = await env.sql<Record<string, unknown>>('SELECT * FROM audit_event_label WHERE event_id = ?', [row.id]);
  const reinsert = async (table: string, r: Record<string, unknown>) => {
    const columns = Object.keys(r);
    await env.sql(
      `INSERT INTO ${table} (${columns.join(',')}) VALUES (${columns.map(() => '?').join(',')})`,
      columns.map((c) => r[c]),
    );
  };
  return {
    remove: async () => {
      await env.sql('DELETE FROM audit_event_label WHERE event_id = ?', [row.id]);
      await env.sql('DELETE FROM audit_event WHERE id = ?', [row.id]);
    },
    restore: async () => {
      await reinsert('audit_event', row);
      for (const l of labels) await reinsert('audit_event_label', l);
    },
  };
}

/** What an attacker with database access and the (public) hashing rules would compute for a row. */
async function recomputedHash(env: TestEnvironment, sequence: number): Promise<string> {
  const repo = new AuditEventRepository(env.app.dataSource);
  const [event] = await repo.findRange('default', sequence, sequence, 1);
  const labels = (await repo.labelsFor('default', [event.id])).get(event.id)!;
  const { hash: _h, chainHash: _c, idempotencyKey: _k, ...rest } = event;
  return eventHash({ ...rest, ...labels });
}

/** The attacker rewrites `hash` and `chain_hash` of every row from `sequence` on, and the chain head. */
async function rewriteHistoryFrom(env: TestEnvironment, sequence: number): Promise<void> {
  let previous = String(await cell(env, 'chain_hash', sequence - 1));
  const [{ head }] = await env.sql<{ head: unknown }>(`SELECT sequence AS head FROM chain_head WHERE ${TENANT}`);
  for (let s = sequence; s <= Number(head); s += 1) {
    const hash = await recomputedHash(env, s);
    previous = linkHash(previous, hash);
    await env.sql(`UPDATE audit_event SET hash = ?, chain_hash = ? WHERE ${TENANT} AND sequence = ?`, [hash, previous, s]);
  }
  await env.sql(`UPDATE chain_head SET chain_hash = ? WHERE ${TENANT}`, [previous]);
}

describe('verifyAuditChain: tampering with stored rows', () => {
  let env: TestEnvironment;
  let receipts: Receipt[];
  const COUNT = 12;

  beforeAll(async () => {
    env = await createTestEnvironment();
    receipts = await recordMany(env, COUNT);
  });
  afterAll(() => env.close());

  /** Applies a change, checks what verification says, then undoes it and checks the chain is valid again. */
  async function tampered(change: () => Promise<unknown>, undo: () => Promise<unknown>, check: () => Promise<unknown>) {
    await change();
    try {
      await check();
    } finally {
      await undo();
    }
    await expectValid(env, COUNT);
  }

  it('finds a fresh chain valid: every event checked, head matches the last receipt', async () => {
    const result = await expectValid(env, COUNT);
    expect(result).toMatchObject({
      fromSequence: 1,
      toSequence: COUNT,
      headChainHash: receipts[COUNT - 1].chainHash,
      latestCheckpoint: null,
    });
  });

  it('names sequence 7 (HASH_MISMATCH) when its actor_id is changed with raw SQL', async () => {
    const original = await cell(env, 'actor_id', 7);
    expect(original).toBe('u-7');
    await tampered(
      () => env.sql(`UPDATE audit_event SET actor_id = ? WHERE ${TENANT} AND sequence = 7`, ['u-attacker']),
      () => env.sql(`UPDATE audit_event SET actor_id = ? WHERE ${TENANT} AND sequence = 7`, [original]),
      async () => {
        const result = await expectBrokenAt(env, 7, 'HASH_MISMATCH');
        expect(result.checkedCount).toBe(6);
        expect(result.firstFailure!.message.length).toBeGreaterThan(0);
      },
    );
  });

  it('finds a one-character change to the metadata text', async () => {
    const original = String(await cell(env, 'metadata', 7));
    const changed = original.replace('original', 'origina1');
    expect(changed).not.toBe(original);
    expect(changed.length).toBe(original.length);
    await tampered(
      () => env.sql(`UPDATE audit_event SET metadata = ? WHERE ${TENANT} AND sequence = 7`, [changed]),
      () => env.sql(`UPDATE audit_event SET metadata = ? WHERE ${TENANT} AND sequence = 7`, [original]),
      () => expectBrokenAt(env, 7, 'HASH_MISMATCH'),
    );
  });

  it('finds metadata re-serialised with other whitespace or key order as unchanged (content, not bytes, is hashed)', async () => {
    const original = String(await cell(env, 'metadata', 7));
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(original) as object).reverse()), null, 1);
    expect(reordered).not.toBe(original);
    await tampered(
      () => env.sql(`UPDATE audit_event SET metadata = ? WHERE ${TENANT} AND sequence = 7`, [reordered]),
      () => env.sql(`UPDATE audit_event SET metadata = ? WHERE ${TENANT} AND sequence = 7`, [original]),
      () => expectValid(env, COUNT),
    );
  });

  it.each([
    ['occurred_at', (v: unknown) => plusMs(v, 1)],
    ['recorded_at', (v: unknown) => plusMs(v, 1000)],
    ['action', () => 'integrity.e0'],
    ['actor_type', () => 'SYSTEM'],
    ['actor_ip', () => '203.0.113.8'],
    ['resource_id', () => 's-2'],
    ['outcome_status', () => 'FAILURE'],
    ['severity', () => 7],
    ['classification', () => 0],
    ['tenant_id', () => 'other'],
  ])('finds a change to %s at its sequence', async (column, mutate) => {
    const original = await cell(env, column, 7);
    const changed = mutate(original);
    expect(changed).not.toEqual(original);
    const where = column === 'tenant_id' ? 'id = ?' : `${TENANT} AND sequence = 7`;
    const key = column === 'tenant_id' ? [receipts[6].id] : [];
    await tampered(
      () => env.sql(`UPDATE audit_event SET ${column} = ? WHERE ${where}`, [changed, ...key]),
      () => env.sql(`UPDATE audit_event SET ${column} = ? WHERE ${where}`, [original, ...key]),
      // A row moved to another tenant leaves a hole in this one.
      () => expectBrokenAt(env, 7, column === 'tenant_id' ? 'SEQUENCE_GAP' : 'HASH_MISMATCH'),
    );
  });

  it('finds a changed, removed or added label (category or tag)', async () => {
    const id = receipts[6].id;
    await tampered(
      () => env.sql("UPDATE audit_event_label SET value = 'PHI' WHERE event_id = ? AND kind = 'category' AND value = 'PII'", [id]),
      () => env.sql("UPDATE audit_event_label SET value = 'PII' WHERE event_id = ? AND kind = 'category' AND value = 'PHI'", [id]),
      () => expectBrokenAt(env, 7, 'HASH_MISMATCH'),
    );
    await tampered(
      () => env.sql("DELETE FROM audit_event_label WHERE event_id = ? AND kind = 'tag' AND value = 'n7'", [id]),
      () =>
        env.sql("INSERT INTO audit_event_label (event_id, kind, value, tenant_id, sequence) VALUES (?, 'tag', 'n7', 'default', 7)", [id]),
      () => expectBrokenAt(env, 7, 'HASH_MISMATCH'),
    );
    await tampered(
      () =>
        env.sql("INSERT INTO audit_event_label (event_id, kind, value, tenant_id, sequence) VALUES (?, 'category', 'PCI', 'default', 7)", [
          id,
        ]),
      () => env.sql("DELETE FROM audit_event_label WHERE event_id = ? AND kind = 'category' AND value = 'PCI'", [id]),
      () => expectBrokenAt(env, 7, 'HASH_MISMATCH'),
    );
    // A tag turned into a category.
    await tampered(
      () => env.sql("UPDATE audit_event_label SET kind = 'category' WHERE event_id = ? AND kind = 'tag' AND value = 'n7'", [id]),
      () => env.sql("UPDATE audit_event_label SET kind = 'tag' WHERE event_id = ? AND kind = 'category' AND value = 'n7'", [id]),
      () => expectBrokenAt(env, 7, 'HASH_MISMATCH'),
    );
  });

  it('names CHAIN_MISMATCH at 7 when the attacker also fixes that row’s hash', async () => {
    const originalHash = String(await cell(env, 'hash', 7));
    await tampered(
      async () => {
        await env.sql(`UPDATE audit_event SET actor_id = 'u-attacker' WHERE ${TENANT} AND sequence = 7`);
        const forged = await recomputedHash(env, 7);
        expect(forged).not.toBe(originalHash);
        await env.sql(`UPDATE audit_event SET hash = ? WHERE ${TENANT} AND sequence = 7`, [forged]);
      },
      () => env.sql(`UPDATE audit_event SET actor_id = 'u-7', hash = ? WHERE ${TENANT} AND sequence = 7`, [originalHash]),
      async () => {
        const result = await expectBrokenAt(env, 7, 'CHAIN_MISMATCH');
        expect(result.checkedCount).toBe(6);
      },
    );
  });

  it('names CHAIN_MISMATCH at 8 when the attacker fixes hash and chainHash of row 7 but not the rows after it', async () => {
    const [hash, chainHash] = [String(await cell(env, 'hash', 7)), String(await cell(env, 'chain_hash', 7))];
    await tampered(
      async () => {
        await env.sql(`UPDATE audit_event SET actor_id = 'u-attacker' WHERE ${TENANT} AND sequence = 7`);
        const forged = await recomputedHash(env, 7);
        await env.sql(`UPDATE audit_event SET hash = ?, chain_hash = ? WHERE ${TENANT} AND sequence = 7`, [
          forged,
          linkHash(String(await cell(env, 'chain_hash', 6)), forged),
        ]);
      },
      () =>
        env.sql(`UPDATE audit_event SET actor_id = 'u-7', hash = ?, chain_hash = ? WHERE ${TENANT} AND sequence = 7`, [hash, chainHash]),
      () => expectBrokenAt(env, 8, 'CHAIN_MISMATCH'),
    );
  });

  it('finds a chain head that does not match the newest event', async () => {
    const [{ h }] = await env.sql<{ h: string }>(`SELECT chain_hash AS h FROM chain_head WHERE ${TENANT}`);
    await tampered(
      () => env.sql(`UPDATE chain_head SET chain_hash = ? WHERE ${TENANT}`, ['f'.repeat(64)]),
      () => env.sql(`UPDATE chain_head SET chain_hash = ? WHERE ${TENANT}`, [h]),
      () => expectBrokenAt(env, COUNT, 'CHAIN_MISMATCH'),
    );
  });

  it('finds two rows swapped (their sequences exchanged)', async () => {
    const [a, b] = [receipts[4].id, receipts[5].id]; // sequences 5 and 6
    const swap = async (first: string, second: string) => {
      await env.sql(`UPDATE audit_event SET sequence = -1 WHERE id = ?`, [first]);
      await env.sql(`UPDATE audit_event SET sequence = 5 WHERE id = ?`, [second]);
      await env.sql(`UPDATE audit_event SET sequence = 6 WHERE id = ?`, [first]);
    };
    await tampered(
      () => swap(a, b),
      () => swap(b, a),
      () => expectBrokenAt(env, 5, 'HASH_MISMATCH'),
    );
  });

  it('verifies a range: fromSequence/toSequence re-compute only that part, linked to the stored event before it', async () => {
    expect(await verifyChain(env, 3, 5)).toMatchObject({
      valid: true,
      fromSequence: 3,
      toSequence: 5,
      checkedCount: 3,
      headSequence: COUNT,
    });
    expect(await verifyChain(env, 1, 1)).toMatchObject({ valid: true, checkedCount: 1 });
    expect(await verifyChain(env, COUNT, COUNT)).toMatchObject({ valid: true, checkedCount: 1 });
    expect(await verifyChain(env, 10)).toMatchObject({ valid: true, fromSequence: 10, toSequence: COUNT, checkedCount: 3 });
    expect(await verifyChain(env, undefined, 4)).toMatchObject({ valid: true, fromSequence: 1, toSequence: 4, checkedCount: 4 });
    // A range past the head stops at the head.
    expect(await verifyChain(env, 11, 1000)).toMatchObject({ valid: true, toSequence: COUNT, checkedCount: 2 });
    // A range wholly past the head has nothing to check, and nothing is wrong with the chain.
    for (const from of [COUNT + 1, COUNT + 2, COUNT + 50]) {
      expect(await verifyChain(env, from)).toMatchObject({ valid: true, checkedCount: 0, firstFailure: null, headSequence: COUNT });
      expect(await verifyChain(env, from, from + 10)).toMatchObject({ valid: true, checkedCount: 0, firstFailure: null });
    }

    await tampered(
      () => env.sql(`UPDATE audit_event SET actor_id = 'u-attacker' WHERE ${TENANT} AND sequence = 7`),
      () => env.sql(`UPDATE audit_event SET actor_id = 'u-7' WHERE ${TENANT} AND sequence = 7`),
      async () => {
        expect(await verifyChain(env, 1, 6)).toMatchObject({ valid: true, checkedCount: 6 });
        expect(await verifyChain(env, 8, COUNT)).toMatchObject({ valid: true, checkedCount: COUNT - 7 });
        expect(await verifyChain(env, 5, 9)).toMatchObject({
          valid: false,
          checkedCount: 2,
          firstFailure: { sequence: 7, reason: 'HASH_MISMATCH' },
        });
        expect(await verifyChain(env, 7, 7)).toMatchObject({ valid: false, firstFailure: { sequence: 7, reason: 'HASH_MISMATCH' } });
      },
    );
  });

  it('refuses a nonsensical range with INVALID_ARGUMENT', async () => {
    for (const [from, to] of [
      [0, 5],
      [-3, undefined],
      [5, 4],
    ]) {
      const res = await env.gql(VERIFY, { from, to });
      expect(res.body.errors?.[0]?.extensions?.code).toBe('INVALID_ARGUMENT');
    }
  });

  it('verify-chain (CLI, database only) exits 0 on a good chain and 1 naming the sequence on a tampered one', async () => {
    const good = await cli(env, '--tenant', 'default');
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/valid/i);
    expect(good.stdout).toContain(`${COUNT} events`);

    const json = await cli(env, '--tenant', 'default', '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: true, checkedCount: COUNT, headSequence: COUNT, firstFailure: null });

    await tampered(
      () => env.sql(`UPDATE audit_event SET actor_id = 'u-attacker' WHERE ${TENANT} AND sequence = 7`),
      () => env.sql(`UPDATE audit_event SET actor_id = 'u-7' WHERE ${TENANT} AND sequence = 7`),
      async () => {
        const bad = await cli(env, '--tenant', 'default');
        expect(bad.code).toBe(1);
        expect(bad.stdout).toMatch(/\bsequence 7\b/);
        expect(bad.stdout).toContain('HASH_MISMATCH');
        const badJson = await cli(env, '--tenant', 'default', '--json');
        expect(badJson.code).toBe(1);
        expect(JSON.parse(badJson.stdout).firstFailure).toMatchObject({ sequence: 7, reason: 'HASH_MISMATCH' });
        // A range that stops before the change is fine.
        expect((await cli(env, '--tenant', 'default', '--from', '1', '--to', '6')).code).toBe(0);
      },
    );
  });

  it('finds a deleted middle row (SEQUENCE_GAP), through GraphQL and the CLI', async () => {
    const [row] = await env.sql<Record<string, unknown>>(`SELECT * FROM audit_event WHERE ${TENANT} AND sequence = 7`);
    const { remove, restore } = await deletion(env, row);
    await tampered(remove, restore, async () => {
      const result = await expectBrokenAt(env, 7, 'SEQUENCE_GAP');
      expect(result.checkedCount).toBe(6);
      const bad = await cli(env, '--tenant', 'default');
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(/\bsequence 7\b/);
      expect(bad.stdout).toContain('SEQUENCE_GAP');
      // A range starting right after the hole cannot link to it.
      expect((await verifyChain(env, 8)).firstFailure).toMatchObject({ sequence: 7, reason: 'SEQUENCE_GAP' });
    });
  });

  it('finds the newest row deleted while the chain head still names it (TRUNCATED)', async () => {
    const [row] = await env.sql<Record<string, unknown>>(`SELECT * FROM audit_event WHERE ${TENANT} AND sequence = ?`, [COUNT]);
    const { remove, restore } = await deletion(env, row);
    await tampered(remove, restore, () => expectBrokenAt(env, COUNT, 'TRUNCATED'));
  });
});

describe('verifyAuditChain: signed checkpoints', () => {
  let env: TestEnvironment;
  const COUNT = 10;

  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(() => env.close());

  it('issues no checkpoint for an empty chain', async () => {
    const res = await env.gql(CHECKPOINT);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.createCheckpoint).toBeNull();
    expect(await verifyChain(env)).toMatchObject({ valid: true, checkedCount: 0, headSequence: 0, latestCheckpoint: null });
  });

  it('signs the chain head on demand; the checkpoint is matched by verification', async () => {
    const receipts = await recordMany(env, COUNT);
    const res = await env.gql(CHECKPOINT);
    expect(res.body.errors).toBeUndefined();
    const checkpoint = res.body.data!.createCheckpoint;
    expect(checkpoint).toMatchObject({ tenantId: 'default', sequence: COUNT, chainHash: receipts[COUNT - 1].chainHash });
    // Asked again without new events: the same checkpoint.
    expect((await env.gql(CHECKPOINT)).body.data!.createCheckpoint).toEqual(checkpoint);

    const result = await expectValid(env, COUNT);
    expect(result.checkpointsChecked).toBe(1);
    expect(result.latestCheckpoint).toEqual({
      sequence: COUNT,
      chainHash: checkpoint.chainHash,
      signature: checkpoint.signature,
      keyId: checkpoint.keyId,
    });
  });

  it('publishes an Ed25519 public key that verifies the checkpoint over its canonical JSON with node:crypto', async () => {
    const keys = (await env.gql(SIGNING_KEYS)).body.data!.signingKeys as { id: string; algorithm: string; publicKeyPem: string }[];
    expect(keys).toHaveLength(1);
    expect(keys[0].algorithm).toBe('Ed25519');
    expect(keys[0].publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n?$/);
    const publicKey = createPublicKey(keys[0].publicKeyPem);
    expect(publicKey.asymmetricKeyType).toBe('ed25519');

    const c = (await env.gql(CHECKPOINT)).body.data!.createCheckpoint;
    expect(c.keyId).toBe(keys[0].id);
    const message = `{"chainHash":"${c.chainHash}","issuedAt":"${c.issuedAt}","sequence":${c.sequence},"tenantId":"${c.tenantId}","v":1}`;
    const signature = Buffer.from(c.signature, 'base64');
    expect(signature).toHaveLength(64);
    expect(verify(null, Buffer.from(message, 'utf8'), publicKey, signature)).toBe(true);
    // The signature covers each field.
    expect(
      verify(null, Buffer.from(message.replace(`"sequence":${c.sequence}`, `"sequence":${c.sequence - 1}`)), publicKey, signature),
    ).toBe(false);
    expect(verify(null, Buffer.from(message.replace('"tenantId":"default"', '"tenantId":"other"')), publicKey, signature)).toBe(false);
  });

  it('catches the newest row deleted with the chain head rolled back to match (TRUNCATED, via the checkpoint)', async () => {
    const [row] = await env.sql<Record<string, unknown>>(`SELECT * FROM audit_event WHERE ${TENANT} AND sequence = ?`, [COUNT]);
    const [previous] = await env.sql<{ chain_hash: string }>(`SELECT chain_hash FROM audit_event WHERE ${TENANT} AND sequence = ?`, [
      COUNT - 1,
    ]);
    const labels = await env.sql<Record<string, unknown>>('SELECT * FROM audit_event_label WHERE event_id = ?', [row.id]);
    await env.sql('DELETE FROM audit_event_label WHERE event_id = ?', [row.id]);
    await env.sql('DELETE FROM audit_event WHERE id = ?', [row.id]);
    await env.sql(`UPDATE chain_head SET sequence = ?, chain_hash = ? WHERE ${TENANT}`, [COUNT - 1, previous.chain_hash]);

    const result = await verifyChain(env);
    expect(result).toMatchObject({ valid: false, headSequence: COUNT - 1, firstFailure: { sequence: COUNT, reason: 'TRUNCATED' } });
    expect(result.checkedCount).toBe(COUNT - 1);
    const bad = await cli(env, '--tenant', 'default');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(new RegExp(`\\bsequence ${COUNT}\\b`));
    expect(bad.stdout).toContain('TRUNCATED');

    // Put it back as it was.
    for (const [table, rows] of [
      ['audit_event', [row]],
      ['audit_event_label', labels],
    ] as const) {
      for (const r of rows) {
        const columns = Object.keys(r);
        await env.sql(
          `INSERT INTO ${table} (${columns.join(',')}) VALUES (${columns.map(() => '?').join(',')})`,
          columns.map((col) => r[col]),
        );
      }
    }
    await env.sql(`UPDATE chain_head SET sequence = ?, chain_hash = ? WHERE ${TENANT}`, [COUNT, row.chain_hash]);
    await expectValid(env, COUNT);
  });

  it('catches history rewritten consistently (every hash recomputed) before a checkpoint: CHECKPOINT_MISMATCH', async () => {
    const saved = await env.sql<{ sequence: unknown; hash: string; chain_hash: string }>(
      `SELECT sequence, hash, chain_hash FROM audit_event WHERE ${TENANT} AND sequence >= 8 ORDER BY sequence`,
    );
    const [{ h }] = await env.sql<{ h: string }>(`SELECT chain_hash AS h FROM chain_head WHERE ${TENANT}`);
    await env.sql(`UPDATE audit_event SET actor_id = 'u-attacker' WHERE ${TENANT} AND sequence = 8`);
    await rewriteHistoryFrom(env, 8);

    const result = await expectBrokenAt(env, COUNT, 'CHECKPOINT_MISMATCH');
    expect(result.checkedCount).toBe(COUNT - 1);
    // Without the checkpoint's range, the rewrite would look consistent.
    expect(await verifyChain(env, 1, COUNT - 1)).toMatchObject({ valid: true });

    await env.sql(`UPDATE audit_event SET actor_id = 'u-8' WHERE ${TENANT} AND sequence = 8`);
    for (const r of saved) {
      await env.sql(`UPDATE audit_event SET hash = ?, chain_hash = ? WHERE ${TENANT} AND sequence = ?`, [r.hash, r.chain_hash, r.sequence]);
    }
    await env.sql(`UPDATE chain_head SET chain_hash = ? WHERE ${TENANT}`, [h]);
    await expectValid(env, COUNT);
  });

  it('finds a tampered checkpoint signature (CHECKPOINT_SIGNATURE_INVALID), and a checkpoint whose chainHash was changed', async () => {
    const [c] = await env.sql<{ id: string; signature: string; chain_hash: string }>(
      `SELECT id, signature, chain_hash FROM checkpoint WHERE ${TENANT} AND sequence = ?`,
      [COUNT],
    );
    const flipped = Buffer.from(c.signature, 'base64');
    flipped[0] ^= 1;
    await env.sql('UPDATE checkpoint SET signature = ? WHERE id = ?', [flipped.toString('base64'), c.id]);
    await expectBrokenAt(env, COUNT, 'CHECKPOINT_SIGNATURE_INVALID');
    const bad = await cli(env, '--tenant', 'default');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('CHECKPOINT_SIGNATURE_INVALID');
    await env.sql('UPDATE checkpoint SET signature = ? WHERE id = ?', [c.signature, c.id]);
    await expectValid(env, COUNT);

    // An attacker who rewrites history cannot re-sign: changing the signed chainHash breaks the signature.
    await env.sql('UPDATE checkpoint SET chain_hash = ? WHERE id = ?', ['0'.repeat(64), c.id]);
    await expectBrokenAt(env, COUNT, 'CHECKPOINT_SIGNATURE_INVALID');
    await env.sql('UPDATE checkpoint SET chain_hash = ? WHERE id = ?', [c.chain_hash, c.id]);
    await expectValid(env, COUNT);
  });

  it('lists checkpoints and keeps verifying older ones as the chain grows', async () => {
    await recordMany(env, 5, COUNT);
    const second = (await env.gql(CHECKPOINT)).body.data!.createCheckpoint;
    expect(second.sequence).toBe(COUNT + 5);
    const list = (await env.gql('{ checkpoints { sequence chainHash } }')).body.data!.checkpoints as { sequence: number }[];
    expect(list.map((c) => c.sequence)).toEqual([COUNT + 5, COUNT]);
    const result = await expectValid(env, COUNT + 5);
    expect(result.checkpointsChecked).toBe(2);
    expect(result.latestCheckpoint!.sequence).toBe(COUNT + 5);
    const good = await cli(env, '--tenant', 'default', '--json');
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ valid: true, checkpointsChecked: 2 });
  });
});

describe('periodic checkpoints', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment({ CHECKPOINT_INTERVAL_SECONDS: '1' });
  });
  afterAll(() => env.close());

  it('are issued without being asked once the chain moves', async () => {
    const receipts = await recordMany(env, 3);
    let latest: Verification['latestCheckpoint'] = null;
    for (let i = 0; i < 100 && !latest; i += 1) {
      await new Promise((r) => setTimeout(r, 100));
      latest = (await verifyChain(env)).latestCheckpoint;
    }
    expect(latest).toMatchObject({ sequence: 3, chainHash: receipts[2].chainHash });
    expect((await verifyChain(env)).valid).toBe(true);
  });
});

describe('restart', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(() => env.close());

  it('keeps data, chain, checkpoints and signing key; sequences continue without a gap', async () => {
    const before = await recordMany(env, 6);
    const checkpoint = (await env.gql(CHECKPOINT)).body.data!.createCheckpoint;
    const keysBefore = (await env.gql(SIGNING_KEYS)).body.data!.signingKeys;

    await env.restart();

    const verified = await expectValid(env, 6);
    expect(verified.headChainHash).toBe(before[5].chainHash);
    expect(verified.latestCheckpoint).toMatchObject({ sequence: 6, signature: checkpoint.signature });
    const read = await env.gql('query($id: String!) { auditEvent(id: $id) { id sequence hash chainHash action } }', { id: before[2].id });
    expect(read.body.data!.auditEvent).toMatchObject({
      id: before[2].id,
      sequence: 3,
      hash: before[2].hash,
      chainHash: before[2].chainHash,
    });
    // Idempotency survives the restart too.
    const keyed = eventInput({ idempotencyKey: 'restart-key' });
    const first = (await env.gql(RECORD, { input: { events: [keyed] } })).body.data!.recordAuditEvents.receipts[0];
    expect(first.sequence).toBe(7);
    await env.restart();
    const replay = (await env.gql(RECORD, { input: { events: [keyed] } })).body.data!.recordAuditEvents.receipts[0];
    expect(replay).toEqual({ ...first, replayed: true });

    // The reads served before the second restart (the verification and the auditEvent above) were
    // appended by its shutdown, after event 7 (ADR 0044).
    const reads = await env.sql<{ sequence: unknown; action: string; resource_id: string; chain_hash: string }>(
      `SELECT sequence, action, resource_id, chain_hash FROM audit_event WHERE ${TENANT} AND sequence > 7 ORDER BY sequence`,
    );
    expect(reads.map((r) => [Number(r.sequence), r.action, r.resource_id])).toEqual([
      [8, 'datapunk.log.read', 'Query.verifyAuditChain'],
      [9, 'datapunk.log.read', 'Query.auditEvent'],
    ]);
    const after = await recordMany(env, 4, 7);
    expect(after.map((r) => r.sequence)).toEqual([10, 11, 12, 13]);
    expect(after[0].chainHash).toBe(linkHash(reads[1].chain_hash, after[0].hash));

    // The same signing key signs new checkpoints.
    const next = (await env.gql(CHECKPOINT)).body.data!.createCheckpoint;
    expect(next).toMatchObject({ sequence: 13, keyId: checkpoint.keyId });
    expect((await env.gql(SIGNING_KEYS)).body.data!.signingKeys).toEqual(keysBefore);
    const final = await expectValid(env, 13);
    expect(final.checkpointsChecked).toBe(2);
    const [{ n }] = await env.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM audit_event');
    expect(Number(n)).toBe(13);
  });
});
