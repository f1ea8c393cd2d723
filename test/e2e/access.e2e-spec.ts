import { Role } from '../../src/access/role';
import { createTestEnvironment, eventInput, RECORD, type GraphQLResponse, type TestEnvironment } from '../helpers/test-environment';

/**
 * Role × operation matrix. The expected permissions of every Query and Mutation field; the live
 * schema is compared with this table, so a field added without an entry (and an authorization
 * decision) fails the suite.
 */
type Caller = 'ADMIN' | 'AUDITOR' | 'INGEST' | 'VIEWER' | 'no key' | 'revoked key' | 'garbage key' | 'not a Bearer header';
const ROLES = [Role.ADMIN, Role.AUDITOR, Role.INGEST, Role.VIEWER] as const;
const UNAUTHENTICATED_CALLERS: Caller[] = ['no key', 'revoked key', 'garbage key', 'not a Bearer header'];
const ALL_CALLERS: Caller[] = [...ROLES, ...UNAUTHENTICATED_CALLERS];
const ANY_KEY = 'any key';

interface Operation {
  type: 'Query' | 'Mutation';
  allowed: readonly Role[] | typeof ANY_KEY;
  /** Builds one request for this field; `ctx` offers a seeded event and a fresh key to revoke. */
  build(ctx: {
    eventId: string;
    victimKeyId: () => Promise<string>;
    reportId: () => Promise<string>;
    /** A READY report generated with its events' proof bundles (ADR 0049). */
    bundledReportId: () => Promise<string>;
    /** A stored assessment run of the `default` tenant. */
    runId: () => Promise<string>;
    templateId: () => Promise<string>;
    /** The sequence of a fresh event that removes a second factor (soc2 CC6.1 mfa-disabled): a finding of its own for each request. */
    eventSequence: () => Promise<number>;
    /** A fresh retention rule and legal hold of the `default` tenant (ADR 0043). */
    ruleId: () => Promise<string>;
    holdId: () => Promise<string>;
    /** The id of a fresh person with one recorded event: erasable once. */
    subjectId: () => Promise<string>;
  }): Promise<{ query: string; variables?: Record<string, unknown> }>;
}

const MATRIX_ACTION = 'access.matrix';

const OPERATIONS: Record<string, Operation> = {
  recordAuditEvents: {
    type: 'Mutation',
    allowed: [Role.ADMIN, Role.INGEST],
    build: async () => ({ query: RECORD, variables: { input: { events: [eventInput({ action: MATRIX_ACTION })] } } }),
  },
  auditEvent: {
    type: 'Query',
    allowed: [Role.ADMIN, Role.AUDITOR, Role.VIEWER],
    build: async ({ eventId }) => ({ query: 'query($id: String!) { auditEvent(id: $id) { id } }', variables: { id: eventId } }),
  },
  auditEvents: {
    type: 'Query',
    allowed: [Role.ADMIN, Role.AUDITOR, Role.VIEWER],
    build: async () => ({ query: '{ auditEvents(first: 1) { totalCount edges { node { id } } } }' }),
  },
  auditEventStats: {
    type: 'Query',
    allowed: [Role.ADMIN, Role.AUDITOR, Role.VIEWER],
    build: async () => ({ query: '{ auditEventStats(groupBy: ACTION) { total groups { key count } } }' }),
  },
  // Not VIEWER: chain hashes around an event would confirm guesses of its redacted fields.
  verifyAuditChain: {
    type: 'Query',
    allowed: [Role.ADMIN, Role.AUDITOR],
    build: async () => ({ query: '{ verifyAuditChain { valid checkedCount } }' }),
  },
  // Not VIEWER, for the same reason: a leaf hash is a hash of the event (ADR 0047).
  inclusionProof: {
    type: 'Query',
    allowed: [Role.ADMIN, Role.AUDITOR],
    build: async () => ({ query: '{ inclusionProof(sequence: 1) { treeSize hashes } }' }),
  },
  consistencyProof: {
    type: 'Query',
    allowed: [Role.ADMIN, Role.AUDITOR],
    build: async () => ({ query: '{ consistencyProof(fromSize: 1) { toSize hashes } }' }),
  },
  // Not VIEWER: a bundle carries the event as its hash covers it, unredacted (ADR 0049).
  proofBundle: {
    type: 'Query',
    allowed: [Role.ADMIN, Role.AUDITOR],
    build: async () => ({ query: '{ proofBundle(sequence: 1) }' }),
  },
  checkpoints: {
    type: 'Query',
    allowed: [Role.ADMIN, Role.AUDITOR],
    build: async () => ({ query: '{ checkpoints { id sequence } }' }),
  },
  createCheckpoint: {
    type: 'Mutation',
    allowed: [Role.ADMIN, Role.AUDITOR],
    build: async () => ({ query: 'mutation { createCheckpoint { id sequence } }' }),
  },
  apiKeys: {
    type: 'Query',
    allowed: [Role.ADMIN],
    build: async () => ({ query: '{ apiKeys { id role } }' }),
  },
  createApiKey: {
    type: 'Mutation',
    allowed: [Role.ADMIN],
    build: async () => ({ query: 'mutation { createApiKey(input: { name: "matrix key", role: VIEWER }) { apiKey { id } secret } }' }),
  },
  eraseDataSubject: {
    type: 'Mutation',
    allowed: [Role.ADMIN],
    build: async ({ subjectId }) => ({
      query: 'mutation($id: String!) { eraseDataSubject(input: { subjectId: $id, reason: CONSENT_WITHDRAWN }) { subjectRef signature } }',
      variables: { id: await subjectId() },
    }),
  },
  revokeApiKey: {
    type: 'Mutation',
    allowed: [Role.ADMIN],
    build: async ({ victimKeyId }) => ({
      query: 'mutation($id: ID!) { revokeApiKey(input: { id: $id }) { id revokedAt } }',
      variables: { id: await victimKeyId() },
    }),
  },
  viewer: {
    type: 'Query',
    allowed: ANY_KEY,
    build: async () => ({ query: '{ viewer { keyId role tenant { id } } }' }),
  },
  signingKeys: {
    type: 'Query',
    allowed: ANY_KEY,
    build: async () => ({ query: '{ signingKeys { id algorithm publicKeyPem } }' }),
  },
  plugins: {
    type: 'Query',
    allowed: ANY_KEY,
    build: async () => ({ query: '{ plugins { id kind version source } }' }),
  },
  // The catalogs are public knowledge; evidence and assessments are not.
  frameworks: { type: 'Query', allowed: ANY_KEY, build: async () => ({ query: '{ frameworks { id controlCount } }' }) },
  framework: { type: 'Query', allowed: ANY_KEY, build: async () => ({ query: '{ framework(id: "soc2") { id } }' }) },
  controls: { type: 'Query', allowed: ANY_KEY, build: async () => ({ query: '{ controls(frameworkId: "gdpr") { id } }' }) },
  control: {
    type: 'Query',
    allowed: ANY_KEY,
    build: async () => ({ query: '{ control(frameworkId: "hipaa", id: "164.312(b)") { id mappings { controlId } } }' }),
  },
  dataCategories: { type: 'Query', allowed: ANY_KEY, build: async () => ({ query: '{ dataCategories { id source } }' }) },
  classificationLevels: { type: 'Query', allowed: ANY_KEY, build: async () => ({ query: '{ classificationLevels { level rank } }' }) },
  assessCompliance: {
    type: 'Query',
    allowed: [Role.ADMIN, Role.AUDITOR],
    build: async () => ({
      query: '{ assessCompliance(input: { frameworkId: "soc2", from: "2026-01-01T00:00:00.000Z" }) { score level } }',
    }),
  },
  generateReport: {
    type: 'Mutation',
    allowed: [Role.ADMIN, Role.AUDITOR],
    build: async () => ({
      query:
        'mutation { generateReport(input: { type: AUDIT_TRAIL, format: "json", from: "2026-01-01T00:00:00.000Z", to: "2030-01-01T00:00:00.000Z" }) { id sha256 } }',
    }),
  },
  exportDataSubject: {
    type: 'Mutation',
    allowed: [Role.ADMIN, Role.AUDITOR],
    build: async ({ subjectId }) => ({
      query: 'mutation($id: String!) { exportDataSubject(input: { subjectId: $id, format: "json" }) { id type } }',
      variables: { id: await subjectId() },
    }),
  },
  report: {
    type: 'Query',
    allowed: [Role.ADMIN, Role.AUDITOR],
    build: async ({ reportId }) => ({
      query: 'query($id: ID!) { report(id: $id) { id downloadUrl } }',
      variables: { id: await reportId() },
    }),
  },
  reportProofBundles: {
    type: 'Query',
    allowed: [Role.ADMIN, Role.AUDITOR],
    build: async ({ bundledReportId }) => ({
      query: 'query($id: ID!) { reportProofBundles(id: $id) }',
      variables: { id: await bundledReportId() },
    }),
  },
  reports: { type: 'Query', allowed: [Role.ADMIN, Role.AUDITOR], build: async () => ({ query: '{ reports { id } }' }) },
  reportTemplates: { type: 'Query', allowed: [Role.ADMIN, Role.AUDITOR], build: async () => ({ query: '{ reportTemplates { id } }' }) },
  createReportTemplate: {
    type: 'Mutation',
    allowed: [Role.ADMIN, Role.AUDITOR],
    build: async () => ({
      query: 'mutation($input: CreateReportTemplateInput!) { createReportTemplate(input: $input) { id } }',
      variables: { input: { name: `matrix ${Math.random()}`, definition: { type: 'AUDIT_TRAIL', sections: [{ id: 'events' }] } } },
    }),
  },
  updateReportTemplate: {
    type: 'Mutation',
    allowed: [Role.ADMIN, Role.AUDITOR],
    build: async ({ templateId }) => ({
      query: 'mutation($input: UpdateReportTemplateInput!) { updateReportTemplate(input: $input) { id version } }',
      variables: { input: { id: await templateId(), definition: { type: 'AUDIT_TRAIL', sections: [{ id: 'overview' }] } } },
    }),
  },
  deleteReportTemplate: {
    type: 'Mutation',
    allowed: [Role.ADMIN, Role.AUDITOR],
    build: async ({ templateId }) => ({
      query: 'mutation($input: DeleteReportTemplateInput!) { deleteReportTemplate(input: $input) { id } }',
      variables: { input: { id: await templateId() } },
    }),
  },
  frameworkParameters: {
    type: 'Query',
    allowed: [Role.ADMIN, Role.AUDITOR],
    build: async () => ({ query: 'query { frameworkParameters(frameworkId: "soc2") { id value } }' }),
  },
  setFrameworkParameters: {
    type: 'Mutation',
    allowed: [Role.ADMIN],
    build: async () => ({
      query: 'mutation($input: SetFrameworkParametersInput!) { setFrameworkParameters(input: $input) { id value } }',
      variables: { input: { frameworkId: 'soc2', values: [], note: 'matrix' } },
    }),
  },
  frameworkScope: {
    type: 'Query',
    allowed: [Role.ADMIN, Role.AUDITOR],
    build: async () => ({ query: 'query { frameworkScope(frameworkId: "soc2") { id selected } }' }),
  },
  setFrameworkScope: {
    type: 'Mutation',
    allowed: [Role.ADMIN],
    build: async () => ({
      query: 'mutation($input: SetFrameworkScopeInput!) { setFrameworkScope(input: $input) { id selected } }',
      variables: { input: { frameworkId: 'soc2', selections: [], note: 'matrix' } },
    }),
  },
  finding: {
    type: 'Query',
    allowed: [Role.ADMIN, Role.AUDITOR],
    build: async ({ eventSequence }) => ({
      query: 'query($ref: FindingRefInput!) { finding(ref: $ref) { id state } }',
      variables: { ref: { frameworkId: 'soc2', controlId: 'CC6.1', ruleId: 'mfa-disabled', eventSequence: await eventSequence() } },
    }),
  },
  transitionFinding: {
    type: 'Mutation',
    allowed: [Role.ADMIN, Role.AUDITOR],
    build: async ({ eventSequence }) => ({
      query: 'mutation($input: TransitionFindingInput!) { transitionFinding(input: $input) { id state } }',
      variables: {
        input: {
          frameworkId: 'soc2',
          controlId: 'CC6.1',
          ruleId: 'mfa-disabled',
          eventSequence: await eventSequence(),
          to: 'INVESTIGATED_CONFIRMED',
          note: 'matrix',
        },
      },
    }),
  },
  recordAssessment: {
    type: 'Mutation',
    allowed: [Role.ADMIN, Role.AUDITOR],
    build: async () => ({
      query: 'mutation($input: RecordAssessmentInput!) { recordAssessment(input: $input) { id digest } }',
      variables: { input: { frameworkId: 'soc2', from: '2026-06-01T00:00:00.000Z', to: '2026-06-02T00:00:00.000Z' } },
    }),
  },
  assessmentRun: {
    type: 'Query',
    allowed: [Role.ADMIN, Role.AUDITOR],
    build: async ({ runId }) => ({ query: 'query($id: String!) { assessmentRun(id: $id) { id } }', variables: { id: await runId() } }),
  },
  controlStatusHistory: {
    type: 'Query',
    allowed: [Role.ADMIN, Role.AUDITOR],
    build: async () => ({
      query:
        '{ controlStatusHistory(frameworkId: "soc2", controlId: "CC6.1", from: "2026-06-01T00:00:00Z", to: "2026-06-03T00:00:00Z", granularity: DAY) { label status } }',
    }),
  },
  timeInNonCompliance: {
    type: 'Query',
    allowed: [Role.ADMIN, Role.AUDITOR],
    build: async () => ({
      query:
        '{ timeInNonCompliance(frameworkId: "soc2", controlId: "CC6.1", from: "2026-06-01T00:00:00Z", to: "2026-06-03T00:00:00Z") { days } }',
    }),
  },
  assessmentChanges: {
    type: 'Query',
    allowed: [Role.ADMIN, Role.AUDITOR],
    build: async () => ({ query: '{ assessmentChanges(frameworkId: "soc2", since: "2026-06-01T00:00:00Z") { totalCount } }' }),
  },
  retentionRules: {
    type: 'Query',
    allowed: [Role.ADMIN, Role.AUDITOR],
    build: async () => ({ query: '{ retentionRules { id } }' }),
  },
  legalHolds: {
    type: 'Query',
    allowed: [Role.ADMIN, Role.AUDITOR],
    build: async () => ({ query: '{ legalHolds(includeReleased: true) { id } }' }),
  },
  retentionSuggestions: {
    type: 'Query',
    allowed: [Role.ADMIN, Role.AUDITOR],
    build: async () => ({ query: '{ retentionSuggestions { frameworkId } }' }),
  },
  pruneDryRun: {
    type: 'Query',
    allowed: [Role.ADMIN, Role.AUDITOR],
    build: async () => ({ query: '{ pruneDryRun { dryRun eventCount } }' }),
  },
  addRetentionRule: {
    type: 'Mutation',
    allowed: [Role.ADMIN],
    build: async () => ({
      query: 'mutation($input: RetentionRuleInput!) { addRetentionRule(input: $input) { id } }',
      variables: { input: { selector: 'ACTION_PREFIX', value: 'matrix.', minDays: 30 } },
    }),
  },
  removeRetentionRule: {
    type: 'Mutation',
    allowed: [Role.ADMIN],
    build: async ({ ruleId }) => ({ query: 'mutation($id: ID!) { removeRetentionRule(id: $id) }', variables: { id: await ruleId() } }),
  },
  placeLegalHold: {
    type: 'Mutation',
    allowed: [Role.ADMIN],
    build: async () => ({
      query: 'mutation($input: LegalHoldInput!) { placeLegalHold(input: $input) { id } }',
      variables: { input: { actionPrefix: 'matrix.', reason: 'matrix' } },
    }),
  },
  releaseLegalHold: {
    type: 'Mutation',
    allowed: [Role.ADMIN],
    build: async ({ holdId }) => ({ query: 'mutation($id: ID!) { releaseLegalHold(id: $id) { id } }', variables: { id: await holdId() } }),
  },
  // Nothing is due in the matrix's tenant: an allowed call prunes nothing and says so.
  pruneAuditChain: {
    type: 'Mutation',
    allowed: [Role.ADMIN],
    build: async () => ({ query: 'mutation { pruneAuditChain { dryRun eventCount } }' }),
  },
  attestControl: {
    type: 'Mutation',
    allowed: [Role.ADMIN, Role.AUDITOR],
    build: async () => ({
      query: 'mutation($input: AttestControlInput!) { attestControl(input: $input) { sequence } }',
      variables: {
        input: {
          frameworkId: 'soc2',
          controlId: 'CC1.1',
          status: 'COMPLIANT',
          note: 'matrix',
          expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
        },
      },
    }),
  },
};

const isAllowed = (op: Operation, caller: Caller): boolean =>
  (ROLES as readonly string[]).includes(caller) && (op.allowed === ANY_KEY || (op.allowed as readonly string[]).includes(caller));

describe('access: role × operation matrix', () => {
  let env: TestEnvironment;
  const authorization = {} as Record<Caller, string | null>;
  let eventId: string;
  const victims: { id: string; secret: string }[] = [];

  /** POST /graphql with exactly this Authorization header (or none). */
  async function call(caller: Caller, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse> {
    const header = authorization[caller];
    const res = await fetch(env.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(header ? { authorization: header } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as GraphQLResponse['body'] };
  }

  /** What a refused request must leave untouched. */
  async function snapshot() {
    const count = async (sql: string) => Number((await env.sql<{ n: unknown }>(sql))[0].n);
    return {
      matrixEvents: await count(`SELECT COUNT(*) AS n FROM audit_event WHERE action = '${MATRIX_ACTION}'`),
      keys: await count('SELECT COUNT(*) AS n FROM api_key'),
      revokedKeys: await count('SELECT COUNT(*) AS n FROM api_key WHERE revoked_at IS NOT NULL'),
      checkpoints: await count('SELECT COUNT(*) AS n FROM checkpoint'),
      attestations: await count(`SELECT COUNT(*) AS n FROM audit_event WHERE action = 'datapunk.control.attested'`),
      profiles: await count(`SELECT COUNT(*) AS n FROM audit_event WHERE action = 'datapunk.framework.parameters_set'`),
      findingTransitions: await count(`SELECT COUNT(*) AS n FROM audit_event WHERE action = 'datapunk.finding.transitioned'`),
      reports: await count('SELECT COUNT(*) AS n FROM report'),
      erasedSubjects: await count('SELECT COUNT(*) AS n FROM data_subject WHERE wrapped_key IS NULL'),
      templates: await count('SELECT COUNT(*) AS n FROM report_template_version'),
      liveTemplates: await count('SELECT COUNT(*) AS n FROM report_template'),
      retentionRules: await count('SELECT COUNT(*) AS n FROM retention_rule'),
      legalHolds: await count('SELECT COUNT(*) AS n FROM legal_hold WHERE released_at IS NULL'),
      prunes: await count(`SELECT COUNT(*) AS n FROM audit_event WHERE action = 'datapunk.retention.pruned'`),
    };
  }

  const victimKeyId = async () => {
    const { key, secret } = await env.app.services.apiKeys.create('default', Role.VIEWER, 'victim');
    victims.push({ id: key.id, secret });
    return key.id;
  };

  const reportId = async (proofBundles = false) => {
    const { report } = await env.app.services.reports.service.generate(
      { tenantId: 'default', keyId: 'matrix', requestId: 'matrix' },
      { type: 'AUDIT_TRAIL' as never, format: 'json', from: '2026-01-01T00:00:00.000Z', to: '2030-01-01T00:00:00.000Z', proofBundles },
    );
    return report.id;
  };
  const bundledReportId = () => reportId(true);

  const runId = async () => {
    const { run } = await env.app.services.history.record(
      { tenantId: 'default', keyId: 'matrix', requestId: 'matrix' },
      { frameworkId: 'soc2', from: '2026-06-01T00:00:00.000Z', to: '2026-06-02T00:00:00.000Z' },
    );
    return run.id;
  };

  const eventSequence = async () => {
    const res = await env.gql(RECORD, { input: { events: [eventInput({ action: 'auth.mfa.disabled' })] } });
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.recordAuditEvents.receipts[0].sequence as number;
  };

  const retentionActor = { tenantId: 'default', keyId: 'matrix', requestId: 'matrix' };
  const ruleId = async () =>
    (await env.app.services.retention.addRule(retentionActor, { selector: 'ACTION_PREFIX' as never, value: 'victim.', minDays: 1 })).id;
  const holdId = async () => (await env.app.services.retention.placeHold(retentionActor, { actionPrefix: 'victim.', reason: 'victim' })).id;

  const templateId = async () =>
    (
      await env.app.services.reports.templates.create('default', 'matrix', `victim ${Math.random()}`, {
        type: 'AUDIT_TRAIL',
        sections: [{ id: 'events' }],
      })
    ).id;

  const subjectId = async () => {
    const id = `matrix-person-${Math.random()}`;
    const res = await env.gql(RECORD, { input: { events: [eventInput({ action: MATRIX_ACTION, actor: { id, type: 'USER' } })] } });
    expect(res.body.errors).toBeUndefined();
    return id;
  };

  beforeAll(async () => {
    // The matrix sends every operation from four callers without a valid key: more than the default
    // unauthenticated rate limit a minute, which test/e2e/abuse-rate-limit tests on its own.
    env = await createTestEnvironment({ RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '1000' });
    authorization.ADMIN = `Bearer ${env.adminKey}`;
    for (const role of [Role.AUDITOR, Role.INGEST, Role.VIEWER]) authorization[role] = `Bearer ${await env.createKey(role)}`;
    const revoked = await env.app.services.apiKeys.create('default', Role.ADMIN, 'revoked admin');
    await env.app.services.apiKeys.revoke('default', revoked.key.id);
    authorization['revoked key'] = `Bearer ${revoked.secret}`;
    authorization['no key'] = null;
    authorization['garbage key'] = 'Bearer dpa_this-is-not-a-key-of-this-server';
    authorization['not a Bearer header'] = `Basic ${Buffer.from(`admin:${env.adminKey}`).toString('base64')}`;
    const seeded = await env.gql(RECORD, { input: { events: [eventInput()] } });
    expect(seeded.body.errors).toBeUndefined();
    eventId = seeded.body.data!.recordAuditEvents.receipts[0].id;
  });
  afterAll(() => env.close());

  it('covers every Query and Mutation field of the live schema', async () => {
    const res = await env.gql(
      '{ __schema { queryType { fields { name } } mutationType { fields { name } } subscriptionType { fields { name } } } }',
    );
    expect(res.body.errors).toBeUndefined();
    const schema = res.body.data!.__schema;
    const live = [
      ...schema.queryType.fields.map((f: { name: string }) => `Query.${f.name}`),
      ...(schema.mutationType?.fields ?? []).map((f: { name: string }) => `Mutation.${f.name}`),
      ...(schema.subscriptionType?.fields ?? []).map((f: { name: string }) => `Subscription.${f.name}`),
    ].sort();
    const expected = Object.entries(OPERATIONS)
      .map(([name, op]) => `${op.type}.${name}`)
      .sort();
    expect(live).toEqual(expected);
  });

  describe.each(ALL_CALLERS)('%s', (caller) => {
    it.each(Object.keys(OPERATIONS))('%s', async (field) => {
      const op = OPERATIONS[field];
      const { query, variables } = await op.build({
        eventId,
        victimKeyId,
        reportId: () => reportId(),
        bundledReportId,
        runId,
        templateId,
        eventSequence,
        ruleId,
        holdId,
        subjectId,
      });
      const before = await snapshot();
      const res = await call(caller, query, variables);
      if (isAllowed(op, caller)) {
        expect(res.body.errors).toBeUndefined();
        expect(res.body.data?.[field]).toBeDefined();
        expect(res.body.data![field]).not.toBeNull();
        return;
      }
      const expectedCode = (ROLES as readonly string[]).includes(caller) ? 'FORBIDDEN' : 'UNAUTHENTICATED';
      expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual([expectedCode]);
      // Without a valid key the request is refused before its document is parsed (HTTP 401, no path).
      if (expectedCode === 'UNAUTHENTICATED') expect(res.status).toBe(401);
      else expect(res.body.errors![0].path).toEqual([field]);
      expect(res.body.data?.[field] ?? null).toBeNull();
      // A refused request changes nothing: no event, key, revocation or checkpoint.
      expect(await snapshot()).toEqual(before);
    });
  });

  it('answers viewer with the caller’s own key, role and tenant', async () => {
    for (const role of ROLES) {
      const res = await call(role, '{ viewer { keyId role tenant { id } } }');
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.viewer).toMatchObject({ role, tenant: { id: 'default' } });
    }
  });

  it('leaves a key that a refused revokeApiKey targeted working', async () => {
    const id = await victimKeyId();
    const victim = victims.find((v) => v.id === id)!;
    for (const caller of [Role.AUDITOR, Role.INGEST, Role.VIEWER, 'no key'] as Caller[]) {
      const res = await call(caller, 'mutation($id: ID!) { revokeApiKey(input: { id: $id }) { id } }', { id });
      expect(res.body.errors?.[0].extensions?.code).toMatch(/^(FORBIDDEN|UNAUTHENTICATED)$/);
    }
    const still = await env.gql('{ viewer { role } }', {}, victim.secret);
    expect(still.body.errors).toBeUndefined();
    expect(still.body.data!.viewer.role).toBe('VIEWER');
  });
});

describe('access: VIEWER redaction', () => {
  let env: TestEnvironment;
  let keys: Record<'ADMIN' | 'AUDITOR' | 'VIEWER', string>;
  const ids: Record<string, string> = {};
  const SELECTION = 'id classification actor { id ip userAgent displayName } metadata hash chainHash redactedFields';

  beforeAll(async () => {
    env = await createTestEnvironment();
    keys = { ADMIN: env.adminKey, AUDITOR: await env.createKey('AUDITOR'), VIEWER: await env.createKey('VIEWER') };
    const events = [
      { name: 'public', classification: 'PUBLIC' },
      { name: 'internal', classification: 'INTERNAL' },
      { name: 'confidential', classification: 'CONFIDENTIAL' },
      { name: 'restricted', classification: 'RESTRICTED' },
    ].map(({ name, classification }) =>
      eventInput({
        classification,
        actor: { id: `u-${name}`, type: 'USER', ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (redaction test)', displayName: 'Ada' },
        metadata: { secret: `metadata of ${name}` },
      }),
    );
    // Nothing to withhold: no network identifiers, no metadata.
    events.push(eventInput({ classification: 'RESTRICTED', actor: { id: 'u-bare', type: 'SERVICE' }, metadata: null }));
    const res = await env.gql(RECORD, { input: { events } });
    expect(res.body.errors).toBeUndefined();
    const receipts = res.body.data!.recordAuditEvents.receipts as { id: string }[];
    ['public', 'internal', 'confidential', 'restricted', 'bare'].forEach((name, i) => (ids[name] = receipts[i].id));
  });
  afterAll(() => env.close());

  /** Every event as one role sees it, by both read paths (list and by id), which must agree. */
  async function readAs(role: keyof typeof keys): Promise<Record<string, any>> {
    const list = await env.gql(`{ auditEvents(first: 50) { edges { node { ${SELECTION} } } } }`, {}, keys[role]);
    expect(list.body.errors).toBeUndefined();
    const byId: Record<string, any> = {};
    for (const [name, id] of Object.entries(ids)) {
      const one = await env.gql(`query($id: String!) { auditEvent(id: $id) { ${SELECTION} } }`, { id }, keys[role]);
      expect(one.body.errors).toBeUndefined();
      const fromList = list.body.data!.auditEvents.edges.find((e: { node: { id: string } }) => e.node.id === id)?.node;
      expect(one.body.data!.auditEvent).toEqual(fromList);
      byId[name] = one.body.data!.auditEvent;
    }
    return byId;
  }

  it('withholds actor.ip, actor.userAgent, and the metadata of CONFIDENTIAL and RESTRICTED events from VIEWER', async () => {
    const seen = await readAs('VIEWER');
    for (const name of ['public', 'internal', 'confidential', 'restricted']) {
      expect(seen[name].actor).toEqual({ id: `u-${name}`, ip: null, userAgent: null, displayName: 'Ada' });
      expect(seen[name].redactedFields).toEqual(expect.arrayContaining(['actor.ip', 'actor.userAgent']));
    }
    for (const name of ['public', 'internal']) {
      expect(seen[name].metadata).toEqual({ secret: `metadata of ${name}` });
      expect(seen[name].redactedFields).not.toContain('metadata');
    }
    for (const name of ['confidential', 'restricted']) {
      expect(seen[name].metadata).toBeNull();
      expect(seen[name].redactedFields).toContain('metadata');
    }
    // The hashes would let a VIEWER confirm guesses of the withheld values, so they go too — on every
    // event, even one with nothing to redact: its hashes would check a guess of its neighbours (ADR 0016).
    for (const name of ['public', 'internal', 'confidential', 'restricted', 'bare']) {
      expect(seen[name]).toMatchObject({ hash: null, chainHash: null });
      expect(seen[name].redactedFields).toEqual(expect.arrayContaining(['hash', 'chainHash']));
    }
    expect(seen.bare).toMatchObject({ actor: { ip: null, userAgent: null }, metadata: null, redactedFields: ['hash', 'chainHash'] });
    // Redacted values appear nowhere in the answer.
    const raw = JSON.stringify(await env.gql(`{ auditEvents { edges { node { ${SELECTION} } } } }`, {}, keys.VIEWER));
    for (const hidden of ['203.0.113.7', 'redaction test', 'metadata of confidential', 'metadata of restricted']) {
      expect(raw).not.toContain(hidden);
    }
  });

  it.each(['AUDITOR', 'ADMIN'] as const)('shows %s everything', async (role) => {
    const seen = await readAs(role);
    for (const name of ['public', 'internal', 'confidential', 'restricted']) {
      expect(seen[name]).toMatchObject({
        actor: { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (redaction test)' },
        metadata: { secret: `metadata of ${name}` },
        redactedFields: [],
      });
      expect(seen[name].hash).toMatch(/^[0-9a-f]{64}$/);
    }
  });
});

describe('access: API key lifecycle', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(() => env.close());

  const CREATE =
    'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id name role prefix createdAt revokedAt } } }';
  const REVOKE = 'mutation($id: ID!) { revokeApiKey(input: { id: $id }) { id role revokedAt } }';
  const LIST = '{ apiKeys { id name role prefix createdAt revokedAt } }';

  it('creates a key that works at once, lists it without its secret, and refuses it at once once revoked', async () => {
    const created = await env.gql(CREATE, { input: { name: 'ci ingest', role: 'INGEST' } });
    expect(created.body.errors).toBeUndefined();
    const { secret, apiKey } = created.body.data!.createApiKey;
    expect(typeof secret).toBe('string');
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(apiKey).toMatchObject({ name: 'ci ingest', role: 'INGEST', revokedAt: null });
    expect(secret.startsWith(apiKey.prefix)).toBe(true);
    expect(apiKey.prefix.length).toBeLessThan(secret.length / 2);

    // The new key works with its role, and only its role.
    const who = await env.gql('{ viewer { keyId role tenant { id } } }', {}, secret);
    expect(who.body.data!.viewer).toEqual({ keyId: apiKey.id, role: 'INGEST', tenant: { id: 'default' } });
    const recorded = await env.gql(RECORD, { input: { events: [eventInput()] } }, secret);
    expect(recorded.body.errors).toBeUndefined();
    const read = await env.gql('{ auditEvents { totalCount } }', {}, secret);
    expect(read.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');

    // apiKeys lists it, and neither the answer nor the database holds the secret.
    const listed = await env.gql(LIST);
    expect(listed.body.errors).toBeUndefined();
    expect(listed.body.data!.apiKeys).toContainEqual(apiKey);
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    const rows = await env.sql('SELECT * FROM api_key');
    expect(JSON.stringify(rows)).not.toContain(secret);
    expect(JSON.stringify(rows)).not.toContain(secret.slice(apiKey.prefix.length));

    // Revoked: refused on the very next request, and listed as revoked.
    const revoked = await env.gql(REVOKE, { id: apiKey.id });
    expect(revoked.body.errors).toBeUndefined();
    expect(revoked.body.data!.revokeApiKey).toMatchObject({ id: apiKey.id, role: 'INGEST' });
    expect(revoked.body.data!.revokeApiKey.revokedAt).toEqual(expect.any(String));
    for (const query of ['{ viewer { role } }', RECORD]) {
      const refused = await env.gql(query, { input: { events: [eventInput()] } }, secret);
      expect(refused.body.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    }
    const after = await env.gql(LIST);
    const entry = after.body.data!.apiKeys.find((k: { id: string }) => k.id === apiKey.id);
    expect(entry.revokedAt).toBe(revoked.body.data!.revokeApiKey.revokedAt);

    // Revoking again is harmless and keeps the first revocation time.
    const again = await env.gql(REVOKE, { id: apiKey.id });
    expect(again.body.errors).toBeUndefined();
    expect(again.body.data!.revokeApiKey.revokedAt).toBe(revoked.body.data!.revokeApiKey.revokedAt);
  });

  it('hands out a different secret for every key, each bound to its own role', async () => {
    const secrets = new Set<string>();
    for (const role of ['ADMIN', 'AUDITOR', 'INGEST', 'VIEWER']) {
      const created = await env.gql(CREATE, { input: { name: `${role} key`, role } });
      expect(created.body.errors).toBeUndefined();
      const { secret } = created.body.data!.createApiKey;
      secrets.add(secret);
      expect((await env.gql('{ viewer { role } }', {}, secret)).body.data!.viewer.role).toBe(role);
    }
    expect(secrets.size).toBe(4);
    expect(secrets.has(env.adminKey)).toBe(false);
  });

  it('exposes no field that could carry a secret on ApiKey', async () => {
    const res = await env.gql('{ __type(name: "ApiKey") { fields { name } } }');
    const fields = res.body.data!.__type.fields.map((f: { name: string }) => f.name);
    expect(fields.sort()).toEqual(['createdAt', 'id', 'name', 'prefix', 'revokedAt', 'role']);
  });

  it('refuses bad input with a coded error and creates nothing', async () => {
    const count = async () => Number((await env.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM api_key'))[0].n);
    const before = await count();
    for (const name of ['', '   ', 'x'.repeat(129)]) {
      const res = await env.gql(CREATE, { input: { name, role: 'VIEWER' } });
      expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(['INVALID_ARGUMENT']);
    }
    const badRole = await env.gql(CREATE, { input: { name: 'x', role: 'ROOT' } });
    expect(badRole.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const unknown = await env.gql(REVOKE, { id: '00000000-0000-7000-8000-000000000000' });
    expect(unknown.body.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    expect(await count()).toBe(before);
  });
});
