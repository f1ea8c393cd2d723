import { MAX_TABLE_ROWS } from '../report-template';
import { overview, type SectionBuilders, verification } from './report-section';

/** SUBJECT_ACCESS: every event by or about one data subject, its personal fields opened (GDPR Art. 15, HIPAA 164.524). */
export const SUBJECT_ACCESS_SECTIONS: SectionBuilders = {
  overview: {
    build: async (ctx) => [
      overview(ctx.req),
      {
        type: 'paragraph',
        text:
          'Every event of the audit trail by or about one data subject — as the actor, or as the data-subject resource an event names — ' +
          'with the personal fields stored encrypted under the subject’s key opened: the copy of the personal data undergoing processing ' +
          'GDPR Art. 15(3) entitles the subject to, and the access HIPAA 164.524 grants to an individual. The subject is named below by ' +
          'its stored reference; its id appears in the events themselves.',
      },
      {
        type: 'keyValue',
        items: [
          { key: 'Subject reference', value: ctx.req.subject?.ref ?? '' },
          { key: 'Events', value: String(await ctx.count(ctx.scopes.all)) },
        ],
      },
    ],
  },
  events: {
    eventRows: { query: (scopes) => scopes.all, defaultLimit: MAX_TABLE_ROWS },
    build: async (ctx) => [await ctx.eventTable(ctx.scopes.all, ctx.limit ?? MAX_TABLE_ROWS)],
  },
  verification,
};
