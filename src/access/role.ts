import { registerEnumType } from 'type-graphql';

/** What an API key may do. One role per key, one tenant per key. */
export enum Role {
  /** Everything in its tenant, including key management. */
  ADMIN = 'ADMIN',
  /** Read unredacted events, verify the chain, issue checkpoints (and, later, assess and report). */
  AUDITOR = 'AUDITOR',
  /** Record events, nothing else. */
  INGEST = 'INGEST',
  /** Read events with personal data redacted. */
  VIEWER = 'VIEWER',
}
registerEnumType(Role, { name: 'Role', description: 'What an API key may do; see docs/security.md for the full matrix.' });

/** The caller behind a request. */
export interface Principal {
  keyId: string;
  tenantId: string;
  role: Role;
}

export const READ_ROLES = [Role.ADMIN, Role.AUDITOR, Role.VIEWER];
