import { AuditEventGroupBy } from '../../audit/audit-event.types';
import { groupedTable, overview, type SectionBuilders, verification } from './report-section';

const HIGH_SEVERITY_ROWS = 500;

/** SECURITY_INCIDENTS: failures, denials, errors and high severities, grouped. */
export const SECURITY_INCIDENTS_SECTIONS: SectionBuilders = {
  overview: {
    build: async (ctx) => {
      const { failures, highSeverity } = ctx.scopes;
      const outcomes = await ctx.stats(failures, AuditEventGroupBy.OUTCOME, 10);
      return [
        overview(ctx.req),
        {
          type: 'keyValue',
          items: [
            { key: 'Failures, denials and errors', value: String(await ctx.count(failures)) },
            ...outcomes.map((g) => ({ key: `Outcome ${g.key}`, value: String(g.count) })),
            { key: 'Events of severity ERROR or above', value: String(await ctx.count(highSeverity)) },
          ],
        },
      ];
    },
  },
  'by-day': {
    build: async (ctx) => {
      const days = await ctx.stats(ctx.scopes.failures, AuditEventGroupBy.DAY, 1000);
      return [
        {
          type: 'chart',
          kind: 'bar',
          title: 'Failures, denials and errors per day',
          unit: 'Events',
          labels: days.map((d) => d.key),
          series: [{ name: 'Events', values: days.map((d) => d.count) }],
        },
      ];
    },
  },
  'by-action': {
    build: async (ctx) => [
      await groupedTable(ctx, ctx.scopes.failures, AuditEventGroupBy.ACTION, 'Failures, denials and errors by action', ctx.limit),
    ],
  },
  'by-actor': {
    build: async (ctx) => [
      await groupedTable(ctx, ctx.scopes.failures, AuditEventGroupBy.ACTOR, 'Failures, denials and errors by actor', ctx.limit),
    ],
  },
  'high-severity': {
    eventRows: { query: (scopes) => scopes.highSeverity, defaultLimit: HIGH_SEVERITY_ROWS },
    build: async (ctx) => [await ctx.eventTable(ctx.scopes.highSeverity, ctx.limit ?? HIGH_SEVERITY_ROWS)],
  },
  verification,
};
