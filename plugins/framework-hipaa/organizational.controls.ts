import type { Control } from '../../src/plugin-api';
import { actions, gdpr, safeguard } from './helpers';

const { standard, specification } = safeguard('organizational');

/** 45 CFR 164.314: organizational requirements. */
export const organizationalControls: Control[] = [
  standard('164.314(a)(1)', {
    title: 'Business associate contracts or other arrangements',
    description:
      'The contract or other arrangement with a business associate meets the requirements of 164.314(a)(2), and a covered entity that learns of a material breach of it by the associate acts to end the breach. Signed agreements and vendor reviews are recorded.',
    evidence: [
      {
        id: 'associate-agreements-signed',
        kind: 'MATCH',
        description: 'Business associate agreements are signed',
        match: { action: actions('processor.agreement.signed'), outcome: ['SUCCESS'] },
      },
      {
        id: 'vendors-reviewed',
        kind: 'MATCH',
        description: 'Vendor risk reviews are completed',
        match: { action: actions('vendor.review.completed'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [gdpr('Art. 28', 'INTERSECTS')],
  }),
  specification('164.314(a)(1)', '164.314(a)(2)(i)', 'required', {
    title: 'Business associate contracts',
    description:
      'The contract binds the business associate to the Security Rule, to the same terms for its own subcontractors, and to reporting security incidents, breaches of unsecured PHI included. Signed agreements are recorded.',
    evidence: [
      {
        id: 'associate-agreements-signed',
        kind: 'MATCH',
        description: 'Business associate agreements are signed',
        match: { action: actions('processor.agreement.signed'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [gdpr('Art. 28', 'INTERSECTS')],
  }),
  specification('164.314(a)(1)', '164.314(a)(2)(ii)', 'required', {
    title: 'Other arrangements',
    description:
      'When the covered entity and its business associate are both government entities, a memorandum of understanding or a binding law may stand in for the contract. Signed arrangements are recorded.',
    evidence: [
      {
        id: 'arrangements-signed',
        kind: 'MATCH',
        description: 'Business associate arrangements are signed',
        match: { action: actions('processor.agreement.signed'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [gdpr('Art. 28', 'INTERSECTS')],
  }),
  specification('164.314(a)(1)', '164.314(a)(2)(iii)', 'required', {
    title: 'Business associate contracts with subcontractors',
    description:
      'The same contract requirements apply between a business associate and each subcontractor that handles ePHI for it. Subcontractor agreements and vendor reviews are recorded.',
    evidence: [
      {
        id: 'subcontractor-agreements-signed',
        kind: 'MATCH',
        description: 'Subcontractor agreements are signed',
        match: { action: actions('processor.agreement.signed'), outcome: ['SUCCESS'] },
      },
      {
        id: 'vendors-reviewed',
        kind: 'MATCH',
        description: 'Vendor and subcontractor risk reviews are completed',
        match: { action: actions('vendor.review.completed'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
    mappings: [gdpr('Art. 28', 'INTERSECTS')],
  }),

  standard('164.314(b)(1)', {
    title: 'Requirements for group health plans',
    description:
      'Unless it only discloses summary health information, enrollment data or information released under an authorization, a group health plan has its plan documents require the plan sponsor to protect the ePHI it handles for the plan. Approved plan documents are recorded as policy approvals.',
    evidence: [
      {
        id: 'plan-documents-approved',
        kind: 'MATCH',
        description: 'Plan documents and policies are approved',
        match: { action: actions('policy.approved'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
  }),
  specification('164.314(b)(1)', '164.314(b)(2)', 'required', {
    title: 'Implementation specifications',
    description:
      'The plan documents oblige the sponsor to put safeguards in place, to keep the required separation between plan and sponsor, to bind its agents to reasonable safeguards, and to report security incidents to the plan. Approved plan documents and signed agent agreements are recorded.',
    evidence: [
      {
        id: 'plan-documents-approved',
        kind: 'MATCH',
        description: 'Plan documents and policies are approved',
        match: { action: actions('policy.approved'), outcome: ['SUCCESS'] },
      },
      {
        id: 'agent-agreements-signed',
        kind: 'MATCH',
        description: 'Agreements binding agents to safeguards are signed',
        match: { action: actions('processor.agreement.signed'), outcome: ['SUCCESS'] },
      },
    ],
    violations: [],
  }),
];
