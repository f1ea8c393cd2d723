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
  classificationRules?: ClassificationRule[];
  dataCategories?: DataCategory[];
}
