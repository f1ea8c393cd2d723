import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RECORD, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (ms: number) => new Date(ms).toISOString();

/** PCI DSS 10.4.1 as docs/plugins.md writes it: a pure-data plugin with MAX_GAP. */
const CATALOG = {
  framework: { id: 'pci-logs', name: 'PCI DSS log review', version: '4.0.1', description: 'Audit logs reviewed at least once daily.' },
  controls: [
    {
      id: '10.4.1',
      title: 'Audit logs are reviewed at least once daily',
      description: 'No stretch of more than 24 hours without a review of the audit logs.',
      evidence: [
        {
          id: 'logs-reviewed-daily',
          kind: 'MAX_GAP',
          description: 'Audit logs reviewed at least every 24 hours',
          match: { action: [{ equals: 'audit.log.reviewed' }], outcome: ['SUCCESS'] },
          maxGap: { hours: 24 },
        },
      ],
      violations: [
        {
          id: 'review-missed',
          kind: 'MAX_GAP',
          description: 'More than 24 hours without a log review',
          match: { action: [{ equals: 'audit.log.reviewed' }], outcome: ['SUCCESS'] },
          maxGap: { hours: 24 },
        },
      ],
    },
  ],
};

const ASSESS = `query Assess($input: AssessComplianceInput!) {
  assessCompliance(input: $input) {
    validUntil
    controls { controlId status rules { ruleId kind role verdict count pending duty tested detail } }
  }
}`;

type Rule = { ruleId: string; kind: string; verdict: string; count: number; pending: number | null; tested: number | null; detail: string };
type Assessment = { validUntil: string | null; controls: { controlId: string; status: string; rules: Rule[] }[] };

describe('MAX_GAP in a third-party catalog (PCI DSS 10.4.1)', () => {
  let env: TestEnvironment;
  let dir: string;
  // A closed stretch of five UTC days, ten days back: reviews a day apart, then one day missed.
  const d = Math.floor((Date.now() - 10 * DAY) / DAY) * DAY;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-max-gap-'));
    fs.writeFileSync(
      path.join(dir, 'datapunk-plugin.json'),
      JSON.stringify({ id: 'framework-pci-logs', kind: 'framework', version: '1.0.0', apiVersion: '^1.5.0', catalog: 'catalog.json' }),
    );
    fs.writeFileSync(path.join(dir, 'catalog.json'), JSON.stringify(CATALOG));
    // The reviews are recorded now, days after they occurred: a lag of a month lets them count.
    env = await createTestEnvironment({ DATAPUNK_PLUGINS: dir, EVIDENCE_RECORDING_LAG_MINUTES: String(30 * 24 * 60) });
    const review = (ms: number, outcome = 'SUCCESS') =>
      eventInput({ occurredAt: at(ms), action: 'audit.log.reviewed', outcome: { status: outcome } });
    const recorded = await env.gql(RECORD, {
      input: {
        events: [
          review(d + 9 * HOUR),
          // Exactly 24 hours later: holds.
          review(d + DAY + 9 * HOUR),
          review(d + 2 * DAY + 9 * HOUR),
          // A failed review does not count: the next successful one is 47 hours after the last.
          review(d + 3 * DAY + 9 * HOUR, 'FAILURE'),
          review(d + 4 * DAY + 8 * HOUR),
        ],
      },
    });
    expect(recorded.body.errors).toBeUndefined();
  });
  afterAll(async () => {
    await env?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const assess = async (input: Record<string, unknown>) => {
    const res = await env.gql(ASSESS, { input: { frameworkId: 'pci-logs', ...input } });
    expect(res.body.errors).toBeUndefined();
    const a = res.body.data!.assessCompliance as Assessment;
    const rule = (id: string) => a.controls[0].rules.find((r) => r.ruleId === id)!;
    return { a, status: a.controls[0].status, evidence: rule('logs-reviewed-daily'), violation: rule('review-missed') };
  };

  it('judges every stretch of a closed range and names the one too long', async () => {
    const { status, evidence, violation } = await assess({ from: at(d), to: at(d + 5 * DAY) });
    // From the start to the first review, three between reviews, the last to the end: 5 stretches.
    expect(evidence).toMatchObject({ kind: 'MAX_GAP', verdict: 'PARTIAL', count: 4, tested: 5, pending: 0 });
    expect(violation).toMatchObject({ kind: 'MAX_GAP', verdict: 'FINDING', count: 1, tested: 5 });
    expect(violation.detail).toContain(`${at(d + 2 * DAY + 9 * HOUR)} to ${at(d + 4 * DAY + 8 * HOUR)}`);
    expect(status).toBe('NON_COMPLIANT');
  });

  it('lists the over-long stretch as a finding named by the review that ended it (ADR 0036)', async () => {
    const res = await env.gql(
      `query A($input: AssessComplianceInput!) { assessCompliance(input: $input) { controls { findings { ruleId eventSequence state } } } }`,
      { input: { frameworkId: 'pci-logs', from: at(d), to: at(d + 5 * DAY) } },
    );
    expect(res.body.errors).toBeUndefined();
    // The fifth event, the review 47 hours after the last successful one; the failed one names nothing.
    expect(res.body.data).toEqual({
      assessCompliance: { controls: [{ findings: [{ ruleId: 'review-missed', eventSequence: 5, state: 'OPEN' }] }] },
    });
    // The stretch at a range's end names no event: it counts, and lists nothing.
    const { violation } = await assess({ from: at(d + DAY), to: at(d + 4 * DAY) });
    expect(violation).toMatchObject({ verdict: 'FINDING', count: 1 });
    const edge = await env.gql(
      `query A($input: AssessComplianceInput!) { assessCompliance(input: $input) { controls { findings { eventSequence } } } }`,
      { input: { frameworkId: 'pci-logs', from: at(d + DAY), to: at(d + 4 * DAY) } },
    );
    expect(edge.body.data).toEqual({ assessCompliance: { controls: [{ findings: [] }] } });
  });

  it('is COMPLIANT over days where every review came within 24 hours, and finds a late first review', async () => {
    expect(await assess({ from: at(d), to: at(d + 3 * DAY) })).toMatchObject({
      status: 'COMPLIANT',
      evidence: { verdict: 'MET', tested: 4 },
      violation: { verdict: 'CLEAR', count: 0 },
    });
    // From the second day: the first review is 9 hours in, fine; to the end of the fourth day the
    // last stretch (from d+2d+9h to d+4d) is 39 hours.
    const { violation } = await assess({ from: at(d + DAY), to: at(d + 4 * DAY) });
    expect(violation).toMatchObject({ verdict: 'FINDING', count: 1, tested: 3 });
    expect(violation.detail).toContain(`${at(d + 2 * DAY + 9 * HOUR)} to ${at(d + 4 * DAY)}`);
  });

  it('does not read a range without a review as met: only a review before it can keep the stretch short', async () => {
    // Before the first review, nine hours of the trail's first day: nothing shown, nothing judged.
    expect(await assess({ from: at(d), to: at(d + 9 * HOUR) })).toMatchObject({
      status: 'NOT_ASSESSED',
      evidence: { verdict: 'NONE', tested: 0 },
      violation: { verdict: 'CLEAR', count: 0, tested: 0 },
    });
    // Only the failed review inside; the last successful one, before the range, exactly 24 hours
    // before its end: the stretch holds.
    expect(await assess({ from: at(d + 2 * DAY + 10 * HOUR), to: at(d + 3 * DAY + 9 * HOUR) })).toMatchObject({
      status: 'COMPLIANT',
      evidence: { verdict: 'MET', tested: 1 },
      violation: { verdict: 'CLEAR', count: 0, tested: 1 },
    });
    // A second later it is too long, though the range itself is shorter than 24 hours.
    const late = await assess({ from: at(d + 2 * DAY + 10 * HOUR), to: at(d + 3 * DAY + 9 * HOUR + 1_000) });
    expect(late).toMatchObject({ evidence: { verdict: 'NONE', tested: 1 }, violation: { verdict: 'FINDING', count: 1, tested: 1 } });
    expect(late.violation.detail).toContain(`${at(d + 2 * DAY + 9 * HOUR)} to ${at(d + 3 * DAY + 9 * HOUR + 1_000)}`);
  });

  it('leaves the stretch open at the as-of instant pending until it is too long, and says when', async () => {
    const asOf = d + 4 * DAY + 20 * HOUR;
    const { a, evidence, violation } = await assess({ from: at(d + 4 * DAY), asOf: at(asOf) });
    expect(evidence).toMatchObject({ verdict: 'MET', tested: 1, pending: 1 });
    expect(violation).toMatchObject({ verdict: 'CLEAR', count: 0, pending: 1 });
    expect(violation.detail).toContain(at(d + 5 * DAY + 8 * HOUR));
    // Judged later, the same open stretch is past 24 hours: a finding.
    const later = await assess({ from: at(d + 4 * DAY), asOf: at(d + 5 * DAY + 9 * HOUR) });
    expect(later.violation).toMatchObject({ verdict: 'FINDING', count: 1, pending: 0 });
    expect(a.controls[0].status).toBe('COMPLIANT');
  });

  it('holds an answer as of now until the open stretch becomes too long', async () => {
    const reviewed = Date.now() - HOUR;
    const recorded = await env.gql(RECORD, { input: { events: [eventInput({ occurredAt: at(reviewed), action: 'audit.log.reviewed' })] } });
    expect(recorded.body.errors).toBeUndefined();
    const { a, violation } = await assess({ from: at(reviewed - HOUR) });
    expect(violation).toMatchObject({ verdict: 'CLEAR', tested: 1, pending: 1 });
    expect(a.validUntil).toBe(at(reviewed + DAY));
  });
});
