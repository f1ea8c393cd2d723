import { ControlStatus, STATUS_LABELS } from '../../compliance/assessment';
import { FINDING_STATE_LABELS, FindingState } from '../../compliance/findings';
import type { Assessment } from '../../compliance/compliance.service';
import type { ReportBlock } from '../../plugin-api';
import type { SectionBuilder, SectionBuilders, SectionContext } from './report-section';
import { statusBreakdownChart, statusTrendChart } from './status-charts';
import { verification } from './report-section';

const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)} %`);

function assessmentOf(ctx: SectionContext): Assessment {
  if (!ctx.assessment) throw new Error(`a ${ctx.req.type} section needs the framework's assessment`);
  return ctx.assessment;
}

/** A parameter value in words: `72 hours`, `0.95`, `5`. */
const parameterText = (value: unknown): string => {
  if (typeof value === 'number') return String(value);
  const [unit, n] = Object.entries(value as Record<string, number>)[0] ?? ['', ''];
  return `${n} ${n === 1 ? unit.replace(/s$/, '') : unit}`;
};

const controlTitle = (ctx: SectionContext, a: Assessment, controlId: string) => ctx.compliance.control(a.frameworkId, controlId).title;

/** The scope judged under, one line per dimension: `Scope: category` → `Security, Availability (default)` (ADR 0040). */
const scopeItems = (ctx: SectionContext, a: Assessment) => {
  const dimensions = ctx.compliance.framework(a.frameworkId).plugin.catalog.scoping ?? [];
  return (a.scope ?? []).map((inForce) => {
    const dimension = dimensions.find((d) => d.id === inForce.id);
    const names = inForce.selected.map((id) => dimension?.options.find((o) => o.id === id)?.name ?? id);
    return {
      key: `Scope: ${dimension?.name ?? inForce.id}`,
      value: `${names.join(', ')} (${inForce.source === 'TENANT' ? 'your organisation’s selection' : 'default'})`,
    };
  });
};

const overview: SectionBuilder = {
  build: (ctx) => {
    const a = assessmentOf(ctx);
    return [
      {
        type: 'keyValue',
        items: [
          { key: 'Framework', value: `${a.frameworkId} (${a.frameworkVersion})` },
          { key: 'Judged as of', value: `${a.asOf} (events recorded by ${a.recordedBy}, chain head ${a.headSequence})` },
          ...(a.pruned
            ? [
                {
                  key: 'Pruned by retention',
                  value: `events 1–${a.pruned.throughSequence}, which occurred up to ${a.pruned.occurredBefore}, were deleted by a retention policy${a.pruned.prunedAt ? ` on ${a.pruned.prunedAt}` : ''}: counts of the period before then are incomplete`,
                },
              ]
            : []),
          { key: 'Score', value: a.summary.score === null ? 'none (nothing assessed)' : a.summary.score.toFixed(3) },
          { key: 'Level', value: a.summary.level },
          { key: 'Coverage', value: pct(a.summary.coverage) },
          {
            key: 'Score over assessed controls',
            value: a.summary.assessedScore === null ? 'none (nothing assessed)' : a.summary.assessedScore.toFixed(3),
          },
          ...Object.entries(a.summary.counts).map(([status, n]) => ({ key: STATUS_LABELS[status as ControlStatus], value: String(n) })),
          { key: 'Controls scored', value: String(a.summary.total) },
          ...scopeItems(ctx, a),
          ...(a.parameters ?? []).map((p) => ({
            key: `Parameter ${p.id}`,
            value: `${parameterText(p.value)} (${p.source === 'TENANT' ? 'your organisation’s value' : 'default'})`,
          })),
        ],
      },
      {
        type: 'paragraph',
        text: 'Score = (compliant + ½ partially compliant) / applicable controls, so controls whose duty no event or attestation shows count as not shown; the level reads the score (HIGH from 0.9). Coverage = assessed (compliant, partially compliant, non-compliant) / applicable controls. Controls with children roll them up and are not scored themselves.',
      },
    ];
  },
};

/** One finding block per control in one of `statuses`, naming its sample events; "None." when there is none. */
const findingsOf = (statuses: readonly ControlStatus[]): SectionBuilder => ({
  build: (ctx) => {
    const a = assessmentOf(ctx);
    const list = a.controls.filter((c) => statuses.includes(c.status));
    return list.length
      ? list.map((c) => ({
          type: 'finding' as const,
          title: `${c.controlId} ${controlTitle(ctx, a, c.controlId)}`,
          status: c.status,
          frameworkId: a.frameworkId,
          controlId: c.controlId,
          text: c.reason,
          eventIds: c.samples.flatMap((s) => (ctx.eventIds.has(s) ? [ctx.eventIds.get(s)!] : [])),
        }))
      : [{ type: 'paragraph', text: 'None.' } satisfies ReportBlock];
  },
});

/** Findings a register lists per violation rule at most. */
const REGISTER_PER_RULE = 50;

/**
 * The findings register (POA&M, ADR 0036): every listed finding of the period with its state as of
 * the assessment's asOf, the owner and due date of a planned remediation, the approver and expiry
 * of an accepted risk, and the last note. A finding investigated and found not to be a deviation
 * stays listed; it no longer counts against its control.
 */
const findingRegister: SectionBuilder = {
  build: async (ctx) => {
    const a = assessmentOf(ctx);
    const flagged = a.controls.filter((c) =>
      c.rules.some((o) => o.role === 'VIOLATION' && (o.verdict === 'FINDING' || (o.dismissed ?? 0) > 0)),
    );
    const rows = (await Promise.all(flagged.map((c) => ctx.findings(c.controlId, REGISTER_PER_RULE)))).flat();
    const unnamed = a.controls.flatMap((c) =>
      c.rules
        .filter((o) => o.role === 'VIOLATION' && o.verdict === 'FINDING' && (o.kind === 'RATIO' || o.kind === 'RECENT'))
        .map((o) => `${c.controlId} ${o.ruleId}`),
    );
    const detail = (f: (typeof rows)[number]) => {
      const last = f.last;
      if (!last) return '';
      if (f.state === FindingState.REMEDIATION_PLANNED) return `Owner ${last.owner}, due ${last.dueDate?.slice(0, 10)}`;
      if (f.state === FindingState.RISK_ACCEPTED) return `Accepted by ${last.approver} until ${last.expiresAt?.slice(0, 10)}`;
      return '';
    };
    return [
      {
        type: 'table',
        caption:
          `${rows.length} findings, states as of ${a.asOf} (at most ${REGISTER_PER_RULE} per rule, newest first).` +
          (unnamed.length
            ? ` Shares below a threshold and lapsed recency windows name no event or period and are not listed: ${unnamed.join(', ')}.`
            : ''),
        columns: [
          { key: 'control', title: 'Control' },
          { key: 'rule', title: 'Rule' },
          { key: 'event', title: 'Event seq. / period', align: 'right' },
          { key: 'state', title: 'State' },
          { key: 'detail', title: 'Owner / acceptance' },
          { key: 'note', title: 'Last note' },
          { key: 'id', title: 'Finding id' },
        ],
        rows: rows.map((f) => [
          f.controlId,
          f.ruleDescription,
          f.period ?? f.eventSequence,
          FINDING_STATE_LABELS[f.state],
          detail(f),
          f.last?.note ?? '',
          f.id,
        ]),
      },
    ];
  },
};

/**
 * The status over the period from the stored assessment runs (ADR 0039): a stacked bar per day or
 * week with a run, the last run recorded in it, with the numbers beside the chart. Without runs,
 * a sentence saying how to store them; the assessment itself is never re-run per day.
 */
const statusTrend: SectionBuilder = {
  build: async (ctx) => {
    const points = await ctx.statusTrend();
    const withRuns = points.filter((p): p is typeof p & { counts: NonNullable<typeof p.counts> } => p.counts !== null);
    const unit = points.length > 1 && Date.parse(points[1].date) - Date.parse(points[0].date) > 86_400_000 ? 'week' : 'day';
    if (!withRuns.length) {
      return [
        {
          type: 'paragraph',
          text: `No assessment run of ${assessmentOf(ctx).frameworkId} is stored for this period, so no trend can be drawn. Store runs with recordAssessment, or on a schedule with ASSESSMENT_SCHEDULE=daily or weekly.`,
        },
      ];
    }
    return [
      statusTrendChart(withRuns.map((p) => ({ date: p.label, counts: p.counts }))),
      {
        type: 'paragraph',
        text: `${withRuns.length} of ${points.length} ${unit}s of the period have a stored run; each bar is the last run recorded in its ${unit}, its digest checked against the chain. ${unit === 'day' ? 'Days' : 'Weeks'} without a run are left out.`,
      },
    ];
  },
};

/** COMPLIANCE_SUMMARY: a framework's posture over a period. */
export const COMPLIANCE_SUMMARY_SECTIONS: SectionBuilders = {
  overview,
  'status-breakdown': { build: (ctx) => [statusBreakdownChart(assessmentOf(ctx).summary.counts)] },
  'status-trend': statusTrend,
  'non-compliant': findingsOf([ControlStatus.NON_COMPLIANT]),
  'finding-register': findingRegister,
  'not-assessed': {
    build: (ctx) => {
      const a = assessmentOf(ctx);
      const list = a.controls.filter((c) => c.leaf && c.status === ControlStatus.NOT_ASSESSED);
      return [
        {
          type: 'table',
          caption: `${list.length} scored controls had no event either way in the period; attest them or record the events that show them.`,
          columns: [
            { key: 'id', title: 'Control' },
            { key: 'title', title: 'Title' },
          ],
          rows: list.map((c) => [c.controlId, controlTitle(ctx, a, c.controlId)]),
        },
      ];
    },
  },
  verification,
};

/** CONTROL_ASSESSMENT: every control of a framework with its status, evidence, findings and attestations. */
export const CONTROL_ASSESSMENT_SECTIONS: SectionBuilders = {
  overview,
  'status-breakdown': COMPLIANCE_SUMMARY_SECTIONS['status-breakdown'],
  controls: {
    build: (ctx) => {
      const a = assessmentOf(ctx);
      return [
        {
          type: 'table',
          caption: `${a.controls.length} controls.`,
          columns: [
            { key: 'id', title: 'Control' },
            { key: 'title', title: 'Title' },
            { key: 'status', title: 'Status' },
            { key: 'evidence', title: 'Evidence', align: 'right' },
            { key: 'violations', title: 'Violations', align: 'right' },
            { key: 'reason', title: 'Reason' },
          ],
          rows: a.controls.map((c) => [
            c.controlId,
            controlTitle(ctx, a, c.controlId),
            STATUS_LABELS[c.status],
            c.evidenceCount,
            c.violationCount,
            c.reason,
          ]),
        },
      ];
    },
  },
  findings: findingsOf([ControlStatus.NON_COMPLIANT, ControlStatus.PARTIALLY_COMPLIANT]),
  'finding-register': findingRegister,
  attestations: {
    build: (ctx) => {
      const list = assessmentOf(ctx).controls.filter((c) => c.attestation);
      return [
        {
          type: 'table',
          caption: list.length ? `${list.length} attestations in force.` : 'No attestation in force.',
          columns: [
            { key: 'id', title: 'Control' },
            { key: 'status', title: 'Attested' },
            { key: 'by', title: 'By (key id)' },
            { key: 'at', title: 'Attested at' },
            { key: 'expires', title: 'Expires' },
            { key: 'note', title: 'Note' },
            { key: 'sequence', title: 'Event seq.', align: 'right' },
          ],
          rows: list.map((c) => {
            const t = c.attestation!;
            return [c.controlId, t.status, t.attestedBy, t.attestedAt, t.expiresAt, t.note, t.sequence];
          }),
        },
      ];
    },
  },
  verification,
};
