import { createHash } from 'node:crypto';
import type { QueryRunner } from 'typeorm';

/**
 * Stores the level-4 subtrees (16 leaves each) of every existing tree (ADR 0047, amended
 * 2026-12-07), frozen here (a migration never imports live code): leaf = SHA-256(0x00 ‖ event
 * hash), node = SHA-256(0x01 ‖ left ‖ right), each complete run of 16 events (sequences 16k + 1 to
 * 16k + 16, all present) folded into merkle_node (tenant_id, 4, k). A run with an event missing
 * (pruned, or deleted in the database) is left out: proofs fold what is left of it, or answer
 * PROOF_UNAVAILABLE as before. Events are read in pages of 4,096, so memory stays flat; rows
 * already there are kept (`insertIgnore`: the dialect's INSERT that skips them), so running it
 * again changes nothing.
 */
export async function backfillMerkleTiles(q: QueryRunner, insertIgnore: string): Promise<void> {
  const sha = (...parts: Buffer[]) => {
    const h = createHash('sha256');
    for (const p of parts) h.update(p);
    return h.digest();
  };
  const heads = (await q.query('SELECT tenant_id, sequence FROM chain_head WHERE merkle_frontier IS NOT NULL')) as {
    tenant_id: string;
    sequence: unknown;
  }[];
  for (const head of heads) {
    const tenant = head.tenant_id;
    const size = Number(head.sequence);
    const complete = Math.floor(size / 16) * 16;
    const rows: unknown[] = [];
    const flush = async () => {
      for (let i = 0; i < rows.length; i += 4 * 400) {
        const part = rows.slice(i, i + 4 * 400);
        await q.query(
          `${insertIgnore} INTO merkle_node (tenant_id, node_level, node_index, hash) VALUES ${Array.from({ length: part.length / 4 }, () => '(?, ?, ?, ?)').join(', ')}`,
          part,
        );
      }
      rows.length = 0;
    };
    let after = 0;
    let run: Buffer[] = [];
    let runIndex = -1;
    while (after < complete) {
      const page = (await q.query(
        'SELECT sequence, hash FROM audit_event WHERE tenant_id = ? AND sequence > ? AND sequence <= ? ORDER BY sequence LIMIT 4096',
        [tenant, after, complete],
      )) as { sequence: unknown; hash: string }[];
      if (!page.length) break;
      for (const row of page) {
        const sequence = Number(row.sequence);
        const index = Math.floor((sequence - 1) / 16);
        if (index !== runIndex || sequence - 1 !== index * 16 + run.length) {
          // A new run, or a gap in this one: start over at this event, a run only if it is its first.
          runIndex = index;
          run = [];
          if ((sequence - 1) % 16 !== 0) continue;
        }
        run.push(sha(Buffer.of(0), Buffer.from(row.hash, 'hex')));
        if (run.length === 16) {
          let level = run;
          while (level.length > 1)
            level = Array.from({ length: level.length / 2 }, (_, i) => sha(Buffer.of(1), level[2 * i], level[2 * i + 1]));
          rows.push(tenant, 4, index, level[0].toString('hex'));
          run = [];
          runIndex = -1;
        }
      }
      after = Number(page[page.length - 1].sequence);
      await flush();
    }
  }
}
