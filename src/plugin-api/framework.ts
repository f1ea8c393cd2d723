import type { FrameworkParameter, ParameterisedRule } from './parameters';
import type { ClassificationRule, DataCategory, EventRule } from './rules';

/**
 * How a control relates to a control of another framework.
 *
 * - `EQUIVALENT`: both require the same.
 * - `SUBSET`: this control requires part of the other.
 * - `SUPERSET`: this control requires all of the other and more.
 * - `INTERSECTS`: they overlap in part.
 *
 * @example
 * ```ts
 * const relationship: MappingRelationship = 'INTERSECTS';
 * ```
 */
export type MappingRelationship = 'EQUIVALENT' | 'SUBSET' | 'SUPERSET' | 'INTERSECTS';

/**
 * A cross-reference from a control to a control of another (or the same) framework. The other
 * framework need not be loaded; the mapping is then kept but not resolvable.
 *
 * @example
 * ```ts
 * const mapping: ControlMapping = { frameworkId: 'hipaa', controlId: '164.312(b)', relationship: 'INTERSECTS' };
 * ```
 */
export interface ControlMapping {
  /** The other framework's `Framework.id`. */
  frameworkId: string;
  /** The other control's reference id. */
  controlId: string;
  relationship: MappingRelationship;
}

/**
 * One requirement of a framework, under its real reference id. `R` is the rule type: a catalog's
 * controls hold {@link ParameterisedRule}s (see {@link CatalogControl}); an assessment sees them
 * with every parameter resolved to a value.
 *
 * @example
 * ```ts
 * const control: Control = {
 *   id: 'CC6.1',
 *   title: 'Logical access security',
 *   description: 'Access to information assets is restricted to authorised users.',
 *   evidence: [{ id: 'logins', kind: 'MATCH', description: 'Authenticated logins', match: { action: [{ prefix: 'auth.login' }], outcome: ['SUCCESS'] } }],
 *   violations: [],
 *   mappings: [{ frameworkId: 'hipaa', controlId: '164.312(a)(1)', relationship: 'INTERSECTS' }],
 * };
 * ```
 */
export interface Control<R = EventRule> {
  /** The reference id the standard uses: `CC6.1`, `164.312(b)`, `Art. 32`. Unique in its framework. */
  id: string;
  title: string;
  description: string;
  /** Id of the enclosing control, for hierarchies (a HIPAA standard and its implementation specifications). */
  parentId?: string;
  /** Rules whose matches show the control operating. Empty: only an attestation can show it. */
  evidence: R[];
  /** Rules whose matches are findings against the control. */
  violations: R[];
  /** Cross-references to other frameworks' controls. */
  mappings?: ControlMapping[];
  /** Free-form labels, e.g. `required` / `addressable` for HIPAA implementation specifications. */
  tags?: string[];
}

/**
 * A control as a catalog writes it: its rules' `count` and `within` may name a declared parameter
 * (plugin API 1.5.0).
 *
 * @example
 * ```ts
 * const control: CatalogControl = { id: 'Art. 33', title: 'Breach notification', description: 'Notify within the deadline.',
 *   evidence: [], violations: [{ id: 'late', kind: 'NOT_FOLLOWED_BY', description: 'Breach not notified in time',
 *     trigger: { action: [{ equals: 'breach.detected' }] }, followUp: { action: [{ equals: 'breach.notified' }] },
 *     within: { parameter: 'breach-notification-hours' }, correlation: 'TENANT' }] };
 * ```
 */
export type CatalogControl = Control<ParameterisedRule>;

/**
 * The framework a framework plugin provides.
 *
 * @example
 * ```ts
 * const framework: Framework = { id: 'soc2', name: 'SOC 2', version: '2017 (rev. 2022)', description: 'Trust Services Criteria' };
 * ```
 */
export interface Framework {
  /** Kebab-case, what mappings and assessments name it by. Unique among loaded frameworks. */
  id: string;
  name: string;
  /** The standard's own edition, free-form (`2017 (rev. 2022)`, `2016/679`). */
  version: string;
  description: string;
}

/**
 * Everything a framework plugin contributes: the framework, its controls, classification rules
 * and extra data categories. The same shape is the catalog file of a pure-data plugin.
 *
 * @example
 * ```ts
 * const catalog: FrameworkCatalog = { framework, controls: [control], classificationRules: [], dataCategories: [] };
 * ```
 */
export interface FrameworkCatalog {
  framework: Framework;
  controls: CatalogControl[];
  /**
   * Organisation-defined parameters (thresholds and windows) the rules name, with defaults a tenant
   * may override within bounds (plugin API 1.5.0). Ids are unique; a rule naming an undeclared
   * parameter, or one of the wrong type, fails the plugin's load.
   */
  parameters?: FrameworkParameter[];
  /**
   * What a tenant may take in or out of scope (plugin API 1.7.0): each dimension offers options,
   * and each option names the controls it brings into scope. A control no option names is always
   * in scope; see {@link ScopeDimension}.
   */
  scoping?: ScopeDimension[];
  /**
   * Controls a tenant may record as addressed by an alternative measure instead of as written
   * (plugin API 1.7.0): see {@link AlternativeMeasures}.
   */
  alternativeMeasures?: AlternativeMeasures;
  classificationRules?: ClassificationRule[];
  dataCategories?: DataCategory[];
}

/**
 * One choice of a {@link ScopeDimension} (plugin API 1.7.0). It brings into scope the controls
 * carrying any of `tags` and those listed in `controls` (reference ids of this catalog), with
 * their implementation specifications (children follow their parent).
 *
 * @example
 * ```ts
 * const availability: ScopeOption = { id: 'availability', name: 'Availability', description: 'A1.1 to A1.3', tags: ['availability'] };
 * ```
 */
export interface ScopeOption {
  /** Kebab-case, unique within its dimension; what a tenant's selection names. */
  id: string;
  /** A short label for reasons and reports: "Availability" reads "SOC 2 category Availability is not selected". */
  name: string;
  description: string;
  /** Always selected: a selection without it is refused (SOC 2 Security). Only in a multiple-choice dimension. */
  required?: boolean;
  /** Controls with any of these tags are brought into scope. A tag no control carries yet is allowed (`plugin check` warns). */
  tags?: string[];
  /** Reference ids of controls brought into scope; each must be a control of the catalog. */
  controls?: string[];
}

/**
 * A question the tenant answers to scope the framework (plugin API 1.7.0): the SOC 2 categories
 * in the examination, the HIPAA role, the GDPR role. A control named by some option of a
 * dimension is in scope only when one of the options naming it is selected; a control named in
 * several dimensions must be selected in each. Out-of-scope controls are NOT_APPLICABLE with a
 * reason naming the selection, their rules are not run, and they leave the score's denominator.
 * Without a selection of its own, a tenant has `default`.
 *
 * @example
 * ```ts
 * const categories: ScopeDimension = { id: 'trust-services-categories', name: 'category', description: 'Categories in the examination',
 *   multiple: true, default: ['security', 'availability'], options: [
 *     { id: 'security', name: 'Security', description: 'Common criteria', required: true, tags: ['common-criteria'] },
 *     { id: 'availability', name: 'Availability', description: 'A1', tags: ['availability'] }] };
 * ```
 */
export interface ScopeDimension {
  /** Kebab-case, unique within the framework. */
  id: string;
  /** What the options are, in a sentence's middle: "category", "role". */
  name: string;
  description: string;
  /** True: any number of options (at least the required ones); false: exactly one. */
  multiple: boolean;
  options: ScopeOption[];
  /** The selection of a tenant that made none: option ids, exactly one when not `multiple`, every required option included. */
  default: string[];
}

/**
 * Which controls may be recorded as addressed by an alternative measure (plugin API 1.7.0): the
 * HIPAA Security Rule lets an entity that documents why an addressable implementation
 * specification is not reasonable and appropriate implement an equivalent alternative measure
 * instead (45 CFR 164.306(d)(3)(ii)(B)). Only controls carrying `tag` accept the attestation status
 * ADDRESSED_BY_ALTERNATIVE; it is distinct from NOT_APPLICABLE and counts as shown in the score.
 *
 * @example
 * ```ts
 * const alternatives: AlternativeMeasures = { tag: 'addressable', citation: '45 CFR 164.306(d)(3)(ii)(B)' };
 * ```
 */
export interface AlternativeMeasures {
  /** The tag of the controls that accept an alternative measure. */
  tag: string;
  /** The provision that allows it, as reasons and reports cite it. */
  citation: string;
}
