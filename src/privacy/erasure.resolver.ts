import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { Role } from '../access/role';
import { principalOf, type RequestContext } from '../graphql/context';
import type { ErasureService } from './erasure.service';
import { EraseDataSubjectInput, ErasureReceipt } from './erasure.types';

@Resolver()
export class ErasureResolver {
  constructor(private readonly erasure: ErasureService) {}

  @Authorized(Role.ADMIN)
  @Mutation(() => ErasureReceipt, {
    description:
      'Erases a data subject by destroying its key (crypto-shredding, ADR 0042): its personal fields read `[erased]` from now on, the chain still verifies, a `datapunk.subject.erased` event is recorded and stored reports covering its events are deleted. ADMIN only. Errors: INVALID_ARGUMENT, SUBJECT_NOT_FOUND, SUBJECT_UNDER_LEGAL_HOLD (an active legal hold covers the subject or one of its events; release it first).',
  })
  async eraseDataSubject(
    @Arg('input', () => EraseDataSubjectInput, { description: 'Whom to erase and on which ground.' }) input: EraseDataSubjectInput,
    @Ctx() ctx: RequestContext,
  ): Promise<ErasureReceipt> {
    const { tenantId, keyId } = principalOf(ctx);
    return this.erasure.erase(tenantId, input, { keyId, requestId: ctx.requestId, clientRequestId: ctx.clientRequestId });
  }
}
