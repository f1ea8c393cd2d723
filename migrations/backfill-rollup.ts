import { createHash } from 'node:crypto';
import type { QueryRunner } from 'typeorm';

const COLUMNS =
  'tenant_id, day, action, outcome_status, severity, classification, resource_type, actor_type, categories_key, categories, event_count, min_sequence, max_sequence';
const KEY = 'tenant_id, day, action, outcome_status, severity, classification, resource_type, actor_type, categories_key';
const UPSERT = {
  sqlite: ` ON CONFLICT (${KEY}) DO UPDATE SET event_count = event_count + excluded.event_count, min_sequence = min(min_sequence, excluded.min_sequence), max_sequence = max(max_sequence, excluded.max_sequence)`,
  mysql: ` ON DUPLICATE KEY UPDATE event_count = event_count + VALUES(event_count), min_sequence = LEAST(min_sequence, VALUES(min_sequence)), max_sequence = GREATEST(max_sequence, VALUES(max_sequence))`,
};
const CHUNK = 5000;

const day = (value: unknown) => (value instanceof Date ? value.toISOString() : String(value)).slice(0, 10);

/**
 * Fills audit_event_rollup from the events already stored, a tenant and 5,000 events at a time (the
 * same grouping the append path writes; kept here, frozen, so that this migration means the same
 * thing whatever the code does later).
 */
export async function backfillRollup(q: QueryRunner, dialect: 'sqlite' | 'mysql'): Promise<void> {
  const heads: { tenant_id: string; sequence: unknown }[] = await q.query('SELECT tenant_id, sequence FROM chain_head');
  for (const { tenant_id: tenant, sequence } of heads) {
    const head = Number(sequence);
    for (let from = 1; from <= head; from += CHUNK) {
      const to = from + CHUNK - 1;
      const events: Record<string, unknown>[] = await q.query(
        'SELECT sequence, occurred_at, action, outcome_status, severity, classification, resource_type, actor_type FROM audit_event WHERE tenant_id = ? AND sequence BETWEEN ? AND ? ORDER BY sequence',
        [tenant, from, to],
      );
      const labels: { sequence: unknown; value: string }[] = await q.query(
        "SELECT sequence, value FROM audit_event_label WHERE tenant_id = ? AND kind = 'category' AND sequence BETWEEN ? AND ?",
        [tenant, from, to],
      );
      const categories = new Map<number, string[]>();
      for (const l of labels) categories.set(Number(l.sequence), [...(categories.get(Number(l.sequence)) ?? []), l.value]);
      const groups = new Map<string, unknown[]>();
      for (const e of events) {
        const seq = Number(e.sequence);
        const csv = (categories.get(seq) ?? []).sort().join(',');
        const key = [
          tenant,
          day(e.occurred_at),
          e.action,
          e.outcome_status,
          Number(e.severity),
          Number(e.classification),
          e.resource_type,
          e.actor_type,
          csv ? createHash('sha256').update(csv).digest('hex') : '',
          csv,
        ];
        const id = key.join('\u0000');
        const row = groups.get(id);
        if (row) {
          row[10] = (row[10] as number) + 1;
          row[12] = seq;
        } else groups.set(id, [...key, 1, seq, seq]);
      }
      const rows = [...groups.values()];
      for (let i = 0; i < rows.length; i += 500) {
        const part = rows.slice(i, i + 500);
        const values = part.map(() => `(${new Array(13).fill('?').join(',')})`).join(',');
        await q.query(`INSERT INTO audit_event_rollup (${COLUMNS}) VALUES ${values}${UPSERT[dialect]}`, part.flat());
      }
    }
  }
}
