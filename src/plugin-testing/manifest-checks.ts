import { ErrorCode } from '../errors/error-code';
import { type EventMatch, type EventRule, type FrameworkPlugin, type Plugin, PLUGIN_API_VERSION } from '../plugin-api';
import { acceptsApiVersion } from '../plugin-host/api-range';
import { parametersInForce, resolveControls } from '../compliance/framework-parameters';
import { pluginProblems } from '../plugin-host/manifest.schema';
import { type ContractProblem, error } from './contract-report';
import { BUILT_IN_CATEGORIES } from './sandbox';

// The checks of the plugin object itself, against the host's validation and the plugins it meets.

/** a. The host's validation, the API range, and the ids the built-ins already take. */
export function manifestProblems(value: unknown, builtIns: readonly Plugin[]): ContractProblem[] {
  const invalid = pluginProblems(value).map((p) => error(p.path, p.message, ErrorCode.PLUGIN_MANIFEST_INVALID));
  if (invalid.length) return invalid;
  const plugin = value as Plugin;
  const problems: ContractProblem[] = [];
  if (!acceptsApiVersion(plugin.apiVersion)) {
    problems.push(
      error(
        'apiVersion',
        `needs plugin API ${plugin.apiVersion}; this server provides ${PLUGIN_API_VERSION}`,
        ErrorCode.PLUGIN_API_UNSUPPORTED,
      ),
    );
  }
  // A built-in checked as itself is not a duplicate of itself.
  if (!builtIns.includes(plugin)) {
    const sameId = builtIns.find((b) => b.id === plugin.id);
    if (sameId) problems.push(error('id', `is the id of the built-in plugin ${sameId.id}; choose another`, ErrorCode.PLUGIN_DUPLICATE_ID));
    if (plugin.kind === 'framework') {
      const sameFramework = builtIns.find((b) => b.kind === 'framework' && b.catalog.framework.id === plugin.catalog.framework.id);
      if (sameFramework) {
        problems.push(
          error(
            'catalog.framework.id',
            `framework "${plugin.catalog.framework.id}" is already provided by the built-in plugin ${sameFramework.id}`,
            ErrorCode.PLUGIN_DUPLICATE_ID,
          ),
        );
      }
    }
  }
  return problems;
}

export function dependencyProblems(plugin: Plugin, known: readonly FrameworkPlugin<unknown>[]): ContractProblem[] {
  const ids = new Set(known.map((p) => p.id));
  return (plugin.dependsOn ?? []).flatMap((dep, i): ContractProblem[] => {
    if (dep === plugin.id) return [error(`dependsOn[${i}]`, 'the plugin depends on itself', ErrorCode.PLUGIN_DEPENDENCY_CYCLE)];
    if (ids.has(dep)) return [];
    return [
      {
        level: 'warning',
        path: `dependsOn[${i}]`,
        message: `depends on "${dep}", which is not built in: enable it in DATAPUNK_PLUGINS too, or the server refuses to start`,
        code: ErrorCode.PLUGIN_DEPENDENCY_MISSING,
      },
    ];
  });
}

/**
 * b. A control without evidence rules is allowed (the contract says only an attestation can show
 * it), but it is worth a warning: without an attestation it is NOT_ASSESSED at best. A parent is
 * shown by its children.
 */
export function evidenceProblems(plugin: FrameworkPlugin<unknown>): ContractProblem[] {
  const { controls } = plugin.catalog;
  if (!controls.length)
    return [{ level: 'warning', path: 'catalog.controls', message: 'the catalog has no controls: an assessment has nothing to assess' }];
  const parents = new Set(controls.map((c) => c.parentId));
  return controls.flatMap((control, i): ContractProblem[] =>
    control.evidence.length || parents.has(control.id)
      ? []
      : [
          {
            level: 'warning',
            path: `catalog.controls[${i}].evidence`,
            message:
              `control "${control.id}" has no evidence rule: no event can show it operating, so without an attestation it is NOT_ASSESSED at best` +
              (control.violations.length ? ' (NON_COMPLIANT on a finding)' : '') +
              '. Add an evidence rule unless only an auditor can judge it',
          },
        ],
  );
}

/** Every EventMatch of a rule, with its path below the rule. */
const matchesOf = (rule: EventRule): [string, EventMatch][] =>
  rule.kind === 'NOT_FOLLOWED_BY' || rule.kind === 'FOLLOWED_BY'
    ? [
        ['trigger', rule.trigger],
        ['followUp', rule.followUp],
      ]
    : rule.kind === 'NOT_PRECEDED_BY'
      ? [
          ['trigger', rule.trigger],
          ['precededBy', rule.precededBy],
        ]
      : rule.kind === 'RATIO'
        ? [
            ['population', rule.population],
            ['qualifying', rule.qualifying],
          ]
        : [['match', rule.match]];

/** Every rule of a catalog, parameters at their defaults, with its path and a name for messages. */
export function rulesOf(plugin: FrameworkPlugin<unknown>): { rule: EventRule; path: string; name: string }[] {
  return resolveControls(plugin.catalog, parametersInForce(plugin.catalog.parameters ?? [])).flatMap((control, i) =>
    (['evidence', 'violations'] as const).flatMap((role) =>
      control[role].map((rule, j) => ({
        rule,
        path: `catalog.controls[${i}].${role}[${j}]`,
        name: `${role === 'evidence' ? 'evidence' : 'violation'} rule "${rule.id}" of control "${control.id}"`,
      })),
    ),
  );
}

/** c. Categories: built in, declared here, or declared by a known plugin this one depends on. */
export function categoryProblems(plugin: FrameworkPlugin<unknown>, known: readonly FrameworkPlugin<unknown>[]): ContractProblem[] {
  const { catalog } = plugin;
  const declared = new Set([...BUILT_IN_CATEGORIES, ...(catalog.dataCategories ?? [])].map((c) => c.id));
  const deps = plugin.dependsOn ?? [];
  const byPlugin = new Map<string, string>();
  for (const other of known) for (const c of other.catalog.dataCategories ?? []) if (!byPlugin.has(c.id)) byPlugin.set(c.id, other.id);
  const unknownDeps = deps.filter((d) => !known.some((p) => p.id === d));

  const uses: [string, string][] = [
    ...rulesOf(plugin).flatMap(({ rule, path }) =>
      matchesOf(rule).flatMap(([field, match]) =>
        (match.categories ?? []).map((c, k): [string, string] => [c, `${path}.${field}.categories[${k}]`]),
      ),
    ),
    ...(catalog.classificationRules ?? []).flatMap((rule, i) =>
      (rule.categories ?? []).map((c, k): [string, string] => [c, `catalog.classificationRules[${i}].categories[${k}]`]),
    ),
  ];
  const problems: ContractProblem[] = [];
  const reported = new Set<string>();
  for (const [category, path] of uses) {
    const owner = byPlugin.get(category);
    if (declared.has(category) || (owner && deps.includes(owner)) || reported.has(category)) continue;
    reported.add(category);
    const builtIn = BUILT_IN_CATEGORIES.map((c) => c.id).join(', ');
    if (unknownDeps.length) {
      problems.push({
        level: 'warning',
        path,
        message: `"${category}" is neither built in nor declared in catalog.dataCategories; it may come from ${unknownDeps.join(', ')} (dependsOn): declare it here if it does not`,
      });
    } else {
      problems.push(
        error(
          path,
          `"${category}" is neither built in (${builtIn}) nor declared in catalog.dataCategories` +
            (owner ? `; plugin ${owner} declares it: add "${owner}" to dependsOn, or declare it here` : ': declare it there'),
        ),
      );
    }
  }
  return problems;
}

/** d. Mappings into frameworks known here must name real controls; others cannot be checked. */
export function mappingProblems(plugin: FrameworkPlugin<unknown>, known: readonly FrameworkPlugin<unknown>[]): ContractProblem[] {
  const controlsOf = new Map<string, Set<string>>();
  for (const other of [...known, plugin]) {
    controlsOf.set(other.catalog.framework.id, new Set(other.catalog.controls.map((c) => c.id)));
  }
  const problems: ContractProblem[] = [];
  const unchecked = new Map<string, { path: string; count: number }>();
  plugin.catalog.controls.forEach((control, i) =>
    (control.mappings ?? []).forEach((mapping, j) => {
      const path = `catalog.controls[${i}].mappings[${j}]`;
      const ids = controlsOf.get(mapping.frameworkId);
      if (!ids) {
        const seen = unchecked.get(mapping.frameworkId);
        unchecked.set(mapping.frameworkId, { path: seen?.path ?? path, count: (seen?.count ?? 0) + 1 });
      } else if (!ids.has(mapping.controlId)) {
        problems.push(
          error(
            path,
            `control "${control.id}" maps to ${mapping.frameworkId} "${mapping.controlId}", which the ${mapping.frameworkId} catalog does not have`,
          ),
        );
      }
    }),
  );
  for (const [frameworkId, { path, count }] of unchecked) {
    problems.push({
      level: 'info',
      path,
      message: `${count} mapping${count === 1 ? '' : 's'} to framework "${frameworkId}" not checked: it is not known here (pass its plugin in knownFrameworks to check them)`,
    });
  }
  return problems;
}
