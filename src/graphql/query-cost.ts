import {
  type DocumentNode,
  getNamedType,
  getNullableType,
  GraphQLError,
  type GraphQLSchema,
  isLeafType,
  isListType,
  type OperationDefinitionNode,
  TypeInfo,
  typeFromAST,
  ValidationContext,
  valueFromAST,
} from 'graphql';
import { type ComplexityEstimator, createComplexityRule } from 'graphql-query-complexity';
import { FIELD_PRICES, INTROSPECTION_PRICE, type PriceArgs, type PricingFacts } from './query-prices';

/** Field selections the cost walk visits at most (fragments count each time they are spread). */
export const MAX_QUERY_NODES = 10_000;

/** What one operation costs, and what the limits need besides the number. */
export interface OperationCost {
  cost: number;
  /** Response keys of the expensive fields selected (FIELD_PRICES `expensive`), `__schema` included. */
  expensive: string[];
  /** A price needed the caller's chain length and the facts had none: measure again with it. */
  needsChainLength: boolean;
  /** The walk stopped at MAX_QUERY_NODES. */
  tooManyNodes: boolean;
}

interface CostState {
  facts: PricingFacts;
  /** Per-item cost of lists sized by their parent (`edges`, `groups`, `receipts`), until the parent takes it. */
  pending: Map<string, number>;
  expensive: string[];
  needsChainLength: boolean;
}

/**
 * The one estimator: 1 per field resolved plus its children, lists × their assumed size, pages ×
 * what each item selects, plus the work of FIELD_PRICES. graphql-query-complexity calls it after
 * the field's children (childComplexity), which is what lets a parent take its page's item cost.
 */
export const fieldCostEstimator: ComplexityEstimator = ({ type, field, node, args, childComplexity, context }) => {
  const state = context as CostState;
  // Fields of __Schema, __Type…: the introspection rule bounds their shape; __schema/__type pay for all.
  if (type.name.startsWith('__')) return 0;
  if (field.name === '__schema' || field.name === '__type') {
    if (field.name === '__schema') state.expensive.push(node.alias?.value ?? field.name);
    return INTROSPECTION_PRICE;
  }
  const key = `${type.name}.${field.name}`;
  const price = FIELD_PRICES[key];
  const a: PriceArgs = { args, facts: state.facts, needsChainLength: () => (state.needsChainLength = true) };
  let cost = 1 + childComplexity;
  if (price?.sizedByParent) {
    state.pending.set(key, (state.pending.get(key) ?? 0) + cost);
  } else if (price?.page) {
    const item = state.pending.get(price.page.child) ?? 0;
    state.pending.delete(price.page.child);
    // childComplexity already holds one item; the page adds the others.
    cost += (Math.max(1, price.page.size(a)) - 1) * item;
  } else if (isListType(getNullableType(field.type)) && !isLeafType(getNamedType(field.type))) {
    // A list without an entry (query-prices.spec.ts forbids it) is charged as the largest page.
    cost *= Math.max(1, price?.size ? price.size(a) : state.facts.maxPageSize);
  }
  if (price?.work) cost += price.work(a);
  if (price?.expensive) state.expensive.push(node.alias?.value ?? field.name);
  return cost;
};

/**
 * The request's variables as sent, with the operation's declared defaults for those left out.
 * They are not coerced: execution does that once, and a second coercion of a 1,000-event batch
 * halved ingest throughput (STACK-NOTES). Prices read them defensively.
 */
export function rawVariables(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const values: Record<string, unknown> = { ...variables };
  for (const def of operation.variableDefinitions ?? []) {
    const name = def.variable.name.value;
    if (values[name] !== undefined || !def.defaultValue) continue;
    const type = typeFromAST(schema, def.type);
    if (type) values[name] = valueFromAST(def.defaultValue, type as never);
  }
  return values;
}

/**
 * Prices one operation with graphql-query-complexity's own walk (fragments, inline fragments,
 * @skip/@include), given variables read as sent rather than coerced a second time.
 */
export function measureOperationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  facts: PricingFacts,
): OperationCost {
  const state: CostState = { facts, pending: new Map(), expensive: [], needsChainLength: false };
  // Argument errors (a required variable missing) fail that field at execution too: not charged.
  const context = new ValidationContext(schema, document, new TypeInfo(schema), () => undefined);
  const walker = createComplexityRule({
    maximumComplexity: Number.MAX_SAFE_INTEGER,
    estimators: [fieldCostEstimator],
    context: state,
    maxQueryNodes: MAX_QUERY_NODES,
  })(context);
  // Set here instead of in its OperationDefinition hook, which would coerce every variable again.
  walker.variableValues = variables;
  const root = schema.getRootType(operation.operation);
  try {
    const cost = walker.nodeComplexity(operation, root ?? undefined);
    return {
      cost: Number.isFinite(cost) ? cost : 0,
      expensive: state.expensive,
      needsChainLength: state.needsChainLength,
      tooManyNodes: false,
    };
  } catch (error) {
    if (error instanceof GraphQLError && walker.evaluatedNodes >= MAX_QUERY_NODES) {
      return { cost: Infinity, expensive: state.expensive, needsChainLength: false, tooManyNodes: true };
    }
    throw error;
  }
}
