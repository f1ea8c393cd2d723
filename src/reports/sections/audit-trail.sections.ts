import { MAX_TABLE_ROWS } from '../report-template';
import { overview, type SectionBuilders, verification } from './report-section';

/** AUDIT_TRAIL: the filtered events themselves. */
export const AUDIT_TRAIL_SECTIONS: SectionBuilders = {
  overview: {
    build: async (ctx) => [
      overview(ctx.req),
      { type: 'keyValue', items: [{ key: 'Events in the report', value: String(await ctx.count(ctx.scopes.all)) }] },
    ],
  },
  events: {
    eventRows: { query: (scopes) => scopes.all, defaultLimit: MAX_TABLE_ROWS },
    build: async (ctx) => [await ctx.eventTable(ctx.scopes.all, ctx.limit)],
  },
  verification,
};
