import type { FrameworkPlugin } from '../plugin-api';
import type { ContractProblem } from './contract-report';

/**
 * Scope declarations the host accepts but that do nothing yet (ADR 0040): a tag of a scope option,
 * or the alternative-measure tag, that no control carries. The host allows them so a category can
 * be declared before its controls exist (SOC 2 processing integrity); a typo looks the same, so
 * `plugin check` says so.
 */
export function scopeWarnings(plugin: FrameworkPlugin<unknown>): ContractProblem[] {
  const { controls, scoping = [], alternativeMeasures } = plugin.catalog;
  const carried = new Set(controls.flatMap((c) => c.tags ?? []));
  const problems: ContractProblem[] = [];
  scoping.forEach((dimension, i) =>
    dimension.options.forEach((option, j) =>
      (option.tags ?? []).forEach((tag, k) => {
        if (carried.has(tag)) return;
        problems.push({
          level: 'warning',
          path: `catalog.scoping[${i}].options[${j}].tags[${k}]`,
          message: `no control carries the tag "${tag}": selecting or deselecting ${option.name} changes nothing for it until one does (a typo?)`,
        });
      }),
    ),
  );
  if (alternativeMeasures && !carried.has(alternativeMeasures.tag)) {
    problems.push({
      level: 'warning',
      path: 'catalog.alternativeMeasures.tag',
      message: `no control carries the tag "${alternativeMeasures.tag}": no control can be attested ADDRESSED_BY_ALTERNATIVE`,
    });
  }
  return problems;
}
