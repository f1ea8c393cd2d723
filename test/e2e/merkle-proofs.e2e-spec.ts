import { createHash, createPublicKey } from 'node:crypto';
import { leafHash, verifyConsistency, verifyInclusion } from '../../src/chain/merkle';
import { openNote, parseCheckpointText, parseVerifierKey, verifierKey } from '../../src/chain/signed-note';
import { backfillMerkleTrees } from '../../migrations/merkle-backfill';
import { backfillMerkleTiles } from '../../migrations/merkle-tiles-backfill';
import { createTestEnvironment, eventInput, RECORD, type TestEnvironment, VERIFY } from '../helpers/test-environment';
import { mth } from '../helpers/reference-merkle';

/**
 * RFC 9162 trees per tenant (issue 13 part 1, ADR 0047): kept at append, built for existing chains
 * by the migration, and answering inclusion and consistency proofs through GraphQL that the RFC's
 * verification accepts — against roots recomputed here from the events' own hashes, so a wrong
 * tree cannot pass. Pruning keeps what later proofs need.
 */
const INCLUSION = `query I($sequence: SafeInt!, $treeSize: SafeInt) {
  inclusionProof(sequence: $sequence, treeSize: $treeSize) { sequence leafIndex treeSize leafHash rootHash hashes }
}`;
const CONSISTENCY = `query C($fromSize: SafeInt!, $toSize: SafeInt) {
  consistencyProof(fromSize: $fromSize, toSize: $toSize) { fromSize toSize fromRoot toRoot hashes }
}`;
const DAY = 86_400_000;
const b64 = (s: string) => Buffer.from(s, 'base64');

describe('Merkle proofs', () => {
  let env: TestEnvironment;
  let auditor: string;
  const TENANT = 'merkle';
  /** The leaves as the events' hashes say, by sequence − 1. */
  let leaves: Buffer[] = [];

  async function readLeaves(tenant = TENANT): Promise<Buffer[]> {
    const rows = await env.sql<{ sequence: unknown; hash: string }>(
      'SELECT sequence, hash FROM audit_event WHERE tenant_id = ? ORDER BY sequence',
      [tenant],
    );
    rows.forEach((r, i) => expect(Number(r.sequence)).toBe(i + 1));
    return rows.map((r) => leafHash(Buffer.from(r.hash, 'hex')));
  }

  beforeAll(async () => {
    env = await createTestEnvironment();
    auditor = await env.createKey('AUDITOR', TENANT);
    const ingest = await env.createKey('INGEST', TENANT);
    // Batches of uneven sizes, so subtrees complete inside batches and across them.
    for (const n of [1, 254, 1, 300, 44]) {
      const events = Array.from({ length: n }, (_, i) => eventInput({ action: 'auth.login', actor: { id: `u-${i % 9}`, type: 'USER' } }));
      const res = await env.gql(RECORD, { input: { events } }, ingest);
      expect(res.body.errors).toBeUndefined();
    }
    leaves = await readLeaves();
    expect(leaves).toHaveLength(600);
  });
  afterAll(() => env?.close());

  it('keeps the frontier and the stored subtrees the append built: the root is the RFC root of the events’ hashes', async () => {
    const res = (await env.gql(INCLUSION, { sequence: 600 }, auditor)).body;
    expect(res.errors).toBeUndefined();
    expect(b64(res.data!.inclusionProof.rootHash).equals(mth(leaves))).toBe(true);
    // One row per complete subtree of 16 leaves (level 4) and of 256 leaves or more: [0,256), [256,512), [0,512)
    // (ADR 0047, amended 2026-12-07), each the RFC hash of its leaves.
    const nodes = await env.sql<{ node_level: unknown; node_index: unknown; hash: string }>(
      'SELECT node_level, node_index, hash FROM merkle_node WHERE tenant_id = ? ORDER BY node_level, node_index',
      [TENANT],
    );
    expect(nodes.map((n) => [Number(n.node_level), Number(n.node_index)])).toEqual([
      ...Array.from({ length: 37 }, (_, i) => [4, i]),
      [8, 0],
      [8, 1],
      [9, 0],
    ]);
    for (const n of nodes) {
      const width = 2 ** Number(n.node_level);
      const start = Number(n.node_index) * width;
      expect(n.hash).toBe(mth(leaves.slice(start, start + width)).toString('hex'));
    }
  });

  it('proves the inclusion of any event in any tree size, and the proofs verify against the RFC roots', async () => {
    for (const [sequence, treeSize] of [
      [1, 1],
      [1, 600],
      [2, 256],
      [256, 256],
      [257, 257],
      [300, 512],
      [511, 600],
      [600, 600],
      [599, null],
    ] as const) {
      const res = (await env.gql(INCLUSION, { sequence, treeSize }, auditor)).body;
      expect(res.errors).toBeUndefined();
      const p = res.data!.inclusionProof;
      const n = treeSize ?? 600;
      expect({ sequence: p.sequence, leafIndex: p.leafIndex, treeSize: p.treeSize }).toEqual({
        sequence,
        leafIndex: sequence - 1,
        treeSize: n,
      });
      expect(b64(p.leafHash).equals(leaves[sequence - 1])).toBe(true);
      const root = mth(leaves.slice(0, n));
      expect(b64(p.rootHash).equals(root)).toBe(true);
      expect(verifyInclusion(sequence - 1, n, leaves[sequence - 1], p.hashes.map(b64), root)).toEqual({ ok: true });
      // The same path does not prove a neighbour.
      if (n > 1) expect(verifyInclusion(sequence - 1, n, leaves[sequence === 1 ? 1 : 0], p.hashes.map(b64), root).ok).toBe(false);
    }
  });

  it('proves every older tree a prefix of a newer one', async () => {
    for (const [fromSize, toSize] of [
      [1, 600],
      [255, 256],
      [256, 512],
      [300, 301],
      [511, null],
      [600, 600],
    ] as const) {
      const res = (await env.gql(CONSISTENCY, { fromSize, toSize }, auditor)).body;
      expect(res.errors).toBeUndefined();
      const p = res.data!.consistencyProof;
      const n = toSize ?? 600;
      const [first, second] = [mth(leaves.slice(0, fromSize)), mth(leaves.slice(0, n))];
      expect(b64(p.fromRoot).equals(first) && b64(p.toRoot).equals(second)).toBe(true);
      expect(verifyConsistency(fromSize, n, first, second, p.hashes.map(b64))).toEqual({ ok: true });
    }
  });

  it('refuses sizes and sequences outside the tree with INVALID_ARGUMENT, and a VIEWER with FORBIDDEN', async () => {
    for (const variables of [{ sequence: 0 }, { sequence: 601 }, { sequence: 5, treeSize: 4 }, { sequence: 1, treeSize: 601 }]) {
      const res = (await env.gql(INCLUSION, variables, auditor)).body;
      expect(res.errors?.[0]?.extensions?.code).toBe('INVALID_ARGUMENT');
    }
    for (const variables of [{ fromSize: 0 }, { fromSize: 7, toSize: 6 }, { fromSize: 1, toSize: 601 }]) {
      const res = (await env.gql(CONSISTENCY, variables, auditor)).body;
      expect(res.errors?.[0]?.extensions?.code).toBe('INVALID_ARGUMENT');
    }
    const viewer = await env.createKey('VIEWER', TENANT);
    expect((await env.gql(INCLUSION, { sequence: 1 }, viewer)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await env.gql(CONSISTENCY, { fromSize: 1 }, viewer)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('a hash changed in the database no longer proves against the root served before', async () => {
    const before = (await env.gql(INCLUSION, { sequence: 10, treeSize: 600 }, auditor)).body.data!.inclusionProof;
    const [row] = await env.sql<{ hash: string }>('SELECT hash FROM audit_event WHERE tenant_id = ? AND sequence = 10', [TENANT]);
    const forged = createHash('sha256').update('forged').digest('hex');
    await env.sql('UPDATE audit_event SET hash = ? WHERE tenant_id = ? AND sequence = 10', [forged, TENANT]);
    try {
      const after = (await env.gql(INCLUSION, { sequence: 10, treeSize: 600 }, auditor)).body.data!.inclusionProof;
      expect(after.leafHash).not.toBe(before.leafHash);
      expect(verifyInclusion(9, 600, b64(after.leafHash), after.hashes.map(b64), b64(before.rootHash)).ok).toBe(false);
    } finally {
      await env.sql('UPDATE audit_event SET hash = ? WHERE tenant_id = ? AND sequence = 10', [row.hash, TENANT]);
    }
  });

  it('the migration builds the same tree for an existing chain, and none for a chain with a gap', async () => {
    const [head] = await env.sql<{ merkle_frontier: string }>('SELECT merkle_frontier FROM chain_head WHERE tenant_id = ?', [TENANT]);
    const nodes = await env.sql<Record<string, unknown>>(
      'SELECT node_level, node_index, hash FROM merkle_node WHERE tenant_id = ? ORDER BY node_level, node_index',
      [TENANT],
    );
    await env.sql('DELETE FROM merkle_node WHERE tenant_id = ?', [TENANT]);
    await env.sql('UPDATE chain_head SET merkle_frontier = NULL WHERE tenant_id = ?', [TENANT]);
    const runner = env.app.dataSource.createQueryRunner();
    try {
      // The tree's migration, then the one that adds its level-4 subtrees (ADR 0047, amended 2026-12-07).
      await backfillMerkleTrees(runner);
      await backfillMerkleTiles(runner, env.app.dataSource.options.type === 'better-sqlite3' ? 'INSERT OR IGNORE' : 'INSERT IGNORE');
    } finally {
      await runner.release();
    }
    const [rebuilt] = await env.sql<{ merkle_frontier: string }>('SELECT merkle_frontier FROM chain_head WHERE tenant_id = ?', [TENANT]);
    expect(rebuilt.merkle_frontier).toBe(head.merkle_frontier);
    const again = await env.sql<Record<string, unknown>>(
      'SELECT node_level, node_index, hash FROM merkle_node WHERE tenant_id = ? ORDER BY node_level, node_index',
      [TENANT],
    );
    expect(again.map((n) => [Number(n.node_level), Number(n.node_index), n.hash])).toEqual(
      nodes.map((n) => [Number(n.node_level), Number(n.node_index), n.hash]),
    );

    // A chain with an event missing gets no tree: proofs say so with PROOF_UNAVAILABLE.
    const other = 'merkle-gap';
    const ingest = await env.createKey('INGEST', other);
    const res = await env.gql(RECORD, { input: { events: Array.from({ length: 5 }, () => eventInput({ action: 'auth.login' })) } }, ingest);
    expect(res.body.errors).toBeUndefined();
    await env.sql('DELETE FROM audit_event WHERE tenant_id = ? AND sequence = 3', [other]);
    await env.sql('UPDATE chain_head SET merkle_frontier = NULL WHERE tenant_id = ?', [other]);
    const again2 = env.app.dataSource.createQueryRunner();
    try {
      await backfillMerkleTrees(again2);
    } finally {
      await again2.release();
    }
    const [gap] = await env.sql<{ merkle_frontier: string | null }>('SELECT merkle_frontier FROM chain_head WHERE tenant_id = ?', [other]);
    expect(gap.merkle_frontier).toBeNull();
    const otherAuditor = await env.createKey('AUDITOR', other);
    expect((await env.gql(INCLUSION, { sequence: 1 }, otherAuditor)).body.errors?.[0]?.extensions?.code).toBe('PROOF_UNAVAILABLE');
  });

  it('after a prune, proofs for every kept event and size still verify against the same roots; a pruned event is PROOF_UNAVAILABLE', async () => {
    const tenant = 'merkle-pruned';
    const ingest = await env.createKey('INGEST', tenant);
    const batch = (n: number, action: string) => Array.from({ length: n }, () => eventInput({ action }));
    for (const events of [batch(300, 'auth.login'), batch(1, 'data.read'), batch(299, 'auth.login')]) {
      const res = await env.gql(RECORD, { input: { events } }, ingest);
      expect(res.body.errors).toBeUndefined();
    }
    const all = await readLeaves(tenant);
    const actor = { tenantId: tenant, keyId: null, requestId: 'merkle-prune' };
    await env.app.services.retention.addRule(actor, { selector: 'ACTION_PREFIX' as never, value: 'auth.', maxDays: 30 });
    const pruned = await env.app.services.retention.prune(actor, { now: new Date(Date.now() + 31 * DAY) });
    expect(pruned.throughSequence).toBe(300);
    const [{ n }] = await env.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM audit_event WHERE tenant_id = ? AND sequence <= 300', [
      tenant,
    ]);
    expect(Number(n)).toBe(0);
    const [head] = await env.sql<{ sequence: unknown }>('SELECT sequence FROM chain_head WHERE tenant_id = ?', [tenant]);
    const size = Number(head.sequence);
    // The prune's own events came after: their leaves are read now; the first 300 only from before.
    const kept = await env.sql<{ sequence: unknown; hash: string }>(
      'SELECT sequence, hash FROM audit_event WHERE tenant_id = ? ORDER BY sequence',
      [tenant],
    );
    const leavesNow = [...all.slice(0, 300), ...kept.map((r) => leafHash(Buffer.from(r.hash, 'hex')))];
    expect(leavesNow).toHaveLength(size);
    const key = await env.createKey('AUDITOR', tenant);
    const provesKept = async () => {
      for (const sequence of [301, 302, 333, 512, 513, 600, size]) {
        const p = (await env.gql(INCLUSION, { sequence }, key)).body;
        expect(p.errors).toBeUndefined();
        const proof = p.data!.inclusionProof;
        expect(verifyInclusion(sequence - 1, size, leavesNow[sequence - 1], proof.hashes.map(b64), mth(leavesNow))).toEqual({ ok: true });
      }
      for (const fromSize of [301, 302, 512, 600]) {
        const c = (await env.gql(CONSISTENCY, { fromSize }, key)).body;
        expect(c.errors).toBeUndefined();
        const proof = c.data!.consistencyProof;
        expect(verifyConsistency(fromSize, size, mth(leavesNow.slice(0, fromSize)), mth(leavesNow), proof.hashes.map(b64))).toEqual({
          ok: true,
        });
      }
    };
    await provesKept();
    // A chain pruned before level 4 was stored (ADR 0047, amended 2026-12-07): the migration stores the
    // level-4 subtrees whose 16 events are all kept; the one across the prune's end, [288, 304), is
    // folded from the subtrees the prune kept and the events left. Every kept event still proves.
    await env.sql('DELETE FROM merkle_node WHERE tenant_id = ? AND node_level = 4', [tenant]);
    const runner = env.app.dataSource.createQueryRunner();
    try {
      await backfillMerkleTiles(runner, env.app.dataSource.options.type === 'better-sqlite3' ? 'INSERT OR IGNORE' : 'INSERT IGNORE');
    } finally {
      await runner.release();
    }
    const tiles = await env.sql<{ node_index: unknown }>(
      'SELECT node_index FROM merkle_node WHERE tenant_id = ? AND node_level = 4 ORDER BY node_index',
      [tenant],
    );
    expect(tiles.map((t) => Number(t.node_index))).toEqual(Array.from({ length: Math.floor(size / 16) - 19 }, (_, i) => 19 + i));
    await provesKept();
    const gone = (await env.gql(INCLUSION, { sequence: 100 }, key)).body;
    expect(gone.errors?.[0]?.extensions?.code).toBe('PROOF_UNAVAILABLE');
    // The chain itself still verifies from its anchor.
    expect((await env.gql(VERIFY, {}, key)).body.data!.verifyAuditChain.valid).toBe(true);
  });
});

describe('C2SP checkpoints over the tree', () => {
  let env: TestEnvironment;
  let auditor: string;
  let ingest: string;
  const TENANT = 'merkle-notes';
  const CREATE = 'mutation { createCheckpoint { id sequence note } }';

  const record = async (n: number) => {
    const res = await env.gql(RECORD, { input: { events: Array.from({ length: n }, () => eventInput({ action: 'auth.login' })) } }, ingest);
    expect(res.body.errors).toBeUndefined();
  };
  const leavesOf = async () =>
    (await env.sql<{ hash: string }>('SELECT hash FROM audit_event WHERE tenant_id = ? ORDER BY sequence', [TENANT])).map((r) =>
      leafHash(Buffer.from(r.hash, 'hex')),
    );

  beforeAll(async () => {
    env = await createTestEnvironment();
    auditor = await env.createKey('AUDITOR', TENANT);
    ingest = await env.createKey('INGEST', TENANT);
    await record(300);
  });
  afterAll(() => env?.close());

  it('signs the Merkle root as a C2SP tlog-checkpoint note that the server’s public key verifies, and later notes extend earlier ones', async () => {
    const keys = (await env.gql('{ signingKeys { publicKeyPem trusted } }', {}, auditor)).body.data!.signingKeys as {
      publicKeyPem: string;
      trusted: boolean;
    }[];
    const publicKey = createPublicKey(keys.find((k) => k.trusted)!.publicKeyPem);
    const origin = `localhost/datapunk-audit/${TENANT}`;
    const first = (await env.gql(CREATE, {}, auditor)).body.data!.createCheckpoint;
    // Read as a third party would: the verifier key string is all it needs besides the note.
    const vkey = parseVerifierKey(verifierKey(origin, publicKey));
    const opened = openNote(first.note, [{ name: vkey.name, publicKey: vkey.publicKey }]);
    expect(opened.verifiedBy).toEqual([origin]);
    const body = parseCheckpointText(opened.text);
    expect({ origin: body.origin, size: body.size }).toEqual({ origin, size: first.sequence });
    expect(body.root.equals(mth(await leavesOf()))).toBe(true);
    // A changed byte anywhere in the text fails the signature.
    expect(() => openNote(first.note.replace(`\n${body.size}\n`, `\n${body.size + 1}\n`), [vkey])).toThrow(/does not verify/);

    await record(45);
    const second = (await env.gql(CREATE, {}, auditor)).body.data!.createCheckpoint;
    const later = parseCheckpointText(openNote(second.note, [vkey]).text);
    expect(later.size).toBe(second.sequence);
    const proof = (await env.gql(CONSISTENCY, { fromSize: body.size, toSize: later.size }, auditor)).body.data!.consistencyProof;
    expect(verifyConsistency(body.size, later.size, body.root, later.root, proof.hashes.map(b64))).toEqual({ ok: true });
  });

  it('refuses to sign a tree that does not extend the one it signed before (CHECKPOINT_REFUSED), and signs nothing', async () => {
    await record(3);
    const [head] = await env.sql<{ sequence: unknown; merkle_frontier: string }>(
      'SELECT sequence, merkle_frontier FROM chain_head WHERE tenant_id = ?',
      [TENANT],
    );
    // A forked tree of the same shape: every frontier hash replaced.
    const forged = head.merkle_frontier.replace(/[0-9a-f]/g, (c) => ((parseInt(c, 16) + 1) % 16).toString(16));
    await env.sql('UPDATE chain_head SET merkle_frontier = ? WHERE tenant_id = ?', [forged, TENANT]);
    const before = await env.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM checkpoint WHERE tenant_id = ?', [TENANT]);
    try {
      const res = (await env.gql(CREATE, {}, auditor)).body;
      expect(res.errors?.[0]?.extensions?.code).toBe('CHECKPOINT_REFUSED');
      const after = await env.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM checkpoint WHERE tenant_id = ?', [TENANT]);
      expect(Number(after[0].n)).toBe(Number(before[0].n));
    } finally {
      await env.sql('UPDATE chain_head SET merkle_frontier = ? WHERE tenant_id = ?', [head.merkle_frontier, TENANT]);
    }
    // Restored, the same head is signed again.
    expect((await env.gql(CREATE, {}, auditor)).body.data!.createCheckpoint.sequence).toBe(Number(head.sequence));
  });

  it('a checkpoint row written into the table (the server’s key id, a bad note) does not stop the server signing, on request or on its timer', async () => {
    const [latest] = await env.sql<Record<string, unknown>>('SELECT * FROM checkpoint WHERE tenant_id = ? ORDER BY sequence DESC LIMIT 1', [
      TENANT,
    ]);
    await env.sql(
      'INSERT INTO checkpoint (id, tenant_id, sequence, chain_hash, issued_at, key_id, signature, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [
        '00000000-0000-7000-8000-000000000001',
        TENANT,
        Number(latest.sequence) + 1000,
        latest.chain_hash,
        latest.issued_at,
        latest.key_id,
        latest.signature,
        'forged\n1\nAAAA\n\n— forged AAAA\n',
      ],
    );
    await record(2);
    // The timed checkpoints (issueDue) do not take that row's sequence, above the head, on trust.
    const [head] = await env.sql<{ sequence: unknown }>('SELECT sequence FROM chain_head WHERE tenant_id = ?', [TENANT]);
    const signedAtHead = async () =>
      Number(
        (
          await env.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM checkpoint WHERE tenant_id = ? AND sequence = ? AND id <> ?', [
            TENANT,
            Number(head.sequence),
            '00000000-0000-7000-8000-000000000001',
          ])
        )[0].n,
      );
    expect(await signedAtHead()).toBe(0);
    await env.app.services.checkpoints.issueDue();
    expect(await signedAtHead()).toBe(1);
    // Signed at the head now, the tenant is no longer due.
    await env.app.services.checkpoints.issueDue();
    expect(await signedAtHead()).toBe(1);
    const res = (await env.gql(CREATE, {}, auditor)).body;
    expect(res.errors).toBeUndefined();
    expect(res.data!.createCheckpoint.note).toContain(`localhost/datapunk-audit/${TENANT}`);
    await env.sql('DELETE FROM checkpoint WHERE id = ?', ['00000000-0000-7000-8000-000000000001']);
  });

  it('a rollback in the database (events, head and tree rewound, rewritten past a stored subtree) keeps ingest up and is refused a checkpoint', async () => {
    const [head] = await env.sql<Record<string, unknown>>(
      'SELECT sequence, chain_hash, merkle_frontier FROM chain_head WHERE tenant_id = ?',
      [TENANT],
    );
    const signed = Number(head.sequence);
    await record(200); // completes the subtree [256, 512): a merkle_node row
    expect((await env.gql(CREATE, {}, auditor)).body.data!.createCheckpoint.sequence).toBe(signed + 200);
    // The attacker rewinds events, head and tree to `signed`; the newer checkpoint and the stored node stay.
    // (One who also deletes that checkpoint is caught only by a note kept outside: witnesses, next.)
    await env.sql('DELETE FROM audit_event_label WHERE event_id IN (SELECT id FROM audit_event WHERE tenant_id = ? AND sequence > ?)', [
      TENANT,
      signed,
    ]);
    await env.sql('DELETE FROM audit_event WHERE tenant_id = ? AND sequence > ?', [TENANT, signed]);
    await env.sql('UPDATE chain_head SET sequence = ?, chain_hash = ?, merkle_frontier = ? WHERE tenant_id = ?', [
      signed,
      head.chain_hash,
      head.merkle_frontier,
      TENANT,
    ]);
    // A different history of the same length is written over it: the append goes through.
    await record(200);
    const [rewritten] = await env.sql<{ sequence: unknown }>('SELECT sequence FROM chain_head WHERE tenant_id = ?', [TENANT]);
    expect(Number(rewritten.sequence)).toBe(signed + 200);
    // The server will not sign it: it contradicts the tree it signed at the same size.
    expect((await env.gql(CREATE, {}, auditor)).body.errors?.[0]?.extensions?.code).toBe('CHECKPOINT_REFUSED');
  });
});
