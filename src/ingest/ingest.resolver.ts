import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { Role } from '../access/role';
import { authorize } from '../graphql/auth-checker';
import { principalOf, type RequestContext } from '../graphql/context';
import type { AuditEventInputShape } from './event-validation';
import type { IngestService } from './ingest.service';
import { RecordAuditEventsInput, RecordAuditEventsPayload } from './ingest.types';

export const RECORD_ROLES = [Role.ADMIN, Role.INGEST];

@Resolver()
export class IngestResolver {
  constructor(private readonly ingest: IngestService) {}

  /**
   * The decorators declare the field; buildAppSchema binds the field straight to this method, past
   * type-graphql's argument conversion: graphql-js has already coerced and type-checked the input,
   * and copying up to 1,000 events into class instances a second time costs (ADR 0003). Hence the
   * explicit authorize() instead of @Authorized, which would never run.
   */
  @Mutation(() => RecordAuditEventsPayload, {
    description:
      'Records one to MAX_EVENTS_PER_BATCH events atomically and answers only after they are committed. Errors: INVALID_EVENT, BATCH_TOO_LARGE, IDEMPOTENCY_CONFLICT, CHAIN_BUSY — in every case nothing was written.',
  })
  async recordAuditEvents(
    @Arg('input', () => RecordAuditEventsInput, { description: 'The events to record, all or none.' })
    input: { events: AuditEventInputShape[] },
    @Ctx() ctx: RequestContext,
  ): Promise<RecordAuditEventsPayload> {
    await authorize(ctx, RECORD_ROLES, 'Mutation.recordAuditEvents');
    const { tenantId, keyId } = principalOf(ctx);
    return this.ingest.record(tenantId, input.events, { keyId });
  }
}
