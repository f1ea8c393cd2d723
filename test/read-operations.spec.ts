import fs from 'node:fs';
import path from 'node:path';
import { buildSchema, getNamedType, isObjectType } from 'graphql';
import { READ_OPERATIONS } from '../src/audit/read-record';

/**
 * Every field of the public schema that hands out events of the log is a recorded read (ADR 0044):
 * a new one (a subject export) fails here until it is listed in READ_OPERATIONS, and the e2e suite
 * checks that each listed one writes its `datapunk.log.read`.
 */
const EVENT_TYPES = new Set(['AuditEvent', 'AuditEventConnection', 'AuditEventEdge']);

describe('reads of the log', () => {
  const schema = buildSchema(fs.readFileSync(path.join(__dirname, '../schema.graphql'), 'utf8'));
  const returningEvents = Object.values(schema.getTypeMap())
    .filter(isObjectType)
    .filter((type) => !type.name.startsWith('__') && !EVENT_TYPES.has(type.name))
    .flatMap((type) =>
      Object.values(type.getFields())
        .filter((field) => EVENT_TYPES.has(getNamedType(field.type).name))
        .map((field) => `${type.name}.${field.name}`),
    );

  it('lists every field that returns events among the recorded read operations', () => {
    expect(returningEvents.filter((op) => !READ_OPERATIONS.includes(op))).toEqual([]);
    expect(returningEvents.length).toBeGreaterThanOrEqual(6);
  });

  it('lists no operation the schema does not have', () => {
    const fields = Object.values(schema.getTypeMap())
      .filter(isObjectType)
      .flatMap((type) => Object.keys(type.getFields()).map((name) => `${type.name}.${name}`));
    expect(READ_OPERATIONS.filter((op) => !fields.includes(op))).toEqual([]);
  });
});
