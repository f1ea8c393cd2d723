import { type GraphQLFieldResolver, type GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { AuditEventConnectionResolver, AuditEventResolver } from '../audit/audit-event.resolver';
import { IngestResolver } from '../ingest/ingest.resolver';
import { ChainResolver } from '../chain/chain.resolver';
import { ApiKeyResolver } from '../auth/api-key.resolver';
import { PluginResolver } from '../plugin-host/plugin.resolver';
import {
  AttestationResolver,
  ComplianceResolver,
  ControlAssessmentResolver,
  ControlResolver,
  RuleAssessmentResolver,
} from '../compliance/compliance.resolver';
import { ReportResolver } from '../reports/report.resolver';
import { authChecker } from './auth-checker';
import type { RequestContext } from './context';
import type { AuditEventInputShape } from '../ingest/event-validation';

export const RESOLVERS = [
  AuditEventResolver,
  AuditEventConnectionResolver,
  IngestResolver,
  ChainResolver,
  ApiKeyResolver,
  PluginResolver,
  ComplianceResolver,
  ControlResolver,
  ControlAssessmentResolver,
  RuleAssessmentResolver,
  AttestationResolver,
  ReportResolver,
] as const;

/** The executable schema, from the decorated resolvers and types, with the ingest fast path bound. */
export async function buildAppSchema(): Promise<GraphQLSchema> {
  const schema = await buildSchema({ resolvers: [...RESOLVERS], authChecker, validate: false });
  const field = schema.getMutationType()?.getFields().recordAuditEvents;
  if (!field) throw new Error('recordAuditEvents is missing from the schema');
  const ingest = new IngestResolver();
  field.resolve = ((_root, args: { input: { events: AuditEventInputShape[] } }, context: RequestContext) =>
    ingest.recordAuditEvents(args.input, context)) as GraphQLFieldResolver<unknown, unknown>;
  return schema;
}

/** SDL as committed in schema.graphql: sorted, so the file changes only when the API does. */
export const printAppSchema = (schema: GraphQLSchema): string => `${printSchema(lexicographicSortSchema(schema))}\n`;
