import type { AlternativeMeasures, ScopeDimension } from '../../src/plugin-api';

/**
 * Which Security Rule specifications apply to the entity (ADR 0040). Most apply to covered
 * entities and business associates alike (164.302); these do not:
 * - 164.308(a)(4)(ii)(A) binds a health care clearinghouse that is part of a larger organization;
 * - 164.314(a)(2)(ii), other arrangements, binds a covered entity that is a governmental entity
 *   (or one required by law to work with its business associate without a contract);
 * - 164.314(b), group health plan requirements, binds a group health plan whose plan sponsor
 *   receives ePHI;
 * - 164.314(a)(2)(iii) binds a business associate's contracts with its subcontractors.
 * 164.308(b)(1) and 164.314(a)(2)(i) apply to both, read for a business associate as its contracts
 * with subcontractors (164.308(b)(2)): they stay in scope for either role.
 * In the Breach Notification Rule, the notices to individuals, media and the Secretary
 * (164.404–164.408) bind a covered entity, the notice to the covered entity (164.410) a business
 * associate; the law enforcement delay and the burden of proof (164.412, 164.414) bind both.
 */
export const scoping: ScopeDimension[] = [
  {
    id: 'role',
    name: 'role',
    description:
      'What the organisation is under HIPAA (45 CFR 160.103): any of a covered entity (health plan or health care provider), ' +
      'a health care clearinghouse that is part of a larger organization, and a business associate.',
    multiple: true,
    options: [
      {
        id: 'covered-entity',
        name: 'Covered entity',
        description: 'A health plan or a health care provider that transmits health information electronically.',
        controls: ['164.314(a)(2)(ii)', '164.314(b)(1)', '164.404', '164.406', '164.408'],
      },
      {
        id: 'clearinghouse',
        name: 'Health care clearinghouse',
        description: 'A health care clearinghouse that is part of a larger organization (164.308(a)(4)(ii)(A)).',
        controls: ['164.308(a)(4)(ii)(A)'],
      },
      {
        id: 'business-associate',
        name: 'Business associate',
        description: 'Creates, receives, maintains or transmits ePHI on behalf of a covered entity, possibly through subcontractors.',
        controls: ['164.314(a)(2)(iii)', '164.410'],
      },
    ],
    // Every role: what an assessment covered before scoping existed (ADR 0040).
    default: ['covered-entity', 'clearinghouse', 'business-associate'],
  },
  {
    id: 'covered-entity-arrangements',
    name: 'arrangement',
    description:
      'Organizational requirements that bind only some covered entities: a governmental entity using other arrangements ' +
      'instead of business associate contracts (164.314(a)(2)(ii)), and a group health plan whose sponsor receives ePHI (164.314(b)).',
    multiple: true,
    options: [
      {
        id: 'governmental-entity',
        name: 'Governmental entity',
        description: 'The covered entity and its business associate are governmental entities (164.314(a)(2)(ii), 164.504(e)(3)).',
        controls: ['164.314(a)(2)(ii)'],
      },
      {
        id: 'group-health-plan',
        name: 'Group health plan',
        description: 'A group health plan whose plan sponsor creates, receives, maintains or transmits ePHI (164.314(b)).',
        controls: ['164.314(b)(1)'],
      },
    ],
    default: ['governmental-entity', 'group-health-plan'],
  },
];

/** Addressable implementation specifications may be met by an equivalent alternative measure. */
export const alternativeMeasures: AlternativeMeasures = { tag: 'addressable', citation: '45 CFR 164.306(d)(3)(ii)(B)' };
