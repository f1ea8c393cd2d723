/**
 * A fortnight of a small SaaS that serves clinicians (issue 11, "Done when" item 1): the events
 * an assessment of days 1–14 of November 2026 sees, with fixed timestamps. Every event leaves
 * `classification` out so the frameworks' classification rules decide it (patient_record ⇒ PHI).
 */

/** Start of the period and of the trail: 2026-11-01T00:00:00Z. */
export const PERIOD_FROM = '2026-11-01T00:00:00.000Z';
/** End of the period (exclusive): day 15, so days 1–14 are assessed. */
export const PERIOD_TO = '2026-11-15T00:00:00.000Z';
/** Judged as of day 22: after the DSAR fulfilled on day 20, so its one-month deadline is decided. */
export const AS_OF = '2026-11-22T00:00:00.000Z';

/** An instant on day `day` of November 2026, UTC. */
export const at = (day: number, hour: number, minute = 0, second = 0): string =>
  new Date(Date.UTC(2026, 10, day, hour, minute, second)).toISOString();

const DAYS = Array.from({ length: 14 }, (_, i) => i + 1);
/** Staff who sign in every working day; the first three are clinicians who read patient records. */
export const USERS = ['alice', 'bob', 'carol', 'dave', 'eve'] as const;
const CLINICIANS = ['alice', 'bob', 'carol'] as const;
/** eve signs in without a second factor on these days: 3 of the 70 daily sign-ins (95.7 % with MFA). */
const EVE_WITHOUT_MFA = [3, 8, 13];
/** The nightly backup of day 8 fails and is re-run two hours later. */
const BACKUP_FAILED_DAY = 8;
/** No audit-log review on day 10. */
const MISSED_REVIEW_DAY = 10;
/** The breach of day 4, 10:00, reaches the supervisory authority 80 hours later (day 7, 18:00). */
export const BREACH_DETECTED = at(4, 10);
export const AUTHORITY_NOTIFIED = at(7, 18);
/** The account that reads 120 patient records in 8 minutes on day 6. */
export const BULK_READER = 'carol';

type Event = Record<string, unknown>;

const user = (id: string, ip = '203.0.113.10') => ({ id, type: 'USER', ip, userAgent: 'browser' });
const system = (id: string) => ({ id, type: 'SYSTEM' });
const on = (type: string, id: string) => ({ type, id });
const ok = { status: 'SUCCESS' };

function event(occurredAt: string, action: string, actor: Event, resource: Event, extra: Event = {}): Event {
  return { occurredAt, action, actor, resource, outcome: ok, severity: 'INFO', classification: undefined, metadata: {}, ...extra };
}

/** Daily sign-ins of the five users (each with its MFA check when a second factor was used) and sign-outs. */
function signIns(): Event[] {
  return DAYS.flatMap((day) =>
    USERS.flatMap((id, i) => {
      const mfa = !(id === 'eve' && EVE_WITHOUT_MFA.includes(day));
      const session = on('session', `${id}-${day}`);
      return [
        ...(mfa ? [event(at(day, 8, i * 5), 'auth.mfa.verified', user(id), on('user', id))] : []),
        event(at(day, 8, i * 5, 10), 'auth.login', user(id), on('user', id), { metadata: { mfa } }),
        event(at(day, 17, i * 5), 'auth.logout', user(id), session),
      ];
    }),
  );
}

/** Day 3: six wrong passwords for eve's account from one address in three minutes, then the lockout. */
function bruteForce(): Event[] {
  const attacker = user('eve', '198.51.100.66');
  return [
    ...Array.from({ length: 6 }, (_, i) =>
      event(at(3, 2, 0, i * 30), 'auth.login', attacker, on('user', 'eve'), { outcome: { status: 'FAILURE', reason: 'bad password' } }),
    ),
    // The locked account is the lockout's actor, as docs/event-vocabulary.md asks, so it answers eve's burst.
    event(at(3, 2, 3), 'auth.lockout', user('eve', '198.51.100.66'), on('user', 'eve'), { severity: 'WARNING' }),
  ];
}

/** Clinicians read a few patient records a day; carol reads 120 in 8 minutes on day 6 (22:00). */
function phiReads(): Event[] {
  const daily = DAYS.flatMap((day) =>
    CLINICIANS.flatMap((id, c) =>
      [0, 1, 2].map((n) =>
        event(at(day, 10 + n, c * 10), 'patient_record.read', user(id), on('patient_record', `pt-${(day * 7 + c * 3 + n) % 40}`)),
      ),
    ),
  );
  const bulk = Array.from({ length: 120 }, (_, n) =>
    event(at(6, 22, 0, n * 4), 'patient_record.read', user(BULK_READER), on('patient_record', `pt-${1000 + n}`)),
  );
  return [...daily, ...bulk];
}

/** A clinical export (PHI) and a billing export, each by alice. */
function exports(): Event[] {
  return [
    event(at(5, 15), 'data.export', user('alice'), on('patient_record', 'cohort-2026-11'), { metadata: { format: 'csv', records: 40 } }),
    event(at(12, 15), 'data.export', user('alice'), on('report', 'billing-2026-11'), { metadata: { format: 'pdf' } }),
  ];
}

/** bob gets the admin role on day 2, the quarterly user-access review is signed off on day 7, bob's admin role ends on day 9. */
function accessChanges(): Event[] {
  const admin = user('dave');
  return [
    event(at(2, 9, 30), 'role.assigned', admin, on('user', 'bob'), { metadata: { role: 'admin' } }),
    event(at(7, 14), 'access.review.completed', admin, on('access_review', '2026-Q4')),
    event(at(9, 9, 30), 'role.revoked', admin, on('user', 'bob'), { metadata: { role: 'admin' } }),
  ];
}

/** Nightly backups at 02:00; day 8's fails and its re-run at 04:00 succeeds. */
function backups(): Event[] {
  const job = on('backup_job', 'nightly');
  return DAYS.flatMap((day) =>
    day === BACKUP_FAILED_DAY
      ? [
          event(at(day, 2), 'backup.completed', system('backup'), job, {
            outcome: { status: 'FAILURE', reason: 'disk full' },
            severity: 'ERROR',
          }),
          event(at(day, 4), 'backup.completed', system('backup'), job),
        ]
      : [event(at(day, 2), 'backup.completed', system('backup'), job)],
  );
}

/** The security officer reviews the audit log every morning, except on day 10. */
function logReviews(): Event[] {
  return DAYS.filter((day) => day !== MISSED_REVIEW_DAY).map((day) =>
    event(at(day, 9), 'audit.log.reviewed', user('dave'), on('log', 'audit-trail')),
  );
}

/**
 * The security incident of day 4 is a breach of 37 patients' records (PHI): the authority hears of
 * it after 80 hours, the patients on day 8; under 500 affected, so HHS learns of it in the yearly log.
 */
function breach(): Event[] {
  const officer = user('dave');
  return [
    event(at(4, 9, 30), 'incident.detected', system('siem'), on('incident', 'INC-7'), { severity: 'CRITICAL' }),
    event(BREACH_DETECTED, 'breach.detected', officer, on('breach', 'BR-1'), {
      severity: 'CRITICAL',
      categories: ['PHI'],
      metadata: { records: 37, notifiable: true, affected: { band: 'under-500', stateOver500: false } },
    }),
    event(at(6, 16), 'incident.resolved', officer, on('incident', 'INC-7')),
    event(AUTHORITY_NOTIFIED, 'breach.notified.authority', officer, on('breach', 'BR-1'), { metadata: { authority: 'HHS OCR / DPA' } }),
    event(at(8, 10), 'breach.notified.subjects', officer, on('breach', 'BR-1'), { metadata: { subjects: 37 } }),
  ];
}

/** A subject's access request of day 1, answered on day 20 (inside one month). */
function dsar(): Event[] {
  return [
    event(at(1, 11), 'dsar.received', system('privacy-portal'), on('dsar', 'R-1'), { metadata: { type: 'access' } }),
    event(at(20, 11), 'dsar.fulfilled', user('alice'), on('dsar', 'R-1'), { metadata: { type: 'access' } }),
  ];
}

/** Three changes approved before they go live, and one hotfix deployed on day 9 with no approval. */
function deployments(): Event[] {
  const approver = user('dave');
  const ci = system('ci');
  return [
    ...[
      ['CHG-101', 2, 3],
      ['CHG-102', 6, 7],
      ['CHG-103', 11, 12],
    ].flatMap(([id, approved, deployed]) => [
      event(at(approved as number, 15), 'change.approved', approver, on('change', id as string)),
      event(at(deployed as number, 20), 'change.deployed', ci, on('change', id as string)),
    ]),
    event(at(9, 23), 'change.deployed', ci, on('change', 'HOTFIX-9'), { metadata: { emergency: true } }),
  ];
}

/** Every event of the fortnight (and day 20's DSAR answer), oldest first. */
export function fortnightEvents(): Event[] {
  return [
    ...signIns(),
    ...bruteForce(),
    ...phiReads(),
    ...exports(),
    ...accessChanges(),
    ...backups(),
    ...logReviews(),
    ...breach(),
    ...dsar(),
    ...deployments(),
  ].sort((a, b) => String(a.occurredAt).localeCompare(String(b.occurredAt)));
}
