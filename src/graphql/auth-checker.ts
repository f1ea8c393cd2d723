import type { AuthChecker } from 'type-graphql';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import type { Role } from '../access/role';
import type { RequestContext } from './context';

/**
 * No key → UNAUTHENTICATED; a key without one of `roles` (if any are named) → FORBIDDEN. The refused
 * operation is noted in the context; the DenialLog writes one audit event for all of a request's
 * refusals once it has run (a query that asks for seven forbidden fields is one attempt).
 */
export async function authorize(context: RequestContext, roles: readonly Role[], operation: string): Promise<true> {
  if (!context.principal) {
    throw new AppError(ErrorCode.UNAUTHENTICATED, 'Send an API key as "Authorization: Bearer <key>".');
  }
  if (roles.length && !roles.includes(context.principal.role)) {
    context.deniedOperations.add(operation);
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
