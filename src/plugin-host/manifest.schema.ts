import { z } from 'zod';
import {
  ACTOR_TYPES,
  CLASSIFICATION_LEVELS,
  type FrameworkParameter,
  OUTCOME_STATUSES,
  PARAMETER_FIELD_TYPES,
  SEVERITIES,
} from '../plugin-api';
import { isRange, isVersion } from './api-range';

/** What the host checks of every plugin, code or pure data. Paths of issues name the bad field. */

const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const UPPER_SNAKE = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/;

const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, { message: 'must not be empty' })
    .max(max, { message: `must be at most ${max} characters` });
const kebabId = z
  .string()
  .regex(KEBAB, { message: 'must be kebab-case, e.g. framework-acme' })
  .max(64, { message: 'must be at most 64 characters' });
const category = z.string().regex(UPPER_SNAKE, { message: 'must be UPPER_SNAKE_CASE, e.g. PHI' }).max(64);
const positive = z.number().int({ message: 'must be a whole number' }).min(1, { message: 'must be at least 1' });

/** Keys of `shape`, but exactly one of them present. */
const exactlyOne = <T extends z.ZodRawShape>(shape: T, what: string) =>
  z
    .object(shape)
    .partial()
    .strict()
    .refine((value) => Object.values(value).filter((v) => v !== undefined).length === 1, {
      message: `must have exactly one of ${Object.keys(shape).join(', ')} (${what})`,
    });

const namePattern = exactlyOne({ equals: text(256), prefix: text(256), glob: text(256) }, 'a name pattern');
const patterns = z.array(namePattern).min(1, { message: 'must hold at least one pattern' });
const duration = exactlyOne({ minutes: positive, hours: positive, days: positive }, 'a duration');

/** `{ parameter: id }` in place of a literal (plugin API 1.5.0); the id and type are checked across fields. */
const parameterRef = z.object({ parameter: kebabId }).strict();
const isRef = (value: unknown) => value !== null && typeof value === 'object' && 'parameter' in value;
/** The literal schema, or a parameter reference when the value is an object with `parameter`. */
const orParameter = <T extends z.ZodTypeAny>(literal: T) =>
  z.any().superRefine((value, ctx) => {
    const parsed = (isRef(value) ? parameterRef : literal).safeParse(value);
    if (!parsed.success) for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: issue.path });
  });
const count = orParameter(positive);
const within = orParameter(duration);

const ratio = z.number().min(0, { message: 'must be from 0 to 1' }).max(1, { message: 'must be from 0 to 1' });
const atLeast = orParameter(ratio);
const parameterBase = { id: kebabId, description: text(1000) };
const parameterOf = <T extends z.ZodTypeAny>(type: string, value: T) =>
  z.object({ ...parameterBase, type: z.literal(type), default: value, min: value.optional(), max: value.optional() }).strict();
const parameter = z.discriminatedUnion(
  'type',
  [parameterOf('INTEGER', positive), parameterOf('DURATION', duration), parameterOf('RATIO', ratio)],
  { errorMap: () => ({ message: 'type must be one of INTEGER, DURATION, RATIO' }) },
);

const METADATA_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const scalar = z.union([text(1000), z.number().finite(), z.boolean()], {
  errorMap: () => ({ message: 'must be a string, a number or a boolean' }),
});
const metadataPredicate = z
  .object({
    path: z
      .string()
      .regex(METADATA_PATH, { message: 'must be identifiers joined by dots, e.g. dsar.type' })
      .max(256, { message: 'must be at most 256 characters' }),
    equals: scalar.optional(),
    in: z.array(scalar).min(1, { message: 'must hold at least one value' }).optional(),
    exists: z.boolean().optional(),
  })
  .strict()
  .refine((p) => [p.equals, p.in, p.exists].filter((v) => v !== undefined).length === 1, {
    message: 'must have exactly one of equals, in, exists (a metadata predicate)',
  });

const eventMatch = z
  .object({
    action: patterns.optional(),
    outcome: z
      .array(z.enum(OUTCOME_STATUSES as [string, ...string[]]))
      .min(1)
      .optional(),
    minSeverity: z.enum(SEVERITIES as [string, ...string[]]).optional(),
    classification: z
      .array(z.enum(CLASSIFICATION_LEVELS as [string, ...string[]]))
      .min(1)
      .optional(),
    minClassification: z.enum(CLASSIFICATION_LEVELS as [string, ...string[]]).optional(),
    categories: z.array(category).min(1).optional(),
    resourceType: patterns.optional(),
    actorType: z
      .array(z.enum(ACTOR_TYPES as [string, ...string[]]))
      .min(1)
      .optional(),
    metadata: z.array(metadataPredicate).min(1, { message: 'must hold at least one predicate' }).optional(),
  })
  .strict();

const ruleBase = { id: kebabId, description: text(1000) };
const correlation = z.enum(['ACTOR', 'RESOURCE', 'IP', 'TENANT']);

const eventRule = z.discriminatedUnion(
  'kind',
  [
    z.object({ ...ruleBase, kind: z.literal('MATCH'), match: eventMatch }).strict(),
    z
      .object({
        ...ruleBase,
        kind: z.literal('AT_LEAST'),
        match: eventMatch,
        count,
        period: z.enum(['DAY', 'WEEK', 'MONTH', 'QUARTER', 'YEAR']),
        distinct: z.enum(['ACTOR', 'RESOURCE', 'IP']).optional(),
      })
      .strict(),
    z.object({ ...ruleBase, kind: z.literal('NOT_FOLLOWED_BY'), trigger: eventMatch, followUp: eventMatch, within, correlation }).strict(),
    z.object({ ...ruleBase, kind: z.literal('FOLLOWED_BY'), trigger: eventMatch, followUp: eventMatch, within, correlation }).strict(),
    z
      .object({
        ...ruleBase,
        kind: z.literal('NOT_PRECEDED_BY'),
        trigger: eventMatch,
        precededBy: eventMatch,
        within,
        correlation,
      })
      .strict(),
    z
      .object({
        ...ruleBase,
        kind: z.literal('BURST'),
        match: eventMatch,
        count,
        within,
        correlation,
        response: z.object({ match: eventMatch, within }).strict().optional(),
      })
      .strict(),
    z.object({ ...ruleBase, kind: z.literal('MAX_GAP'), match: eventMatch, maxGap: within }).strict(),
    z
      .object({
        ...ruleBase,
        kind: z.literal('RATIO'),
        population: eventMatch,
        qualifying: eventMatch,
        atLeast,
        distinct: z.enum(['ACTOR', 'RESOURCE', 'IP']).optional(),
      })
      .strict(),
    z.object({ ...ruleBase, kind: z.literal('RECENT'), match: eventMatch, count, within }).strict(),
  ],
  {
    errorMap: () => ({
      message: 'kind must be one of MATCH, AT_LEAST, NOT_FOLLOWED_BY, FOLLOWED_BY, NOT_PRECEDED_BY, BURST, MAX_GAP, RATIO, RECENT',
    }),
  },
);

const rules = z.array(eventRule);

const control = z
  .object({
    id: text(64),
    title: text(300),
    description: text(5000),
    parentId: text(64).optional(),
    evidence: rules,
    violations: rules,
    mappings: z
      .array(
        z
          .object({ frameworkId: kebabId, controlId: text(64), relationship: z.enum(['EQUIVALENT', 'SUBSET', 'SUPERSET', 'INTERSECTS']) })
          .strict(),
      )
      .optional(),
    tags: z.array(text(64)).optional(),
  })
  .strict();

const classificationRule = z
  .object({
    id: kebabId,
    resourceType: patterns.optional(),
    action: patterns.optional(),
    classification: z.enum(CLASSIFICATION_LEVELS as [string, ...string[]]).optional(),
    categories: z.array(category).min(1).optional(),
  })
  .strict()
  .refine((r) => r.resourceType || r.action, { message: 'needs resourceType or action' })
  .refine((r) => r.classification || r.categories, { message: 'needs classification or categories' });

// Scoping (plugin API 1.7.0, ADR 0040): the shape here, the cross-field checks in scopingProblems.
const scopeOption = z
  .object({
    id: kebabId,
    name: text(100),
    description: text(1000),
    required: z.boolean().optional(),
    tags: z.array(text(64)).min(1, { message: 'must hold at least one tag (or leave it out)' }).optional(),
    controls: z.array(text(64)).min(1, { message: 'must hold at least one control id (or leave it out)' }).optional(),
  })
  .strict();
const scopeDimension = z
  .object({
    id: kebabId,
    name: text(100),
    description: text(1000),
    multiple: z.boolean(),
    options: z.array(scopeOption).min(1, { message: 'must offer at least one option' }),
    default: z.array(kebabId),
  })
  .strict();
const alternativeMeasures = z.object({ tag: text(64), citation: text(300) }).strict();

export const frameworkCatalogSchema = z
  .object({
    framework: z.object({ id: kebabId, name: text(200), version: text(64), description: text(5000) }).strict(),
    controls: z.array(control),
    parameters: z.array(parameter).optional(),
    scoping: z.array(scopeDimension).optional(),
    alternativeMeasures: alternativeMeasures.optional(),
    classificationRules: z.array(classificationRule).optional(),
    dataCategories: z.array(z.object({ id: category, description: text(1000) }).strict()).optional(),
  })
  .strict();

const fn = (message: string) => z.custom<(...args: never[]) => unknown>((value) => typeof value === 'function', { message });

const manifestFields = {
  id: kebabId,
  version: z.string().refine(isVersion, { message: 'must be a semver version, e.g. 1.0.0' }),
  apiVersion: z.string().refine(isRange, { message: 'must be a semver range, e.g. ^1.0.0' }),
  name: text(200).optional(),
  description: text(5000).optional(),
  dependsOn: z.array(kebabId).optional(),
};

const codeFields = {
  ...manifestFields,
  options: z
    .custom<{ safeParse: unknown }>((value) => typeof (value as { safeParse?: unknown } | null)?.safeParse === 'function', {
      message: 'must be a schema with safeParse, e.g. a zod object',
    })
    .optional(),
  start: fn('must be a function').optional(),
  stop: fn('must be a function').optional(),
};

/** A plugin object, as a code plugin exports it (or as the host builds it from pure data). */
export const pluginSchema = z.discriminatedUnion(
  'kind',
  [
    z.object({ ...codeFields, kind: z.literal('framework'), catalog: frameworkCatalogSchema }),
    z.object({
      ...codeFields,
      kind: z.literal('format'),
      mimeType: z.string().regex(/^[\w.+-]+\/[\w.+-]+$/, { message: 'must be a MIME type, e.g. text/html' }),
      fileExtension: z.string().regex(/^[a-z0-9]{1,16}$/, { message: 'must be lower-case letters and digits without the dot, e.g. docx' }),
      streamsTables: z.boolean().optional(),
      render: fn('must be a function (model, context) => file contents'),
    }),
  ],
  { errorMap: () => ({ message: 'kind must be framework or format' }) },
);

/** `datapunk-plugin.json`: the manifest fields plus the catalog's file name; pure data is always a framework. */
export const pureDataManifestSchema = z
  .object({
    ...manifestFields,
    kind: z.literal('framework', { errorMap: () => ({ message: 'must be framework: a pure-data plugin cannot render a format' }) }),
    catalog: z
      .string()
      .regex(/^[\w./-]+\.(json|ya?ml)$/, { message: 'must be the relative path of a .json, .yaml or .yml file next to the manifest' })
      .refine((file) => !file.split('/').includes('..') && !file.startsWith('/'), { message: 'must stay inside the plugin folder' }),
  })
  .strict();

/** `a.b[2].c` from a zod issue path; empty for the root. */
export const formatPath = (path: (string | number)[]): string =>
  path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${key}` : key), '');

export interface SchemaProblem {
  path: string;
  message: string;
}

/** Every issue of a failed parse, with its path; unknown keys name each key. */
export function schemaProblems(error: z.ZodError, prefix: (string | number)[] = []): SchemaProblem[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === z.ZodIssueCode.unrecognized_keys) {
      return issue.keys.map((key) => ({ path: formatPath([...prefix, ...issue.path, key]), message: 'is not a known field (a typo?)' }));
    }
    if (issue.code === z.ZodIssueCode.invalid_union_discriminator || issue.code === z.ZodIssueCode.invalid_type) {
      return [{ path: formatPath([...prefix, ...issue.path]), message: issue.message === 'Required' ? 'is required' : issue.message }];
    }
    return [{ path: formatPath([...prefix, ...issue.path]), message: issue.message }];
  });
}

const asList = (value: unknown): Record<string, unknown>[] =>
  Array.isArray(value) ? value.filter((v): v is Record<string, unknown> => v !== null && typeof v === 'object') : [];

/** Ids used twice in a list: a problem at each repeat. */
function repeatedIds(list: unknown, prefix: (string | number)[], what: string): SchemaProblem[] {
  const seen = new Set<unknown>();
  return (Array.isArray(list) ? (list as unknown[]) : []).flatMap((item, i) => {
    const id = (item as { id?: unknown } | null)?.id;
    if (typeof id !== 'string') return [];
    if (seen.has(id)) return [{ path: formatPath([...prefix, i, 'id']), message: `${what} id "${id}" is used twice` }];
    seen.add(id);
    return [];
  });
}

/**
 * Checks across fields (unique ids, parents that exist). Separate from the schema so they run even
 * when other fields are bad: one start reports every problem.
 */
export function catalogCrossProblems(catalog: unknown, prefix: (string | number)[] = []): SchemaProblem[] {
  const controls = (catalog as { controls?: unknown } | null)?.controls;
  const ids = new Set(asList(controls).map((c) => c.id));
  return [
    ...repeatedIds(controls, [...prefix, 'controls'], 'control'),
    ...(Array.isArray(controls) ? (controls as unknown[]) : []).flatMap((c, i) => {
      if (c === null || typeof c !== 'object') return [];
      const { parentId, evidence, violations } = c as Record<string, unknown>;
      const at = [...prefix, 'controls', i];
      return [
        ...(typeof parentId === 'string' && !ids.has(parentId)
          ? [{ path: formatPath([...at, 'parentId']), message: `names no control of this catalog ("${parentId}")` }]
          : []),
        ...repeatedIds(evidence, [...at, 'evidence'], 'evidence rule'),
        ...violationOnly(evidence, [...at, 'evidence']),
        ...repeatedIds(violations, [...at, 'violations'], 'violation rule'),
      ];
    }),
    ...parentCycles(controls, prefix),
    ...parameterProblems(catalog, prefix),
    ...scopingProblems(catalog, prefix),
    ...repeatedIds(
      (catalog as { classificationRules?: unknown } | null)?.classificationRules,
      [...prefix, 'classificationRules'],
      'classification rule',
    ),
  ];
}

/**
 * Why `value` cannot stand for `parameter` (a tenant's override, ADR 0038): not of its type, or
 * outside its bounds. Empty when it can.
 */
export function parameterValueProblems(parameter: FrameworkParameter, value: unknown): string[] {
  const schema = { INTEGER: positive, DURATION: duration, RATIO: ratio }[parameter.type];
  const parsed = schema.safeParse(value);
  if (!parsed.success) return parsed.error.issues.map((i) => i.message);
  const [v, min, max] = [value, parameter.min, parameter.max].map(magnitude);
  return [
    ...(min !== undefined && v! < min ? [`must not be below ${JSON.stringify(parameter.min)}`] : []),
    ...(max !== undefined && v! > max ? [`must not be above ${JSON.stringify(parameter.max)}`] : []),
  ];
}

/** A parameter value as minutes or as the number itself, to compare bounds; undefined when malformed. */
function magnitude(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value === null || typeof value !== 'object') return undefined;
  const d = value as Record<string, unknown>;
  const [unit, amount] = Object.entries(d)[0] ?? [];
  const per: Record<string, number> = { minutes: 1, hours: 60, days: 1440 };
  return typeof amount === 'number' && unit in per ? amount * per[unit] : undefined;
}

/** Repeated parameter ids, bounds that exclude the default, and references to unknown or mistyped parameters. */
function parameterProblems(catalog: unknown, prefix: (string | number)[]): SchemaProblem[] {
  const declared = (catalog as { parameters?: unknown } | null)?.parameters;
  const typeOf = new Map(asList(declared).map((p) => [p.id, p.type]));
  const bounds = asList(declared).flatMap((p, i): SchemaProblem[] => {
    const [value, min, max] = [p.default, p.min, p.max].map(magnitude);
    const at = (field: string) => formatPath([...prefix, 'parameters', i, field]);
    if (value === undefined) return [];
    return [
      ...(min !== undefined && max !== undefined && min > max ? [{ path: at('max'), message: 'must not be below min' }] : []),
      ...(min !== undefined && value < min ? [{ path: at('default'), message: 'must not be below min' }] : []),
      ...(max !== undefined && value > max ? [{ path: at('default'), message: 'must not be above max' }] : []),
    ];
  });
  const fields = Object.entries(PARAMETER_FIELD_TYPES) as [string, string][];
  const references = asList((catalog as { controls?: unknown } | null)?.controls).flatMap((c, i) =>
    (['evidence', 'violations'] as const).flatMap((role) =>
      asList(c[role]).flatMap((rule, j) =>
        // A BURST response's window may name a DURATION parameter too (plugin API 1.8.0).
        [...fields.map(([field, type]) => [[field], type] as const), [['response', 'within'], 'DURATION'] as const].flatMap(
          ([at, type]): SchemaProblem[] => {
            const field = at[at.length - 1];
            const ref = at.reduce<unknown>(
              (value, key) => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined),
              rule,
            ) as { parameter?: unknown } | undefined;
            if (ref === null || typeof ref !== 'object' || typeof ref.parameter !== 'string') return [];
            const path = formatPath([...prefix, 'controls', i, role, j, ...at, 'parameter']);
            const found = typeOf.get(ref.parameter);
            if (found === undefined)
              return [{ path, message: `names no parameter of this catalog ("${ref.parameter}"); declare it in parameters` }];
            if (found !== type)
              return [{ path, message: `names the ${String(found)} parameter "${ref.parameter}"; ${field} takes a ${type} parameter` }];
            return [];
          },
        ),
      ),
    ),
  );
  return [...repeatedIds(declared, [...prefix, 'parameters'], 'parameter'), ...bounds, ...references];
}

/**
 * Scope declarations that cannot work (ADR 0040): repeated ids, an option that names no control or
 * a control the catalog lacks, a default that is not a valid selection, a required option in a
 * single-choice dimension. A tag no control carries is allowed: the controls may come in a later
 * version (`plugin check` warns).
 */
function scopingProblems(catalog: unknown, prefix: (string | number)[]): SchemaProblem[] {
  const declared = (catalog as { scoping?: unknown } | null)?.scoping;
  const ids = new Set(asList((catalog as { controls?: unknown } | null)?.controls).map((c) => c.id));
  const problems = repeatedIds(declared, [...prefix, 'scoping'], 'scope dimension');
  asList(declared).forEach((dimension, i) => {
    const at = (...path: (string | number)[]) => formatPath([...prefix, 'scoping', i, ...path]);
    const options = asList(dimension.options);
    problems.push(...repeatedIds(dimension.options, [...prefix, 'scoping', i, 'options'], 'scope option'));
    options.forEach((option, j) => {
      const tags = Array.isArray(option.tags) ? option.tags : [];
      const controls = Array.isArray(option.controls) ? (option.controls as unknown[]) : [];
      if (!tags.length && !controls.length)
        problems.push({ path: at('options', j), message: 'brings no control into scope: give it tags or controls' });
      controls.forEach((id, k) => {
        if (typeof id === 'string' && !ids.has(id))
          problems.push({ path: at('options', j, 'controls', k), message: `names no control of this catalog ("${id}")` });
      });
      if (option.required === true && dimension.multiple === false)
        problems.push({
          path: at('options', j, 'required'),
          message: 'a single-choice dimension cannot require an option (nothing is left to choose)',
        });
    });
    const known = new Set(options.map((o) => o.id));
    const chosen = Array.isArray(dimension.default) ? (dimension.default as unknown[]) : [];
    chosen.forEach((id, k) => {
      if (typeof id === 'string' && !known.has(id))
        problems.push({ path: at('default', k), message: `names no option of this dimension ("${id}")` });
      else if (chosen.indexOf(id) !== k) problems.push({ path: at('default', k), message: `names "${String(id)}" twice` });
    });
    if (dimension.multiple === false && chosen.length !== 1)
      problems.push({ path: at('default'), message: 'must name exactly one option: the dimension is single-choice' });
    for (const option of options)
      if (option.required === true && dimension.multiple === true && !chosen.includes(option.id))
        problems.push({ path: at('default'), message: `must include the required option "${String(option.id)}"` });
  });
  return problems;
}

/** Kinds that find deviations and cannot show a control operating: refused among its evidence. */
function violationOnly(evidence: unknown, prefix: (string | number)[]): SchemaProblem[] {
  return asList(evidence).flatMap((rule, i) =>
    rule.kind === 'FOLLOWED_BY'
      ? [
          {
            path: formatPath([...prefix, i, 'kind']),
            message:
              'FOLLOWED_BY is a violation rule only (a trigger followed is a deviation): move it to violations, or use NOT_FOLLOWED_BY as evidence',
          },
        ]
      : [],
  );
}

/** Controls that are their own ancestor: a problem at each one's parentId, naming the loop. */
function parentCycles(controls: unknown, prefix: (string | number)[]): SchemaProblem[] {
  const list = asList(controls);
  const parentOf = new Map(list.filter((c) => typeof c.id === 'string' && typeof c.parentId === 'string').map((c) => [c.id, c.parentId]));
  return list.flatMap((c, i) => {
    const chain: unknown[] = [c.id];
    for (let at = parentOf.get(c.id); at !== undefined && chain.length <= parentOf.size; at = parentOf.get(at)) {
      chain.push(at);
      if (at === c.id) {
        return [
          { path: formatPath([...prefix, 'controls', i, 'parentId']), message: `makes the control its own ancestor: ${chain.join(' → ')}` },
        ];
      }
    }
    return [];
  });
}

/** Every problem of a catalog: schema and cross-field. */
export function catalogProblems(catalog: unknown, prefix: (string | number)[] = []): SchemaProblem[] {
  const parsed = frameworkCatalogSchema.safeParse(catalog);
  return [...(parsed.success ? [] : schemaProblems(parsed.error, prefix)), ...catalogCrossProblems(catalog, prefix)];
}

/** Every problem of a plugin object; empty when it is valid. */
export function pluginProblems(plugin: unknown): SchemaProblem[] {
  const parsed = pluginSchema.safeParse(plugin);
  const isFramework = (plugin as { kind?: unknown } | null)?.kind === 'framework';
  return [
    ...(parsed.success ? [] : schemaProblems(parsed.error)),
    ...(isFramework ? catalogCrossProblems((plugin as { catalog?: unknown }).catalog, ['catalog']) : []),
  ];
}
