import type { CatalogControl, EventMatch, MetadataPredicate } from '../../src/plugin-api';
import { actions, answeredWithin, meta, observed, recorded, safeguard } from './helpers';

const { standard } = safeguard('breach-notification');

/**
 * A breach of PHI: `breach.detected` carrying the data category PHI, as any event about PHI does.
 * Its metadata records what 164.402 makes the entity decide and count:
 * - `notifiable`: true when the breach of unsecured PHI must be notified (no low probability of
 *   compromise was shown, no exception applies), false when the entity documented why not;
 * - `affected.band`: "500-or-more" or "under-500" individuals affected (164.408);
 * - `affected.stateOver500`: true when more than 500 residents of one state or jurisdiction are affected (164.406).
 */
const phiBreach = (...metadata: MetadataPredicate[]): EventMatch => ({
  action: actions('breach.detected'),
  categories: ['PHI'],
  ...(metadata.length ? { metadata } : {}),
});
const NOTIFIABLE = meta('notifiable', true);
/** A notice to the Secretary of HHS: `breach.notified.authority` with metadata `authority` "hhs". */
const SECRETARY = { action: actions('breach.notified.authority'), metadata: [meta('authority', 'hhs')] };

/**
 * 45 CFR 164.400–164.414: notification in the case of breach of unsecured PHI. 164.402 defines
 * breach, unsecured PHI and the risk assessment whose outcome `notifiable` records: it is no
 * control of its own. The deadlines run from discovery (`breach.detected`) and are parameters whose
 * maximum is the rule's. A follow-up counts only with the SUCCESS outcome: a notice that failed
 * notifies no one.
 */
export const breachNotificationControls: CatalogControl[] = [
  standard('164.404', {
    title: 'Notification to individuals',
    description:
      'A covered entity tells each individual whose unsecured PHI was, or is reasonably believed to have been, breached, without unreasonable delay and at the latest 60 days after discovery. The duty: every notifiable PHI breach answered by a successful notice to the individuals within the window; each one not answered in time is a finding. Out of scope unless the organisation is a covered entity.',
    evidence: [
      answeredWithin(
        'individuals-notified',
        'Notifiable PHI breaches are notified to the individuals within the window after discovery',
        phiBreach(NOTIFIABLE),
        { action: actions('breach.notified.subjects') },
        'individual-notice-window',
      ),
    ],
    violations: [
      answeredWithin(
        'individuals-not-notified',
        'A notifiable PHI breach was not notified to the individuals within the window after discovery',
        phiBreach(NOTIFIABLE),
        { action: actions('breach.notified.subjects') },
        'individual-notice-window',
      ),
    ],
  }),
  standard('164.406', {
    title: 'Notification to the media',
    description:
      'When a breach involves more than 500 residents of a state or jurisdiction, the covered entity also informs prominent media outlets serving it, within the same 60 days. Each such breach (metadata affected.stateOver500 true) not answered by a successful breach.notified.media in time is a finding. Out of scope unless the organisation is a covered entity.',
    evidence: [recorded('media-notified', 'Prominent media outlets are notified of a breach', ['breach.notified.media'])],
    violations: [
      answeredWithin(
        'media-not-notified',
        'A notifiable PHI breach affecting more than 500 residents of a state was not notified to the media within the window',
        phiBreach(NOTIFIABLE, meta('affected.stateOver500', true)),
        { action: actions('breach.notified.media') },
        'media-notice-window',
      ),
    ],
  }),
  standard('164.408', {
    title: 'Notification to the Secretary',
    description:
      'The covered entity notifies the Secretary of HHS of every breach: at the same time as the individuals, within 60 days, when 500 or more are affected; otherwise in a yearly log, at the latest 60 days after the end of the calendar year of discovery. A notice counts when it is breach.notified.authority with metadata authority "hhs". The small-breach window is an outer bound (425 days, for a breach discovered on 1 January): a late-year breach logged late within it is not caught. Out of scope unless the organisation is a covered entity.',
    evidence: [
      answeredWithin(
        'secretary-notified-large',
        'Notifiable PHI breaches affecting 500 or more are notified to the Secretary within the window',
        phiBreach(NOTIFIABLE, meta('affected.band', '500-or-more')),
        SECRETARY,
        'secretary-notice-window',
      ),
      recorded('secretary-notified', 'The Secretary is notified of a breach', ['breach.notified.authority'], {
        metadata: [meta('authority', 'hhs')],
      }),
    ],
    violations: [
      answeredWithin(
        'secretary-not-notified-large',
        'A notifiable PHI breach affecting 500 or more was not notified to the Secretary within the window',
        phiBreach(NOTIFIABLE, meta('affected.band', '500-or-more')),
        SECRETARY,
        'secretary-notice-window',
      ),
      answeredWithin(
        'secretary-not-notified-small',
        'A notifiable PHI breach affecting fewer than 500 was not logged with the Secretary within the outer bound',
        phiBreach(NOTIFIABLE, meta('affected.band', 'under-500')),
        SECRETARY,
        'secretary-annual-log-window',
      ),
    ],
  }),
  standard('164.410', {
    title: 'Notification by a business associate',
    description:
      'A business associate that discovers a breach of unsecured PHI tells the covered entity without unreasonable delay and at the latest 60 days after discovery, naming the individuals affected as far as it can. The duty: every PHI breach answered by a successful breach.notified.controller within the window. Out of scope unless the organisation is a business associate.',
    evidence: [
      answeredWithin(
        'covered-entity-notified',
        'PHI breaches are notified to the covered entity within the window after discovery',
        phiBreach(),
        { action: actions('breach.notified.controller') },
        'business-associate-notice-window',
      ),
    ],
    violations: [
      answeredWithin(
        'covered-entity-not-notified',
        'A PHI breach was not notified to the covered entity within the window after discovery',
        phiBreach(),
        { action: actions('breach.notified.controller') },
        'business-associate-notice-window',
      ),
    ],
  }),
  standard('164.412', {
    title: 'Law enforcement delay',
    description:
      'A law enforcement official may ask that a notice be held back because it would impede an investigation: for the time a written statement gives, or at most 30 days after an oral one. A recorded delay (breach.notification.delayed) is the entity documenting the request; the rules of 164.404–164.410 do not extend their windows for it, so a notice held back lawfully shows there as a finding to disposition as not a deviation, with the delay as its reason.',
    evidence: [recorded('delay-documented', 'A law enforcement request to delay a notice is documented', ['breach.notification.delayed'])],
    violations: [],
  }),
  standard('164.414', {
    title: 'Burden of proof',
    description:
      'The entity must be able to show that every notice required was given, or that a breach needed none. The duty: every PHI breach recorded with the decision whether it is notifiable (metadata notifiable); one recorded without it is a finding.',
    evidence: [
      {
        id: 'notification-decided',
        kind: 'RATIO',
        description: 'Every PHI breach carries the decision whether it must be notified',
        population: phiBreach(),
        qualifying: { metadata: [{ path: 'notifiable', exists: true }] },
        atLeast: 1,
      },
    ],
    violations: [
      observed('notification-undecided', 'A PHI breach was recorded without the decision whether it must be notified', {
        ...phiBreach(),
        metadata: [{ path: 'notifiable', exists: false }],
      }),
    ],
  }),
];
