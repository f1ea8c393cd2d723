/**
 * Every code a client can find in `errors[].extensions.code`, and every start-up code.
 * `docs/errors.md` lists each one with its fix; tests assert on these, never on message text.
 */
export enum ErrorCode {
  // Request shape (most raised by Apollo Server itself, kept here so the list is complete).
  BAD_REQUEST = 'BAD_REQUEST',
  GRAPHQL_PARSE_FAILED = 'GRAPHQL_PARSE_FAILED',
  GRAPHQL_VALIDATION_FAILED = 'GRAPHQL_VALIDATION_FAILED',
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  PERSISTED_QUERY_NOT_FOUND = 'PERSISTED_QUERY_NOT_FOUND',
  PERSISTED_QUERY_NOT_SUPPORTED = 'PERSISTED_QUERY_NOT_SUPPORTED',
  OPERATION_RESOLUTION_FAILURE = 'OPERATION_RESOLUTION_FAILURE',
  PAYLOAD_TOO_LARGE = 'PAYLOAD_TOO_LARGE',
  QUERY_TOO_DEEP = 'QUERY_TOO_DEEP',
  QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX',
  TOO_MANY_ALIASES = 'TOO_MANY_ALIASES',
  /** A per-key or per-address budget is spent; HTTP 429 with Retry-After. */
  RATE_LIMITED = 'RATE_LIMITED',
  /** The document has more than MAX_QUERY_TOKENS tokens; parsing stopped there. */
  QUERY_TOO_LARGE = 'QUERY_TOO_LARGE',
  /** More than MAX_EXPENSIVE_FIELDS_PER_OPERATION expensive fields (verifyAuditChain, assessCompliance…) in one operation. */
  TOO_MANY_EXPENSIVE_FIELDS = 'TOO_MANY_EXPENSIVE_FIELDS',
  /** More than MAX_DIRECTIVES directives in one operation. */
  TOO_MANY_DIRECTIVES = 'TOO_MANY_DIRECTIVES',
  // Access.
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  // Domain.
  INVALID_EVENT = 'INVALID_EVENT',
  BATCH_TOO_LARGE = 'BATCH_TOO_LARGE',
  IDEMPOTENCY_CONFLICT = 'IDEMPOTENCY_CONFLICT',
  INVALID_ARGUMENT = 'INVALID_ARGUMENT',
  INVALID_CURSOR = 'INVALID_CURSOR',
  PAGE_SIZE_EXCEEDED = 'PAGE_SIZE_EXCEEDED',
  NOT_FOUND = 'NOT_FOUND',
  /** eraseDataSubject: no data subject of that id holds personal data here (never recorded, or already erased; ADR 0042). */
  SUBJECT_NOT_FOUND = 'SUBJECT_NOT_FOUND',
  /** eraseDataSubject: an active legal hold covers the subject or one of its events (GDPR Art. 17(3)(e); ADR 0043). */
  SUBJECT_UNDER_LEGAL_HOLD = 'SUBJECT_UNDER_LEGAL_HOLD',
  /** A finding transition the lifecycle table does not allow from the finding's current state (ADR 0036). */
  INVALID_TRANSITION = 'INVALID_TRANSITION',
  CHAIN_BUSY = 'CHAIN_BUSY',
  /** The tenant already has REPORT_MAX_PENDING_PER_TENANT reports being generated in the background. */
  REPORT_QUEUE_FULL = 'REPORT_QUEUE_FULL',
  /** A stored report file that no longer matches its recorded size and SHA-256. */
  REPORT_DAMAGED = 'REPORT_DAMAGED',
  /** The daily rollup disagrees with the chain (a row added, changed or deleted outside the server): no assessment is given. */
  ROLLUP_INCONSISTENT = 'ROLLUP_INCONSISTENT',
  /** A stored assessment run that no longer matches the digest its datapunk.assessment.recorded event carries, or is missing (ADR 0039). */
  ASSESSMENT_RUN_TAMPERED = 'ASSESSMENT_RUN_TAMPERED',
  /** A prune was refused and nothing deleted: the prefix does not verify, or the server has no signing key for the anchor (ADR 0043). */
  /** An inclusion or consistency proof the tenant's Merkle tree cannot give: no tree (pruned before trees were kept), or the events it needs are gone (ADR 0047). */
  PROOF_UNAVAILABLE = 'PROOF_UNAVAILABLE',
  /** A checkpoint not signed: the tree is not consistent with the one this key signed before (ADR 0048). */
  CHECKPOINT_REFUSED = 'CHECKPOINT_REFUSED',
  PRUNE_REFUSED = 'PRUNE_REFUSED',
  /** Another node holds the tenant's prune lease; retry when it is done (ADR 0043). */
  PRUNE_IN_PROGRESS = 'PRUNE_IN_PROGRESS',
  /** A report download URL past its expiry. */
  DOWNLOAD_EXPIRED = 'DOWNLOAD_EXPIRED',
  SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE',
  /** The database has no space left (SQLITE_FULL, MariaDB 1021/1114, ENOSPC): nothing was written. */
  STORAGE_FULL = 'STORAGE_FULL',
  /** The database is unreachable, lost the connection, or did not answer in time: nothing was written. */
  DATABASE_UNAVAILABLE = 'DATABASE_UNAVAILABLE',
  /** A statement ran past its time limit (DATABASE_STATEMENT_TIMEOUT_SECONDS, or a long SQLite read) and was stopped. */
  QUERY_TIMEOUT = 'QUERY_TIMEOUT',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
  // Start-up and CLI.
  CONFIG_INVALID = 'CONFIG_INVALID',
  DATABASE_UNREACHABLE = 'DATABASE_UNREACHABLE',
  DATABASE_MODE_UNSUPPORTED = 'DATABASE_MODE_UNSUPPORTED',
  SIGNING_KEY_INVALID = 'SIGNING_KEY_INVALID',
  PRIVACY_KEY_INVALID = 'PRIVACY_KEY_INVALID',
  // Plugin start-up (inside one PluginLoadError, one code per problem).
  PLUGIN_NOT_FOUND = 'PLUGIN_NOT_FOUND',
  PLUGIN_LOAD_FAILED = 'PLUGIN_LOAD_FAILED',
  PLUGIN_MANIFEST_INVALID = 'PLUGIN_MANIFEST_INVALID',
  PLUGIN_DUPLICATE_ID = 'PLUGIN_DUPLICATE_ID',
  PLUGIN_API_UNSUPPORTED = 'PLUGIN_API_UNSUPPORTED',
  PLUGIN_DEPENDENCY_MISSING = 'PLUGIN_DEPENDENCY_MISSING',
  PLUGIN_DEPENDENCY_CYCLE = 'PLUGIN_DEPENDENCY_CYCLE',
  PLUGIN_OPTIONS_INVALID = 'PLUGIN_OPTIONS_INVALID',
}

/** HTTP status a request-level error maps to when it stops the whole operation. */
export const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.BAD_REQUEST]: 400,
  [ErrorCode.PAYLOAD_TOO_LARGE]: 413,
  [ErrorCode.QUERY_TOO_DEEP]: 400,
  [ErrorCode.QUERY_TOO_COMPLEX]: 400,
  [ErrorCode.TOO_MANY_ALIASES]: 400,
  [ErrorCode.RATE_LIMITED]: 429,
  [ErrorCode.QUERY_TOO_LARGE]: 400,
  [ErrorCode.TOO_MANY_EXPENSIVE_FIELDS]: 400,
  [ErrorCode.TOO_MANY_DIRECTIVES]: 400,
  [ErrorCode.SERVICE_UNAVAILABLE]: 503,
  [ErrorCode.STORAGE_FULL]: 507,
  [ErrorCode.DATABASE_UNAVAILABLE]: 503,
  [ErrorCode.QUERY_TIMEOUT]: 503,
  [ErrorCode.CHAIN_BUSY]: 503,
};
