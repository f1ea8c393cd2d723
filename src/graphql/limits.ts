import type { ApolloServerPlugin } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { GraphQLError, type ValidationContext, type ValidationRule } from 'graphql';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import type { RequestContext } from './context';
import { introspectionLimitRule } from './introspection-limits';
import { measureOperationCost, rawVariables } from './query-cost';
import type { PricingFacts } from './query-prices';

export interface QueryLimits {
  maxQueryDepth: number;
  maxQueryCost: number;
  maxAliases: number;
  maxDirectives: number;
  maxQueryTokens: number;
  maxExpensiveFieldsPerOperation: number;
}

/** An armor rule's refusal, reported as our coded error instead of its uncoded "Syntax Error: …". */
const refuse =
  (code: ErrorCode, message: string, details: Record<string, unknown>) =>
  (context: ValidationContext | null): void => {
    context?.reportError(new AppError(code, message, details));
  };

/**
 * Depth, aliases, directives and the introspection shape, counted during validation (so nothing
 * that fails them is executed, and Apollo caches the verdict with the parsed document).
 */
export function queryLimitRules(limits: QueryLimits): ValidationRule[] {
  return [
    maxDepthRule({
      n: limits.maxQueryDepth,
      // Fragments add no depth of their own: only fields nest.
      flattenFragments: true,
      // `__schema` has its own allowance (introspectionLimitRule).
      ignoreIntrospection: true,
      propagateOnRejection: false,
      onReject: [
        refuse(ErrorCode.QUERY_TOO_DEEP, `The query nests more than ${limits.maxQueryDepth} levels.`, { max: limits.maxQueryDepth }),
      ],
    }),
    maxAliasesRule({
      n: limits.maxAliases,
      // `a: __typename` repeated costs nothing to run, but still costs parsing and response bytes.
      allowList: [],
      propagateOnRejection: false,
      onReject: [refuse(ErrorCode.TOO_MANY_ALIASES, `The query uses more than ${limits.maxAliases} aliases.`, { max: limits.maxAliases })],
    }),
    maxDirectivesRule({
      n: limits.maxDirectives,
      propagateOnRejection: false,
      onReject: [
        refuse(ErrorCode.TOO_MANY_DIRECTIVES, `The query uses more than ${limits.maxDirectives} directives.`, {
          max: limits.maxDirectives,
        }),
      ],
    }),
    introspectionLimitRule,
  ];
}

/** graphql-js's own refusal once the parser passes `parseOptions.maxTokens`. */
export function isTokenLimitError(error: unknown): boolean {
  return (
    error instanceof GraphQLError && /^Syntax Error: Document contains more th(?:an|at) \d+ tokens\. Parsing aborted\.$/.test(error.message)
  );
}

/** The coded error a client sees for a document over MAX_QUERY_TOKENS. */
export const tooManyTokens = (max: number): AppError =>
  new AppError(ErrorCode.QUERY_TOO_LARGE, `The query has more than ${max} tokens; send large inputs as variables.`, { max });

/**
 * Prices the operation (src/graphql/query-prices.ts) and refuses, before anything executes, more
 * expensive fields than allowed and a cost over MAX_QUERY_COST.
 */
export function queryLimitsPlugin(options: {
  limits: QueryLimits;
  facts: PricingFacts;
  /** The caller's chain length, asked only when a price depends on it. */
  chainLength(tenantId: string): Promise<number>;
}): ApolloServerPlugin<RequestContext> {
  const { limits, facts } = options;
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request, schema, contextValue }) {
          if (!operation) return;
          const variables = rawVariables(schema, operation, request.variables);
          let measured = measureOperationCost(schema, document, operation, variables, facts);
          if (measured.tooManyNodes) {
            throw new AppError(
              ErrorCode.QUERY_TOO_COMPLEX,
              'The query selects too many fields (fragments counted each time they are spread).',
            );
          }
          if (measured.expensive.length > limits.maxExpensiveFieldsPerOperation) {
            throw new AppError(
              ErrorCode.TOO_MANY_EXPENSIVE_FIELDS,
              `The operation asks for ${measured.expensive.length} expensive fields (${measured.expensive.join(', ')}); at most ${limits.maxExpensiveFieldsPerOperation} per operation. Send them one at a time.`,
              { max: limits.maxExpensiveFieldsPerOperation, fields: measured.expensive },
            );
          }
          if (measured.needsChainLength && contextValue.principal) {
            const chainLength = await options.chainLength(contextValue.principal.tenantId);
            measured = measureOperationCost(schema, document, operation, variables, { ...facts, chainLength });
          }
          if (measured.cost > limits.maxQueryCost) {
            throw new AppError(
              ErrorCode.QUERY_TOO_COMPLEX,
              `The query costs ${measured.cost}; at most ${limits.maxQueryCost} is allowed. Ask for smaller pages or fewer fields.`,
              { cost: measured.cost, max: limits.maxQueryCost },
            );
          }
        },
      };
    },
  };
}
