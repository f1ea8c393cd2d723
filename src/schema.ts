import { type GraphQLFieldResolver, type GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { buildSchema, type ContainerType } from 'type-graphql';
import { AuditEventConnectionResolver, AuditEventResolver } from './audit/audit-event.resolver';
import { ApiKeyResolver } from './auth/api-key.resolver';
import { ChainResolver } from './chain/chain.resolver';
import {
  AttestationResolver,
  ComplianceResolver,
  ControlAssessmentResolver,
  ControlResolver,
  RuleAssessmentResolver,
} from './compliance/compliance.resolver';
import { AssessmentHistoryResolver } from './compliance/assessment-history.resolver';
import { ControlFindingsResolver, FindingResolver } from './compliance/findings.resolver';
import { FrameworkProfileResolver } from './compliance/framework-profile.resolver';
import { authChecker } from './graphql/auth-checker';
import type { RequestContext } from './graphql/context';
import type { AuditEventInputShape } from './ingest/event-validation';
import { IngestResolver } from './ingest/ingest.resolver';
import { PluginResolver } from './plugin-host/plugin.resolver';
import { ReportResolver } from './reports/report.resolver';
import { RetentionResolver } from './retention/retention.resolver';
import { ErasureResolver } from './privacy/erasure.resolver';
import type { Services } from './services';

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
  FindingResolver,
  ControlFindingsResolver,
  FrameworkProfileResolver,
  AssessmentHistoryResolver,
  ReportResolver,
  RetentionResolver,
  ErasureResolver,
] as const;

/** Every resolver, built once with the services it needs (constructor injection). */
export function createResolvers(services: Services): Map<unknown, object> {
  const { catalog, compliance, limits } = services;
  const instances: object[] = [
    new AuditEventResolver(services.events, limits, compliance),
    new AuditEventConnectionResolver(),
    new IngestResolver(services.ingest),
    new ChainResolver(services.verifier, services.checkpoints, services.proofs, services.bundles),
    new ApiKeyResolver(services.apiKeys),
    new PluginResolver(services.plugins),
    new ComplianceResolver(catalog, compliance),
    new ControlResolver(catalog, compliance, limits),
    new ControlAssessmentResolver(compliance),
    new RuleAssessmentResolver(),
    new AttestationResolver(),
    new FindingResolver(services.findings),
    new ControlFindingsResolver(services.findings),
    new FrameworkProfileResolver(compliance),
    new AssessmentHistoryResolver(services.history, compliance, limits),
    new ErasureResolver(services.erasure),
    new ReportResolver({
      reports: services.reports.service,
      templates: services.reports.templates,
      events: services.ingest,
      inlineMaxBytes: services.reports.inlineMaxBytes,
      subjects: (tenantId, subjectId) => services.subjectAccess.scope(tenantId, subjectId),
    }),
    new RetentionResolver(services.retention),
  ];
  return new Map(instances.map((r) => [r.constructor, r]));
}

/**
 * The executable schema, from the decorated resolvers and types, with the ingest fast path bound.
 * Without services (print-schema, the cost-model tests) it can be printed and validated against, not run.
 */
export async function buildAppSchema(services?: Services): Promise<GraphQLSchema> {
  const instances = services ? createResolvers(services) : new Map<unknown, object>();
  const resolverOf = <T>(target: new (...args: never[]) => T): T => {
    const instance = instances.get(target);
    if (!instance) throw new Error(`no instance of ${target.name}: the schema was built without services`);
    return instance as T;
  };
  const container: ContainerType = { get: (target: new (...args: never[]) => object) => resolverOf(target) };
  const schema = await buildSchema({ resolvers: [...RESOLVERS], authChecker, container, validate: false });
  const field = schema.getMutationType()?.getFields().recordAuditEvents;
  if (!field) throw new Error('recordAuditEvents is missing from the schema');
  field.resolve = ((_root, args: { input: { events: AuditEventInputShape[] } }, context: RequestContext) =>
    resolverOf(IngestResolver).recordAuditEvents(args.input, context)) as GraphQLFieldResolver<unknown, unknown>;
  return schema;
}

/** SDL as committed in schema.graphql: sorted, so the file changes only when the API does. */
export const printAppSchema = (schema: GraphQLSchema): string => `${printSchema(lexicographicSortSchema(schema))}\n`;
