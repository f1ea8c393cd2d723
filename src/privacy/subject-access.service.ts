import type { DataSource } from 'typeorm';
import type { Sql } from '../database/sql';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { checkSubjectId, subjectCondition, subjectEvents } from './subject-scope';
import type { SubjectVault } from './subject-vault';

/** What a subject access export covers: the subject's events and how a record of the read names the subject. */
export interface SubjectAccessScope {
  /** The subject's stored reference (`s_…`), as its events hold it. */
  ref: string;
  /** The keyed pseudonym (`p_…`) the read record names the subject by: never the id (ADR 0044). */
  pseudonym: string;
  /** The subject's events, over alias `e`: the events an erasure of the subject would make unreadable. */
  condition: Sql;
  eventCount: number;
  /** The first and last `occurredAt` of those events; null when it has none left (pruned). */
  from: string | null;
  to: string | null;
}

/**
 * Finds the data subject of an exportDataSubject (GDPR Art. 15, ADR 0042 amendment of 2026-12-04)
 * by the keyed lookup of its id, never by a plaintext index, and says which events are its.
 */
export class SubjectAccessService {
  constructor(
    private readonly deps: {
      dataSource: DataSource;
      vault: SubjectVault;
    },
  ) {}

  /** The subject's scope; SUBJECT_NOT_FOUND for an id never recorded or already erased (the two look alike, as for an erasure). */
  async scope(tenantId: string, subjectId: string): Promise<SubjectAccessScope> {
    checkSubjectId(subjectId, 'input.subjectId');
    const subject = await this.deps.vault.find(tenantId, subjectId);
    // A destroyed key whose lookup is still there is an erasure not finished yet: erased all the same.
    if (!subject || subject.keyDestroyed) {
      throw new AppError(
        ErrorCode.SUBJECT_NOT_FOUND,
        'No data subject of this id holds personal data in your tenant: none was recorded, or it was erased (nothing keeps the id after an erasure). Nothing was exported.',
      );
    }
    const { eventCount, from, to } = await subjectEvents(this.deps.dataSource, tenantId, subject.ref);
    return {
      ref: subject.ref,
      pseudonym: this.deps.vault.readPseudonymOf(tenantId, subjectId),
      condition: subjectCondition(subject.ref),
      eventCount,
      from,
      to,
    };
  }
}
