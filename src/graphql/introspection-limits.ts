import {
  type ASTVisitor,
  type FragmentDefinitionNode,
  getIntrospectionQuery,
  Kind,
  parse,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';

/** __Type lists that fan out over the schema again: nesting them multiplies the answer. */
const TYPE_LISTS = new Set(['types', 'fields', 'inputFields', 'interfaces', 'possibleTypes', 'enumValues']);

interface Shape {
  /** Levels below the selection set's owner, fragments flattened. */
  depth: number;
  /** The most TYPE_LISTS on one path. */
  lists: number;
}

function shapeOf(
  set: SelectionSetNode,
  fragment: (name: string) => FragmentDefinitionNode | null | undefined,
  memo: Map<string, Shape>,
  active: Set<string>,
): Shape {
  const shape: Shape = { depth: 0, lists: 0 };
  for (const sel of set.selections) {
    let inner: Shape = { depth: 0, lists: 0 };
    if (sel.kind === Kind.FIELD) {
      const below = sel.selectionSet ? shapeOf(sel.selectionSet, fragment, memo, active) : inner;
      inner = { depth: below.depth + 1, lists: below.lists + (TYPE_LISTS.has(sel.name.value) ? 1 : 0) };
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      inner = shapeOf(sel.selectionSet, fragment, memo, active);
    } else {
      const name = sel.name.value;
      // A cycle is NoFragmentCyclesRule's to report; each fragment is measured once.
      const known = memo.get(name);
      const definition = fragment(name);
      if (known) inner = known;
      else if (definition && !active.has(name)) {
        active.add(name);
        inner = shapeOf(definition.selectionSet, fragment, memo, active);
        active.delete(name);
        memo.set(name, inner);
      }
    }
    shape.depth = Math.max(shape.depth, inner.depth);
    shape.lists = Math.max(shape.lists, inner.lists);
  }
  return shape;
}

/** Depth and list nesting of every `__schema`/`__type` selection in a document. */
export function introspectionShape(selection: SelectionSetNode, fragments: Record<string, FragmentDefinitionNode>): Shape {
  return shapeOf(selection, (name) => fragments[name], new Map(), new Set());
}

const STANDARD = (() => {
  const doc = parse(
    getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
      oneOf: true,
    }),
  );
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
  const op = doc.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (!op || op.kind !== Kind.OPERATION_DEFINITION) throw new Error('getIntrospectionQuery() has no operation');
  return introspectionShape(op.selectionSet, fragments);
})();

/**
 * Depth allowed inside `__schema`/`__type`, counted from the operation: the standard introspection
 * query's (graphql's getIntrospectionQuery with every option, 15 with graphql 16) plus two levels
 * for tools whose type reference goes a little deeper. MAX_QUERY_DEPTH does not apply there.
 */
export const MAX_INTROSPECTION_DEPTH = STANDARD.depth + 2;
/** Fan-out lists on one path: the standard query's `types { fields }` (2); `fields { type { fields } }` below it is refused. */
export const MAX_INTROSPECTION_LISTS = STANDARD.lists;

/** The coded refusal of an introspection shape beyond the standard one. */
export const introspectionTooDeep = (): AppError =>
  new AppError(
    ErrorCode.QUERY_TOO_DEEP,
    `Introspection may nest ${MAX_INTROSPECTION_DEPTH} levels and ${MAX_INTROSPECTION_LISTS} of types/fields/inputFields/interfaces/possibleTypes/enumValues on one path, as the standard introspection query does.`,
    { limit: 'introspection', maxDepth: MAX_INTROSPECTION_DEPTH, maxLists: MAX_INTROSPECTION_LISTS },
  );

/** graphql-js's own MaxIntrospectionDepthRule (graphql ≥ 16.9, in specifiedRules) says the same without a code. */
export const isIntrospectionDepthError = (error: Error): boolean => error.message === 'Maximum introspection depth exceeded';

/**
 * Introspection gets its own allowance for the standard shape only: the depth GraphiQL, Apollo
 * Sandbox and graphql-codegen need, but no nesting of the lists that fan out over the schema
 * (`types { fields { type { fields … } } }`), directly or through fragments. QUERY_TOO_DEEP.
 */
export const introspectionLimitRule: ValidationRule = (context: ValidationContext): ASTVisitor => {
  const memo = new Map<string, Shape>();
  return {
    Field(node) {
      if (node.name.value !== '__schema' && node.name.value !== '__type') return undefined;
      const below = node.selectionSet
        ? shapeOf(node.selectionSet, (name) => context.getFragment(name), memo, new Set())
        : { depth: 0, lists: 0 };
      const depth = below.depth + 1;
      if (depth > MAX_INTROSPECTION_DEPTH || below.lists > MAX_INTROSPECTION_LISTS) {
        context.reportError(introspectionTooDeep());
      }
      // Its subtree is measured: no need to visit the fields below.
      return false;
    },
  };
};
