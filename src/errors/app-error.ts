import { GraphQLError } from 'graphql';
import { type ErrorCode, HTTP_STATUS } from './error-code';

/** One problem inside an otherwise well-formed request, e.g. a bad field of event #3. */
export interface Problem {
  /** Path of the bad value, e.g. `events[3].actor.id`. */
  path: string;
  message: string;
}

/**
 * The one error family of the service. Its `code` ends up in `extensions.code`;
 * everything that is not an AppError (or a GraphQLError from the engine) is masked.
 */
export class AppError extends GraphQLError {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, details: { problems?: Problem[]; [key: string]: unknown } = {}) {
    const status = HTTP_STATUS[code];
    super(message, {
      // A caller's own `http` (status and headers, e.g. Retry-After) wins over the plain status.
      extensions: { code, ...(status ? { http: { status } } : {}), ...details },
    });
    this.code = code;
    this.name = 'AppError';
  }
}

export const isAppError = (error: unknown): error is AppError => error instanceof AppError;
