import { Role } from '../access/role';
import { classificationRank, Classification } from './audit-event.model';
import type { StoredEvent } from './audit-event.repository';
import { AuditEvent } from './audit-event.types';

/**
 * VIEWER keys never see network identifiers, nor the metadata of CONFIDENTIAL and RESTRICTED events,
 * nor any event's `hash` or `chainHash` (ADR 0016).
 */
export function presentEvent(event: StoredEvent, role: Role): AuditEvent {
  const redactedFields: string[] = [];
  let { actor, metadata } = event;
  const viewer = role === Role.VIEWER;
  if (viewer) {
    if (actor.ip !== null || actor.userAgent !== null) {
      actor = { ...actor, ip: null, userAgent: null };
      redactedFields.push('actor.ip', 'actor.userAgent');
    }
    if (metadata !== null && classificationRank(event.classification) >= classificationRank(Classification.CONFIDENTIAL)) {
      metadata = null;
      redactedFields.push('metadata');
    }
    // Not only this event's: chainHash(n-1) and hash(n+1) check a guess of event n offline too.
    redactedFields.push('hash', 'chainHash');
  }
  const { sealed: _sealed, erasedFields = [], stored, ...shown } = event;
  return Object.assign(new AuditEvent(), {
    ...shown,
    erasedFields,
    actor,
    metadata,
    hash: viewer ? null : event.hash,
    chainHash: viewer ? null : event.chainHash,
    redactedFields,
    // The stored form is chain material (ADR 0016): never kept for a VIEWER.
    stored: viewer ? undefined : stored,
  });
}
