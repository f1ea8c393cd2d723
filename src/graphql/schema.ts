import { type GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { AuditEventConnectionResolver, AuditEventResolver } from '../audit/audit-event.resolver';
import { ChainResolver } from '../audit/chain.resolver';
import { ApiKeyResolver } from '../auth/api-key.resolver';
import { authChecker } from './auth-checker';

export const RESOLVERS = [AuditEventResolver, AuditEventConnectionResolver, ChainResolver, ApiKeyResolver] as const;

/** The executable schema, from the decorated resolvers and types. */
export const buildAppSchema = (): Promise<GraphQLSchema> => buildSchema({ resolvers: [...RESOLVERS], authChecker, validate: false });

/** SDL as committed in schema.graphql: sorted, so the file changes only when the API does. */
export const printAppSchema = (schema: GraphQLSchema): string => `${printSchema(lexicographicSortSchema(schema))}\n`;
