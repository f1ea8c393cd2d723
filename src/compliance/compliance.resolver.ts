import { Arg, Authorized, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { EventLoaders } from '../audit/audit-event.loaders';
import { presentEvent } from '../audit/audit-event.presenter';
import { encodeCursor } from '../audit/audit-event.repository';
import { AuditEvent, AuditEventConnection } from '../audit/audit-event.types';
import { Classification } from '../audit/audit-event.model';
import { READ_ROLES, Role } from '../access/role';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { noteRead, principalOf, type RequestContext } from '../graphql/context';
import { READ_RECORD_ACTIONS, seesReadRecords } from '../audit/read-record';
import type { PageLimits } from '../graphql/paging';
import type { Control as CatalogControl, EventRule } from '../plugin-api';
import type { AssessmentSummary, ControlResult, RuleOutcome } from './assessment';
import type { ComplianceCatalog, LoadedFramework, ResolvedMapping } from './catalog';
import type { Assessment, ComplianceService } from './compliance.service';
import { parameterValuesOf } from './framework-profile.types';
import { scopeDimensionsOf } from './framework-profile-scope.types';
import {
  AssessComplianceInput,
  AttestationInfo,
  AttestControlInput,
  ClassificationLevelInfo,
  ComplianceAssessment,
  Control,
  ControlAssessment,
  ControlFilter,
  ControlMapping,
  DataCategory,
  Framework,
  MappingDirection,
  MappingRelationship,
  RuleAssessment,
  RuleInfo,
  RuleKind,
  RuleRole,
  RuleVerdict,
  StatusCounts,
} from './compliance.types';

export const ASSESS_ROLES = [Role.ADMIN, Role.AUDITOR];

/** An assessment summary's counts by status, as the schema shows them. */
export const statusCountsOf = ({ counts, total }: AssessmentSummary): StatusCounts =>
  Object.assign(new StatusCounts(), {
    compliant: counts.COMPLIANT,
    partiallyCompliant: counts.PARTIALLY_COMPLIANT,
    nonCompliant: counts.NON_COMPLIANT,
    observed: counts.OBSERVED,
    notAssessed: counts.NOT_ASSESSED,
    notApplicable: counts.NOT_APPLICABLE,
    addressedByAlternative: counts.ADDRESSED_BY_ALTERNATIVE ?? 0,
    total,
  });

const LEVEL_DESCRIPTIONS: Record<Classification, string> = {
  [Classification.PUBLIC]: 'May be published.',
  [Classification.INTERNAL]: 'For the organisation only; the default.',
  [Classification.CONFIDENTIAL]: 'Limited to those who need it; VIEWER keys do not see the metadata of such events.',
  [Classification.RESTRICTED]: 'The most sensitive data (PHI, credentials); VIEWER keys do not see the metadata of such events.',
};

const frameworkOf = ({ framework, plugin, controls }: LoadedFramework): Framework =>
  Object.assign(new Framework(), { ...framework, pluginId: plugin.id, pluginVersion: plugin.version, controlCount: controls.length });

const ruleOf = (rule: EventRule): RuleInfo =>
  Object.assign(new RuleInfo(), { id: rule.id, kind: RuleKind[rule.kind], description: rule.description, definition: { ...rule } });

export const controlOf = (frameworkId: string, c: CatalogControl): Control =>
  Object.assign(new Control(), {
    frameworkId,
    id: c.id,
    title: c.title,
    description: c.description,
    parentId: c.parentId ?? null,
    tags: c.tags ?? [],
    evidenceRules: c.evidence.map(ruleOf),
    violationRules: c.violations.map(ruleOf),
    source: c,
  });

const ruleAssessmentOf = (o: RuleOutcome): RuleAssessment =>
  Object.assign(new RuleAssessment(), { ...o, kind: RuleKind[o.kind], role: RuleRole[o.role], verdict: RuleVerdict[o.verdict] });

const controlAssessmentOf = (assessment: Assessment, r: ControlResult): ControlAssessment =>
  Object.assign(new ControlAssessment(), {
    frameworkId: assessment.frameworkId,
    assessment,
    controlId: r.controlId,
    status: r.status,
    evidenceCount: r.evidenceCount,
    violationCount: r.violationCount,
    reason: r.reason,
    rules: r.rules.map(ruleAssessmentOf),
    attestation: r.attestation
      ? Object.assign(new AttestationInfo(), { ...r.attestation, alternativeMeasure: r.attestation.alternativeMeasure ?? null })
      : null,
    scored: r.leaf,
    samples: r.samples,
  });

function matches(control: CatalogControl, filter: ControlFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.tag && !(control.tags ?? []).includes(filter.tag)) return false;
  if (filter.parentId && control.parentId !== filter.parentId) return false;
  if (filter.topLevel && control.parentId) return false;
  if (
    filter.hasViolationRules !== undefined &&
    filter.hasViolationRules !== null &&
    filter.hasViolationRules !== control.violations.length > 0
  )
    return false;
  if (filter.search) {
    const text = filter.search.toLowerCase();
    if (![control.id, control.title, control.description].some((s) => s.toLowerCase().includes(text))) return false;
  }
  return true;
}

/** Sample events, through the per-request DataLoader (one query for every sample of a response); a read of the log. */
async function sampleEvents(
  sequences: number[],
  ctx: RequestContext<EventLoaders>,
  operation: string,
  scope: Record<string, unknown>,
): Promise<AuditEvent[]> {
  const { role } = principalOf(ctx);
  const events = await ctx.loaders.eventBySequence.loadMany(sequences);
  const shown = events.flatMap((e) =>
    e && !(e instanceof Error) && (seesReadRecords(role) || !READ_RECORD_ACTIONS.includes(e.action)) ? [presentEvent(e, role)] : [],
  );
  if (shown.length) noteRead(ctx, operation, scope, shown.length);
  return shown;
}

@Resolver()
export class ComplianceResolver {
  constructor(
    private readonly catalog: ComplianceCatalog,
    private readonly compliance: ComplianceService,
  ) {}

  @Authorized()
  @Query(() => [Framework], { description: 'Every loaded framework. Any role.' })
  frameworks(): Framework[] {
    return this.catalog.frameworks().map(frameworkOf);
  }

  @Authorized()
  @Query(() => Framework, { nullable: true, description: 'One framework by id; null if none is loaded under it. Any role.' })
  framework(@Arg('id', () => String, { description: 'Framework id, e.g. soc2.' }) id: string): Framework | null {
    const found = this.catalog.framework(id);
    return found ? frameworkOf(found) : null;
  }

  @Authorized()
  @Query(() => [Control], {
    description: "A framework's controls in catalog order, optionally filtered. NOT_FOUND for an unknown framework. Any role.",
  })
  controls(
    @Arg('frameworkId', () => String, { description: 'Framework id, e.g. soc2.' }) frameworkId: string,
    @Arg('filter', () => ControlFilter, { nullable: true, description: 'Narrows the list; every given field must hold.' })
    filter?: ControlFilter,
  ): Control[] {
    const loaded = this.compliance.framework(frameworkId);
    return loaded.controls.filter((c) => matches(c, filter)).map((c) => controlOf(frameworkId, c));
  }

  @Authorized()
  @Query(() => Control, {
    nullable: true,
    description: 'One control by framework and reference id (e.g. soc2, CC6.1); null if there is none. Any role.',
  })
  control(
    @Arg('frameworkId', () => String, { description: 'Framework id, e.g. soc2.' }) frameworkId: string,
    @Arg('id', () => String, { description: 'Reference id of the control, e.g. CC6.1.' }) id: string,
  ): Control | null {
    const found = this.catalog.control(frameworkId, id);
    return found ? controlOf(frameworkId, found) : null;
  }

  @Authorized()
  @Query(() => [DataCategory], { description: 'Data categories: the built-in ones and those plugins add. Any role.' })
  dataCategories(): DataCategory[] {
    return this.catalog.categories().map((c) => Object.assign(new DataCategory(), c));
  }

  @Authorized()
  @Query(() => [ClassificationLevelInfo], { description: 'Classification levels, lowest first. Any role.' })
  classificationLevels(): ClassificationLevelInfo[] {
    return Object.values(Classification).map((level, rank) =>
      Object.assign(new ClassificationLevelInfo(), { level, rank, description: LEVEL_DESCRIPTIONS[level] }),
    );
  }

  @Authorized(...ASSESS_ROLES)
  @Query(() => ComplianceAssessment, {
    description:
      'Assesses a framework over a range of your audit trail: a status per control, a score and a level. Cached under your chain head, so a repeat is instant and any new event makes it fresh. Errors: NOT_FOUND (framework), INVALID_ARGUMENT (range).',
  })
  async assessCompliance(
    @Arg('input', () => AssessComplianceInput, { description: 'The framework and the time range to assess.' }) input: AssessComplianceInput,
    @Ctx() ctx: RequestContext<EventLoaders>,
  ): Promise<ComplianceAssessment> {
    const a = await this.compliance.assess(principalOf(ctx).tenantId, input);
    return Object.assign(new ComplianceAssessment(), {
      ...a,
      score: a.summary.score,
      assessedScore: a.summary.assessedScore,
      level: a.summary.level,
      coverage: a.summary.coverage,
      counts: statusCountsOf(a.summary),
      controls: a.controls.map((r) => controlAssessmentOf(a, r)),
      parameters: parameterValuesOf(this.compliance.framework(a.frameworkId).parameters, a.parameters ?? []),
      scope: scopeDimensionsOf(this.compliance.framework(a.frameworkId).plugin.catalog.scoping ?? [], a.scope ?? []),
    });
  }

  @Authorized(...ASSESS_ROLES)
  @Mutation(() => AttestationInfo, {
    description:
      'Records your verdict on a control as a datapunk.control.attested event in your chain. It decides controls no event can show. Only NOT_APPLICABLE (out of scope, children included) overrides a finding in the events; other verdicts do not. Errors: NOT_FOUND, INVALID_ARGUMENT.',
  })
  async attestControl(
    @Arg('input', () => AttestControlInput, { description: 'The control, the verdict, what it rests on and when it lapses.' })
    input: AttestControlInput,
    @Ctx() ctx: RequestContext<EventLoaders>,
  ): Promise<AttestationInfo> {
    const { tenantId, keyId } = principalOf(ctx);
    const attestation = await this.compliance.attest({ tenantId, keyId, requestId: ctx.requestId }, input);
    return Object.assign(new AttestationInfo(), { ...attestation, alternativeMeasure: attestation.alternativeMeasure ?? null });
  }
}

@Resolver(() => Control)
export class ControlResolver {
  constructor(
    private readonly catalog: ComplianceCatalog,
    private readonly compliance: ComplianceService,
    private readonly limits: PageLimits,
  ) {}

  @FieldResolver(() => Framework, { description: 'The framework the control belongs to.' })
  framework(@Root() control: Control): Framework {
    return frameworkOf(this.compliance.framework(control.frameworkId));
  }

  @FieldResolver(() => Control, { nullable: true, description: 'The enclosing control; null for a top-level one.' })
  parent(@Root() control: Control): Control | null {
    const parent = control.parentId ? this.catalog.control(control.frameworkId, control.parentId) : undefined;
    return parent ? controlOf(control.frameworkId, parent) : null;
  }

  @FieldResolver(() => [Control], { description: 'Controls whose parent this is (HIPAA implementation specifications).' })
  children(@Root() control: Control): Control[] {
    return this.catalog.children(control.frameworkId, control.id).map((c) => controlOf(control.frameworkId, c));
  }

  @FieldResolver(() => [ControlMapping], {
    description:
      'Controls of other frameworks this one maps to, whichever side declared the mapping (SUBSET and SUPERSET are inverted for the other side).',
  })
  mappings(@Root() control: Control): ControlMapping[] {
    return this.catalog.mappings(control.frameworkId, control.id).map((m: ResolvedMapping) =>
      Object.assign(new ControlMapping(), {
        frameworkId: m.frameworkId,
        controlId: m.controlId,
        relationship: MappingRelationship[m.relationship],
        direction: MappingDirection[m.direction],
      }),
    );
  }

  @Authorized(...READ_ROLES)
  @FieldResolver(() => AuditEventConnection, {
    description:
      "Your tenant's events that match any of the control's evidence rules, newest first. VIEWER keys see them redacted and without read records. The read is recorded in your chain as datapunk.log.read.",
  })
  async evidence(
    @Root() control: Control,
    @Ctx() ctx: RequestContext<EventLoaders>,
    @Arg('first', () => Int, { nullable: true, description: 'Page size; default DEFAULT_PAGE_SIZE, at most MAX_PAGE_SIZE.' })
    first?: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after?: string,
  ): Promise<AuditEventConnection> {
    const { tenantId, role } = principalOf(ctx);
    const { maxPageSize, defaultPageSize } = this.limits;
    const size = first ?? defaultPageSize;
    if (size < 1 || size > maxPageSize) {
      throw new AppError(
        ErrorCode.PAGE_SIZE_EXCEEDED,
        `first must be between 1 and ${maxPageSize}; page through larger results with after.`,
        {
          max: maxPageSize,
        },
      );
    }
    // A VIEWER never sees who read the log (ADR 0044).
    const hidden = seesReadRecords(role) ? [] : READ_RECORD_ACTIONS;
    const { events, hasNextPage } = await this.compliance.evidence(tenantId, control.frameworkId, control.id, size, after ?? null, hidden);
    noteRead(
      ctx,
      'Control.evidence',
      { frameworkId: control.frameworkId, controlId: control.id, first: size, after: after ?? null },
      events.length,
    );
    for (const event of events) ctx.loaders.event.prime(event.id, event);
    const edges = events.map((event) => ({ cursor: encodeCursor(event.sequence), node: presentEvent(event, role) }));
    return Object.assign(new AuditEventConnection(), {
      edges,
      pageInfo: {
        hasNextPage,
        hasPreviousPage: false,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges[edges.length - 1]?.cursor ?? null,
      },
      count: () => this.compliance.evidenceCount(tenantId, control.frameworkId, control.id, hidden),
    });
  }
}

@Resolver(() => ControlAssessment)
export class ControlAssessmentResolver {
  constructor(private readonly compliance: ComplianceService) {}

  @FieldResolver(() => Control, { description: 'The assessed control.' })
  control(@Root() assessment: ControlAssessment): Control {
    return controlOf(assessment.frameworkId, this.compliance.control(assessment.frameworkId, assessment.controlId));
  }

  @FieldResolver(() => [AuditEvent], {
    description: 'A few events behind the status (the newest and oldest match of each rule that counted).',
  })
  sampleEvents(@Root() assessment: ControlAssessment, @Ctx() ctx: RequestContext<EventLoaders>): Promise<AuditEvent[]> {
    return sampleEvents(assessment.samples, ctx, 'ControlAssessment.sampleEvents', { frameworkId: assessment.frameworkId });
  }
}

@Resolver(() => RuleAssessment)
export class RuleAssessmentResolver {
  @FieldResolver(() => [AuditEvent], { description: 'A few events behind the verdict.' })
  sampleEvents(@Root() rule: RuleAssessment, @Ctx() ctx: RequestContext<EventLoaders>): Promise<AuditEvent[]> {
    return sampleEvents(rule.samples, ctx, 'RuleAssessment.sampleEvents', {});
  }
}

@Resolver(() => AttestationInfo)
export class AttestationResolver {
  @FieldResolver(() => AuditEvent, { nullable: true, description: 'The datapunk.control.attested event itself.' })
  async event(@Root() attestation: AttestationInfo, @Ctx() ctx: RequestContext<EventLoaders>): Promise<AuditEvent | null> {
    const event = await ctx.loaders.eventBySequence.load(attestation.sequence);
    noteRead(ctx, 'ControlAttestation.event', { sequence: attestation.sequence }, event ? 1 : 0);
    return event ? presentEvent(event, principalOf(ctx).role) : null;
  }
}
