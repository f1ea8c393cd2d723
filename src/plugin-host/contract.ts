import 'reflect-metadata';
import { types } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { parse as parseCsv } from 'csv-parse/sync';
import type { DataSource } from 'typeorm';
import { ActorType, Classification, type EventPayload, OutcomeStatus, Severity } from '../audit/audit-event.model';
import { type ChainStore, createChainStore } from '../chain/chain-store';
import type { PreparedEvent } from '../chain/prepared-event';
import { type AuditEventInputShape, type EventLimits, prepareEvents } from '../ingest/event-validation';
import { evaluateRule, type RuleMeasure } from '../compliance/assessment';
import { AssessmentQueries } from '../compliance/assessment-query';
import { BUILT_IN_CATEGORIES } from '../compliance/catalog';
import { createClassifier } from '../compliance/classifier';
import type { Classifier } from '../ingest/classifier';
import { namePredicate } from '../compliance/name-pattern';
import { nextPeriodStart, periodStart } from '../compliance/periods';
import { createDataSource } from '../database/data-source';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import {
  ACTOR_TYPES,
  CLASSIFICATION_LEVELS,
  type Duration,
  type EventMatch,
  type EventRule,
  type FormatPlugin,
  type FrameworkPlugin,
  type NamePattern,
  OUTCOME_STATUSES,
  type Plugin,
  PLUGIN_API_VERSION,
  type PluginLogger,
  type ReportModel,
  SEVERITIES,
  type TableCell,
  UNSAFE_CONTROL_CHARACTERS,
} from '../plugin-api';
import { BUILT_IN_PLUGINS } from '../../plugins/registry';
import { acceptsApiVersion } from './api-range';
import { formatPath, pluginProblems } from './manifest.schema';
import { loadEntry } from './plugin-loader';
import type { PluginErrorCode, PluginProblem } from './plugin-load-error';

/**
 * The plugin contract: the checks every framework and format plugin passes, built-ins included, run
 * against one plugin object or one DATAPUNK_PLUGINS entry. Public entry (`datapunk-audit/contract`), so a
 * third party can run it from its own tests; `datapunk-audit plugin check` prints it.
 */

/** How serious a problem is: an `error` fails its check, a `warning` or `info` does not. */
export type ContractLevel = 'error' | 'warning' | 'info';

/** One thing a check found. */
export interface ContractProblem {
  level: ContractLevel;
  /** The field concerned, as start-up errors name it (`version`, `catalog.controls[2].evidence[0]`); empty for the whole plugin. */
  path: string;
  message: string;
  /** The host's code when the server itself refuses the plugin for this reason. */
  code?: PluginErrorCode;
}

/** The checks, in the order they run. `load` only when the plugin is given as an entry, `render` only for a format plugin. */
export type ContractCheckId =
  'load' | 'manifest' | 'options' | 'dependencies' | 'evidence' | 'categories' | 'mappings' | 'behaviour' | 'render' | 'lifecycle';

export interface ContractCheck {
  id: ContractCheckId;
  /** What the check verifies, in one line. */
  title: string;
  /** `failed` when any problem is an error; `skipped` when an earlier check left nothing to check. */
  status: 'passed' | 'failed' | 'skipped';
  /** Why a skipped check did not run. */
  skippedBecause?: string;
  problems: ContractProblem[];
}

export interface ContractReport {
  /** The plugin's id, or the entry when the plugin did not load far enough to have one. */
  pluginId: string;
  kind: string | null;
  version: string | null;
  /** The plugin API of this server, which the plugin was checked against. */
  pluginApiVersion: string;
  /** No check failed. */
  passed: boolean;
  checks: ContractCheck[];
}

export interface ContractOptions {
  /**
   * Other framework plugins to check against, besides the built-in SOC 2, HIPAA and GDPR: mappings
   * into their frameworks must name controls they have, and the data categories they declare count
   * as declared for a plugin that `dependsOn` them.
   */
  knownFrameworks?: readonly FrameworkPlugin<unknown>[];
  /** Options as in DATAPUNK_PLUGIN_OPTIONS, keyed by plugin id; the plugin's entry is validated and passed to `start()`. */
  pluginOptions?: Readonly<Record<string, unknown>>;
}

const TITLES: Record<ContractCheckId, string> = {
  load: 'the entry resolves and loads as the server loads DATAPUNK_PLUGINS entries',
  manifest: `manifest and catalog pass the host's validation; apiVersion accepts plugin API ${PLUGIN_API_VERSION}`,
  options: 'the options schema accepts the given options (none: {})',
  dependencies: 'dependsOn names plugins that can be enabled',
  evidence: 'controls without evidence rules (only an attestation can show them) are pointed out',
  categories: 'every data category is built in or declared',
  mappings: 'mappings to known frameworks name controls that exist',
  behaviour: 'every rule and classification rule works on synthetic events in a real database',
  render:
    'render() turns a sample report into a non-empty file, the same bytes twice, with hostile strings inert and no control character raw',
  lifecycle: 'start() and stop() complete',
};

const ORDER = Object.keys(TITLES) as ContractCheckId[];

/** The checks a report lists, in order: `render` only for a format plugin. */
const checksOf = (kind: unknown) => ORDER.filter((id) => id !== 'render' || kind === 'format');

const checked = (id: ContractCheckId, problems: ContractProblem[]): ContractCheck => ({
  id,
  title: TITLES[id],
  status: problems.some((p) => p.level === 'error') ? 'failed' : 'passed',
  problems,
});

const skipped = (id: ContractCheckId, because: string): ContractCheck => ({
  id,
  title: TITLES[id],
  status: 'skipped',
  skippedBecause: because,
  problems: [],
});

const error = (path: string, message: string, code?: PluginErrorCode): ContractProblem => ({
  level: 'error',
  path,
  message,
  ...(code ? { code } : {}),
});

const fromHost = (p: PluginProblem): ContractProblem => error(p.path ?? '', p.message, p.code);

const messageOf = (e: unknown) => (e instanceof Error ? e.message.split('\n')[0] : String(e));

/**
 * Runs the contract against a plugin object (what a code plugin exports). Resolves to the report;
 * never throws for a bad plugin.
 *
 * @example
 * ```ts
 * const report = await checkFrameworkPlugin(require('./index.js'));
 * expect(report.checks.filter((c) => c.status === 'failed')).toEqual([]);
 * ```
 */
export async function checkFrameworkPlugin(plugin: unknown, options: ContractOptions = {}): Promise<ContractReport> {
  return run(plugin, [], options, '(plugin without an id)');
}

/**
 * Loads a DATAPUNK_PLUGINS entry (a path starting with `.` or `/`, or an npm package name, resolved
 * from `cwd`) with the host's own loader, then runs the contract. Load problems carry the host's
 * codes (PLUGIN_NOT_FOUND, PLUGIN_LOAD_FAILED, PLUGIN_MANIFEST_INVALID).
 *
 * @example
 * ```ts
 * const report = await checkPluginEntry('./my-framework', { cwd: __dirname });
 * ```
 */
export async function checkPluginEntry(entry: string, options: ContractOptions & { cwd?: string } = {}): Promise<ContractReport> {
  const loaded = loadEntry(entry, options.cwd ?? process.cwd());
  if ('candidate' in loaded) return run(loaded.candidate.value, [checked('load', [])], options, loaded.candidate.label);

  const invalid = loaded.problems.filter((p) => p.code === ErrorCode.PLUGIN_MANIFEST_INVALID);
  const load = checked('load', loaded.problems.filter((p) => !invalid.includes(p)).map(fromHost));
  const checks = load.status === 'failed' ? [load] : [load, checked('manifest', invalid.map(fromHost))];
  const because = load.status === 'failed' ? 'the plugin did not load' : 'the manifest or catalog is invalid';
  return {
    pluginId: loaded.problems[0]?.pluginId ?? entry,
    kind: null,
    version: null,
    pluginApiVersion: PLUGIN_API_VERSION,
    passed: false,
    checks: [
      ...checks,
      ...checksOf(null)
        .filter((id) => !checks.some((c) => c.id === id) && id !== 'load')
        .map((id) => skipped(id, because)),
    ],
  };
}

async function run(value: unknown, before: ContractCheck[], options: ContractOptions, label: string): Promise<ContractReport> {
  const checks = [...before];
  const fields = (value ?? {}) as { id?: unknown; kind?: unknown; version?: unknown };
  const text = (v: unknown) => (typeof v === 'string' && v ? v : null);
  const manifest = checked('manifest', manifestProblems(value));
  checks.push(manifest);
  const rest = checksOf(fields.kind).slice(ORDER.indexOf('manifest') + 1);

  if (manifest.problems.some((p) => p.code === ErrorCode.PLUGIN_MANIFEST_INVALID)) {
    checks.push(...rest.map((id) => skipped(id, 'the manifest or catalog is invalid')));
  } else {
    const plugin = value as Plugin;
    const known = [
      ...BUILT_IN_PLUGINS.filter((p) => p.kind === 'framework'),
      ...(options.knownFrameworks ?? []),
    ] as FrameworkPlugin<unknown>[];
    const parsed = parseOptions(plugin, options.pluginOptions?.[plugin.id]);
    checks.push(checked('options', parsed.problems));
    checks.push(checked('dependencies', dependencyProblems(plugin, known)));
    if (plugin.kind === 'framework') {
      checks.push(checked('evidence', evidenceProblems(plugin)));
      checks.push(checked('categories', categoryProblems(plugin, known)));
      checks.push(checked('mappings', mappingProblems(plugin, known)));
      checks.push(checked('behaviour', await behaviourProblems(plugin)));
    } else {
      const because = 'a format plugin: these checks are for framework plugins';
      checks.push(...(['evidence', 'categories', 'mappings', 'behaviour'] as const).map((id) => skipped(id, because)));
    }
    checks.push(...(await startedChecks(plugin, parsed)));
  }
  return {
    pluginId: text(fields.id) ?? label,
    kind: text(fields.kind),
    version: text(fields.version),
    pluginApiVersion: PLUGIN_API_VERSION,
    passed: checks.every((c) => c.status !== 'failed'),
    checks,
  };
}

/** a. The host's validation, the API range, and the ids the built-ins already take. */
function manifestProblems(value: unknown): ContractProblem[] {
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
  if (!BUILT_IN_PLUGINS.includes(plugin)) {
    const sameId = BUILT_IN_PLUGINS.find((b) => b.id === plugin.id);
    if (sameId) problems.push(error('id', `is the id of the built-in plugin ${sameId.id}; choose another`, ErrorCode.PLUGIN_DUPLICATE_ID));
    if (plugin.kind === 'framework') {
      const sameFramework = BUILT_IN_PLUGINS.find((b) => b.kind === 'framework' && b.catalog.framework.id === plugin.catalog.framework.id);
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

/** The plugin's options as the host validates them, and what start() would receive. */
function parseOptions(plugin: Plugin, given: unknown): { problems: ContractProblem[]; options: unknown } {
  const invalid = (path: string, message: string) => error(path, message, ErrorCode.PLUGIN_OPTIONS_INVALID);
  if (!plugin.options) {
    const some = given !== undefined && given !== null && Object.keys(given).length > 0;
    return { problems: some ? [invalid('', 'the plugin takes no options')] : [], options: {} };
  }
  const none = given === undefined ? ' (no options were given: the server needs an entry in DATAPUNK_PLUGIN_OPTIONS)' : '';
  try {
    const result = plugin.options.safeParse(given ?? {});
    if (result.success) return { problems: [], options: result.data };
    return { problems: result.error.issues.map((i) => invalid(formatPath(i.path), `${i.message}${none}`)), options: undefined };
  } catch (e) {
    return { problems: [invalid('', `the options schema threw: ${messageOf(e)}`)], options: undefined };
  }
}

function dependencyProblems(plugin: Plugin, known: readonly FrameworkPlugin<unknown>[]): ContractProblem[] {
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
function evidenceProblems(plugin: FrameworkPlugin<unknown>): ContractProblem[] {
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
  rule.kind === 'NOT_FOLLOWED_BY'
    ? [
        ['trigger', rule.trigger],
        ['followUp', rule.followUp],
      ]
    : [['match', rule.match]];

/** Every rule of a catalog with its path and a name for messages. */
function rulesOf(plugin: FrameworkPlugin<unknown>): { rule: EventRule; path: string; name: string }[] {
  return plugin.catalog.controls.flatMap((control, i) =>
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
function categoryProblems(plugin: FrameworkPlugin<unknown>, known: readonly FrameworkPlugin<unknown>[]): ContractProblem[] {
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
function mappingProblems(plugin: FrameworkPlugin<unknown>, known: readonly FrameworkPlugin<unknown>[]): ContractProblem[] {
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

/** The contract reports problems itself; the plugin's own log lines would only be noise here. */
const SILENT: PluginLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** Render (a format plugin) and lifecycle: the server renders only with a started plugin, so render runs between start() and stop(). */
async function startedChecks(plugin: Plugin, parsed: { problems: ContractProblem[]; options: unknown }): Promise<ContractCheck[]> {
  if (parsed.problems.some((p) => p.level === 'error')) {
    const because = 'the options are invalid, so the server would not start the plugin';
    return (plugin.kind === 'format' ? (['render', 'lifecycle'] as const) : (['lifecycle'] as const)).map((id) => skipped(id, because));
  }
  if (plugin.kind !== 'format') return [checked('lifecycle', await lifecycleProblems(plugin, parsed.options, async () => {}))];
  let render = skipped('render', 'start() threw, so the server would not render with the plugin');
  const lifecycle = await lifecycleProblems(plugin, parsed.options, async () => {
    render = checked('render', await renderProblems(plugin, parsed.options));
  });
  return [render, checked('lifecycle', lifecycle)];
}

async function lifecycleProblems(plugin: Plugin, options: unknown, whileStarted: () => Promise<void>): Promise<ContractProblem[]> {
  try {
    await plugin.start?.({ options: options as never, logger: SILENT });
  } catch (e) {
    return [error('start', `start() threw: ${messageOf(e)}`, ErrorCode.PLUGIN_LOAD_FAILED)];
  }
  await whileStarted();
  try {
    await plugin.stop?.();
  } catch (e) {
    return [{ level: 'warning', path: 'stop', message: `stop() threw: ${messageOf(e)}; the server logs it and stops the other plugins` }];
  }
  return [];
}

// e. Behaviour: synthetic events through the real ingest path, measured by the real queries.

const LIMITS: EventLimits = {
  maxStringLength: 4096,
  maxMetadataBytes: 65536,
  maxOccurredAtAgeMs: Number.MAX_SAFE_INTEGER,
  maxClockSkewMs: 60_000,
};
const MAX_EVENTS = 10_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MAX_WINDOW = 100 * 365 * DAY;

const durationMs = (d: Duration) => ('minutes' in d ? d.minutes * 60_000 : 'hours' in d ? d.hours * HOUR : d.days * DAY);
const durationText = (d: Duration) => {
  const [unit, n] = Object.entries(d)[0];
  return `${n} ${n === 1 ? unit.replace(/s$/, '') : unit}`;
};

/** A name the first pattern matches: the value, prefix + `x`, a glob with `**` → `a.b` and `*` → `a`. */
function nameFrom(patterns: readonly NamePattern[] | undefined, fallback: string): string {
  const pattern = patterns?.[0];
  if (!pattern) return fallback;
  if ('equals' in pattern) return pattern.equals;
  if ('prefix' in pattern) return `${pattern.prefix}x`;
  return pattern.glob.replaceAll('**', 'a.b').replaceAll('*', 'a');
}

/** The event a match asks for, by its first listed values; one actor, resource and IP, so every correlation holds. */
function eventFrom(match: EventMatch, at: number): AuditEventInputShape {
  return {
    occurredAt: new Date(at).toISOString(),
    actor: { id: 'contract-actor', type: ActorType[match.actorType?.[0] ?? 'USER'], ip: '203.0.113.10' },
    action: nameFrom(match.action, 'contract.event'),
    resource: { type: nameFrom(match.resourceType, 'contract_resource'), id: 'contract-resource-1' },
    outcome: { status: OutcomeStatus[match.outcome?.[0] ?? 'SUCCESS'] },
    severity: Severity[match.minSeverity ?? 'INFO'],
    classification: Classification[match.classification?.[0] ?? match.minClassification ?? 'INTERNAL'],
    categories: match.categories ? [match.categories[0]] : [],
  };
}

const summary = (e: AuditEventInputShape) =>
  `action "${e.action}", resource type "${e.resource.type}", outcome ${e.outcome.status}, severity ${e.severity}, ` +
  `classification ${e.classification}, actor type ${e.actor.type}${e.categories?.length ? `, category ${e.categories[0]}` : ''}`;

/** Events that differ from `hit` in one field the match constrains, each such that it cannot match. */
function missesOf(match: EventMatch, hit: AuditEventInputShape): { label: string; event: AuditEventInputShape }[] {
  const out: { label: string; event: AuditEventInputShape }[] = [];
  const add = (label: string, change: Partial<AuditEventInputShape>) => out.push({ label, event: { ...hit, ...change } });
  const unmatched = (patterns: readonly NamePattern[], candidates: string[]) =>
    candidates.find((name) => !patterns.some((p) => namePredicate(p)(name)));
  if (match.action) {
    const name = unmatched(match.action, ['contract.miss', 'zz.contract.miss', 'q']);
    if (name) add(`action "${name}"`, { action: name });
  }
  if (match.resourceType) {
    const name = unmatched(match.resourceType, ['contract_miss', 'zz.contract.miss', 'q']);
    if (name) add(`resource type "${name}"`, { resource: { ...hit.resource, type: name } });
  }
  const outcome = match.outcome && OUTCOME_STATUSES.find((s) => !match.outcome!.includes(s));
  if (outcome) add(`outcome ${outcome}`, { outcome: { status: OutcomeStatus[outcome] } });
  const severity = match.minSeverity ? SEVERITIES[SEVERITIES.indexOf(match.minSeverity) - 1] : undefined;
  if (severity) add(`severity ${severity}`, { severity: Severity[severity] });
  const rank = (c: string) => (CLASSIFICATION_LEVELS as readonly string[]).indexOf(c);
  const min = match.minClassification ? rank(match.minClassification) : 0;
  if (match.classification) {
    const outside = CLASSIFICATION_LEVELS.filter((c) => !match.classification!.includes(c));
    const level = outside.find((c) => rank(c) >= min) ?? outside[0];
    if (level) add(`classification ${level}`, { classification: Classification[level] });
  }
  if (min > 0) {
    const below = CLASSIFICATION_LEVELS.slice(0, min);
    const level = below.find((c) => match.classification?.includes(c)) ?? below[below.length - 1];
    add(`classification ${level}`, { classification: Classification[level] });
  }
  if (match.categories) add('categories (another one)', { categories: ['CONTRACT_OTHER_CATEGORY'] });
  const actorType = match.actorType && ACTOR_TYPES.find((t) => !match.actorType!.includes(t));
  if (actorType) add(`actor type ${actorType}`, { actor: { ...hit.actor, type: ActorType[actorType] } });
  return out;
}

/** Problems of a batch the ingest path refuses, as one sentence. */
function refusal(e: unknown): string {
  if (e instanceof AppError && Array.isArray(e.extensions.problems)) {
    const problems = e.extensions.problems as { path: string; message: string }[];
    return problems.map((p) => `${p.path.replace(/^events\[\d+\]\./, '')} ${p.message}`).join('; ');
  }
  return messageOf(e);
}

class RuleRefused extends Error {}

/** The events as ingest validates them; a refusal means no client could record them either. */
function prepare(events: AuditEventInputShape[], now: number, classify: Classifier | null = null): PreparedEvent[] {
  try {
    return prepareEvents(events, LIMITS, { classify, trusted: true, now });
  } catch (e) {
    throw new RuleRefused(`needs an event no client can record (${summary(events[0])}): ${refusal(e)}`);
  }
}

/** One in-memory database; each scenario records into a tenant of its own. */
class Sandbox {
  private tenants = 0;
  private readonly store: ChainStore;
  private readonly queries: AssessmentQueries;

  constructor(
    dataSource: DataSource,
    readonly now: number,
  ) {
    this.store = createChainStore(dataSource);
    this.queries = new AssessmentQueries(dataSource);
  }

  /**
   * Records `events` in a new tenant and measures `rule` over them from `from` (and up to `to`);
   * `firstEvent` is where the tenant's trail begins, as an assessment sees it.
   */
  async measureWithStart(
    rule: EventRule,
    events: AuditEventInputShape[],
    from: number,
    to: number | null = null,
  ): Promise<{ measure: RuleMeasure; firstEvent: Date | null }> {
    const tenantId = `contract-${++this.tenants}`;
    if (events.length) await this.store.append(tenantId, prepare(events, this.now));
    const scope = { tenantId, from: new Date(from), to: to === null ? null : new Date(to), now: new Date(this.now) };
    const { snapshot, measures } = await this.queries.measure([{ controlId: 'contract', role: 'EVIDENCE', rule }], scope);
    return { measure: measures.get(rule)!, firstEvent: snapshot.firstDay ? new Date(`${snapshot.firstDay}T00:00:00.000Z`) : null };
  }

  async measure(rule: EventRule, events: AuditEventInputShape[], from: number, to: number | null = null): Promise<RuleMeasure> {
    return (await this.measureWithStart(rule, events, from, to)).measure;
  }

  /** How many of `events` a plain MATCH on `match` counts. */
  async matched(match: EventMatch, events: AuditEventInputShape[], from: number): Promise<{ count: number; samples: number[] }> {
    const measure = await this.measure({ id: 'contract-match', kind: 'MATCH', description: 'contract', match }, events, from);
    return measure.kind === 'MATCH' ? { count: measure.count, samples: measure.samples } : { count: 0, samples: [] };
  }
}

/** The failures of one rule, as sentences that follow its name. */
async function exercise(sandbox: Sandbox, rule: EventRule): Promise<{ errors: string[]; warnings: string[] }> {
  const errors: string[] = [];
  const now = sandbox.now;
  const never = (what: string, e: AuditEventInputShape) =>
    `never matches the event built from its own ${what} (${summary(e)}): as written, no event can satisfy every field`;

  /** A match counts the event built from it and none of the events built to miss it. */
  const matchWorks = async (match: EventMatch, what: string, at: number): Promise<boolean> => {
    const hit = eventFrom(match, at);
    if ((await sandbox.matched(match, [hit], at - DAY)).count !== 1) {
      errors.push(never(what, hit));
      return false;
    }
    const misses = missesOf(match, hit);
    if (!misses.length) return true;
    const { count, samples } = await sandbox.matched(
      match,
      misses.map((m) => m.event),
      at - DAY,
    );
    if (count > 0) {
      const labels = [...new Set(samples.map((sequence) => misses[sequence - 1]?.label).filter(Boolean))];
      errors.push(
        `counts an event its ${what} must reject, one that differs from a match only in ${labels.join(' or ')}: that field is not applied`,
      );
    }
    return count === 0;
  };

  if ('count' in rule && rule.count > MAX_EVENTS) {
    return { errors, warnings: [`not exercised: count ${rule.count} is above the ${MAX_EVENTS} events the contract records`] };
  }
  if ('within' in rule && durationMs(rule.within) > MAX_WINDOW) {
    return { errors, warnings: [`not exercised: a window of ${durationText(rule.within)} is longer than a century`] };
  }

  switch (rule.kind) {
    case 'MATCH':
      await matchWorks(rule.match, 'match', now - 7 * DAY);
      break;
    case 'AT_LEAST': {
      const at = periodStart('DAY', new Date(now - 7 * DAY)).getTime() + 12 * HOUR;
      if (!(await matchWorks(rule.match, 'match', at))) break;
      const start = periodStart(rule.period, new Date(at));
      const end = nextPeriodStart(rule.period, start);
      const events = Array.from({ length: rule.count }, (_, i) => eventFrom(rule.match, at + i));
      const { measure, firstEvent } = await sandbox.measureWithStart(rule, events, start.getTime(), end.getTime());
      const day = new Date(at).toISOString().slice(0, 10);
      const counted = measure.kind === 'AT_LEAST' ? (measure.byDay.get(day) ?? 0) : 0;
      if (counted !== rule.count) {
        errors.push(`counts ${counted} of ${rule.count} matching events recorded on ${day}`);
        break;
      }
      const outcome = evaluateRule(rule, 'EVIDENCE', measure, { from: start, end, firstEvent });
      if (outcome.verdict !== 'MET') {
        errors.push(`is not met by ${rule.count} matching events in one ${rule.period.toLowerCase()}: ${outcome.detail}`);
      }
      break;
    }
    case 'NOT_FOLLOWED_BY': {
      const window = durationMs(rule.within);
      const at = now - window - 2 * HOUR;
      if (!(await matchWorks(rule.trigger, 'trigger', at)) || !(await matchWorks(rule.followUp, 'followUp', at))) break;
      const trigger = eventFrom(rule.trigger, at);
      const followUp = eventFrom(rule.followUp, at + Math.floor(window / 2));
      // The follow-up shares what the correlation compares, where its own match allows it.
      if (
        rule.correlation === 'ACTOR' &&
        (!rule.followUp.actorType || (rule.followUp.actorType as string[]).includes(trigger.actor.type))
      ) {
        followUp.actor = { ...followUp.actor, type: trigger.actor.type };
      }
      if (
        rule.correlation === 'RESOURCE' &&
        (!rule.followUp.resourceType || rule.followUp.resourceType.some((p) => namePredicate(p)(trigger.resource.type)))
      ) {
        followUp.resource = { ...followUp.resource, type: trigger.resource.type };
      }
      const followed = await sandbox.measure(rule, [trigger, followUp], at - DAY);
      if (followed.kind === 'NOT_FOLLOWED_BY' && followed.followed < 1) {
        errors.push(
          `does not count a trigger followed within ${durationText(rule.within)} by a follow-up of the same ${rule.correlation.toLowerCase()} as followed ` +
            `(trigger: ${summary(trigger)}; follow-up: ${summary(followUp)})`,
        );
      }
      const lone = await sandbox.measure(rule, [eventFrom(rule.trigger, now - window - HOUR)], at - DAY);
      if (lone.kind === 'NOT_FOLLOWED_BY' && (lone.overdue !== 1 || lone.followed !== 0)) {
        errors.push(
          `does not count a lone trigger older than ${durationText(rule.within)} as overdue (${lone.triggers} trigger, ${lone.overdue} overdue)`,
        );
      }
      break;
    }
    case 'BURST': {
      const window = durationMs(rule.within);
      const at = now - window - HOUR;
      if (!(await matchWorks(rule.match, 'match', at))) break;
      const spacing = Math.floor(window / (2 * rule.count));
      const events = Array.from({ length: rule.count }, (_, i) => eventFrom(rule.match, at + i * spacing));
      const by = `one ${rule.correlation.toLowerCase()}`;
      const full = await sandbox.measure(rule, events, at - DAY);
      if (full.kind === 'BURST' && full.keys !== 1) {
        errors.push(`finds ${full.keys} bursts, not 1, in ${rule.count} matching events of ${by} within ${durationText(rule.within)}`);
      }
      const short = await sandbox.measure(rule, events.slice(0, -1), at - DAY);
      if (short.kind === 'BURST' && short.keys !== 0) {
        errors.push(`already finds a burst in ${rule.count - 1} matching events of ${by} (count is ${rule.count})`);
      }
      break;
    }
  }
  return { errors, warnings: [] };
}

/** e. Every rule against a real database; classification rules through the real ingest path. */
async function behaviourProblems(plugin: FrameworkPlugin<unknown>): Promise<ContractProblem[]> {
  const problems: ContractProblem[] = [];
  const dataSource = createDataSource({ database: { dialect: 'sqlite', location: ':memory:' }, poolSize: 1 });
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
    const sandbox = new Sandbox(dataSource, Date.now());
    for (const { rule, path, name } of rulesOf(plugin)) {
      let result: { errors: string[]; warnings: string[] };
      try {
        result = await exercise(sandbox, rule);
      } catch (e) {
        result = { errors: [e instanceof RuleRefused ? e.message : `could not be measured: ${messageOf(e)}`], warnings: [] };
      }
      problems.push(...result.errors.map((m) => error(path, `${name} ${m}`)));
      problems.push(...result.warnings.map((m): ContractProblem => ({ level: 'warning', path, message: `${name}: ${m}` })));
    }
  } finally {
    await dataSource.destroy();
  }
  return [...problems, ...classificationProblems(plugin)];
}

/** An event built from a classification rule's own patterns, left unclassified, gets its level and categories. */
function classificationProblems(plugin: FrameworkPlugin<unknown>): ContractProblem[] {
  const classify = createClassifier([plugin]);
  const rank = (c: string) => (CLASSIFICATION_LEVELS as readonly string[]).indexOf(c);
  return (plugin.catalog.classificationRules ?? []).flatMap((rule, i): ContractProblem[] => {
    const path = `catalog.classificationRules[${i}]`;
    const name = `classification rule "${rule.id}"`;
    const problems: ContractProblem[] = [];
    if (rule.classification && rank(rule.classification) <= rank('INTERNAL')) {
      problems.push({
        level: 'warning',
        path: `${path}.classification`,
        message: `${name}: ${rule.classification} never applies, a rule only raises an unclassified event above the default INTERNAL`,
      });
    }
    const input: AuditEventInputShape = {
      occurredAt: new Date().toISOString(),
      actor: { id: 'contract-actor', type: ActorType.USER },
      action: nameFrom(rule.action, 'contract.event'),
      resource: { type: nameFrom(rule.resourceType, 'contract_resource'), id: 'contract-resource-1' },
      outcome: { status: OutcomeStatus.SUCCESS },
    };
    let payload: EventPayload;
    try {
      [{ payload }] = prepare([input], Date.now(), classify);
    } catch (e) {
      if (!(e instanceof RuleRefused)) throw e;
      return [...problems, error(path, `${name} ${e.message}`)];
    }
    const got = `got ${payload.classification}${payload.categories.length ? `, ${payload.categories.join(', ')}` : ''}`;
    if (rule.classification && rank(rule.classification) > rank('INTERNAL') && rank(payload.classification) < rank(rule.classification)) {
      problems.push(
        error(
          path,
          `${name} does not raise an event built from its own patterns (action "${input.action}", resource type "${input.resource.type}") to ${rule.classification}: ${got}`,
        ),
      );
    }
    const missing = (rule.categories ?? []).filter((c) => !payload.categories.includes(c));
    if (missing.length) {
      problems.push(error(path, `${name} does not add ${missing.join(', ')} to an event built from its own patterns: ${got}`));
    }
    return problems;
  });
}

// f. Render: a sample report with every block type and hostile strings, rendered twice.

/**
 * Strings a format must keep inert, as tenants and templates may send them: markup, template
 * syntax, spreadsheet formulas (every character OWASP lists), CSV structure, a line break, a
 * non-BMP emoji and right-to-left text, and (from index 15 on) the control characters no file may
 * carry raw ({@link UNSAFE_CONTROL_CHARACTERS}): every bidirectional control, C0 controls such as
 * NUL and ESC, DEL and C1 controls. {@link sampleReportModel} puts each in titles, metadata,
 * keys, values, cells, labels and findings.
 *
 * @example
 * ```ts
 * for (const s of SAMPLE_HOSTILE_STRINGS.filter((s) => s.includes('<'))) expect(html).not.toContain(s);
 * ```
 */
export const SAMPLE_HOSTILE_STRINGS: readonly string[] = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  "{{constructor.constructor('x')()}}",
  '<%= process.exit() %>',
  "=cmd|' /C calc'!A0",
  '@SUM(1+1)',
  '+SUM(1+1)',
  "-2+3+cmd|' /C calc'!A0",
  '\t=1+1',
  '\r=1+1',
  '"quoted, with comma"',
  'line one\nline two',
  'AT&T &amp; </w:t></w:r> ]]>',
  'unicorn 🦄 and 👩‍👩‍👧',
  'مرحبا بالعالم — שלום עולם',
  'invoice\u202Etxt.exe',
  'isolates \u2066LRI\u2069 \u2067RLI\u2069 \u2068FSI\u2069, embeddings \u202ALRE\u202C \u202BRLE\u202C \u202DLRO\u202C',
  'marks \u200ELRM \u200FRLM \u061CALM',
  '\u202E=1+1 and \u0000=1+1',
  'ESC \u001B[31mred\u001B[0m NUL \u0000 BEL \u0007 BS \u0008 VT \u000B FF \u000C US \u001F DEL \u007F',
  'C1 CSI \u009B31m NEL \u0085 APC \u009F',
];

const SAMPLE_CHAIN_HASH = '9f2c4e81b07d3a56e1f0c2d49b8a7e6f5d4c3b2a1908f7e6d5c4b3a2f1e0d9c8';

/**
 * The report the `render` check renders: every block type, a table of `rows` rows (200 unless
 * given) with numbers (negative ones too), booleans and nulls, a chart of each kind, an empty table
 * and an empty section, and {@link SAMPLE_HOSTILE_STRINGS} everywhere a string can go. A fresh
 * object on each call, the same content every time.
 *
 * @example
 * ```ts
 * const file = await myFormat.render(sampleReportModel(), { options: {}, logger });
 * ```
 */
export function sampleReportModel(options: { rows?: number } = {}): ReportModel {
  const rows = options.rows ?? 200;
  const hostile = SAMPLE_HOSTILE_STRINGS;
  const some = (i: number) => hostile[i % hostile.length];
  const start = Date.UTC(2026, 0, 1);
  const outcomes = ['SUCCESS', 'FAILURE', 'DENIED', 'ERROR'];
  const days = ['2026-01-05', '2026-01-06', '2026-01-07', some(0), '2026-01-09', some(4)];
  return {
    title: `SOC 2 compliance summary ${hostile[0]}`,
    metadata: {
      reportType: 'COMPLIANCE_SUMMARY',
      organisation: hostile[2],
      author: hostile[3],
      template: hostile[4],
      notes: hostile[11],
      language: hostile[14],
    },
    integrity: {
      tenantId: `tenant ${hostile[5]}`,
      from: '2026-01-01T00:00:00.000Z',
      to: '2026-04-01T00:00:00.000Z',
      headSequence: 120_345,
      headChainHash: SAMPLE_CHAIN_HASH,
      checkpoint: {
        sequence: 120_000,
        chainHash: 'c8d9e0f1a2b3c4d5e6f7089a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4',
        keyId: 'checkpoint-key-2026',
        signature: 'MEUCIQDxY2hlY2twb2ludC1zaWduYXR1cmUtc2FtcGxlLWZvci10aGUtY29udHJhY3Q=',
        issuedAt: '2026-03-31T23:00:00.000Z',
      },
      generatedAt: '2026-04-01T08:00:00.000Z',
    },
    sections: [
      {
        id: 'summary',
        title: `Summary ${hostile[1]}`,
        blocks: [
          { type: 'heading', level: 1, text: `Summary ${hostile[0]}` },
          { type: 'paragraph', text: `12 of 14 controls are compliant. ${hostile.join(' | ')}` },
          {
            type: 'keyValue',
            items: [
              { key: 'Score', value: '86 %' },
              { key: 'Level', value: 'MODERATE' },
              ...hostile.map((h, i) => ({ key: h, value: some(i + 1) })),
            ],
          },
          { type: 'heading', level: 2, text: hostile[3] },
          { type: 'paragraph', text: hostile[14] },
          { type: 'heading', level: 3, text: hostile[13] },
          { type: 'paragraph', text: hostile[11] },
        ],
      },
      {
        id: 'findings',
        title: 'Findings',
        blocks: [
          {
            type: 'finding',
            title: 'Access reviews missed',
            status: 'NON_COMPLIANT',
            severity: 'ERROR',
            frameworkId: 'soc2',
            controlId: 'CC6.2',
            text: 'No access review was recorded in February.',
            eventIds: ['0190a5c2-7b3e-7c1d-9a2f-3e4d5c6b7a81', '0190a5c2-7b3e-7c1d-9a2f-3e4d5c6b7a82'],
          },
          {
            type: 'finding',
            title: hostile[0],
            status: hostile[4],
            severity: hostile[5],
            frameworkId: hostile[2],
            controlId: hostile[3],
            text: hostile.join('\n'),
            eventIds: [hostile[6], hostile[10]],
          },
          { type: 'finding', title: 'Checkpoint signed', status: 'COMPLIANT', text: hostile[14], eventIds: [] },
        ],
      },
      {
        id: 'events',
        title: `Audit trail ${hostile[10]}`,
        blocks: [
          {
            type: 'table',
            caption: `${rows} events ${hostile[7]}`,
            columns: [
              { key: 'sequence', title: 'Sequence', align: 'right' },
              { key: 'occurredAt', title: 'Occurred at' },
              { key: 'actor', title: `Actor ${hostile[6]}` },
              { key: 'action', title: 'Action' },
              { key: 'outcome', title: 'Outcome', align: 'center' },
              { key: 'delta', title: 'Balance change', align: 'right' },
              { key: 'personal', title: 'Personal data', align: 'center' },
              { key: 'note', title: hostile[4] },
            ],
            rows: Array.from({ length: rows }, (_, i) => [
              i + 1,
              new Date(start + i * 7 * 60_000).toISOString(),
              i % 5 === 0 ? some(i) : `user-${i % 17}@example.com`,
              i % 3 === 0 ? 'record.read' : 'record.update',
              outcomes[i % outcomes.length],
              i % 4 === 0 ? -(i + 5) : i % 4 === 1 ? i / 8 : i,
              i % 2 === 0,
              i % 3 === 0 ? null : some(i + 3),
            ]),
          },
          { type: 'table', caption: 'No denied exports', columns: [{ key: 'action', title: 'Action' }], rows: [] },
          { type: 'table', columns: [{ key: 'note', title: '' }], rows: [[''], [null], [hostile[8]]] },
        ],
      },
      {
        id: 'trends',
        title: 'Trends',
        blocks: [
          {
            type: 'chart',
            kind: 'bar',
            title: `Events per day ${hostile[0]}`,
            labels: days,
            series: [
              { name: 'Events', values: [120, 98, 143, 87, 101, 64] },
              { name: hostile[4], values: [-3, 0, 2.5, 7, 1, 0] },
            ],
          },
          {
            type: 'chart',
            kind: 'line',
            title: hostile[5],
            labels: ['Jan', 'Feb', 'Mar'],
            series: [{ name: hostile[6], values: [0.91, 0.86, 0.88] }],
          },
          { type: 'chart', kind: 'pie', title: 'Outcomes', labels: outcomes, series: [{ name: 'Events', values: [180, 12, 6, 2] }] },
        ],
      },
      { id: 'empty', title: hostile[13], blocks: [] },
    ],
  };
}

async function renderProblems(plugin: FormatPlugin<unknown>, options: unknown): Promise<ContractProblem[]> {
  const files: Buffer[] = [];
  for (let i = 0; i < 2; i++) {
    let file: unknown;
    try {
      file = await plugin.render(sampleReportModel(), { options, logger: SILENT });
    } catch (e) {
      return [error('render', `render() threw on the sample report: ${messageOf(e)}`)];
    }
    if (typeof file !== 'string' && !types.isUint8Array(file)) {
      const got = file === null ? 'null' : typeof file === 'object' ? 'an object' : typeof file;
      return [error('render', `render() returned ${got}: return the file as a Buffer, a Uint8Array or a string`)];
    }
    const bytes = typeof file === 'string' ? Buffer.from(file, 'utf8') : Buffer.from(file);
    if (!bytes.length) return [error('render', 'render() returned an empty file')];
    files.push(bytes);
  }
  const [first, second] = files;
  if (!first.equals(second)) {
    let at = 0;
    while (at < first.length && first[at] === second[at]) at++;
    return [
      error(
        'render',
        `two renders of the same report differ from byte ${at} on: the same model must give the same bytes. ` +
          'Take any date written into the file from model.integrity.generatedAt, not the clock, and avoid random ids',
      ),
    ];
  }
  if (plugin.streamsTables) {
    // A plugin that streams tables must not care how the rows arrive.
    let streamed: unknown;
    try {
      streamed = await plugin.render(inPages(sampleReportModel()), { options, logger: SILENT });
    } catch (e) {
      return [error('render', `render() threw on the sample report with its tables streamed (rowPages): ${messageOf(e)}`)];
    }
    const bytes =
      typeof streamed === 'string' ? Buffer.from(streamed, 'utf8') : types.isUint8Array(streamed) ? Buffer.from(streamed) : null;
    if (!bytes || !bytes.equals(first)) {
      return [
        error(
          'render',
          'the sample report renders differently with its tables streamed (a few rows in rows, the rest in rowPages) than whole: ' +
            'streamsTables promises the same bytes either way; read every table with tablePages()',
        ),
      ];
    }
  }
  return contentProblems(plugin.mimeType, first);
}

/** The model with each table's rows after the first two moved into pages of seven, as the host streams them. */
function inPages(model: ReportModel): ReportModel {
  const pages = async function* (rows: TableCell[][]) {
    for (let at = 0; at < rows.length; at += 7) yield rows.slice(at, at + 7);
  };
  return {
    ...model,
    sections: model.sections.map((section) => ({
      ...section,
      blocks: section.blocks.map((block) =>
        block.type === 'table' ? { ...block, rows: block.rows.slice(0, 2), rowPages: pages(block.rows.slice(2)) } : block,
      ),
    })),
  };
}

/** A plain number as a CSV cell: not a formula even when it starts with `-`. */
const CSV_NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const CSV_FORMULA_START = /^[=+\-@\t\r]/;

/** What a text format's own syntax would make of the sample's hostile strings. */
function contentProblems(mimeType: string, file: Buffer): ContractProblem[] {
  const type = mimeType.split(';')[0].trim().toLowerCase();
  const json = type === 'application/json' || type.endsWith('+json');
  const xml = type === 'application/xml' || type.endsWith('+xml');
  if (!type.startsWith('text/') && !json && !xml) return zipControlProblems(file);
  const text = file.toString('utf8');
  const problems: ContractProblem[] = controlProblems('the file', text, type === 'text/html' || type.endsWith('xml'));
  const shown = (at: number) => JSON.stringify(text.slice(Math.max(0, at - 20), at + 40));

  if (type === 'text/html') {
    for (const active of [/<script/i, /<%/]) {
      const found = active.exec(text);
      if (found) {
        problems.push(
          error(
            'render',
            `the HTML contains "${found[0]}" at character ${found.index} (${shown(found.index)}): a report carries no scripts, ` +
              'so this is a model string left unescaped. Escape every string of the model (< as &lt;, & as &amp;, " as &quot;)',
          ),
        );
      }
    }
    for (const raw of SAMPLE_HOSTILE_STRINGS.filter((s) => s.includes('<') && text.includes(s))) {
      if (!/<script|<%/i.test(raw)) {
        problems.push(
          error('render', `the HTML contains the model string ${JSON.stringify(raw)} unescaped: escape every string of the model`),
        );
      }
    }
  } else if (type === 'text/csv') {
    let records: string[][] = [];
    try {
      records = csvRecords(text);
    } catch (e) {
      problems.push(error('render', `the CSV does not parse as RFC 4180: ${messageOf(e)}`));
    }
    const formulas = records.flatMap((record, r) =>
      record.flatMap((cell, f) =>
        CSV_FORMULA_START.test(cell) && !CSV_NUMBER.test(cell) ? [`record ${r + 1}, field ${f + 1}: ${JSON.stringify(cell)}`] : [],
      ),
    );
    if (formulas.length) {
      problems.push(
        error(
          'render',
          `${formulas.length} CSV cell${formulas.length === 1 ? ' starts' : 's start'} with =, +, -, @, tab or CR, which a spreadsheet runs as a formula ` +
            `(${formulas.slice(0, 3).join('; ')}${formulas.length > 3 ? '; …' : ''}): prefix such a text cell with an apostrophe (OWASP CSV injection)`,
        ),
      );
    }
  } else if (json) {
    try {
      JSON.parse(text);
    } catch (e) {
      problems.push(error('render', `the ${type} file does not parse: ${messageOf(e)}. Write it with JSON.stringify`));
    }
  }
  if (!text.includes(SAMPLE_CHAIN_HASH)) {
    problems.push({
      level: 'warning',
      path: 'render',
      message:
        "the sample's head chain hash does not appear in the file: print model.integrity, so an auditor can verify the report against the chain",
    });
  }
  return problems;
}

/** A character reference (`&#x202E;`, `&#8238;`) in markup: it becomes the character itself. */
const CHARACTER_REFERENCE = /&#(?:x([0-9a-f]+)|(\d+));/gi;

/**
 * The sample's control characters left in `text` raw, or (in markup) as character references:
 * a bidirectional control reorders what a reader sees, ESC drives a terminal, NUL cuts a string.
 */
function controlProblems(where: string, text: string, markup: boolean): ContractProblem[] {
  const raw = new RegExp(UNSAFE_CONTROL_CHARACTERS.source, 'g');
  const found = [...text.matchAll(raw)].map((m) => ({ at: m.index, char: m[0] }));
  if (markup) {
    for (const m of text.matchAll(CHARACTER_REFERENCE)) {
      const code = m[1] !== undefined ? parseInt(m[1], 16) : Number(m[2]);
      const char = code <= 0x10ffff ? String.fromCodePoint(code) : '';
      if (UNSAFE_CONTROL_CHARACTERS.test(char)) found.push({ at: m.index, char });
    }
  }
  if (!found.length) return [];
  const names = [...new Set(found.map((f) => `U+${f.char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`))];
  return [
    error(
      'render',
      `${where} carries ${found.length} control or bidirectional character${found.length === 1 ? '' : 's'} of the model raw ` +
        `(${names.slice(0, 6).join(', ')}${names.length > 6 ? ', …' : ''}; first at character ${found[0].at}): a bidi control reorders ` +
        'what the reader sees and ESC or NUL reach a terminal or parser. Pass every model string through neutraliseControls() ' +
        "(plugin API), or escape them in the format's own syntax",
    ),
  ];
}

/** Most a zip entry may inflate to while it is checked, so a hostile plugin cannot exhaust memory. */
const ZIP_ENTRY_MAX_BYTES = 256 * 1024 * 1024;

/**
 * For a zip container (DOCX, XLSX, ODT …): {@link controlProblems} of every XML or text part.
 * Any other binary file is not looked into.
 */
function zipControlProblems(file: Buffer): ContractProblem[] {
  if (file.length < 22 || file.readUInt32LE(0) !== 0x04034b50) return [];
  const end = file.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) return [];
  const problems: ContractProblem[] = [];
  try {
    const count = file.readUInt16LE(end + 10);
    let at = file.readUInt32LE(end + 16);
    for (let i = 0; i < count; i++) {
      const method = file.readUInt16LE(at + 10);
      const size = file.readUInt32LE(at + 20);
      const nameLength = file.readUInt16LE(at + 28);
      const name = file.toString('utf8', at + 46, at + 46 + nameLength);
      const local = file.readUInt32LE(at + 42);
      at += 46 + nameLength + file.readUInt16LE(at + 30) + file.readUInt16LE(at + 32);
      if (!/\.(xml|rels|txt|html?|csv|json)$/i.test(name) || (method !== 0 && method !== 8)) continue;
      const start = local + 30 + file.readUInt16LE(local + 26) + file.readUInt16LE(local + 28);
      const data = file.subarray(start, start + size);
      const text = (method === 8 ? inflateRawSync(data, { maxOutputLength: ZIP_ENTRY_MAX_BYTES }) : data).toString('utf8');
      problems.push(...controlProblems(`the part ${name}`, text, /\.(xml|rels|html?)$/i.test(name)));
    }
  } catch (e) {
    return [{ level: 'warning', path: 'render', message: `the file looks like a zip, but its parts could not be read: ${messageOf(e)}` }];
  }
  return problems;
}

/**
 * The records of a CSV file, read as leniently as a spreadsheet reads them: a byte-order mark is
 * dropped, records end with CRLF, LF or CR and may differ in length, and a stray quote (inside an
 * unquoted field, or before the comma after a quoted one) is kept as a character. Only a quoted
 * field left open does not parse.
 */
const csvRecords = (text: string): string[][] =>
  parseCsv(text, { bom: true, record_delimiter: ['\r\n', '\n', '\r'], relax_column_count: true, relax_quotes: true });

/**
 * The report as text: a line per check, its problems indented, then the totals.
 *
 * @example
 * ```ts
 * console.log(formatContractReport(await checkPluginEntry('./my-framework')));
 * ```
 */
export function formatContractReport(report: ContractReport): string {
  const mark = { passed: 'PASS', failed: 'FAIL', skipped: 'SKIP' } as const;
  const about = [report.version, report.kind].filter(Boolean).join(', ');
  const lines = [`Plugin contract of ${report.pluginId}${about ? ` (${about})` : ''} against plugin API ${report.pluginApiVersion}`];
  for (const check of report.checks) {
    lines.push(
      `  ${mark[check.status]}  ${check.id.padEnd(12)} ${check.skippedBecause ? `skipped: ${check.skippedBecause}` : check.title}`,
    );
    for (const p of check.problems) {
      lines.push(`        ${p.level}: ${p.code ? `${p.code} ` : ''}${p.path ? `at ${p.path}: ` : ''}${p.message}`);
    }
  }
  const count = (status: ContractCheck['status']) => report.checks.filter((c) => c.status === status).length;
  const passed = count('passed');
  lines.push(
    `${passed} check${passed === 1 ? '' : 's'} passed, ${count('failed')} failed${count('skipped') ? `, ${count('skipped')} skipped` : ''}`,
  );
  return lines.join('\n');
}
