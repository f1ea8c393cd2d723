import type { Control, ControlMapping, MappingRelationship, NamePattern } from '../../src/plugin-api';

/** The safeguard a section of the Security Rule belongs to; every control carries it as a tag. */
export type Safeguard = 'administrative' | 'physical' | 'technical' | 'organizational' | 'documentation';

/** Whether the regulation requires an implementation specification or leaves it addressable. */
export type Requirement = 'required' | 'addressable';

type ControlBody = Omit<Control, 'id' | 'parentId' | 'tags'>;

/** Factories for the standards and implementation specifications of one safeguard, tagged alike. */
export const safeguard = (tag: Safeguard) => ({
  standard: (id: string, body: ControlBody): Control => ({ id, ...body, tags: ['standard', tag] }),
  specification: (parentId: string, id: string, requirement: Requirement, body: ControlBody): Control => ({
    id,
    parentId,
    ...body,
    tags: ['implementation-specification', requirement, tag],
  }),
});

/** Exact action names. */
export const actions = (...names: string[]): NamePattern[] => names.map((equals) => ({ equals }));

/** A mapping to a GDPR article. */
export const gdpr = (controlId: string, relationship: MappingRelationship): ControlMapping => ({
  frameworkId: 'gdpr',
  controlId,
  relationship,
});
