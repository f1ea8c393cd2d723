/**
 * Sizes the cost model needs and only start-up knows: the catalog of the loaded frameworks, the
 * page-size settings, and (per request, looked up only when an operation needs it) the caller's
 * chain length.
 */
export interface PricingFacts {
  defaultPageSize: number;
  maxPageSize: number;
  /** REPORT_SYNC_MAX_ROWS: rows a report renders inside the request before it goes to the background. */
  reportSyncMaxRows: number;
  /** MAX_EVENTS_PER_BATCH. */
  maxEventsPerBatch: number;
  frameworkCount: number;
  pluginCount: number;
  categoryCount: number;
  /** Controls per framework id, and the largest, charged when the framework is not known yet. */
  controlsByFramework: ReadonlyMap<string, number>;
  largestControlCount: number;
  /** Rules (evidence + violation) per framework id, and the largest. */
  rulesByFramework: ReadonlyMap<string, number>;
  largestRuleCount: number;
  /** The most children, mappings and rules any single control has. */
  maxChildren: number;
  maxMappings: number;
  maxRulesPerControl: number;
  /** The most violation rules any single control has. */
  maxViolationRulesPerControl: number;
  /** The most organisation-defined parameters any framework declares. */
  maxParameters: number;
  /** The most scope dimensions any framework declares, and the most options any dimension offers (ADR 0040). */
  maxScopeDimensions: number;
  maxScopeOptions: number;
  /** The caller's events (its chain head sequence); null until looked up. */
  chainLength: number | null;
}

/** What a price function sees: the field's arguments as sent (variables not coerced again), and the facts. */
export interface PriceArgs {
  args: Record<string, unknown>;
  facts: PricingFacts;
  /** Called by a price that needs the chain length while it is not known yet. */
  needsChainLength(): void;
}

/** How one field is charged on top of 1 per field resolved (and its children once). */
export interface FieldPrice {
  /** A list field: how many items it is assumed to return; its children are charged per item. */
  size?: (a: PriceArgs) => number;
  /**
   * A field whose own argument sizes a list below it (a connection's `first`, `auditEventStats`'
   * `limit`, a batch's events): that child list's items are charged this many times.
   */
  page?: { child: string; size: (a: PriceArgs) => number };
  /** A list field whose item count is its parent's `page`. */
  sizedByParent?: true;
  /** Work the field does beyond the objects it returns: rows counted, hashed, assessed or rendered. */
  work?: (a: PriceArgs) => number;
  /** At most MAX_EXPENSIVE_FIELDS_PER_OPERATION of these per operation. */
  expensive?: true;
  /** For docs/security.md: how the price is made. */
  doc: string;
}

/** Rows COUNT(*) or GROUP BY reads per cost unit (an index scan, far cheaper than returning a row). */
export const ROWS_COUNTED_PER_UNIT = 1000;
/** Events verifyAuditChain re-hashes per cost unit (~11,000 events/s on one core). */
export const EVENTS_VERIFIED_PER_UNIT = 100;
/** Units per rule an assessment evaluates (one aggregate statement over the range each). */
export const UNITS_PER_RULE = 10;
/** Rows a report renders synchronously per cost unit. */
export const ROWS_RENDERED_PER_UNIT = 10;
/** Lists whose length the server does not bound: assumed this long. */
export const ASSUMED_TENANT_LIST = 100;
/** Signing keys are few (one per key rotation). */
export const ASSUMED_SIGNING_KEYS = 10;
/** Buckets controlStatusHistory gives at most (MAX_HISTORY_BUCKETS of the compliance module). */
export const MAX_HISTORY_POINTS = 366;
/** `__schema` and `__type`: a flat price; their shape is bounded by the introspection rule instead. */
export const INTROSPECTION_PRICE = 100;

const clamp = (value: unknown, min: number, max: number, fallback: number): number => {
  if (value === undefined || value === null) return fallback;
  // Present but not a number we can read (a wrong type fails later): charge the largest.
  if (typeof value !== 'number' || !Number.isFinite(value)) return max;
  return Math.min(max, Math.max(min, Math.trunc(value)));
};

const record = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

/** The caller's chain length, asking for it when not known yet. */
const chain = (a: PriceArgs): number => {
  if (a.facts.chainLength === null) {
    a.needsChainLength();
    return 0;
  }
  return a.facts.chainLength;
};

const counted = (a: PriceArgs): number => Math.ceil(chain(a) / ROWS_COUNTED_PER_UNIT);

const frameworkControls = (a: PriceArgs, frameworkId: unknown): number =>
  (typeof frameworkId === 'string' ? a.facts.controlsByFramework.get(frameworkId) : undefined) ?? a.facts.largestControlCount;

const frameworkRules = (a: PriceArgs, frameworkId: unknown): number =>
  (typeof frameworkId === 'string' ? a.facts.rulesByFramework.get(frameworkId) : undefined) ?? a.facts.largestRuleCount;

const connectionPage = (a: PriceArgs): number => clamp(a.args.first, 1, a.facts.maxPageSize, a.facts.defaultPageSize);

/** The range verifyAuditChain re-hashes: fromSequence (1) to toSequence (the chain head). */
const verifiedRange = (a: PriceArgs): number => {
  const from = typeof a.args.fromSequence === 'number' ? Math.max(1, a.args.fromSequence) : 1;
  const to = typeof a.args.toSequence === 'number' ? a.args.toSequence : chain(a);
  return Math.max(0, to - from + 1);
};

/** The checkpoints an auditor passes to verifyAuditChain (trust.checkpoints; at most 100). */
const trustedCheckpoints = (a: PriceArgs): number => {
  const list = record(a.args.trust).checkpoints;
  return Array.isArray(list) ? Math.min(list.length, 100) : 0;
};

/**
 * Every price of the GraphQL API, by `Type.field`: the one table the cost model reads
 * (src/graphql/query-cost.ts) and docs/security.md mirrors. Every list field of the schema has an
 * entry (query-prices.spec.ts checks it); lists of scalars cost 1 like any field.
 */
export const FIELD_PRICES: Readonly<Record<string, FieldPrice>> = {
  // Root lists.
  'Query.apiKeys': { size: () => ASSUMED_TENANT_LIST, doc: `${ASSUMED_TENANT_LIST} keys assumed` },
  'Finding.history': {
    size: () => ASSUMED_TENANT_LIST,
    doc: `${ASSUMED_TENANT_LIST} transitions assumed (each one an ADMIN's or AUDITOR's recorded act)`,
  },
  'Query.checkpoints': { size: (a) => clamp(a.args.first, 1, 500, 20), doc: '`first` (default 20)' },
  'Query.classificationLevels': { size: () => 4, doc: '4 levels' },
  'Query.controls': {
    size: (a) => frameworkControls(a, a.args.frameworkId),
    doc: "the framework's control count (the largest framework's when not given as a known id)",
  },
  'Query.dataCategories': { size: (a) => a.facts.categoryCount, doc: 'the loaded categories' },
  'Query.frameworks': { size: (a) => a.facts.frameworkCount, doc: 'the loaded frameworks' },
  'Query.plugins': { size: (a) => a.facts.pluginCount, doc: 'the loaded plugins' },
  'Query.reportTemplates': { size: () => ASSUMED_TENANT_LIST, doc: `${ASSUMED_TENANT_LIST} templates assumed` },
  'Query.reports': { size: (a) => clamp(a.args.first, 1, 500, 50), doc: '`first` (default 50)' },
  'Query.signingKeys': { size: () => ASSUMED_SIGNING_KEYS, doc: `${ASSUMED_SIGNING_KEYS} keys assumed` },

  // Connections: the page multiplies what each edge selects; totalCount counts rows.
  'Query.auditEvents': {
    page: { child: 'AuditEventConnection.edges', size: connectionPage },
    doc: 'edges × `first` (default DEFAULT_PAGE_SIZE, at most MAX_PAGE_SIZE)',
  },
  'Control.evidence': {
    page: { child: 'AuditEventConnection.edges', size: connectionPage },
    doc: 'edges × `first` (default DEFAULT_PAGE_SIZE, at most MAX_PAGE_SIZE), per control',
  },
  'AuditEventConnection.edges': { sizedByParent: true, doc: "the connection's page size" },
  'AuditEventConnection.totalCount': {
    work: counted,
    doc: `1 per ${ROWS_COUNTED_PER_UNIT} events of the caller's chain (the rows COUNT reads), whatever the page size`,
  },

  // Catalog lists.
  'Control.children': { size: (a) => a.facts.maxChildren, doc: 'the most children any control has' },
  'Control.evidenceRules': { size: (a) => a.facts.maxRulesPerControl, doc: 'the most rules any control has' },
  'Control.violationRules': { size: (a) => a.facts.maxRulesPerControl, doc: 'the most rules any control has' },
  'Control.mappings': { size: (a) => a.facts.maxMappings, doc: 'the most mappings any control has' },

  // Expensive root fields: at most MAX_EXPENSIVE_FIELDS_PER_OPERATION per operation.
  'Query.verifyAuditChain': {
    expensive: true,
    // A kept checkpoint costs a note signature and a consistency proof from the stored tree: ~1 ms.
    work: (a) => Math.ceil(verifiedRange(a) / EVENTS_VERIFIED_PER_UNIT) + trustedCheckpoints(a),
    doc: `1 per ${EVENTS_VERIFIED_PER_UNIT} events of the range (fromSequence to toSequence, else the chain head), plus 1 per checkpoint in trust.checkpoints`,
  },
  'Query.assessCompliance': {
    expensive: true,
    work: (a) => frameworkRules(a, record(a.args.input).frameworkId) * UNITS_PER_RULE,
    doc: `${UNITS_PER_RULE} per rule of the framework, plus its controls × what each selects`,
  },
  'ComplianceAssessment.controls': {
    // The parent's frameworkId is not visible here: the largest framework.
    size: (a) => a.facts.largestControlCount,
    doc: "the largest framework's control count",
  },
  'ControlAssessment.rules': { size: (a) => a.facts.maxRulesPerControl, doc: 'the most rules any control has' },
  'ControlAssessment.sampleEvents': {
    size: (a) => 2 * a.facts.maxRulesPerControl,
    doc: 'two per rule of the control (the newest and oldest match)',
  },
  'RuleAssessment.sampleEvents': { size: () => 2, doc: 'two (the newest and oldest match)' },
  'Query.frameworkParameters': { size: (a) => a.facts.maxParameters, doc: 'the most parameters a loaded framework declares' },
  'Mutation.setFrameworkParameters': { size: (a) => a.facts.maxParameters, doc: 'the most parameters a loaded framework declares' },
  'ComplianceAssessment.parameters': { size: (a) => a.facts.maxParameters, doc: 'the most parameters a loaded framework declares' },
  'Query.frameworkScope': { size: (a) => a.facts.maxScopeDimensions, doc: 'the most scope dimensions a loaded framework declares' },
  'Mutation.setFrameworkScope': { size: (a) => a.facts.maxScopeDimensions, doc: 'the most scope dimensions a loaded framework declares' },
  'ComplianceAssessment.scope': { size: (a) => a.facts.maxScopeDimensions, doc: 'the most scope dimensions a loaded framework declares' },
  'FrameworkScopeDimension.options': { size: (a) => a.facts.maxScopeOptions, doc: 'the most options a scope dimension offers' },
  'ControlAssessment.findings': {
    size: (a) => clamp(a.args.first, 1, 100, 20) * a.facts.maxViolationRulesPerControl,
    work: (a) => a.facts.maxViolationRulesPerControl * UNITS_PER_RULE,
    doc: '`first` (default 20) per violation rule of the control (the most any control has); work: one listing statement per violation rule',
  },
  'Query.auditEventStats': {
    expensive: true,
    page: { child: 'AuditEventStats.groups', size: (a) => clamp(a.args.limit, 1, 1000, 100) },
    work: (a) => 2 * counted(a),
    doc: `2 per ${ROWS_COUNTED_PER_UNIT} events of the caller's chain (a GROUP BY and a COUNT), plus groups × \`limit\` (default 100)`,
  },
  'AuditEventStats.groups': { sizedByParent: true, doc: '`limit` of auditEventStats' },
  'Mutation.recordAssessment': {
    expensive: true,
    work: (a) => frameworkRules(a, record(a.args.input).frameworkId) * UNITS_PER_RULE,
    doc: `${UNITS_PER_RULE} per rule of the framework (it assesses), plus the run stored and its event appended`,
  },
  'AssessmentRun.controls': { size: (a) => a.facts.largestControlCount, doc: "the largest framework's control count" },
  'AssessmentRun.parameters': { size: (a) => a.facts.maxParameters, doc: 'the most parameters a loaded framework declares' },
  'AssessmentRun.scope': { size: (a) => a.facts.maxScopeDimensions, doc: 'the most scope dimensions a loaded framework declares' },
  'Query.controlStatusHistory': { size: () => MAX_HISTORY_POINTS, doc: `${MAX_HISTORY_POINTS} buckets (the most a history gives)` },
  'Query.assessmentChanges': {
    page: { child: 'AssessmentChangeConnection.edges', size: connectionPage },
    doc: 'edges × `first` (default DEFAULT_PAGE_SIZE, at most MAX_PAGE_SIZE)',
  },
  'AssessmentChangeConnection.edges': { sizedByParent: true, doc: "the connection's page size" },
  'Mutation.createCheckpoint': {
    expensive: true,
    doc: 'the chain head read, signed (Ed25519) and stored: a write per call, so one per operation',
  },
  'Query.proofBundle': {
    expensive: true,
    doc: 'an event re-hashed and proved, and the chain head signed when no checkpoint covers it (a write), so one per operation',
  },
  'Query.reportProofBundles': {
    expensive: true,
    doc: "a report's stored bundle file, up to 10,000 bundles of a few KB each, so one per operation",
  },
  'Mutation.generateReport': {
    expensive: true,
    work: (a) => {
      const input = record(a.args.input);
      const assessed =
        input.frameworkId === undefined || input.frameworkId === null ? 0 : frameworkRules(a, input.frameworkId) * UNITS_PER_RULE;
      return assessed + Math.ceil(a.facts.reportSyncMaxRows / ROWS_RENDERED_PER_UNIT);
    },
    doc: `1 per ${ROWS_RENDERED_PER_UNIT} rows of REPORT_SYNC_MAX_ROWS (rendered in the request), plus ${UNITS_PER_RULE} per rule of its framework`,
  },
  'Mutation.exportDataSubject': {
    expensive: true,
    work: (a) => Math.ceil(a.facts.reportSyncMaxRows / ROWS_RENDERED_PER_UNIT),
    doc: `1 per ${ROWS_RENDERED_PER_UNIT} rows of REPORT_SYNC_MAX_ROWS (a SUBJECT_ACCESS report rendered in the request)`,
  },

  // Retention (ADR 0043): bounded lists; the dry run scans the chain after its pruned prefix.
  'Query.retentionRules': { size: () => 100, doc: '100 rules (the most a tenant may have)' },
  'Query.legalHolds': { size: () => 500, doc: '500 holds (the most active ones a tenant may have; released ones beyond)' },
  'Query.retentionSuggestions': { size: () => 3, doc: 'the three built-in frameworks' },
  'Query.pruneDryRun': {
    expensive: true,
    work: counted,
    doc: `1 per ${ROWS_COUNTED_PER_UNIT} events of the caller's chain (the plan's range scan)`,
  },
  'Mutation.pruneAuditChain': {
    expensive: true,
    work: (a) => 2 * counted(a),
    doc: `2 per ${ROWS_COUNTED_PER_UNIT} events of the caller's chain (the plan, the prefix verified and deleted)`,
  },

  // Writes.
  'Mutation.recordAuditEvents': {
    page: {
      child: 'RecordAuditEventsPayload.receipts',
      size: (a) => {
        const events = record(a.args.input).events;
        return Array.isArray(events) ? Math.max(1, events.length) : a.facts.maxEventsPerBatch;
      },
    },
    work: (a) => {
      const events = record(a.args.input).events;
      return Array.isArray(events) ? events.length : a.facts.maxEventsPerBatch;
    },
    doc: '1 per event written, plus receipts × events',
  },
  'RecordAuditEventsPayload.receipts': { sizedByParent: true, doc: 'the events of the batch' },
};

/** What pricing reads of the loaded frameworks; the compliance catalog has this shape. */
export interface PricedCatalog {
  frameworks(): readonly {
    framework: { id: string };
    controls: readonly { id: string; evidence: readonly unknown[]; violations: readonly unknown[] }[];
    parameters?: readonly unknown[];
    plugin?: { catalog: { scoping?: readonly { options: readonly unknown[] }[] } };
  }[];
  children(frameworkId: string, controlId: string): readonly unknown[];
  mappings(frameworkId: string, controlId: string): readonly unknown[];
  categories(): readonly unknown[];
}

/** The facts the catalog and settings give at start-up (chain length left to each request). */
export function pricingFacts(
  catalog: PricedCatalog,
  pluginCount: number,
  settings: { defaultPageSize: number; maxPageSize: number; reportSyncMaxRows: number; maxEventsPerBatch: number },
): PricingFacts {
  const controlsByFramework = new Map<string, number>();
  const rulesByFramework = new Map<string, number>();
  let maxChildren = 0;
  let maxMappings = 0;
  let maxRulesPerControl = 0;
  let maxViolationRulesPerControl = 0;
  let maxParameters = 0;
  let maxScopeDimensions = 0;
  let maxScopeOptions = 0;
  for (const loaded of catalog.frameworks()) {
    const id = loaded.framework.id;
    maxParameters = Math.max(maxParameters, loaded.parameters?.length ?? 0);
    const scoping = loaded.plugin?.catalog.scoping ?? [];
    maxScopeDimensions = Math.max(maxScopeDimensions, scoping.length);
    for (const d of scoping) maxScopeOptions = Math.max(maxScopeOptions, d.options.length);
    controlsByFramework.set(id, loaded.controls.length);
    let rules = 0;
    for (const control of loaded.controls) {
      const own = control.evidence.length + control.violations.length;
      rules += own;
      maxRulesPerControl = Math.max(maxRulesPerControl, own);
      maxViolationRulesPerControl = Math.max(maxViolationRulesPerControl, control.violations.length);
      maxChildren = Math.max(maxChildren, catalog.children(id, control.id).length);
      maxMappings = Math.max(maxMappings, catalog.mappings(id, control.id).length);
    }
    rulesByFramework.set(id, rules);
  }
  return {
    ...settings,
    frameworkCount: controlsByFramework.size,
    pluginCount,
    categoryCount: catalog.categories().length,
    controlsByFramework,
    largestControlCount: Math.max(1, ...controlsByFramework.values()),
    rulesByFramework,
    largestRuleCount: Math.max(1, ...rulesByFramework.values()),
    maxChildren: Math.max(1, maxChildren),
    maxMappings: Math.max(1, maxMappings),
    maxRulesPerControl: Math.max(1, maxRulesPerControl),
    maxViolationRulesPerControl: Math.max(1, maxViolationRulesPerControl),
    maxParameters: Math.max(1, maxParameters),
    maxScopeDimensions: Math.max(1, maxScopeDimensions),
    maxScopeOptions: Math.max(1, maxScopeOptions),
    chainLength: null,
  };
}
