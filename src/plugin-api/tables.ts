import type { TableBlock, TableCell } from './report-model';

/**
 * Every row of a table, a page at a time: `rows` first, then each page of `rowPages`. A format
 * plugin that sets `streamsTables: true` reads its tables through this, so that it never holds
 * more than one page of a large table in memory.
 *
 * @example
 * ```ts
 * for await (const page of tablePages(block)) for (const row of page) out.push(row.join(';'));
 * ```
 */
export async function* tablePages(table: TableBlock): AsyncGenerator<TableCell[][]> {
  if (table.rows.length > 0) yield table.rows;
  if (table.rowPages) for await (const page of table.rowPages) if (page.length > 0) yield page;
}
