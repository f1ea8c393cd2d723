import {
  getIntrospectionQuery,
  getNamedType,
  getNullableType,
  type GraphQLSchema,
  isLeafType,
  isListType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  parse,
  specifiedRules,
  validate,
} from 'graphql';
import { BUILT_IN_PLUGINS } from '../../plugins/registry';
import { ComplianceCatalog } from '../compliance/catalog';
import type { FrameworkPlugin } from '../plugin-api';
import { introspectionLimitRule, MAX_INTROSPECTION_DEPTH } from './introspection-limits';
import { isTokenLimitError, queryLimitRules } from './limits';
import { measureOperationCost, rawVariables } from './query-cost';
import { EVENTS_VERIFIED_PER_UNIT, FIELD_PRICES, pricingFacts, ROWS_COUNTED_PER_UNIT, type PricingFacts } from './query-prices';
import { buildAppSchema } from '../schema';
import { EXPENSIVE_FIELDS } from '../rate-limit/request-rate-limiter';

const frameworks = BUILT_IN_PLUGINS.filter((p): p is FrameworkPlugin<unknown> => p.kind === 'framework');
const catalog = new ComplianceCatalog(frameworks);
const facts: PricingFacts = pricingFacts(catalog, BUILT_IN_PLUGINS.length, {
  defaultPageSize: 50,
  maxPageSize: 500,
  reportSyncMaxRows: 5000,
  maxEventsPerBatch: 1000,
});
const hipaa = catalog.framework('hipaa')!.controls.length;

let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await buildAppSchema();
});

const measure = (query: string, variables: Record<string, unknown> = {}, chainLength: number | null = null) => {
  const document = parse(query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  return measureOperationCost(schema, document, operation, rawVariables(schema, operation, variables), { ...facts, chainLength });
};

describe('the price table', () => {
  it('sizes every list of objects in the schema, and names only fields that exist', () => {
    const lists: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const field of Object.values(type.getFields())) {
        if (isListType(getNullableType(field.type)) && !isLeafType(getNamedType(field.type))) lists.push(`${type.name}.${field.name}`);
      }
    }
    const unpriced = lists.filter((key) => !FIELD_PRICES[key]?.size && !FIELD_PRICES[key]?.sizedByParent);
    expect(unpriced).toEqual([]);
    for (const key of Object.keys(FIELD_PRICES)) {
      const [type, field] = key.split('.');
      const found = schema.getType(type);
      expect(found && isObjectType(found) ? found.getFields()[field] : undefined).toBeDefined();
    }
  });

  it('limits per operation exactly the fields the expensive rate-limit budget charges', () => {
    const priced = Object.entries(FIELD_PRICES)
      .filter(([, price]) => price.expensive)
      .map(([key]) => key.split('.')[1]);
    // __schema is expensive in the cost walk itself (it has no entry in the table).
    expect([...priced, '__schema'].sort()).toEqual([...EXPENSIVE_FIELDS].sort());
    const cost = measure('mutation { a: createCheckpoint { sequence } b: createCheckpoint { sequence } }');
    expect(cost.expensive).toEqual(['a', 'b']);
  });

  it('knows the catalog sizes at start-up', () => {
    expect(facts.controlsByFramework.get('hipaa')).toBe(hipaa);
    expect(facts.largestControlCount).toBe(Math.max(...frameworks.map((f) => f.catalog.controls.length)));
    expect(facts.frameworkCount).toBe(frameworks.length);
  });
});

describe('the cost of an operation', () => {
  it('charges a list by its assumed size: the catalog size of the framework asked for', () => {
    // controls × (the field + id)
    expect(measure('{ controls(frameworkId: "hipaa") { id } }').cost).toBe(hipaa * 2);
    // An unknown or variable framework is charged as the largest.
    expect(measure('query($f: String!) { controls(frameworkId: $f) { id } }', { f: 'nope' }).cost).toBe(facts.largestControlCount * 2);
    expect(measure('query($f: String!) { controls(frameworkId: $f) { id } }', { f: 'hipaa' }).cost).toBe(hipaa * 2);
  });

  it('multiplies nested lists: controls × the evidence page × what each edge selects', () => {
    // Each control: 1 + evidence, and evidence = 1 + edges (1 + node (1 + id)) × first.
    const perControl = (first: number) => 1 + (1 + 3 * first);
    expect(measure('{ controls(frameworkId: "hipaa") { evidence(first: 500) { edges { node { id } } } } }').cost).toBe(
      hipaa * perControl(500),
    );
    // Left out: DEFAULT_PAGE_SIZE.
    expect(measure('{ controls(frameworkId: "hipaa") { evidence { edges { node { id } } } } }').cost).toBe(hipaa * perControl(50));
    // The attack of issue 9: 20 aliases of it cost far more than MAX_QUERY_COST (50,000); one alone does too.
    const alias = (i: number) =>
      `a${i}: controls(frameworkId: "hipaa") { evidence(first: 500) { edges { node { id action occurredAt } } } }`;
    const attack = measure(`{ ${Array.from({ length: 20 }, (_, i) => alias(i)).join(' ')} }`).cost;
    expect(attack).toBeGreaterThan(20 * hipaa * 500 * 5);
    expect(measure(`{ ${alias(0)} }`).cost).toBeGreaterThan(50_000);
  });

  it('reads page sizes from variables and their declared defaults, and charges the largest when it cannot tell', () => {
    const q = (def: string) => `query Q($n: Int${def}) { auditEvents(first: $n) { edges { node { id } } } }`;
    const at = (n: number) => 1 + 3 * n;
    expect(measure(q(''), { n: 10 }).cost).toBe(at(10));
    expect(measure(q(' = 500')).cost).toBe(at(500));
    expect(measure(q(''), { n: 'lots' }).cost).toBe(at(500));
    expect(measure(q('')).cost).toBe(at(50));
  });

  it('charges totalCount for the rows it counts, whatever the page size', () => {
    const unknown = measure('{ auditEvents(first: 1) { totalCount } }');
    expect(unknown.needsChainLength).toBe(true);
    const big = (first: number) => measure(`{ auditEvents(first: ${first}) { totalCount } }`, {}, 1_000_000).cost;
    expect(big(1)).toBe(big(500));
    expect(big(1)).toBe(1 + 1 + 1_000_000 / ROWS_COUNTED_PER_UNIT);
    // Once per control it is asked under.
    expect(measure('{ controls(frameworkId: "hipaa") { evidence(first: 1) { totalCount } } }', {}, 1_000_000).cost).toBe(
      hipaa * (1 + 1 + 1 + 1_000_000 / ROWS_COUNTED_PER_UNIT),
    );
    // Nothing needs the chain: no look-up.
    expect(measure('{ auditEvents(first: 1) { edges { cursor } } }').needsChainLength).toBe(false);
  });

  it('names every expensive field and prices verification by the range it re-hashes', () => {
    const ten = `{ ${Array.from({ length: 10 }, (_, i) => `v${i}: verifyAuditChain { valid }`).join(' ')} }`;
    expect(measure(ten).expensive).toHaveLength(10);
    const two = measure(
      '{ a: assessCompliance(input: { frameworkId: "hipaa", from: "2026-01-01T00:00:00Z" }) { score } b: assessCompliance(input: { frameworkId: "soc2", from: "2026-01-01T00:00:00Z" }) { score } }',
    );
    expect(two.expensive).toEqual(['a', 'b']);
    expect(measure('{ auditEventStats(groupBy: ACTION) { total } }').expensive).toEqual(['auditEventStats']);
    expect(
      measure(
        'mutation { generateReport(input: { type: AUDIT_TRAIL, format: "csv", from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z" }) { id } }',
      ).expensive,
    ).toEqual(['generateReport']);
    const whole = measure('{ verifyAuditChain { valid } }', {}, 60_000);
    expect(whole.cost).toBe(1 + 1 + 60_000 / EVENTS_VERIFIED_PER_UNIT);
    const range = measure('{ verifyAuditChain(fromSequence: 1001, toSequence: 2000) { valid } }');
    expect(range.needsChainLength).toBe(false);
    expect(range.cost).toBe(1 + 1 + 1000 / EVENTS_VERIFIED_PER_UNIT);
  });

  it('prices an assessment by the rules of its framework and its controls', () => {
    const hipaaRules = facts.rulesByFramework.get('hipaa')!;
    const cost = measure('{ assessCompliance(input: { frameworkId: "hipaa", from: "2026-01-01T00:00:00Z" }) { score } }').cost;
    expect(cost).toBe(1 + 1 + hipaaRules * 10);
    const withControls = measure(
      '{ assessCompliance(input: { frameworkId: "hipaa", from: "2026-01-01T00:00:00Z" }) { controls { status } } }',
    ).cost;
    expect(withControls).toBe(1 + facts.largestControlCount * 2 + hipaaRules * 10);
  });

  it('reads a batch from its variable without coercing it: no event field is touched', () => {
    let touched = 0;
    const event = () =>
      Object.defineProperty({}, 'action', {
        enumerable: true,
        get: () => {
          touched += 1;
          return 'auth.login';
        },
      });
    const events = Array.from({ length: 1000 }, event);
    const m = measure('mutation R($input: RecordAuditEventsInput!) { recordAuditEvents(input: $input) { receipts { id sequence } } }', {
      input: { events },
    });
    expect(touched).toBe(0);
    // 1 + receipts (1 + id + sequence) × 1000 + 1 per event written.
    expect(m.cost).toBe(1 + 3 * 1000 + 1000);
  });

  it('counts fragments each time they are spread and stops a fragment bomb at MAX_QUERY_NODES', () => {
    const spread = measure('query { ...A ...A } fragment A on Query { a: auditEvents(first: 10) { edges { cursor } } }');
    expect(spread.cost).toBe(2 * (1 + 2 * 10));
    const levels = Array.from({ length: 14 }, (_, i) => `fragment F${i} on Query { ...F${i + 1} x${i}: __typename ...F${i + 1} }`);
    const bomb = measure(`query { ...F0 } ${levels.join(' ')} fragment F14 on Query { __typename }`);
    expect(bomb.tooManyNodes).toBe(true);
  });
});

describe('validation-time limits', () => {
  const limits = {
    maxQueryDepth: 12,
    maxAliases: 30,
    maxDirectives: 50,
    maxQueryCost: 50_000,
    maxQueryTokens: 5_000,
    maxExpensiveFieldsPerOperation: 1,
  };
  // graphql-js's own MaxIntrospectionDepthRule may add its uncoded error; formatError codes it (app.ts).
  const codes = (query: string) => [
    ...new Set(
      validate(schema, parse(query), [...specifiedRules, ...queryLimitRules(limits)]).map((e) =>
        e.message === 'Maximum introspection depth exceeded' ? 'QUERY_TOO_DEEP' : (e.extensions?.code ?? e.message),
      ),
    ),
  ];

  it('lets the standard introspection query through, with its own depth allowance', () => {
    const standard = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
      oneOf: true,
    });
    expect(codes(standard)).toEqual([]);
    expect(codes(getIntrospectionQuery())).toEqual([]);
    expect(MAX_INTROSPECTION_DEPTH).toBeLessThan(20);
  });

  it('refuses introspection nested deeper than the standard shape, directly or through fragments', () => {
    const ofType = (n: number): string => (n === 0 ? 'name' : `ofType { ${ofType(n - 1)} }`);
    expect(codes(`{ __schema { types { fields { type { ${ofType(30)} } } } } }`)).toEqual(['QUERY_TOO_DEEP']);
    // The fan-out: fields of the types of fields of every type.
    expect(codes('{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }')).toEqual(['QUERY_TOO_DEEP']);
    expect(codes('{ __type(name: "Query") { fields { type { ofType { fields { type { ofType { fields { name } } } } } } } } }')).toEqual([
      'QUERY_TOO_DEEP',
    ]);
    const chain = Array.from({ length: 8 }, (_, i) => `fragment T${i} on __Type { fields { type { ...T${i + 1} } } }`).join(' ');
    expect(codes(`{ __schema { types { ...T0 } } } ${chain} fragment T8 on __Type { name }`)).toEqual(['QUERY_TOO_DEEP']);
  });

  it('maps the graphql-armor refusals onto our codes', () => {
    const nest = (n: number): string => (n === 0 ? 'id' : `parent { ${nest(n - 1)} }`);
    expect(codes(`{ control(frameworkId: "hipaa", id: "x") { ${nest(12)} } }`)).toEqual(['QUERY_TOO_DEEP']);
    expect(codes(`{ control(frameworkId: "hipaa", id: "x") { ${nest(10)} } }`)).toEqual([]);
    expect(codes(`{ ${Array.from({ length: 31 }, (_, i) => `a${i}: __typename`).join(' ')} }`)).toEqual(['TOO_MANY_ALIASES']);
    expect(codes(`{ ${Array.from({ length: 51 }, () => '__typename @include(if: true)').join(' ')} }`)).toEqual(['TOO_MANY_DIRECTIVES']);
    expect(introspectionLimitRule).toBeDefined();
  });
});

describe('the token limit', () => {
  it('recognises graphql-js’s own refusal at parseOptions.maxTokens', () => {
    const query = `{ ${Array.from({ length: 30 }, (_, i) => `a${i}: __typename`).join(' ')} }`;
    let error: unknown;
    try {
      parse(query, { maxTokens: 20 });
    } catch (e) {
      error = e;
    }
    expect(isTokenLimitError(error)).toBe(true);
    expect(isTokenLimitError(new Error('Syntax Error: Unexpected Name "x".'))).toBe(false);
  });
});
