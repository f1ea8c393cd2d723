import type { DataSource } from 'typeorm';
import { RECORD, createTestEnvironment, type TestEnvironment } from './test-environment';

/**
 * From now on, the text of every statement `dataSource.query` runs, in order (empty it with
 * `log.length = 0`; `jest.restoreAllMocks()` stops the recording). Tells a test which statements a
 * measurement chose, not only what they answered.
 */
export function logStatements(dataSource: DataSource): string[] {
  const log: string[] = [];
  const query = dataSource.query.bind(dataSource);
  jest.spyOn(dataSource, 'query').mockImplementation((text: string, params?: unknown[]) => {
    log.push(text);
    return query(text, params);
  });
  return log;
}

/** A test environment holding `events` (recorded in one batch), with its statements logged from then on. */
export async function seededWithStatementLog(events: Record<string, unknown>[]): Promise<{ env: TestEnvironment; statements: string[] }> {
  const env = await createTestEnvironment();
  const res = await env.gql(RECORD, { input: { events } });
  if (res.body.errors) throw new Error(JSON.stringify(res.body.errors));
  return { env, statements: logStatements(env.app.dataSource) };
}
