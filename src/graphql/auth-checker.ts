import type { AuthChecker } from 'type-graphql';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import type { Role } from '../auth/role';
import { Classification, OutcomeStatus, Severity } from '../audit/audit-event.model';
import type { RequestContext } from './context';

/** The action of the event recorded for every refused operation (the auditors are audited). */
export const DENIED_ACTION = 'datapunk.authorization.denied';

/**
 * Records a refused operation in the caller's own chain, once per operation and request (a query
 * that aliases a forbidden field thirty times is one attempt). A failure to record is logged and
 * does not change the answer: the request is refused either way.
 */
async function recordDenial(context: RequestContext, operation: string, roles: readonly Role[]): Promise<void> {
  const { principal, services, requestId, logger, deniedOperations } = context;
  if (!principal || deniedOperations.has(operation)) return;
  deniedOperations.add(operation);
  try {
    await services.ingest.recordServerEvent(principal.tenantId, {
      keyId: principal.keyId,
      requestId,
      clientRequestId: context.clientRequestId,
      action: DENIED_ACTION,
      resource: { type: 'graphql_field', id: operation },
      outcome: { status: OutcomeStatus.DENIED, reason: `role ${principal.role} is not one of ${roles.join(', ')}` },
      severity: Severity.WARNING,
      classification: Classification.INTERNAL,
    });
  } catch (err) {
    logger.error({ err: (err as Error)?.message, requestId, operation }, 'could not record a denied request');
  }
}

/**
 * No key → UNAUTHENTICATED; a key without one of `roles` (if any are named) → FORBIDDEN, after the
 * refusal is recorded as an audit event in the caller's tenant.
 */
export async function authorize(context: RequestContext, roles: readonly Role[], operation: string): Promise<true> {
  if (!context.principal) {
    throw new AppError(ErrorCode.UNAUTHENTICATED, 'Send an API key as "Authorization: Bearer <key>".');
  }
  if (roles.length && !roles.includes(context.principal.role)) {
    await recordDenial(context, operation, roles);
    throw new AppError(
      ErrorCode.FORBIDDEN,
      `This operation needs one of the roles ${roles.join(', ')}; your key has ${context.principal.role}.`,
    );
  }
  return true;
}

/** Backs every @Authorized(). */
export const authChecker: AuthChecker<RequestContext, Role> = ({ context, info }, roles) =>
  authorize(context, roles, `${info.parentType.name}.${info.fieldName}`);
