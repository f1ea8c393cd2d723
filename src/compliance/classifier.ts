import type { Classified, Classifier } from '../ingest/classifier';
import { CLASSIFICATION_LEVELS, type ClassificationLevel, type ClassificationRule, type FrameworkPlugin } from '../plugin-api';
import { namePredicate } from './name-pattern';

interface CompiledRule {
  test: (action: string, resourceType: string) => boolean;
  classification?: ClassificationLevel;
  categories: readonly string[];
}

function compile(rule: ClassificationRule): CompiledRule {
  const any = (patterns: ClassificationRule['action']) => {
    if (!patterns) return () => true;
    const tests = patterns.map(namePredicate);
    return (name: string) => tests.some((t) => t(name));
  };
  const action = any(rule.action);
  const resourceType = any(rule.resourceType);
  // Every field the rule gives must hold, as in an EventMatch.
  return {
    test: (a, r) => action(a) && resourceType(r),
    classification: rule.classification,
    categories: rule.categories ?? [],
  };
}

/**
 * The classification rules of every loaded framework as one function. Null when no plugin declares
 * any, so ingest skips the lookup entirely. Results are memoised per (action, resource type): both
 * come from a small vocabulary.
 */
export function createClassifier(plugins: readonly FrameworkPlugin<unknown>[]): Classifier | null {
  const rules = plugins.flatMap((p) => (p.catalog.classificationRules ?? []).map(compile));
  if (!rules.length) return null;
  const memo = new Map<string, Classified>();
  return ({ action, resourceType }) => {
    const memoKey = `${action}\u0000${resourceType}`;
    const known = memo.get(memoKey);
    if (known) return known;
    let rank = -1;
    const categories = new Set<string>();
    for (const rule of rules) {
      if (!rule.test(action, resourceType)) continue;
      if (rule.classification) rank = Math.max(rank, CLASSIFICATION_LEVELS.indexOf(rule.classification));
      for (const c of rule.categories) categories.add(c);
    }
    const result: Classified = { classification: rank >= 0 ? CLASSIFICATION_LEVELS[rank] : undefined, categories: [...categories].sort() };
    if (memo.size < 50_000) memo.set(memoKey, result);
    return result;
  };
}
