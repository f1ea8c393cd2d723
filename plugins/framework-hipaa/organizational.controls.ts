import type { CatalogControl } from '../../src/plugin-api';
import { gdpr, meta, recorded, safeguard } from './helpers';

const { standard, specification } = safeguard('organizational');

/** Agreements of one kind: `processor.agreement.signed` with metadata `agreement.type`. */
const agreementOfType = (type: string) => ({ metadata: [meta('agreement.type', type)] });

/** Approved plan documents of a group health plan: `policy.approved` with metadata `policy.type` "plan-documents". */
const PLAN_DOCUMENTS = { metadata: [meta('policy.type', 'plan-documents')] };

/** 45 CFR 164.314: organizational requirements. */
export const organizationalControls: CatalogControl[] = [
  standard('164.314(a)(1)', {
    title: 'Business associate contracts or other arrangements',
    description:
      'The contract or other arrangement with a business associate meets the requirements of 164.314(a)(2), and a covered entity that learns of a material breach of it by the associate acts to end the breach. Signed agreements and vendor reviews are recorded.',
    evidence: [
      recorded('associate-agreements-signed', 'Business associate agreements are signed', ['processor.agreement.signed']),
      recorded('vendors-reviewed', 'Vendor risk reviews are completed', ['vendor.review.completed']),
    ],
    violations: [],
    mappings: [gdpr('Art. 28', 'INTERSECTS')],
  }),
  specification('164.314(a)(1)', '164.314(a)(2)(i)', 'required', {
    title: 'Business associate contracts',
    description:
      'The contract binds the business associate to the Security Rule, to the same terms for its own subcontractors, and to reporting security incidents, breaches of unsecured PHI included. Signed agreements are recorded.',
    evidence: [recorded('associate-agreements-signed', 'Business associate agreements are signed', ['processor.agreement.signed'])],
    violations: [],
    mappings: [gdpr('Art. 28', 'INTERSECTS')],
  }),
  specification('164.314(a)(1)', '164.314(a)(2)(ii)', 'required', {
    title: 'Other arrangements',
    description:
      'When the covered entity and its business associate are both government entities, a memorandum of understanding or a binding law may stand in for the contract. Only such arrangements count (metadata agreement.type "memorandum-of-understanding" or "legal-mandate"), not every signed agreement. Out of scope unless the organisation is a governmental covered entity.',
    evidence: [
      recorded(
        'other-arrangements-signed',
        'A memorandum of understanding or a legal mandate stands in for the contract',
        ['processor.agreement.signed'],
        {
          metadata: [{ path: 'agreement.type', in: ['memorandum-of-understanding', 'legal-mandate'] }],
        },
      ),
    ],
    violations: [],
    mappings: [gdpr('Art. 28', 'INTERSECTS')],
  }),
  specification('164.314(a)(1)', '164.314(a)(2)(iii)', 'required', {
    title: 'Business associate contracts with subcontractors',
    description:
      'The same contract requirements apply between a business associate and each subcontractor that handles ePHI for it. Subcontractor agreements (metadata agreement.type "subcontractor") and vendor reviews are recorded. Out of scope unless the organisation is a business associate.',
    evidence: [
      recorded(
        'subcontractor-agreements-signed',
        'Subcontractor agreements are signed',
        ['processor.agreement.signed'],
        agreementOfType('subcontractor'),
      ),
      recorded('vendors-reviewed', 'Vendor and subcontractor risk reviews are completed', ['vendor.review.completed']),
    ],
    violations: [],
    mappings: [gdpr('Art. 28', 'INTERSECTS')],
  }),

  standard('164.314(b)(1)', {
    title: 'Requirements for group health plans',
    description:
      'Unless it only discloses summary health information, enrollment data or information released under an authorization, a group health plan has its plan documents require the plan sponsor to protect the ePHI it handles for the plan. Only approved plan documents count (policy.approved with metadata policy.type "plan-documents"). Out of scope unless the organisation is a group health plan.',
    evidence: [recorded('plan-documents-approved', 'The plan documents are approved', ['policy.approved'], PLAN_DOCUMENTS)],
    violations: [],
  }),
  specification('164.314(b)(1)', '164.314(b)(2)', 'required', {
    title: 'Implementation specifications',
    description:
      'The plan documents oblige the sponsor to put safeguards in place, to keep the required separation between plan and sponsor, to bind its agents to reasonable safeguards, and to report security incidents to the plan. Approved plan documents and agreements binding the sponsor’s agents (metadata agreement.type "plan-sponsor-agent") are recorded.',
    evidence: [
      recorded('plan-documents-approved', 'The plan documents are approved', ['policy.approved'], PLAN_DOCUMENTS),
      recorded(
        'agent-agreements-signed',
        'Agreements binding the sponsor’s agents to safeguards are signed',
        ['processor.agreement.signed'],
        agreementOfType('plan-sponsor-agent'),
      ),
    ],
    violations: [],
  }),
];
