import type { QueryRunner } from 'typeorm';

/**
 * The binary, NO PAD collation of this server: identifiers, idempotency keys and tags must compare
 * byte for byte, and `'k'` must differ from `'k '` (utf8mb4_bin is PAD SPACE on both MariaDB and
 * MySQL). MariaDB names it utf8mb4_nopad_bin, MySQL 8 utf8mb4_0900_bin; older servers fall back to
 * utf8mb4_bin.
 */
export async function binaryCollation(q: QueryRunner): Promise<string> {
  const rows: { name: string }[] = await q.query(
    "SELECT COLLATION_NAME AS name FROM information_schema.COLLATIONS WHERE COLLATION_NAME IN ('utf8mb4_nopad_bin', 'utf8mb4_0900_bin')",
  );
  return rows[0]?.name ?? 'utf8mb4_bin';
}
