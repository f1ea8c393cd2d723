import type { ApolloServerPlugin } from '@apollo/server';
import { type FragmentDefinitionNode, Kind, type SelectionSetNode, type ValueNode } from 'graphql';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';

export interface QueryLimits {
  maxQueryDepth: number;
  maxQueryCost: number;
  maxAliases: number;
  defaultPageSize: number;
  maxPageSize: number;
}

/** What a list field returns when its `first`/`limit` argument is left out. */
const DEFAULT_LIST_SIZES: Record<string, number> = { checkpoints: 20, auditEventStats: 100 };

interface Measure {
  depth: number;
  cost: number;
  aliases: number;
}

/** `first`/`limit` from a literal or from the raw variables (read, not coerced a second time). */
function listSize(
  args: readonly { name: { value: string }; value: ValueNode }[] | undefined,
  variables: Record<string, unknown>,
  unknown: number,
): number | null {
  const arg = args?.find((a) => a.name.value === 'first' || a.name.value === 'limit');
  if (!arg) return null;
  if (arg.value.kind === Kind.INT) return Number(arg.value.value);
  if (arg.value.kind === Kind.VARIABLE) {
    const v = variables[arg.value.name.value];
    if (typeof v === 'number') return v;
  }
  // Present but not a number we can read: charge the largest page the server would serve.
  return unknown;
}

/** Walks the operation with fragments inlined: depth, aliases, and a cost where list pages multiply. */
export function measureOperation(
  selectionSet: SelectionSetNode,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  defaultPageSize: number,
  maxPageSize: number,
): Measure {
  const walk = (set: SelectionSetNode, depth: number, multiplier: number, seen: Set<string>): Measure => {
    const total: Measure = { depth, cost: 0, aliases: 0 };
    for (const sel of set.selections) {
      let inner: Measure | null = null;
      if (sel.kind === Kind.FIELD) {
        if (sel.alias) total.aliases += 1;
        total.cost += multiplier;
        if (sel.selectionSet) {
          const size =
            listSize(sel.arguments, variables, maxPageSize) ??
            DEFAULT_LIST_SIZES[sel.name.value] ??
            (sel.name.value === 'auditEvents' ? defaultPageSize : 1);
          inner = walk(sel.selectionSet, depth + 1, multiplier * Math.max(1, size), seen);
        }
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        inner = walk(sel.selectionSet, depth, multiplier, seen);
      } else {
        const fragment = fragments[sel.name.value];
        if (fragment && !seen.has(fragment.name.value)) {
          inner = walk(fragment.selectionSet, depth, multiplier, new Set([...seen, fragment.name.value]));
        }
      }
      if (inner) {
        total.depth = Math.max(total.depth, inner.depth);
        total.cost += inner.cost;
        total.aliases += inner.aliases;
      }
    }
    return total;
  };
  return walk(selectionSet, 1, 1, new Set());
}

/** Rejects too deep, too costly or too aliased operations before anything executes. */
export function queryLimitsPlugin(limits: QueryLimits): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request }) {
          const fragments: Record<string, FragmentDefinitionNode> = {};
          for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments[def.name.value] = def;
          if (!operation) return;
          // Variables the request leaves out take their declared default ($n: Int = 500).
          const variables: Record<string, unknown> = { ...request.variables };
          for (const def of operation.variableDefinitions ?? []) {
            const name = def.variable.name.value;
            if (variables[name] === undefined && def.defaultValue?.kind === Kind.INT) variables[name] = Number(def.defaultValue.value);
          }
          const m = measureOperation(operation.selectionSet, fragments, variables, limits.defaultPageSize, limits.maxPageSize);
          if (m.depth > limits.maxQueryDepth) {
            throw new AppError(ErrorCode.QUERY_TOO_DEEP, `The query nests ${m.depth} levels; at most ${limits.maxQueryDepth} are allowed.`);
          }
          if (m.aliases > limits.maxAliases) {
            throw new AppError(
              ErrorCode.TOO_MANY_ALIASES,
              `The query uses ${m.aliases} aliases; at most ${limits.maxAliases} are allowed.`,
            );
          }
          if (m.cost > limits.maxQueryCost) {
            throw new AppError(
              ErrorCode.QUERY_TOO_COMPLEX,
              `The query costs ${m.cost}; at most ${limits.maxQueryCost} is allowed. Ask for smaller pages or fewer fields.`,
            );
          }
        },
      };
    },
  };
}
