import type { AuthChecker } from 'type-graphql';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import type { Role } from '../auth/role';
import type { RequestContext } from './context';

/** No key → UNAUTHENTICATED, a key without one of `roles` (if any are named) → FORBIDDEN. */
export function authorize(context: RequestContext, roles: readonly Role[]): true {
  if (!context.principal) {
    throw new AppError(ErrorCode.UNAUTHENTICATED, 'Send an API key as "Authorization: Bearer <key>".');
  }
  if (roles.length && !roles.includes(context.principal.role)) {
    throw new AppError(
      ErrorCode.FORBIDDEN,
      `This operation needs one of the roles ${roles.join(', ')}; your key has ${context.principal.role}.`,
    );
  }
  return true;
}

/** Backs every @Authorized(). */
export const authChecker: AuthChecker<RequestContext, Role> = ({ context }, roles) => authorize(context, roles);
