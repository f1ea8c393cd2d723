import { AuditEventGroupBy } from '../../audit/audit-event.types';
import { groupedTable, overview, type SectionBuilders, verification } from './report-section';

const EVENT_ROWS = 5000;

/** DATA_ACCESS: who touched PII and PHI. */
export const DATA_ACCESS_SECTIONS: SectionBuilders = {
  overview: {
    build: async (ctx) => [
      overview(ctx.req),
      {
        type: 'paragraph',
        text: 'Events that carry the PII or PHI data category: the accesses GDPR accountability (Art. 5(2)) and the HIPAA information system activity review (164.308(a)(1)(ii)(D)) ask about.',
      },
      { type: 'keyValue', items: [{ key: 'Events on personal data', value: String(await ctx.count(ctx.scopes.personal)) }] },
    ],
  },
  'by-actor': {
    build: async (ctx) => [
      await groupedTable(ctx, ctx.scopes.personal, AuditEventGroupBy.ACTOR, 'Events on personal data by actor', ctx.limit),
    ],
  },
  'by-resource-type': {
    build: async (ctx) => [
      await groupedTable(ctx, ctx.scopes.personal, AuditEventGroupBy.RESOURCE_TYPE, 'Events on personal data by resource type', ctx.limit),
    ],
  },
  events: {
    eventRows: { query: (scopes) => scopes.personal, defaultLimit: EVENT_ROWS },
    build: async (ctx) => [await ctx.eventTable(ctx.scopes.personal, ctx.limit ?? EVENT_ROWS)],
  },
  verification,
};
