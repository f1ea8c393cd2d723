import { RECORD, VERIFY, createTestEnvironment, eventInput, type GraphQLResponse, type TestEnvironment } from '../helpers/test-environment';

/** Midnight UTC on day `day` of the month `monthsAgo` months before the current one, plus hours. */
const at = (monthsAgo: number, day: number, hours = 12, minutes = 0): string => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - monthsAgo, day, hours, minutes)).toISOString();
};
/** Three whole months before the current one. */
const RANGE = { from: at(3, 1, 0), to: at(0, 1, 0) };
/** The same start, open-ended: up to now (attestations made today count). */
const OPEN = { from: RANGE.from };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const ahead = (ms: number) => new Date(Date.now() + ms).toISOString();

// prettier-ignore
const SOC2_IDS = [
  'CC1.1', 'CC1.2', 'CC1.3', 'CC1.4', 'CC1.5', 'CC2.1', 'CC2.2', 'CC2.3', 'CC3.1', 'CC3.2', 'CC3.3', 'CC3.4', 'CC4.1', 'CC4.2', 'CC5.1',
  'CC5.2', 'CC5.3', 'CC6.1', 'CC6.2', 'CC6.3', 'CC6.4', 'CC6.5', 'CC6.6', 'CC6.7', 'CC6.8', 'CC7.1', 'CC7.2', 'CC7.3', 'CC7.4', 'CC7.5',
  'CC8.1', 'CC9.1', 'CC9.2', 'A1.1', 'A1.2', 'A1.3', 'C1.1', 'C1.2', 'PI1.1', 'PI1.2', 'PI1.3', 'PI1.4', 'PI1.5', 'P1.1', 'P2.1', 'P3.1', 'P3.2', 'P4.1', 'P4.2',
  'P4.3', 'P5.1', 'P5.2', 'P6.1', 'P6.2', 'P6.3', 'P6.4', 'P6.5', 'P6.6', 'P6.7', 'P7.1', 'P8.1',
];

// prettier-ignore
const HIPAA_REQUIRED = [
  '164.308(a)(1)(ii)(A)', '164.308(a)(1)(ii)(B)', '164.308(a)(1)(ii)(C)', '164.308(a)(1)(ii)(D)', '164.308(a)(4)(ii)(A)', '164.308(a)(6)(ii)',
  '164.308(a)(7)(ii)(A)', '164.308(a)(7)(ii)(B)', '164.308(a)(7)(ii)(C)', '164.308(b)(3)', '164.310(d)(2)(i)', '164.310(d)(2)(ii)',
  '164.312(a)(2)(i)', '164.312(a)(2)(ii)', '164.314(a)(2)(i)', '164.314(a)(2)(ii)', '164.314(a)(2)(iii)', '164.314(b)(2)',
  '164.316(b)(2)(i)', '164.316(b)(2)(ii)', '164.316(b)(2)(iii)',
];

// prettier-ignore
const HIPAA_STANDARDS = [
  '164.308(a)(1)', '164.308(a)(2)', '164.308(a)(3)', '164.308(a)(4)', '164.308(a)(5)', '164.308(a)(6)', '164.308(a)(7)', '164.308(a)(8)',
  '164.308(b)(1)', '164.310(a)(1)', '164.310(b)', '164.310(c)', '164.310(d)(1)', '164.312(a)(1)', '164.312(b)', '164.312(c)(1)',
  '164.312(d)', '164.312(e)(1)', '164.314(a)(1)', '164.314(b)(1)', '164.316(a)', '164.316(b)(1)', '164.404', '164.406', '164.408',
  '164.410', '164.412', '164.414',
];

// prettier-ignore
const SOC2_WITH_VIOLATION_RULES = [
  'CC2.1', 'CC6.1', 'CC6.2', 'CC6.3', 'CC6.4', 'CC6.5', 'CC6.6', 'CC6.7', 'CC6.8', 'CC7.1', 'CC7.2', 'CC7.4', 'CC8.1', 'A1.1', 'A1.2', 'A1.3',
  'C1.2', 'PI1.2', 'PI1.3', 'PI1.4', 'PI1.5', 'P4.2', 'P4.3', 'P5.1', 'P6.6', 'P7.1',
];

const ASSESS = `query Assess($input: AssessComplianceInput!) {
  assessCompliance(input: $input) {
    frameworkId from to assessedAt score level coverage cached headSequence headChainHash validUntil asOf recordedBy
    counts { compliant partiallyCompliant nonCompliant observed notAssessed notApplicable total }
    controls {
      controlId status evidenceCount violationCount reason scored
      attestation { status note sequence attestedBy expiresAt }
      rules { ruleId role verdict count periodsChecked periodsMet pending detail }
      sampleEvents { id action sequence actor { id } }
    }
  }
}`;

const ATTEST = `mutation Attest($input: AttestControlInput!) {
  attestControl(input: $input) {
    frameworkId controlId status note attestedAt expiresAt attestedBy sequence
    event { id action sequence classification resource { type id } metadata }
  }
}`;

const EVENT = `query Event($id: String!) {
  auditEvent(id: $id) { id classification categories metadata redactedFields }
}`;

const EVIDENCE = `query Evidence($frameworkId: String!, $id: String!, $first: Int, $after: String) {
  control(frameworkId: $frameworkId, id: $id) {
    id
    evidence(first: $first, after: $after) {
      totalCount
      edges { cursor node { id action sequence outcome { status } actor { id ip } redactedFields } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

type Rule = {
  ruleId: string;
  role: string;
  verdict: string;
  count: number;
  periodsChecked: number | null;
  periodsMet: number | null;
  pending: number | null;
};
type ControlAssessment = {
  controlId: string;
  status: string;
  evidenceCount: number;
  violationCount: number;
  reason: string;
  scored: boolean;
  attestation: { status: string; note: string; sequence: number; attestedBy: string; expiresAt: string } | null;
  rules: Rule[];
  sampleEvents: { id: string; action: string; sequence: number; actor: { id: string } }[];
};
type Assessment = {
  controls: ControlAssessment[];
  counts: Record<'compliant' | 'partiallyCompliant' | 'nonCompliant' | 'observed' | 'notAssessed' | 'notApplicable' | 'total', number>;
  [key: string]: any;
};

const codes = (res: GraphQLResponse) => res.body.errors?.map((e) => e.extensions?.code);
const control = (a: Assessment, id: string) => a.controls.find((c) => c.controlId === id)!;
const rule = (a: Assessment, controlId: string, ruleId: string) => control(a, controlId).rules.find((r) => r.ruleId === ruleId)!;
const ids = (list: { id: string }[]) => list.map((c) => c.id);

/** Five failed sign-ins of one account within four minutes: a burst for SOC 2 CC6.1. */
const failedLoginBurst = (actorId = 'victim') =>
  [0, 1, 2, 3, 4].map((i) => ({
    occurredAt: at(2, 5, 9, i),
    action: 'auth.login',
    outcome: { status: 'FAILURE' },
    actor: { id: actorId, type: 'USER' },
  }));

describe('compliance API', () => {
  let env: TestEnvironment;

  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(async () => {
    await env?.close();
  });

  async function seed(key: string, events: Record<string, unknown>[]): Promise<{ id: string; sequence: number }[]> {
    const res = await env.gql(RECORD, { input: { events: events.map((e) => eventInput(e)) } }, key);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.recordAuditEvents.receipts;
  }
  async function assess(key: string, frameworkId: string, range: { from: string; to?: string | null } = RANGE): Promise<Assessment> {
    const res = await env.gql(ASSESS, { input: { frameworkId, ...range } }, key);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.assessCompliance;
  }
  async function attest(key: string, input: Record<string, unknown>) {
    return env.gql(
      ATTEST,
      {
        input: {
          frameworkId: 'soc2',
          controlId: 'CC2.3',
          status: 'COMPLIANT',
          note: 'Reviewed the signed processor agreements.',
          expiresAt: ahead(90 * DAY),
          ...input,
        },
      },
      key,
    );
  }
  async function verify(key: string) {
    const res = await env.gql(VERIFY, {}, key);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.verifyAuditChain;
  }
  async function countRows(tenant: string, action?: string): Promise<number> {
    const [row] = await env.sql<{ n: unknown }>(
      `SELECT COUNT(*) AS n FROM audit_event WHERE tenant_id = ?${action ? ' AND action = ?' : ''}`,
      action ? [tenant, action] : [tenant],
    );
    return Number(row.n);
  }

  describe('catalog', () => {
    let key: string;
    beforeAll(async () => {
      // The catalog is open to any role; the least privileged key shows it.
      key = await env.createKey('INGEST', 'catalog');
    });
    async function query(q: string, variables?: Record<string, unknown>) {
      const res = await env.gql(q, variables, key);
      expect(res.body.errors).toBeUndefined();
      return res.body.data!;
    }
    const controlIds = async (frameworkId: string, filter?: Record<string, unknown>) =>
      ids(
        (
          await query('query($f: String!, $filter: ControlFilter) { controls(frameworkId: $f, filter: $filter) { id } }', {
            f: frameworkId,
            filter,
          })
        ).controls,
      );

    it('lists the three built-in frameworks with their plugins and control counts', async () => {
      const { frameworks } = await query('{ frameworks { id name version pluginId pluginVersion controlCount } }');
      expect(frameworks.map((f: any) => [f.id, f.pluginId, f.controlCount])).toEqual([
        ['soc2', 'framework-soc2', 61],
        ['hipaa', 'framework-hipaa', 71],
        ['gdpr', 'framework-gdpr', 42],
      ]);
      for (const f of frameworks)
        expect(f).toMatchObject({ name: expect.any(String), version: expect.any(String), pluginVersion: '1.0.0' });
    });

    it('finds one framework by id, and null for an unknown one', async () => {
      expect((await query('{ framework(id: "hipaa") { id controlCount } }')).framework).toEqual({ id: 'hipaa', controlCount: 71 });
      expect((await query('{ framework(id: "nope") { id } }')).framework).toBeNull();
    });

    it('lists every SOC 2 control in catalog order', async () => {
      expect(await controlIds('soc2')).toEqual(SOC2_IDS);
    });

    it('filters controls by tag, parent, top level, text and violation rules', async () => {
      const required = await query('{ controls(frameworkId: "hipaa", filter: { tag: "required" }) { id parentId tags } }');
      expect(ids(required.controls)).toEqual(HIPAA_REQUIRED);
      for (const c of required.controls) {
        expect(c.tags).toContain('required');
        expect(c.tags).not.toContain('addressable');
        expect(c.parentId).not.toBeNull();
      }
      expect(await controlIds('hipaa', { parentId: '164.308(a)(1)' })).toEqual([
        '164.308(a)(1)(ii)(A)',
        '164.308(a)(1)(ii)(B)',
        '164.308(a)(1)(ii)(C)',
        '164.308(a)(1)(ii)(D)',
      ]);
      expect(await controlIds('hipaa', { topLevel: true })).toEqual(HIPAA_STANDARDS);
      expect(await controlIds('hipaa', { topLevel: true, tag: 'technical' })).toEqual([
        '164.312(a)(1)',
        '164.312(b)',
        '164.312(c)(1)',
        '164.312(d)',
        '164.312(e)(1)',
      ]);
      expect(await controlIds('soc2', { search: 'LOGICAL ACCESS SECURITY' })).toEqual(['CC6.1']);
      expect(await controlIds('gdpr', { search: 'breach' })).toEqual([
        'Art. 33',
        'Art. 33(1)',
        'Art. 33(2)',
        'Art. 33(3)',
        'Art. 33(5)',
        'Art. 34',
      ]);
      expect(await controlIds('hipaa', { search: 'audit controls' })).toEqual(['164.312(b)']);
      expect(await controlIds('soc2', { hasViolationRules: true })).toEqual(SOC2_WITH_VIOLATION_RULES);
      expect(await controlIds('soc2', { hasViolationRules: false })).toEqual(
        SOC2_IDS.filter((id) => !SOC2_WITH_VIOLATION_RULES.includes(id)),
      );
      expect(await controlIds('soc2', { search: 'logical access', hasViolationRules: true })).toEqual(['CC6.1', 'CC6.6']);
      expect(await controlIds('soc2', { tag: 'no-such-tag' })).toEqual([]);
    });

    it('answers NOT_FOUND for the controls of an unknown framework', async () => {
      const res = await env.gql('{ controls(frameworkId: "nope") { id } }', {}, key);
      expect(codes(res)).toEqual(['NOT_FOUND']);
    });

    it('shows a HIPAA standard with its children, and a child with its parent', async () => {
      const { control: standard } = await query(
        '{ control(frameworkId: "hipaa", id: "164.308(a)(1)") { id parentId framework { id } parent { id } children { id parentId tags } } }',
      );
      expect(standard).toMatchObject({ id: '164.308(a)(1)', parentId: null, framework: { id: 'hipaa' }, parent: null });
      expect(standard.children).toHaveLength(4);
      expect(standard.children.map((c: any) => c.parentId)).toEqual(Array(4).fill('164.308(a)(1)'));
      expect(ids(standard.children)).toEqual([
        '164.308(a)(1)(ii)(A)',
        '164.308(a)(1)(ii)(B)',
        '164.308(a)(1)(ii)(C)',
        '164.308(a)(1)(ii)(D)',
      ]);

      const { control: child } = await query(
        '{ control(frameworkId: "hipaa", id: "164.308(a)(1)(ii)(D)") { id tags parent { id title } children { id } } }',
      );
      expect(child).toEqual({
        id: '164.308(a)(1)(ii)(D)',
        tags: ['implementation-specification', 'required', 'administrative'],
        parent: { id: '164.308(a)(1)', title: 'Security management process' },
        children: [],
      });
      expect((await query('{ control(frameworkId: "hipaa", id: "CC6.1") { id } }')).control).toBeNull();
      expect((await query('{ control(frameworkId: "nope", id: "CC6.1") { id } }')).control).toBeNull();
    });

    it('gives each rule with its whole definition', async () => {
      const { control: cc61 } = await query(
        '{ control(frameworkId: "soc2", id: "CC6.1") { evidenceRules { id kind description definition } violationRules { id kind definition } } }',
      );
      expect(cc61.evidenceRules.map((r: any) => r.id)).toEqual([
        'successful-logins',
        'mfa-verified',
        'mfa-coverage',
        'accounts-locked',
        'unauthorized-calls-refused',
      ]);
      expect(cc61.evidenceRules[0]).toEqual({
        id: 'successful-logins',
        kind: 'MATCH',
        description: 'Successful sign-ins are recorded',
        definition: {
          id: 'successful-logins',
          kind: 'MATCH',
          description: 'Successful sign-ins are recorded',
          match: { action: [{ equals: 'auth.login' }], outcome: ['SUCCESS'] },
        },
      });
      expect(cc61.violationRules[0]).toMatchObject({
        id: 'repeated-failed-logins',
        kind: 'BURST',
        definition: {
          match: { action: [{ equals: 'auth.login' }], outcome: ['FAILURE'] },
          count: 5,
          within: { minutes: 10 },
          correlation: 'ACTOR',
        },
      });
      const { control: art33 } = await query(
        '{ control(frameworkId: "gdpr", id: "Art. 33(1)") { violationRules { id kind definition } } }',
      );
      expect(art33.violationRules[0]).toEqual({
        id: 'breach-not-notified',
        kind: 'NOT_FOLLOWED_BY',
        definition: expect.objectContaining({
          trigger: { action: [{ equals: 'breach.detected' }], metadata: [{ path: 'notifiable', equals: true }] },
          followUp: { action: [{ equals: 'breach.notified.authority' }], outcome: ['SUCCESS'] },
          // The parameter resolved to its default.
          within: { hours: 72 },
          correlation: 'RESOURCE',
        }),
      });
    });

    describe('mappings, seen from every side', () => {
      const MAPPINGS =
        'query($f: String!, $id: String!) { control(frameworkId: $f, id: $id) { mappings { frameworkId controlId relationship direction } } }';
      const mappings = async (frameworkId: string, id: string) =>
        (await query(MAPPINGS, { f: frameworkId, id })).control.mappings.map(
          (m: any) => `${m.frameworkId} ${m.controlId} ${m.relationship} ${m.direction}`,
        ) as string[];

      it('links hipaa 164.312(b), soc2 CC7.2 and gdpr Art. 32, not the register of processing (Art. 30)', async () => {
        expect(await mappings('hipaa', '164.312(b)')).toEqual(['soc2 CC7.2 INTERSECTS INVERSE', 'gdpr Art. 32 INTERSECTS DECLARED']);
        expect(await mappings('soc2', 'CC7.2')).toContain('hipaa 164.312(b) INTERSECTS DECLARED');
        // Monitoring for anomalies is not the register of processing (GDPR Art. 30): SOC 2 declares no link to it.
        expect(await mappings('soc2', 'CC7.2')).not.toContain('gdpr Art. 30 INTERSECTS DECLARED');
        expect(await mappings('gdpr', 'Art. 30')).not.toContain('hipaa 164.312(b) INTERSECTS INVERSE');
        expect(await mappings('gdpr', 'Art. 32')).toEqual(expect.arrayContaining(['hipaa 164.312(b) INTERSECTS INVERSE']));
      });

      it('inverts a SUBSET mapping into SUPERSET on the other side', async () => {
        expect(await mappings('soc2', 'CC6.1')).toContain('gdpr Art. 32 SUBSET DECLARED');
        const art32 = await mappings('gdpr', 'Art. 32');
        expect(art32).toContain('soc2 CC6.1 SUPERSET INVERSE');
        expect(art32.filter((m) => m.startsWith('soc2 CC6.1 '))).toHaveLength(1);
      });
    });

    it('lists data categories, built-in and from plugins', async () => {
      const { dataCategories } = await query('{ dataCategories { id description source } }');
      expect(dataCategories).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ id: 'PHI', source: 'built-in' }),
          expect.objectContaining({ id: 'PII', source: 'built-in' }),
          expect.objectContaining({ id: 'SPECIAL_CATEGORY', source: 'framework-gdpr' }),
        ]),
      );
      expect(dataCategories.map((c: any) => c.id).indexOf('PHI')).toBeLessThan(
        dataCategories.map((c: any) => c.id).indexOf('SPECIAL_CATEGORY'),
      );
      expect(new Set(dataCategories.map((c: any) => c.id)).size).toBe(dataCategories.length);
    });

    it('lists classification levels in rank order', async () => {
      const { classificationLevels } = await query('{ classificationLevels { level rank description } }');
      expect(classificationLevels.map((l: any) => [l.level, l.rank])).toEqual([
        ['PUBLIC', 0],
        ['INTERNAL', 1],
        ['CONFIDENTIAL', 2],
        ['RESTRICTED', 3],
      ]);
    });
  });

  describe('classification at ingest', () => {
    const TENANT = 'classify';
    let receipts: { id: string; sequence: number }[];
    let auditor: string;

    beforeAll(async () => {
      auditor = await env.createKey('AUDITOR', TENANT);
      receipts = await seed(await env.createKey('INGEST', TENANT), [
        // 0: nothing given → the HIPAA rule decides both
        {
          action: 'record.read',
          resource: { type: 'patient_record.lab', id: 'lab-1' },
          classification: undefined,
          metadata: { result: 'A+' },
        },
        // 1: classification given, categories left out
        {
          action: 'record.read',
          resource: { type: 'patient_record.lab', id: 'lab-2' },
          classification: 'CONFIDENTIAL',
          metadata: { result: 'B' },
        },
        // 2: categories given, classification left out
        { action: 'record.read', resource: { type: 'patient_record.lab', id: 'lab-3' }, classification: undefined, categories: ['PII'] },
        // 3: no rule applies
        { action: 'auth.login', resource: { type: 'session', id: 's-1' }, classification: undefined, metadata: { any: 'json' } },
      ]);
    });

    async function event(id: string, key = auditor) {
      const res = await env.gql(EVENT, { id }, key);
      expect(res.body.errors).toBeUndefined();
      return res.body.data!.auditEvent;
    }
    async function stored(sequence: number) {
      const [row] = await env.sql<{ classification: unknown }>(
        'SELECT classification FROM audit_event WHERE tenant_id = ? AND sequence = ?',
        [TENANT, sequence],
      );
      const labels = await env.sql<{ value: string }>(
        "SELECT value FROM audit_event_label WHERE tenant_id = ? AND sequence = ? AND kind = 'category' ORDER BY value",
        [TENANT, sequence],
      );
      return { classification: Number(row.classification), categories: labels.map((l) => l.value) };
    }

    it('stores an unclassified PHI resource as RESTRICTED with PHI', async () => {
      expect(await event(receipts[0].id)).toMatchObject({ classification: 'RESTRICTED', categories: ['PHI'], metadata: { result: 'A+' } });
      expect(await stored(receipts[0].sequence)).toEqual({ classification: 3, categories: ['PHI'] });
    });

    it('keeps a given classification and still fills in the categories left out', async () => {
      expect(await event(receipts[1].id)).toMatchObject({ classification: 'CONFIDENTIAL', categories: ['PHI'] });
      expect(await stored(receipts[1].sequence)).toEqual({ classification: 2, categories: ['PHI'] });
    });

    it('keeps given categories exactly, and still fills in the classification left out', async () => {
      expect(await event(receipts[2].id)).toMatchObject({ classification: 'RESTRICTED', categories: ['PII'] });
      expect(await stored(receipts[2].sequence)).toEqual({ classification: 3, categories: ['PII'] });
    });

    it('leaves an event no rule matches INTERNAL without categories', async () => {
      expect(await event(receipts[3].id)).toMatchObject({ classification: 'INTERNAL', categories: [] });
      expect(await stored(receipts[3].sequence)).toEqual({ classification: 1, categories: [] });
    });

    it('redacts for VIEWER keys by the classification the rules gave', async () => {
      const viewer = await env.createKey('VIEWER', TENANT);
      const restricted = await event(receipts[0].id, viewer);
      expect(restricted.metadata).toBeNull();
      expect(restricted.redactedFields).toContain('metadata');
      expect((await event(receipts[1].id, viewer)).metadata).toBeNull();
      const internal = await event(receipts[3].id, viewer);
      expect(internal.metadata).toEqual({ any: 'json' });
      expect(internal.redactedFields).not.toContain('metadata');
    });

    it('hashes the classified event: the chain verifies', async () => {
      expect(await verify(auditor)).toMatchObject({ valid: true, firstFailure: null, checkedCount: 4, headSequence: 4 });
    });
  });

  describe('reserved actions', () => {
    const TENANT = 'reserved';
    let ingest: string;
    let auditor: string;

    beforeAll(async () => {
      ingest = await env.createKey('INGEST', TENANT);
      auditor = await env.createKey('AUDITOR', TENANT);
      await seed(ingest, [{ action: 'auth.login' }]);
    });

    it.each(['datapunk.control.attested', 'datapunk.anything', 'datapunk.authorization.denied'])(
      'refuses a client event with action %s and writes nothing',
      async (action) => {
        const before = await verify(auditor);
        const res = await env.gql(RECORD, { input: { events: [eventInput({ action })] } }, ingest);
        expect(codes(res)).toEqual(['INVALID_EVENT']);
        expect(res.body.errors![0].extensions!.problems.map((p: { path: string }) => p.path)).toEqual(['events[0].action']);
        const after = await verify(auditor);
        expect([after.headSequence, after.headChainHash]).toEqual([before.headSequence, before.headChainHash]);
        expect(await countRows(TENANT, action)).toBe(0);
      },
    );

    it('refuses the whole batch when one event uses a reserved action', async () => {
      const rows = await countRows(TENANT);
      const res = await env.gql(
        RECORD,
        { input: { events: [eventInput({ action: 'auth.logout' }), eventInput({ action: 'datapunk.control.attested' })] } },
        ingest,
      );
      expect(codes(res)).toEqual(['INVALID_EVENT']);
      expect(res.body.errors![0].extensions!.problems.map((p: { path: string }) => p.path)).toEqual(['events[1].action']);
      expect(await countRows(TENANT)).toBe(rows);
    });

    it('still accepts actions that only resemble the reserved prefix', async () => {
      await seed(ingest, [{ action: 'datapunkx.control.attested' }, { action: 'app.datapunk.control' }]);
      expect(await countRows(TENANT, 'datapunk.control.attested')).toBe(0);
    });
  });

  describe('attestControl', () => {
    describe('refusals', () => {
      const TENANT = 'attest-refused';
      let auditor: string;

      beforeAll(async () => {
        auditor = await env.createKey('AUDITOR', TENANT);
        await seed(await env.createKey('INGEST', TENANT), [{ action: 'auth.login' }]);
      });

      it.each<[string, string, Record<string, unknown>]>([
        ['an unknown framework', 'NOT_FOUND', { frameworkId: 'nope' }],
        ['an unknown control', 'NOT_FOUND', { controlId: 'CC99.9' }],
        ['a control of another framework', 'NOT_FOUND', { frameworkId: 'gdpr', controlId: 'CC2.3' }],
        ['status NOT_ASSESSED', 'INVALID_ARGUMENT', { status: 'NOT_ASSESSED' }],
        ['status OBSERVED', 'INVALID_ARGUMENT', { status: 'OBSERVED' }],
        ['an empty note', 'INVALID_ARGUMENT', { note: '' }],
        ['a blank note', 'INVALID_ARGUMENT', { note: ' \t  ' }],
        ['a note over 2000 characters', 'INVALID_ARGUMENT', { note: 'x'.repeat(2001) }],
        ['expiresAt in the past', 'INVALID_ARGUMENT', { expiresAt: ago(60_000) }],
        ['expiresAt more than three years ahead', 'INVALID_ARGUMENT', { expiresAt: ahead((3 * 366 + 2) * DAY) }],
      ])('refuses %s with %s and records nothing', async (_name, code, input) => {
        const before = await countRows(TENANT);
        const res = await attest(auditor, input);
        expect(codes(res)).toEqual([code]);
        expect(res.body.data ?? null).toBeNull();
        expect(await countRows(TENANT)).toBe(before);
        expect(await countRows(TENANT, 'datapunk.control.attested')).toBe(0);
      });

      it.each(['INGEST', 'VIEWER'] as const)('refuses a %s key with FORBIDDEN and records no attestation', async (role) => {
        const res = await attest(await env.createKey(role, TENANT), {});
        expect(codes(res)).toEqual(['FORBIDDEN']);
        expect(await countRows(TENANT, 'datapunk.control.attested')).toBe(0);
      });

      it('accepts an expiry just within three years', async () => {
        const res = await attest(auditor, { expiresAt: ahead(3 * 365 * DAY) });
        expect(res.body.errors).toBeUndefined();
        expect(await countRows(TENANT, 'datapunk.control.attested')).toBe(1);
      });
    });

    it('records the attestation as a chain event that makes a control NOT_APPLICABLE and takes it out of coverage', async () => {
      const TENANT = 'attest-na';
      const { key, secret: auditor } = await env.app.services.apiKeys.create(TENANT, 'AUDITOR' as never, 'auditor');
      await seed(await env.createKey('INGEST', TENANT), [{ occurredAt: at(1, 2), action: 'auth.login' }]);
      const before = await assess(auditor, 'soc2', OPEN);
      expect(control(before, 'CC1.1')).toMatchObject({ status: 'NOT_ASSESSED', attestation: null });
      expect(control(before, 'CC4.1').status).toBe('NOT_ASSESSED');

      const expiresAt = ahead(180 * DAY);
      const res = await attest(auditor, {
        controlId: 'CC1.1',
        status: 'NOT_APPLICABLE',
        note: '  No board: a sole proprietorship.  ',
        expiresAt,
      });
      expect(res.body.errors).toBeUndefined();
      const attestation = res.body.data!.attestControl;
      expect(attestation).toMatchObject({
        frameworkId: 'soc2',
        controlId: 'CC1.1',
        status: 'NOT_APPLICABLE',
        note: 'No board: a sole proprietorship.',
        expiresAt,
        attestedBy: key.id,
        event: {
          action: 'datapunk.control.attested',
          sequence: attestation.sequence,
          resource: { type: 'compliance_control', id: 'soc2:CC1.1' },
          metadata: {
            frameworkId: 'soc2',
            controlId: 'CC1.1',
            status: 'NOT_APPLICABLE',
            note: 'No board: a sole proprietorship.',
            expiresAt,
          },
        },
      });
      expect(await verify(auditor)).toMatchObject({ valid: true, headSequence: attestation.sequence });

      const after = await assess(auditor, 'soc2', OPEN);
      expect(after.cached).toBe(false);
      expect(control(after, 'CC1.1')).toMatchObject({
        status: 'NOT_APPLICABLE',
        attestation: { status: 'NOT_APPLICABLE', sequence: attestation.sequence, attestedBy: key.id },
      });
      // An auditor's attestation is not management's own monitoring (CC4.1): no evidence there.
      expect(control(after, 'CC4.1')).toMatchObject({ status: control(before, 'CC4.1').status, evidenceCount: 0 });
      expect(after.counts).toEqual({
        ...before.counts,
        notAssessed: before.counts.notAssessed - 1,
        notApplicable: before.counts.notApplicable + 1,
      });
      const coverage = ({ counts: c }: Assessment) =>
        (c.compliant + c.partiallyCompliant + c.nonCompliant) /
        (c.compliant + c.partiallyCompliant + c.nonCompliant + c.observed + c.notAssessed);
      expect(before.coverage).toBeCloseTo(coverage(before), 10);
      expect(after.coverage).toBeCloseTo(coverage(after), 10);
      expect(after.coverage).toBeGreaterThan(before.coverage);
    });

    it('does not let an attestation of COMPLIANT hide a finding', async () => {
      const TENANT = 'attest-finding';
      const auditor = await env.createKey('AUDITOR', TENANT);
      await seed(await env.createKey('INGEST', TENANT), [{ occurredAt: at(2, 3), action: 'auth.login' }, ...failedLoginBurst()]);
      expect(control(await assess(auditor, 'soc2', OPEN), 'CC6.1').status).toBe('NON_COMPLIANT');

      const res = await attest(auditor, { controlId: 'CC6.1', status: 'COMPLIANT', note: 'Access controls were tested.' });
      expect(res.body.errors).toBeUndefined();
      const after = control(await assess(auditor, 'soc2', OPEN), 'CC6.1');
      expect(after).toMatchObject({ status: 'NON_COMPLIANT', violationCount: 1, attestation: { status: 'COMPLIANT' } });
      expect(after.reason).toMatch(/attest/i);
    });

    it('affects only the tenant that attested, and only ranges that end after it', async () => {
      const auditorA = await env.createKey('AUDITOR', 'attest-tenant-a');
      const auditorB = await env.createKey('AUDITOR', 'attest-tenant-b');
      for (const tenant of ['attest-tenant-a', 'attest-tenant-b']) {
        await seed(await env.createKey('INGEST', tenant), [{ occurredAt: at(1, 2), action: 'auth.login' }]);
      }
      const res = await attest(auditorA, { controlId: 'CC2.3', status: 'COMPLIANT' });
      expect(res.body.errors).toBeUndefined();

      expect(control(await assess(auditorA, 'soc2', OPEN), 'CC2.3')).toMatchObject({
        status: 'COMPLIANT',
        attestation: { status: 'COMPLIANT' },
      });
      expect(control(await assess(auditorB, 'soc2', OPEN), 'CC2.3')).toMatchObject({ status: 'NOT_ASSESSED', attestation: null });
      // A range that ended at the start of this month cannot count today's attestation.
      expect(control(await assess(auditorA, 'soc2', RANGE), 'CC2.3')).toMatchObject({ status: 'NOT_ASSESSED', attestation: null });
    });

    it('lets the latest attestation of a control replace the earlier one', async () => {
      const TENANT = 'attest-again';
      const auditor = await env.createKey('AUDITOR', TENANT);
      await seed(await env.createKey('INGEST', TENANT), [{ occurredAt: at(1, 2), action: 'auth.login' }]);
      expect((await attest(auditor, { controlId: 'CC2.3', status: 'COMPLIANT' })).body.errors).toBeUndefined();
      const second = await attest(auditor, { controlId: 'CC2.3', status: 'PARTIALLY_COMPLIANT', note: 'One contract is unsigned.' });
      expect(second.body.errors).toBeUndefined();
      expect(control(await assess(auditor, 'soc2', OPEN), 'CC2.3')).toMatchObject({
        status: 'PARTIALLY_COMPLIANT',
        attestation: {
          status: 'PARTIALLY_COMPLIANT',
          note: 'One contract is unsigned.',
          sequence: second.body.data!.attestControl.sequence,
        },
      });
    });

    it('stops applying an attestation once it has expired', async () => {
      const TENANT = 'attest-expiry';
      const auditor = await env.createKey('AUDITOR', TENANT);
      await seed(await env.createKey('INGEST', TENANT), [{ occurredAt: at(1, 2), action: 'auth.login' }]);
      const lasting = await attest(auditor, { controlId: 'CC2.2', status: 'COMPLIANT', note: 'Policies were read.' });
      expect(lasting.body.errors).toBeUndefined();
      const short = await attest(auditor, { controlId: 'CC2.3', status: 'COMPLIANT', expiresAt: ahead(60_000) });
      expect(short.body.errors).toBeUndefined();
      const expiresAt: string = short.body.data!.attestControl.expiresAt;

      const during = await assess(auditor, 'soc2', OPEN);
      expect(control(during, 'CC2.3')).toMatchObject({ status: 'COMPLIANT', attestation: { expiresAt } });
      // The answer is only good until the attestation lapses (or, sooner, a week or month of a recurring rule ends).
      const now = new Date();
      const nextMonday = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 7 - ((now.getUTCDay() + 6) % 7));
      const nextMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
      expect(during.validUntil).toBe(new Date(Math.min(Date.parse(expiresAt), nextMonday, nextMonth)).toISOString());

      // Asked again as if a millisecond after the expiry (the service takes the clock as an argument).
      const later = new Date(Date.parse(expiresAt) + 1);
      const afterwards = await env.app.services.compliance.assess(TENANT, { frameworkId: 'soc2', from: OPEN.from }, later);
      expect(afterwards.cached).toBe(false);
      expect(afterwards.headSequence).toBe(during.headSequence);
      const status = (id: string) => afterwards.controls.find((c) => c.controlId === id)!;
      expect(status('CC2.3')).toMatchObject({ status: 'NOT_ASSESSED', attestation: null });
      expect(status('CC2.2')).toMatchObject({ status: 'COMPLIANT', attestation: { status: 'COMPLIANT' } });
    });
  });

  describe('assessCompliance', () => {
    describe('refusals', () => {
      const TENANT = 'assess-refused';
      let auditor: string;
      beforeAll(async () => {
        auditor = await env.createKey('AUDITOR', TENANT);
      });
      const refused = async (input: Record<string, unknown>, key = auditor) => codes(await env.gql(ASSESS, { input }, key));

      it('answers NOT_FOUND for an unknown framework', async () => {
        expect(await refused({ frameworkId: 'nope', ...RANGE })).toEqual(['NOT_FOUND']);
      });

      it('answers INVALID_ARGUMENT for an empty or reversed range and for a start in the future', async () => {
        expect(await refused({ frameworkId: 'soc2', from: RANGE.to, to: RANGE.to })).toEqual(['INVALID_ARGUMENT']);
        expect(await refused({ frameworkId: 'soc2', from: RANGE.to, to: RANGE.from })).toEqual(['INVALID_ARGUMENT']);
        expect(await refused({ frameworkId: 'soc2', from: ahead(DAY) })).toEqual(['INVALID_ARGUMENT']);
      });

      it.each(['INGEST', 'VIEWER'] as const)('answers FORBIDDEN to a %s key', async (role) => {
        expect(await refused({ frameworkId: 'soc2', ...RANGE }, await env.createKey(role, TENANT))).toEqual(['FORBIDDEN']);
      });
    });

    it('assesses an empty tenant as NOT_ASSESSED throughout, without a score', async () => {
      const auditor = await env.createKey('AUDITOR', 'assess-empty');
      const chain = await verify(auditor);
      for (const [frameworkId, total] of [
        ['soc2', 61],
        ['gdpr', 42],
      ] as const) {
        const a = await assess(auditor, frameworkId);
        expect(a).toMatchObject({ frameworkId, score: null, level: 'NOT_ASSESSED', coverage: 0, headSequence: 0 });
        expect(a.headChainHash).toBe(chain.headChainHash);
        expect(a.controls).toHaveLength(total);
        expect(a.controls.filter((c) => c.status !== 'NOT_ASSESSED')).toEqual([]);
        expect(a.counts).toMatchObject({ notAssessed: a.counts.total, compliant: 0, nonCompliant: 0, notApplicable: 0 });
      }
    });

    it('judges no period before the trail began: an empty tenant has nothing assessed in HIPAA either', async () => {
      const a = await assess(await env.createKey('AUDITOR', 'assess-empty-hipaa'), 'hipaa');
      expect(a.controls).toHaveLength(71);
      expect(a.controls.filter((c) => c.status !== 'NOT_ASSESSED')).toEqual([]);
      expect(rule(a, '164.308(a)(1)(ii)(D)', 'missed-activity-review')).toMatchObject({ verdict: 'CLEAR', count: 0, periodsChecked: 0 });
      expect(a).toMatchObject({ score: null, level: 'NOT_ASSESSED', headSequence: 0 });
    });

    it('names the chain head it describes, as verifyAuditChain does', async () => {
      const TENANT = 'assess-head';
      const auditor = await env.createKey('AUDITOR', TENANT);
      await seed(await env.createKey('INGEST', TENANT), [
        { occurredAt: at(2, 3), action: 'auth.login' },
        { occurredAt: at(1, 3), action: 'auth.logout' },
      ]);
      const a = await assess(auditor, 'soc2');
      const chain = await verify(auditor);
      expect(chain.headSequence).toBe(2);
      expect([a.headSequence, a.headChainHash]).toEqual([chain.headSequence, chain.headChainHash]);
    });

    it('answers sample events only from the caller’s tenant', async () => {
      const receiptsA = await seed(await env.createKey('INGEST', 'samples-a'), [
        { occurredAt: at(2, 3), action: 'auth.login', actor: { id: 'alice', type: 'USER' } },
        { occurredAt: at(2, 4), action: 'auth.login', actor: { id: 'alice', type: 'USER' } },
      ]);
      // Tenant B has events at the same sequences: samples must not be looked up by sequence alone.
      await seed(await env.createKey('INGEST', 'samples-b'), [
        { occurredAt: at(2, 3), action: 'auth.login', actor: { id: 'bob', type: 'USER' } },
        { occurredAt: at(2, 4), action: 'auth.login', actor: { id: 'bob', type: 'USER' } },
      ]);
      const a = await assess(await env.createKey('AUDITOR', 'samples-a'), 'soc2');
      const samples = control(a, 'CC6.1').sampleEvents;
      expect(samples.map((e) => [e.id, e.sequence, e.actor.id])).toEqual([
        [receiptsA[1].id, receiptsA[1].sequence, 'alice'],
        [receiptsA[0].id, receiptsA[0].sequence, 'alice'],
      ]);
      const rows = await env.sql<{ tenant_id: string }>(
        `SELECT tenant_id FROM audit_event WHERE id IN (?, ?)`,
        samples.map((e) => e.id),
      );
      expect(rows.map((r) => r.tenant_id)).toEqual(['samples-a', 'samples-a']);
    });

    it('keeps a finding of one tenant out of another tenant’s assessment', async () => {
      await seed(await env.createKey('INGEST', 'isolation-a'), [{ occurredAt: at(2, 3), action: 'auth.login' }, ...failedLoginBurst()]);
      await seed(await env.createKey('INGEST', 'isolation-b'), [{ occurredAt: at(2, 3), action: 'auth.login' }]);
      const a = await assess(await env.createKey('AUDITOR', 'isolation-a'), 'soc2');
      const b = await assess(await env.createKey('AUDITOR', 'isolation-b'), 'soc2');
      expect(control(a, 'CC6.1')).toMatchObject({ status: 'NON_COMPLIANT', violationCount: 1 });
      // One sign-in without a second factor: the MFA coverage duty is tested and not met, and no finding stands.
      expect(control(b, 'CC6.1')).toMatchObject({ status: 'PARTIALLY_COMPLIANT', violationCount: 0 });
      expect(rule(b, 'CC6.1', 'repeated-failed-logins')).toMatchObject({ verdict: 'CLEAR', count: 0 });
    });

    it('GDPR Art. 33: a breach detected an hour ago is pending, and the answer holds until its deadline', async () => {
      const TENANT = 'gdpr-pending';
      const detectedAt = ago(HOUR);
      await seed(await env.createKey('INGEST', TENANT), [
        { occurredAt: detectedAt, action: 'breach.detected', resource: { type: 'breach', id: 'BR-9' }, metadata: { notifiable: true } },
      ]);
      const a = await assess(await env.createKey('AUDITOR', TENANT), 'gdpr', OPEN);
      expect(rule(a, 'Art. 33(1)', 'breach-not-notified')).toMatchObject({ role: 'VIOLATION', verdict: 'CLEAR', count: 0, pending: 1 });
      expect(rule(a, 'Art. 33(1)', 'notified-in-time')).toMatchObject({ role: 'EVIDENCE', verdict: 'NONE', count: 0, pending: 1 });
      // Nothing of 33(1) is judged yet; the decision to notify is documented (33(5)), so the article is shown in part.
      expect(control(a, 'Art. 33(1)').status).toBe('NOT_ASSESSED');
      expect(control(a, 'Art. 33(5)').status).toBe('COMPLIANT');
      expect(control(a, 'Art. 33').status).toBe('PARTIALLY_COMPLIANT');
      expect(a.to).toBeNull();
      // GDPR's recurrences are recency windows and a 31-day gap, which run out later: the deadline is the next change.
      expect(a.validUntil).toBe(new Date(Date.parse(detectedAt) + 72 * HOUR).toISOString());
    });

    it('GDPR Art. 15: an access request unanswered after 40 days is non-compliant', async () => {
      const TENANT = 'gdpr-dsar';
      await seed(await env.createKey('INGEST', TENANT), [
        { occurredAt: ago(40 * DAY), action: 'dsar.received', resource: { type: 'dsar', id: 'DSAR-1' }, metadata: { type: 'access' } },
        // Answered in time, but a different request: it does not answer DSAR-1.
        { occurredAt: ago(39 * DAY), action: 'dsar.received', resource: { type: 'dsar', id: 'DSAR-2' }, metadata: { type: 'access' } },
        { occurredAt: ago(38 * DAY), action: 'dsar.fulfilled', resource: { type: 'dsar', id: 'DSAR-2' } },
      ]);
      const a = await assess(await env.createKey('AUDITOR', TENANT), 'gdpr', OPEN);
      expect(control(a, 'Art. 15')).toMatchObject({ status: 'NON_COMPLIANT', violationCount: 1 });
      expect(rule(a, 'Art. 15', 'request-not-answered')).toMatchObject({ verdict: 'FINDING', count: 1 });
      // Two requests judged, one answered in time: the population test holds only in part.
      expect(rule(a, 'Art. 15', 'requests-answered-in-time')).toMatchObject({ verdict: 'PARTIAL', count: 1 });
      // Within the extended limit of three months, DSAR-1 is still pending there.
      expect(rule(a, 'Art. 15', 'request-past-extended-limit')).toMatchObject({ verdict: 'CLEAR', pending: 1 });
    });

    it('HIPAA 164.308(a)(5)(ii)(B): malware not quarantined in time is non-compliant and rolls up to the standard', async () => {
      const TENANT = 'hipaa-malware';
      await seed(await env.createKey('INGEST', TENANT), [
        { occurredAt: at(2, 5, 9), action: 'malware.detected', resource: { type: 'malware_detection', id: 'd-7' } },
        { occurredAt: at(2, 8, 9), action: 'malware.quarantined', resource: { type: 'malware_detection', id: 'd-7' } },
      ]);
      const a = await assess(await env.createKey('AUDITOR', TENANT), 'hipaa');
      expect(control(a, '164.308(a)(5)(ii)(B)')).toMatchObject({ status: 'NON_COMPLIANT', violationCount: 1, scored: true });
      expect(rule(a, '164.308(a)(5)(ii)(B)', 'malware-not-quarantined')).toMatchObject({ verdict: 'FINDING', count: 1 });
      expect(control(a, '164.308(a)(5)')).toMatchObject({ status: 'NON_COMPLIANT', scored: false });
    });

    it('GDPR Art. 33: a notification exactly 72 hours after detection is in time, one millisecond later is not', async () => {
      const TENANT = 'gdpr-deadline';
      const plus = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();
      await seed(await env.createKey('INGEST', TENANT), [
        { occurredAt: at(2, 1, 8), action: 'breach.detected', resource: { type: 'breach', id: 'BR-1' }, metadata: { notifiable: true } },
        { occurredAt: plus(at(2, 1, 8), 72 * HOUR), action: 'breach.notified.authority', resource: { type: 'breach', id: 'BR-1' } },
        { occurredAt: at(2, 10, 8), action: 'breach.detected', resource: { type: 'breach', id: 'BR-2' }, metadata: { notifiable: true } },
        { occurredAt: plus(at(2, 10, 8), 72 * HOUR + 1), action: 'breach.notified.authority', resource: { type: 'breach', id: 'BR-2' } },
      ]);
      const auditor = await env.createKey('AUDITOR', TENANT);
      const a = await assess(auditor, 'gdpr');
      expect(rule(a, 'Art. 33(1)', 'notified-in-time')).toMatchObject({ verdict: 'PARTIAL', count: 1, pending: 0 });
      expect(rule(a, 'Art. 33(1)', 'breach-not-notified')).toMatchObject({ verdict: 'FINDING', count: 1, pending: 0 });
      expect(control(a, 'Art. 33(1)')).toMatchObject({ status: 'NON_COMPLIANT', violationCount: 1 });
      // The article rolls its paragraphs up.
      expect(control(a, 'Art. 33')).toMatchObject({ status: 'NON_COMPLIANT', violationCount: 1 });
      // Evidence of a temporal rule: its triggers and its follow-ups.
      const res = await env.gql(EVIDENCE, { frameworkId: 'gdpr', id: 'Art. 33(1)', first: 10 }, auditor);
      expect(res.body.data!.control.evidence.edges.map((e: any) => e.node.action)).toEqual([
        'breach.notified.authority',
        'breach.detected',
        'breach.notified.authority',
        'breach.detected',
      ]);
    });

    it('SOC 2 CC6.1: five failed sign-ins spanning exactly ten minutes are a burst, spanning a second more are not', async () => {
      const TENANT = 'burst-window';
      const start = Date.parse(at(2, 5, 9));
      const failures = (actorId: string, spanMs: number) =>
        [0, 1, 2, 3, 4].map((i) => ({
          occurredAt: new Date(start + (spanMs * i) / 4).toISOString(),
          action: 'auth.login',
          outcome: { status: 'FAILURE' },
          actor: { id: actorId, type: 'USER' },
        }));
      await seed(await env.createKey('INGEST', TENANT), [...failures('exactly', 10 * 60_000), ...failures('longer', 10 * 60_000 + 1000)]);
      const a = await assess(await env.createKey('AUDITOR', TENANT), 'soc2');
      expect(rule(a, 'CC6.1', 'repeated-failed-logins')).toMatchObject({ verdict: 'FINDING', count: 1 });
      // The newest sample is the fifth failure of the account that had the burst.
      const finding = control(a, 'CC6.1').sampleEvents.filter((e) => e.action === 'auth.login');
      expect(finding.map((e) => e.actor.id)).toEqual(['exactly']);
    });

    it('GDPR Art. 9 and 10: category rules see the categories classification rules gave at ingest, and PHI is special-category data', async () => {
      const TENANT = 'gdpr-categories';
      await seed(await env.createKey('INGEST', TENANT), [
        // No categories sent: the GDPR rule for customer resources labels it PII.
        { occurredAt: at(2, 3), action: 'customer.read', resource: { type: 'customer', id: 'c-1' }, classification: undefined },
        { occurredAt: at(2, 4), action: 'customer.read', resource: { type: 'customer', id: 'c-2' }, outcome: { status: 'DENIED' } },
        // Both sensitive categories on one event: one matching event, not two.
        {
          occurredAt: at(2, 5),
          action: 'case.read',
          resource: { type: 'case', id: 'k-1' },
          categories: ['SPECIAL_CATEGORY', 'CRIMINAL_OFFENCE'],
        },
        { occurredAt: at(2, 6), action: 'case.read', resource: { type: 'case', id: 'k-2' }, categories: ['PHI'] },
      ]);
      const auditor = await env.createKey('AUDITOR', TENANT);
      const a = await assess(auditor, 'gdpr');
      // Both sensitive events, the PHI one included: health data is special-category data.
      expect(rule(a, 'Art. 9', 'special-category-processing-recorded')).toMatchObject({ verdict: 'MET', count: 2 });
      expect(rule(a, 'Art. 10', 'criminal-offence-processing-recorded')).toMatchObject({ verdict: 'MET', count: 1 });
      // The customer read refused was classified PII at ingest.
      expect(rule(a, 'Art. 32(1)(b)', 'personal-data-access-refused')).toMatchObject({ verdict: 'MET', count: 1 });
      expect(control(a, 'Art. 9')).toMatchObject({ status: 'OBSERVED', evidenceCount: 2 });
      // The evidence connection applies the same category rules, row by row.
      const res = await env.gql(EVIDENCE, { frameworkId: 'gdpr', id: 'Art. 9', first: 10 }, auditor);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.control.evidence.totalCount).toBe(2);
      expect(res.body.data!.control.evidence.edges.map((e: any) => e.node.sequence)).toEqual([4, 3]);
    });

    it('serves the same question about the same chain head from the cache', async () => {
      const TENANT = 'assess-cache';
      const auditor = await env.createKey('AUDITOR', TENANT);
      await seed(await env.createKey('INGEST', TENANT), [{ occurredAt: at(2, 3), action: 'auth.login' }]);
      const first = await assess(auditor, 'hipaa');
      const second = await assess(auditor, 'hipaa');
      expect(first.cached).toBe(false);
      // A range that is over is judged as of its end; its answer can change only while events may
      // still be recorded on time (this suite's lag is a century), and never after.
      expect(first.validUntil).toBe(first.recordedBy);
      expect(first.asOf).toBe(first.to);
      expect(second.cached).toBe(true);
      expect(second).toEqual({ ...first, cached: true });
    });
  });

  describe('control evidence', () => {
    const TENANT = 'evidence';
    let receipts: { id: string; sequence: number }[];
    let auditor: string;

    beforeAll(async () => {
      auditor = await env.createKey('AUDITOR', TENANT);
      receipts = await seed(await env.createKey('INGEST', TENANT), [
        { action: 'auth.login', actor: { id: 'u-1', type: 'USER', ip: '203.0.113.1' } },
        { action: 'auth.login', outcome: { status: 'FAILURE' } },
        { action: 'policy.approved', resource: { type: 'policy', id: 'p-1' } },
        { action: 'auth.login', actor: { id: 'u-2', type: 'USER', ip: '203.0.113.2' } },
        { action: 'auth.login', actor: { id: 'u-3', type: 'USER', ip: '203.0.113.3' } },
      ]);
      // Another tenant's sign-ins must never show.
      await seed(await env.createKey('INGEST', 'evidence-other'), [
        { action: 'auth.login' },
        { action: 'auth.login' },
        { action: 'auth.login' },
      ]);
    });

    async function evidence(key: string, variables: Record<string, unknown>) {
      return env.gql(EVIDENCE, { frameworkId: 'soc2', id: 'CC6.1', ...variables }, key);
    }

    it('pages through the caller’s successful sign-ins, newest first', async () => {
      const first = await evidence(auditor, { first: 2 });
      expect(first.body.errors).toBeUndefined();
      const page1 = first.body.data!.control.evidence;
      expect(page1.totalCount).toBe(3);
      expect(page1.edges.map((e: any) => [e.node.id, e.node.action, e.node.outcome.status])).toEqual([
        [receipts[4].id, 'auth.login', 'SUCCESS'],
        [receipts[3].id, 'auth.login', 'SUCCESS'],
      ]);
      expect(page1.pageInfo).toEqual({ hasNextPage: true, endCursor: page1.edges[1].cursor });

      const second = await evidence(auditor, { first: 2, after: page1.pageInfo.endCursor });
      expect(second.body.errors).toBeUndefined();
      const page2 = second.body.data!.control.evidence;
      expect(page2.edges.map((e: any) => [e.node.id, e.node.sequence])).toEqual([[receipts[0].id, receipts[0].sequence]]);
      expect(page2.pageInfo.hasNextPage).toBe(false);
      expect(page2.totalCount).toBe(3);
    });

    it('gives VIEWER keys redacted events', async () => {
      const res = await evidence(await env.createKey('VIEWER', TENANT), { first: 5 });
      expect(res.body.errors).toBeUndefined();
      const nodes = res.body.data!.control.evidence.edges.map((e: any) => e.node);
      expect(nodes).toHaveLength(3);
      for (const node of nodes) {
        expect(node.actor.ip).toBeNull();
        expect(node.redactedFields).toEqual(expect.arrayContaining(['actor.ip']));
      }
    });

    it('refuses the evidence to an INGEST key, and counts the refusal as CC6.1 evidence', async () => {
      const TENANT_INGEST = 'evidence-ingest';
      const res = await evidence(await env.createKey('INGEST', TENANT_INGEST), { first: 5 });
      expect(codes(res)).toEqual(['FORBIDDEN']);
      expect(res.body.data?.control ?? null).toBeNull();
      const seen = await evidence(await env.createKey('AUDITOR', TENANT_INGEST), { first: 5 });
      expect(seen.body.data!.control.evidence.edges.map((e: any) => e.node.action)).toEqual(['datapunk.authorization.denied']);
    });

    it.each([0, -1, 501])('refuses first: %d with PAGE_SIZE_EXCEEDED', async (first) => {
      const res = await evidence(auditor, { first });
      expect(codes(res)).toEqual(['PAGE_SIZE_EXCEEDED']);
    });

    it('refuses a cursor it did not issue with INVALID_CURSOR', async () => {
      const res = await evidence(auditor, { first: 2, after: 'not-a-cursor' });
      expect(codes(res)).toEqual(['INVALID_CURSOR']);
    });
  });
});
