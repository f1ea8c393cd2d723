import { createHash } from 'node:crypto';
import type { QueryRunner } from 'typeorm';

/**
 * Builds the RFC 9162 tree of every existing chain (ADR 0047), frozen here (a migration never
 * imports live code): leaf = SHA-256(0x00 ‖ event hash), node = SHA-256(0x01 ‖ left ‖ right); the
 * frontier goes to chain_head.merkle_frontier (hex, largest subtree first), every perfect subtree
 * of 2^8 leaves or more to merkle_node. A chain that was pruned, or whose events are not exactly
 * sequences 1..head, gets no tree (merkle_frontier stays null): its first hashes are gone, and
 * proofs answer PROOF_UNAVAILABLE. Events are read in pages of 5,000, so memory stays flat. Only
 * chains without a frontier are (re)built, so running it again touches nothing else.
 */
export async function backfillMerkleTrees(q: QueryRunner): Promise<void> {
  const sha = (...parts: Buffer[]) => {
    const h = createHash('sha256');
    for (const p of parts) h.update(p);
    return h.digest();
  };
  const heads = (await q.query('SELECT tenant_id, sequence FROM chain_head WHERE merkle_frontier IS NULL')) as {
    tenant_id: string;
    sequence: unknown;
  }[];
  for (const head of heads) {
    const tenant = head.tenant_id;
    const size = Number(head.sequence);
    const [prune] = (await q.query('SELECT pruned_through FROM chain_prune WHERE tenant_id = ?', [tenant])) as {
      pruned_through: unknown;
    }[];
    if (prune && Number(prune.pruned_through) > 0) continue;
    await q.query('DELETE FROM merkle_node WHERE tenant_id = ?', [tenant]);
    const frontier: Buffer[] = [];
    const nodes: unknown[] = [];
    let count = 0;
    let broken = false;
    const flush = async () => {
      for (let i = 0; i < nodes.length; i += 4 * 400) {
        const part = nodes.slice(i, i + 4 * 400);
        await q.query(
          `INSERT INTO merkle_node (tenant_id, node_level, node_index, hash) VALUES ${Array.from({ length: part.length / 4 }, () => '(?, ?, ?, ?)').join(', ')}`,
          part,
        );
      }
      nodes.length = 0;
    };
    while (count < size && !broken) {
      const rows = (await q.query(
        'SELECT sequence, hash FROM audit_event WHERE tenant_id = ? AND sequence > ? ORDER BY sequence LIMIT 5000',
        [tenant, count],
      )) as { sequence: unknown; hash: string }[];
      if (!rows.length) broken = true;
      for (const row of rows) {
        if (Number(row.sequence) !== count + 1 || count >= size) {
          broken = true;
          break;
        }
        let hash = sha(Buffer.of(0), Buffer.from(row.hash, 'hex'));
        let level = 0;
        let index = count;
        for (let s = count; s % 2 === 1; s = Math.floor(s / 2)) {
          hash = sha(Buffer.of(1), frontier.pop()!, hash);
          level += 1;
          index = Math.floor(index / 2);
          if (level >= 8) nodes.push(tenant, level, index, hash.toString('hex'));
        }
        frontier.push(hash);
        count += 1;
      }
      await flush();
    }
    if (broken) {
      await q.query('DELETE FROM merkle_node WHERE tenant_id = ?', [tenant]);
      continue;
    }
    await q.query('UPDATE chain_head SET merkle_frontier = ? WHERE tenant_id = ?', [
      frontier.map((h) => h.toString('hex')).join(''),
      tenant,
    ]);
  }
}
