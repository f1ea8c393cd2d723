import type { PreparedEvent } from '../chain/prepared-event';

/**
 * Seals the personal fields of validated events under their data subjects' keys before they are
 * hashed and stored (ADR 0042). Ingest's port: the privacy module implements it, the composition
 * root passes it in. Returns the events as they are to be stored and hashed.
 */
export type Sealer = (tenantId: string, events: PreparedEvent[]) => Promise<PreparedEvent[]>;
