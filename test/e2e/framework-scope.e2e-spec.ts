import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { catalog as gdpr } from '../../plugins/framework-gdpr/catalog';
import { catalog as hipaa } from '../../plugins/framework-hipaa/catalog';
import { catalog as soc2 } from '../../plugins/framework-soc2/catalog';
import { RECORD, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

// What of a framework is in scope (ADR 0040): declared by the plugin, selected by the tenant as a
// chain event, resolved as of asOf; out-of-scope controls are NOT_APPLICABLE with the reason and
// run no rule. An addressable specification may be addressed by an alternative measure instead.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A third-party pure-data framework declaring a multiple- and a single-choice dimension. */
const CATALOG = {
  framework: { id: 'acme-scope', name: 'Acme', version: '1', description: 'A scoped framework.' },
  scoping: [
    {
      id: 'parts',
      name: 'part',
      description: 'The parts in scope',
      multiple: true,
      options: [
        { id: 'core', name: 'Core', description: 'Always in scope', required: true, tags: ['core'] },
        { id: 'extra', name: 'Extra', description: 'Chosen', tags: ['extra'] },
      ],
      default: ['core', 'extra'],
    },
    {
      id: 'tier',
      name: 'tier',
      description: 'The size of the organisation',
      multiple: false,
      options: [
        { id: 'small', name: 'Small', description: 'Small', controls: ['T.1'] },
        { id: 'large', name: 'Large', description: 'Large', controls: ['T.2'] },
      ],
      default: ['large'],
    },
  ],
  alternativeMeasures: { tag: 'addressable', citation: 'Acme § 3(b)' },
  controls: [
    {
      id: 'S.1',
      title: 'Requests are answered',
      description: 'Every request is answered within a day.',
      tags: ['core'],
      evidence: [],
      violations: [
        {
          id: 'unanswered',
          kind: 'NOT_FOLLOWED_BY',
          description: 'A request not answered in a day',
          trigger: { action: [{ equals: 'request.made' }] },
          followUp: { action: [{ equals: 'request.answered' }] },
          within: { days: 1 },
          correlation: 'RESOURCE',
        },
      ],
    },
    ...['X.1', 'X.1.a'].map((id) => ({
      id,
      ...(id === 'X.1.a' ? { parentId: 'X.1' } : { tags: ['extra'] }),
      title: id,
      description: 'No job fails.',
      evidence: [],
      violations: [{ id: 'failed', kind: 'MATCH', description: 'A failed job', match: { action: [{ equals: 'job.failed' }] } }],
    })),
    {
      id: 'T.1',
      title: 'Small',
      description: 'No job fails.',
      evidence: [],
      violations: [{ id: 'failed', kind: 'MATCH', description: 'A failed job', match: { action: [{ equals: 'job.failed' }] } }],
    },
    { id: 'T.2', title: 'Large', description: 'Attested only.', evidence: [], violations: [] },
    { id: 'H.1', title: 'Addressable', description: 'Attested only.', tags: ['addressable'], evidence: [], violations: [] },
    { id: 'H.2', title: 'Required', description: 'Attested only.', tags: ['required'], evidence: [], violations: [] },
  ],
};

const ASSESS = `query A($input: AssessComplianceInput!) {
  assessCompliance(input: $input) {
    score coverage
    counts { notApplicable addressedByAlternative total }
    scope { id selected source options { id selected required } }
    controls { controlId status reason evidenceCount violationCount rules { ruleId } findings { eventSequence } attestation { status alternativeMeasure } }
  }
}`;
const SET = `mutation S($input: SetFrameworkScopeInput!) { setFrameworkScope(input: $input) { id selected source } }`;
const ATTEST = `mutation T($input: AttestControlInput!) { attestControl(input: $input) { status alternativeMeasure sequence } }`;

type Result = {
  score: number | null;
  coverage: number | null;
  counts: { notApplicable: number; addressedByAlternative: number; total: number };
  scope: { id: string; selected: string[]; source: string; options: { id: string; selected: boolean; required: boolean }[] }[];
  controls: {
    controlId: string;
    status: string;
    reason: string;
    evidenceCount: number;
    violationCount: number;
    rules: { ruleId: string }[];
    findings: { eventSequence: number }[];
    attestation: { status: string; alternativeMeasure: string | null } | null;
  }[];
};

describe('framework scope set by the tenant', () => {
  let env: TestEnvironment;
  let dir: string;
  let admin: string;
  const TENANT = 'scope';
  const start = Date.now() - 20 * DAY;
  const period = { from: new Date(start - DAY).toISOString(), to: new Date(start + 5 * DAY).toISOString() };
  const later = () => new Date().toISOString();

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-scope-'));
    fs.writeFileSync(
      path.join(dir, 'datapunk-plugin.json'),
      JSON.stringify({ id: 'framework-acme-scope', kind: 'framework', version: '1.0.0', apiVersion: '^1.7.0', catalog: 'catalog.json' }),
    );
    fs.writeFileSync(path.join(dir, 'catalog.json'), JSON.stringify(CATALOG));
    env = await createTestEnvironment({ DATAPUNK_PLUGINS: dir });
    admin = await env.createKey('ADMIN', TENANT);
    const at = (h: number) => new Date(start + h * HOUR).toISOString();
    const res = await env.gql(
      RECORD,
      {
        input: {
          events: [
            eventInput({ occurredAt: at(0), action: 'request.made', resource: { type: 'request', id: 'R-1' } }),
            eventInput({ occurredAt: at(2), action: 'request.answered', resource: { type: 'request', id: 'R-1' } }),
            // Matches X.1, X.1.a and T.1: a finding only where the control is in scope.
            eventInput({ occurredAt: at(3), action: 'job.failed', resource: { type: 'job', id: 'J-1' } }),
            // A refused PHI read, which HIPAA's clearinghouse specification used to take as evidence.
            eventInput({
              occurredAt: at(4),
              action: 'patient_record.read',
              resource: { type: 'patient_record', id: 'P-1' },
              outcome: { status: 'DENIED' },
            }),
            // A critical capacity alert: SOC 2 availability.
            eventInput({ occurredAt: at(5), action: 'monitoring.alert', severity: 'CRITICAL', resource: { type: 'host', id: 'h-1' } }),
          ],
        },
      },
      await env.createKey('INGEST', TENANT),
    );
    expect(res.body.errors).toBeUndefined();
  });
  afterAll(async () => {
    await env?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const assess = async (frameworkId: string, asOf?: string): Promise<Result> => {
    const res = await env.gql<{ assessCompliance: Result }>(ASSESS, { input: { frameworkId, ...period, asOf } }, admin);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.assessCompliance;
  };
  const byId = (r: Result) => new Map(r.controls.map((c) => [c.controlId, c]));
  const setScope = (frameworkId: string, selections: unknown[], key = admin, note = 'engagement letter 2026') =>
    env.gql(SET, { input: { frameworkId, selections, note } }, key);
  const scopeEvents = async () =>
    Number((await env.sql<{ n: unknown }>(`SELECT COUNT(*) AS n FROM audit_event WHERE action = 'datapunk.framework.scope_set'`))[0].n);
  const ruleCount = (catalog: { controls: { id: string; evidence: unknown[]; violations: unknown[] }[] }, id: string) => {
    const c = catalog.controls.find((x) => x.id === id)!;
    return c.evidence.length + c.violations.length;
  };

  it('refuses selections that do not fit the declared dimensions, and a key that is not ADMIN, recording nothing', async () => {
    const cases: [string, unknown[], string][] = [
      ['acme-scope', [{ dimensionId: 'size', options: ['small'] }], 'input.selections[0].dimensionId'],
      ['acme-scope', [{ dimensionId: 'tier', options: ['medium'] }], 'input.selections[0].options'],
      ['acme-scope', [{ dimensionId: 'tier', options: ['small', 'large'] }], 'input.selections[0].options'],
      ['acme-scope', [{ dimensionId: 'tier', options: [] }], 'input.selections[0].options'],
      ['acme-scope', [{ dimensionId: 'parts', options: ['extra'] }], 'input.selections[0].options'],
      [
        'acme-scope',
        [
          { dimensionId: 'tier', options: ['small'] },
          { dimensionId: 'tier', options: ['large'] },
        ],
        'input.selections[1].dimensionId',
      ],
      // Security is always in scope.
      ['soc2', [{ dimensionId: 'trust-services-categories', options: ['availability'] }], 'input.selections[0].options'],
    ];
    for (const [frameworkId, selections, at] of cases) {
      const res = await setScope(frameworkId, selections);
      expect(res.body.errors?.[0].extensions?.code).toBe('INVALID_ARGUMENT');
      expect((res.body.errors?.[0].extensions?.problems as { path: string }[])[0].path).toBe(at);
    }
    const blank = await setScope('acme-scope', [], admin, '  ');
    expect(blank.body.errors?.[0].extensions?.code).toBe('INVALID_ARGUMENT');
    expect((await setScope('nope', [])).body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    for (const role of ['VIEWER', 'AUDITOR'] as const) {
      const res = await setScope('acme-scope', [{ dimensionId: 'tier', options: ['small'] }], await env.createKey(role, TENANT));
      expect(res.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    }
    expect(await scopeEvents()).toBe(0);
  });

  it('judges out-of-scope controls NOT_APPLICABLE from the instant the scope is recorded, runs none of their rules, and leaves them out of the score', async () => {
    const byDefault = await assess('acme-scope');
    expect(byDefault.scope).toEqual([
      {
        id: 'parts',
        selected: ['core', 'extra'],
        source: 'DEFAULT',
        options: [
          { id: 'core', selected: true, required: true },
          { id: 'extra', selected: true, required: false },
        ],
      },
      {
        id: 'tier',
        selected: ['large'],
        source: 'DEFAULT',
        options: [
          { id: 'small', selected: false, required: false },
          { id: 'large', selected: true, required: false },
        ],
      },
    ]);
    const d = byId(byDefault);
    expect(d.get('S.1')!.status).toBe('COMPLIANT');
    expect(d.get('X.1.a')).toMatchObject({ status: 'NON_COMPLIANT', violationCount: 1, findings: [{ eventSequence: 3 }] });
    expect(d.get('T.1')).toMatchObject({ status: 'NOT_APPLICABLE', reason: 'Out of scope: Acme tier Small is not selected.', rules: [] });
    // Leaves S.1, X.1.a, T.2, H.1, H.2 apply; one of the five is shown.
    expect(byDefault.counts).toEqual({ notApplicable: 1, addressedByAlternative: 0, total: 6 });
    expect(byDefault.score).toBeCloseTo(1 / 5, 10);

    const set = await setScope('acme-scope', [
      { dimensionId: 'parts', options: ['core'] },
      { dimensionId: 'tier', options: ['small'] },
    ]);
    expect(set.body.errors).toBeUndefined();
    expect(set.body.data).toEqual({
      setFrameworkScope: [
        { id: 'parts', selected: ['core'], source: 'TENANT' },
        { id: 'tier', selected: ['small'], source: 'TENANT' },
      ],
    });
    expect(await scopeEvents()).toBe(1);

    const now = await assess('acme-scope', later());
    const n = byId(now);
    // The failed job no longer counts against X.1 and its specification: their rules were not run.
    expect(n.get('X.1')).toMatchObject({
      status: 'NOT_APPLICABLE',
      reason: 'Out of scope: Acme part Extra is not selected.',
      violationCount: 0,
      rules: [],
    });
    expect(n.get('X.1.a')).toMatchObject({
      status: 'NOT_APPLICABLE',
      reason: 'Out of scope: Acme part Extra is not selected (through X.1).',
      violationCount: 0,
      rules: [],
      findings: [],
    });
    expect(n.get('T.1')).toMatchObject({ status: 'NON_COMPLIANT', violationCount: 1 });
    expect(n.get('T.2')!.status).toBe('NOT_APPLICABLE');
    // Leaves S.1, T.1, H.1, H.2 apply.
    expect(now.counts).toEqual({ notApplicable: 2, addressedByAlternative: 0, total: 6 });
    expect(now.score).toBeCloseTo(1 / 4, 10);

    // The closed period, judged at its end, keeps its answer.
    expect(await assess('acme-scope')).toEqual(byDefault);
    const listed = await env.gql(
      `query Q($at: DateTime) { frameworkScope(frameworkId: "acme-scope", asOf: $at) { id source } }`,
      { at: period.to },
      admin,
    );
    expect(listed.body.data).toEqual({
      frameworkScope: [
        { id: 'parts', source: 'DEFAULT' },
        { id: 'tier', source: 'DEFAULT' },
      ],
    });
  });

  it('records an addressable control as addressed by an alternative measure, scored as shown, and refuses it elsewhere', async () => {
    const attest = (frameworkId: string, controlId: string, status: string, alternativeMeasure?: string) =>
      env.gql(
        ATTEST,
        {
          input: {
            frameworkId,
            controlId,
            status,
            note: 'Not reasonable and appropriate for our size: see risk analysis RA-7',
            expiresAt: new Date(Date.now() + 300 * DAY).toISOString(),
            alternativeMeasure,
          },
        },
        admin,
      );
    const refused: [string, string, string, string | undefined, string][] = [
      ['acme-scope', 'H.2', 'ADDRESSED_BY_ALTERNATIVE', 'Door locks', 'input.status'],
      ['acme-scope', 'H.1', 'ADDRESSED_BY_ALTERNATIVE', undefined, 'input.alternativeMeasure'],
      ['acme-scope', 'H.1', 'COMPLIANT', 'Door locks', 'input.alternativeMeasure'],
      ['hipaa', '164.312(a)(2)(i)', 'ADDRESSED_BY_ALTERNATIVE', 'Shared accounts logged by badge', 'input.status'],
      ['soc2', 'CC6.1', 'ADDRESSED_BY_ALTERNATIVE', 'Door locks', 'input.status'],
    ];
    const before = Number(
      (await env.sql<{ n: unknown }>(`SELECT COUNT(*) AS n FROM audit_event WHERE action = 'datapunk.control.attested'`))[0].n,
    );
    for (const [frameworkId, controlId, status, alternative, at] of refused) {
      const res = await attest(frameworkId, controlId, status, alternative);
      expect(res.body.errors?.[0].extensions?.code).toBe('INVALID_ARGUMENT');
      expect((res.body.errors?.[0].extensions?.problems as { path: string }[])[0].path).toBe(at);
    }
    const after = Number(
      (await env.sql<{ n: unknown }>(`SELECT COUNT(*) AS n FROM audit_event WHERE action = 'datapunk.control.attested'`))[0].n,
    );
    expect(after).toBe(before);

    const ok = await attest('acme-scope', 'H.1', 'ADDRESSED_BY_ALTERNATIVE', 'Supervised access by the shift lead');
    expect(ok.body.errors).toBeUndefined();
    expect(ok.body.data!.attestControl).toMatchObject({
      status: 'ADDRESSED_BY_ALTERNATIVE',
      alternativeMeasure: 'Supervised access by the shift lead',
    });
    const now = await assess('acme-scope', later());
    expect(byId(now).get('H.1')).toMatchObject({
      status: 'ADDRESSED_BY_ALTERNATIVE',
      attestation: { status: 'ADDRESSED_BY_ALTERNATIVE', alternativeMeasure: 'Supervised access by the shift lead' },
    });
    expect(byId(now).get('H.1')!.reason).toContain('Alternative measure: Supervised access by the shift lead');
    // Unlike NOT_APPLICABLE it stays in the denominator, and counts as shown: S.1 and H.1 of four.
    expect(now.counts).toEqual({ notApplicable: 2, addressedByAlternative: 1, total: 6 });
    expect(now.score).toBeCloseTo(2 / 4, 10);
    // Made after the period, it does not apply to the period judged at its end.
    expect(byId(await assess('acme-scope')).get('H.1')!.status).toBe('NOT_ASSESSED');

    const hipaaOk = await attest('hipaa', '164.312(a)(2)(iv)', 'ADDRESSED_BY_ALTERNATIVE', 'ePHI kept only on an isolated network segment');
    expect(hipaaOk.body.errors).toBeUndefined();
    expect(byId(await assess('hipaa', later())).get('164.312(a)(2)(iv)')!.status).toBe('ADDRESSED_BY_ALTERNATIVE');
  });

  it('takes the SOC 2 categories not selected out of scope, keeping Security', async () => {
    const byDefault = await assess('soc2', later());
    const outIds = soc2.controls
      .filter((c) => c.tags?.some((t) => t === 'availability' || t === 'confidentiality' || t === 'processing-integrity'))
      .map((c) => c.id);
    expect(outIds.length).toBeGreaterThan(0);
    for (const id of outIds) {
      expect(byId(byDefault).get(id)!.status).not.toBe('NOT_APPLICABLE');
      expect(byId(byDefault).get(id)!.rules).toHaveLength(ruleCount(soc2, id));
    }
    const res = await setScope('soc2', [{ dimensionId: 'trust-services-categories', options: ['security', 'privacy'] }]);
    expect(res.body.errors).toBeUndefined();
    const scoped = await assess('soc2', later());
    const s = byId(scoped);
    expect(s.get('A1.1')).toMatchObject({
      status: 'NOT_APPLICABLE',
      reason: 'Out of scope: SOC 2 category Availability is not selected.',
      rules: [],
    });
    expect(s.get('C1.1')!.reason).toBe('Out of scope: SOC 2 category Confidentiality is not selected.');
    for (const id of outIds) expect(s.get(id)).toMatchObject({ status: 'NOT_APPLICABLE', evidenceCount: 0, violationCount: 0 });
    for (const c of scoped.controls.filter((x) => /^(CC|P\d)/.test(x.controlId))) expect(c.reason.startsWith('Out of scope')).toBe(false);
    expect(scoped.counts.notApplicable - byDefault.counts.notApplicable).toBe(outIds.length);

    // The compliance reports say which scope the controls were judged under.
    const report = await env.gql<{ generateReport: { contentBase64: string } }>(
      `mutation G($input: GenerateReportInput!) { generateReport(input: $input) { contentBase64 } }`,
      { input: { type: 'COMPLIANCE_SUMMARY', format: 'json', frameworkId: 'soc2', ...period, asOf: later() } },
      admin,
    );
    expect(report.body.errors).toBeUndefined();
    const text = Buffer.from(report.body.data!.generateReport.contentBase64, 'base64').toString('utf8');
    expect(text).toContain('"Scope: category"');
    expect(text).toContain('Security, Privacy (your organisation’s selection)');
  });

  it('takes the HIPAA specifications of other roles out of scope, so they stop matching unrelated events', async () => {
    const clearinghouse = '164.308(a)(4)(ii)(A)';
    const byDefault = byId(await assess('hipaa', later()));
    expect(byDefault.get(clearinghouse)!.rules).toHaveLength(ruleCount(hipaa, clearinghouse));
    const res = await setScope('hipaa', [{ dimensionId: 'role', options: ['business-associate'] }]);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.setFrameworkScope).toEqual([
      { id: 'role', selected: ['business-associate'], source: 'TENANT' },
      { id: 'covered-entity-arrangements', selected: ['governmental-entity', 'group-health-plan'], source: 'DEFAULT' },
    ]);
    const scoped = await assess('hipaa', later());
    const out = scoped.controls.filter((c) => c.status === 'NOT_APPLICABLE').map((c) => c.controlId);
    // A business associate: the covered entity's breach notices (164.404–164.408) are out too.
    expect(out.sort()).toEqual(
      [clearinghouse, '164.314(a)(2)(ii)', '164.314(b)(1)', '164.314(b)(2)', '164.404', '164.406', '164.408'].sort(),
    );
    expect(byId(scoped).get(clearinghouse)).toMatchObject({
      reason: 'Out of scope: HIPAA Security Rule role Health care clearinghouse is not selected.',
      evidenceCount: 0,
      rules: [],
    });
    // A business associate's own contracts with subcontractors stay in scope.
    expect(byId(scoped).get('164.314(a)(2)(iii)')!.status).not.toBe('NOT_APPLICABLE');
  });

  it('takes the controller’s GDPR duties out of scope for a processor', async () => {
    const res = await setScope('gdpr', [{ dimensionId: 'role', options: ['processor'] }]);
    expect(res.body.errors).toBeUndefined();
    const scoped = await assess('gdpr', later());
    const out = new Set(scoped.controls.filter((c) => c.status === 'NOT_APPLICABLE').map((c) => c.controlId));
    const controllerOnly = gdpr.controls
      .filter(
        (c) =>
          ['Art. 24', 'Art. 25', 'Art. 33(1)', 'Art. 33(3)', 'Art. 33(5)', 'Art. 34', 'Art. 35', 'Art. 36'].includes(c.id) ||
          c.tags?.some((t) => ['principles', 'data-subject-rights'].includes(t)),
      )
      .map((c) => c.id);
    expect([...out].sort()).toEqual([...controllerOnly].sort());
    for (const both of ['Art. 28', 'Art. 30', 'Art. 32', 'Art. 32(1)(a)', 'Art. 33', 'Art. 33(2)', 'Art. 44', 'Art. 46', 'Art. 49'])
      expect(out.has(both)).toBe(false);
    expect(byId(scoped).get('Art. 15')!.reason).toBe('Out of scope: GDPR role Controller is not selected.');
  });
});
