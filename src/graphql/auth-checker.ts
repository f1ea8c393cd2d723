import type { AuthChecker } from 'type-graphql';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import type { Role } from '../auth/role';
import type { RequestContext } from './context';

/** Backs every @Authorized(): no key → UNAUTHENTICATED, wrong role → FORBIDDEN. */
export const authChecker: AuthChecker<RequestContext, Role> = ({ context }, roles) => {
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
};
