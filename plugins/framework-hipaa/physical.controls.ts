import type { CatalogControl } from '../../src/plugin-api';
import { actions, failureNotRecovered, gdpr, safeguard, succeeded } from './helpers';

const { standard, specification } = safeguard('physical');

/** 45 CFR 164.310: physical safeguards. */
export const physicalControls: CatalogControl[] = [
  standard('164.310(a)(1)', {
    title: 'Facility access controls',
    description:
      'Physical access to systems holding ePHI, and to the facilities that house them, is limited to authorized people while authorized access stays possible. Granted and refused physical entries are recorded.',
    evidence: [
      {
        id: 'facility-entry-controlled',
        kind: 'MATCH',
        description: 'Physical entries are granted or refused at controlled doors',
        match: { action: actions('facility.access'), outcome: ['SUCCESS', 'DENIED'] },
      },
    ],
    violations: [],
  }),
  specification('164.310(a)(1)', '164.310(a)(2)(i)', 'addressable', {
    title: 'Contingency operations',
    description:
      'Procedures let the right people into the facility to restore lost data under the disaster recovery and emergency mode plans. Contingency plan tests record that this was exercised.',
    evidence: [
      {
        id: 'contingency-access-exercised',
        kind: 'MATCH',
        description: 'Contingency plan tests, facility access included, are completed',
        match: { action: actions('contingency.test.completed'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
  }),
  specification('164.310(a)(1)', '164.310(a)(2)(ii)', 'addressable', {
    title: 'Facility security plan',
    description:
      'The facility and the equipment in it are protected from unauthorized physical access, tampering and theft. Every recorded physical entry attempt shows the plan being enforced.',
    evidence: [
      {
        id: 'facility-entries-recorded',
        kind: 'MATCH',
        description: 'Physical entry attempts are recorded',
        match: { action: actions('facility.access') },
      },
    ],
    violations: [],
  }),
  specification('164.310(a)(1)', '164.310(a)(2)(iii)', 'addressable', {
    title: 'Access control and validation procedures',
    description:
      "A person's physical access to facilities, and to software programs for testing and revision, is controlled and validated by role or function, visitors included. Granted and refused entries are recorded; five refused entries for one person within ten minutes are a finding.",
    evidence: [
      {
        id: 'entry-validated',
        kind: 'MATCH',
        description: 'Physical entries are validated and granted or refused',
        match: { action: actions('facility.access'), outcome: ['SUCCESS', 'DENIED'] },
      },
    ],
    violations: [
      {
        id: 'repeated-entry-refused',
        kind: 'BURST',
        description: 'Five refused physical entries for one person within ten minutes',
        match: { action: actions('facility.access'), outcome: ['DENIED'] },
        count: 5,
        within: { minutes: 10 },
        correlation: 'ACTOR',
      },
    ],
  }),
  specification('164.310(a)(1)', '164.310(a)(2)(iv)', 'addressable', {
    title: 'Maintenance records',
    description:
      'Repairs and changes to the physical security parts of a facility, such as hardware, walls, doors and locks, are documented. Facility events are collected as that record.',
    evidence: [
      {
        id: 'facility-events-recorded',
        kind: 'MATCH',
        description: 'Facility events, physical security repairs and changes included, are recorded',
        match: { action: [{ prefix: 'facility.' }] },
      },
    ],
    violations: [],
  }),

  standard('164.310(b)', {
    title: 'Workstation use',
    description:
      'Policies set out the proper functions, manner of use and physical surroundings of workstations that can reach ePHI. Staff acknowledgements of these policies are recorded.',
    evidence: [
      {
        id: 'workstation-policy-acknowledged',
        kind: 'MATCH',
        description: 'Staff acknowledge the security policies, workstation use included',
        match: { action: actions('policy.acknowledged'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
  }),

  standard('164.310(c)', {
    title: 'Workstation security',
    description:
      'Physical safeguards keep workstations that can reach ePHI available only to authorized users. Controlled entry to the areas where such workstations stand is recorded; an idle session closed by software is automatic logoff (164.312(a)(2)(iii)), not a physical safeguard, and does not count here.',
    evidence: [
      {
        id: 'workstation-areas-controlled',
        kind: 'MATCH',
        description: 'Physical entries to controlled areas are granted or refused',
        match: { action: actions('facility.access'), outcome: ['SUCCESS', 'DENIED'] },
      },
    ],
    violations: [],
  }),

  standard('164.310(d)(1)', {
    title: 'Device and media controls',
    description:
      'Policies govern how hardware and electronic media holding ePHI are received, moved within and removed from a facility. Device disposals and media sanitization are recorded.',
    evidence: [
      {
        id: 'devices-and-media-handled',
        kind: 'MATCH',
        description: 'Devices are disposed of and media sanitized',
        match: { action: actions('device.disposed', 'media.sanitized'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [gdpr('Art. 32', 'INTERSECTS')],
  }),
  specification('164.310(d)(1)', '164.310(d)(2)(i)', 'required', {
    title: 'Disposal',
    description:
      'ePHI, and the hardware or media it is stored on, is disposed of for good. Completed disposals and sanitisations are recorded; a device disposed of without a successful sanitisation of it beforehand is a finding, as in SOC 2 CC6.5.',
    evidence: [
      {
        id: 'disposals-completed',
        kind: 'MATCH',
        description: 'Devices are disposed of and media sanitized',
        match: succeeded(['device.disposed', 'media.sanitized']),
      },
    ],
    violations: [
      {
        id: 'disposed-without-sanitization',
        kind: 'NOT_PRECEDED_BY',
        description: 'A device was disposed of without a successful sanitisation of it beforehand',
        trigger: succeeded(['device.disposed']),
        precededBy: succeeded(['media.sanitized']),
        within: { parameter: 'sanitization-before-disposal' },
        correlation: 'RESOURCE',
      },
    ],
  }),
  specification('164.310(d)(1)', '164.310(d)(2)(ii)', 'required', {
    title: 'Media re-use',
    description:
      'ePHI is removed from electronic media before the media is made available for re-use. Sanitisation is recorded; a sanitisation that failed and was not completed on a retry in time is a finding.',
    evidence: [
      {
        id: 'media-sanitized',
        kind: 'MATCH',
        description: 'Media are sanitized',
        match: succeeded(['media.sanitized']),
      },
    ],
    violations: [
      failureNotRecovered(
        'sanitization-not-completed',
        'A media sanitisation failed and was not completed on a retry in time',
        ['media.sanitized'],
        'failed-job-retry-window',
      ),
    ],
  }),
  specification('164.310(d)(1)', '164.310(d)(2)(iii)', 'addressable', {
    title: 'Accountability',
    description:
      'A record is kept of the movements of hardware and electronic media and of the person responsible for them. Device and media events are recorded with their actor.',
    evidence: [
      {
        id: 'device-movements-recorded',
        kind: 'MATCH',
        description: 'Device and media events are recorded',
        match: { action: [{ prefix: 'device.' }, { prefix: 'media.' }] },
      },
    ],
    violations: [],
  }),
  specification('164.310(d)(1)', '164.310(d)(2)(iv)', 'addressable', {
    title: 'Data backup and storage',
    description: 'When needed, a retrievable exact copy of ePHI is made before equipment is moved. Completed backups are recorded.',
    evidence: [
      {
        id: 'backups-completed',
        kind: 'MATCH',
        description: 'Backups are completed',
        match: { action: actions('backup.completed'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
  }),
];
