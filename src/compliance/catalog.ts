import { createHash } from 'node:crypto';
import type {
  Control,
  ControlMapping,
  DataCategory,
  Framework,
  FrameworkParameter,
  FrameworkPlugin,
  MappingRelationship,
} from '../plugin-api';
import { parametersInForce, resolveControls } from './framework-parameters';

/** Data categories the service knows without any plugin. Plugins add more (`dataCategories`). */
export const BUILT_IN_CATEGORIES: readonly DataCategory[] = [
  { id: 'PII', description: 'Personal data: information about an identified or identifiable person.' },
  { id: 'PHI', description: 'Protected health information (HIPAA): health data tied to an individual.' },
  { id: 'PCI', description: 'Payment card data (PCI DSS): card numbers and cardholder data.' },
  { id: 'CREDENTIALS', description: 'Secrets that grant access: passwords, keys, tokens.' },
  { id: 'FINANCIAL', description: 'Financial records: accounts, transactions, statements.' },
  { id: 'BIOMETRIC', description: 'Biometric identifiers: fingerprints, face or voice templates.' },
  { id: 'LOCATION', description: 'Precise location of a person or device.' },
];

/** A mapping as seen from one control: declared by it, or the inverse of one declared towards it. */
export interface ResolvedMapping extends ControlMapping {
  direction: 'DECLARED' | 'INVERSE';
}

export interface CategoryInfo extends DataCategory {
  /** `built-in`, or the id of the plugin that added it. */
  source: string;
}

const INVERSE: Record<MappingRelationship, MappingRelationship> = {
  EQUIVALENT: 'EQUIVALENT',
  INTERSECTS: 'INTERSECTS',
  SUBSET: 'SUPERSET',
  SUPERSET: 'SUBSET',
};

export interface LoadedFramework {
  framework: Framework;
  plugin: FrameworkPlugin<unknown>;
  /** The controls with every parameter at its default (plugin API 1.5.0). */
  controls: readonly Control[];
  /** The organisation-defined parameters the framework declares. */
  parameters: readonly FrameworkParameter[];
  /** SHA-256 (16 hex digits) of the catalog: cached assessments name the exact rules behind them. */
  fingerprint: string;
}

const key = (frameworkId: string, controlId: string) => `${frameworkId}\u0000${controlId}`;

/**
 * The loaded frameworks, indexed: controls by id, children, and every mapping from both of its
 * ends. Built once from the plugin registry; immutable.
 */
export class ComplianceCatalog {
  private readonly byId = new Map<string, LoadedFramework>();
  private readonly controlIndex = new Map<string, Control>();
  private readonly childIndex = new Map<string, Control[]>();
  private readonly mappingIndex = new Map<string, ResolvedMapping[]>();
  private readonly categoryList: CategoryInfo[];

  constructor(plugins: readonly FrameworkPlugin<unknown>[]) {
    for (const plugin of plugins) {
      const { framework } = plugin.catalog;
      const parameters = plugin.catalog.parameters ?? [];
      const controls = resolveControls(plugin.catalog, parametersInForce(parameters));
      const fingerprint = createHash('sha256').update(JSON.stringify(plugin.catalog)).digest('hex').slice(0, 16);
      this.byId.set(framework.id, { framework, plugin, controls, parameters, fingerprint });
      for (const control of controls) {
        this.controlIndex.set(key(framework.id, control.id), control);
        if (control.parentId) {
          const siblings = this.childIndex.get(key(framework.id, control.parentId)) ?? [];
          siblings.push(control);
          this.childIndex.set(key(framework.id, control.parentId), siblings);
        }
      }
    }
    const add = (from: string, mapping: ResolvedMapping) => {
      const existing = this.mappingIndex.get(from) ?? [];
      const same = existing.findIndex((m) => m.frameworkId === mapping.frameworkId && m.controlId === mapping.controlId);
      if (same === -1) existing.push(mapping);
      else if (existing[same].direction === 'INVERSE' && mapping.direction === 'DECLARED') existing[same] = mapping;
      this.mappingIndex.set(from, existing);
    };
    for (const plugin of plugins) {
      const frameworkId = plugin.catalog.framework.id;
      for (const control of plugin.catalog.controls) {
        for (const m of control.mappings ?? []) {
          add(key(frameworkId, control.id), { ...m, direction: 'DECLARED' });
          add(key(m.frameworkId, m.controlId), {
            frameworkId,
            controlId: control.id,
            relationship: INVERSE[m.relationship],
            direction: 'INVERSE',
          });
        }
      }
    }
    const categories = new Map<string, CategoryInfo>(BUILT_IN_CATEGORIES.map((c) => [c.id, { ...c, source: 'built-in' }]));
    for (const plugin of plugins) {
      for (const c of plugin.catalog.dataCategories ?? []) if (!categories.has(c.id)) categories.set(c.id, { ...c, source: plugin.id });
    }
    this.categoryList = [...categories.values()];
  }

  frameworks(): LoadedFramework[] {
    return [...this.byId.values()];
  }

  framework(id: string): LoadedFramework | undefined {
    return this.byId.get(id);
  }

  control(frameworkId: string, controlId: string): Control | undefined {
    return this.controlIndex.get(key(frameworkId, controlId));
  }

  children(frameworkId: string, controlId: string): readonly Control[] {
    return this.childIndex.get(key(frameworkId, controlId)) ?? [];
  }

  /** Every mapping of a control, declared by either side; one per other control. */
  mappings(frameworkId: string, controlId: string): readonly ResolvedMapping[] {
    return this.mappingIndex.get(key(frameworkId, controlId)) ?? [];
  }

  categories(): readonly CategoryInfo[] {
    return this.categoryList;
  }
}
