import { isIP } from 'node:net';
import { AppError, type Problem } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { canonicalJson } from '../chain/canonical-json';
import {
  type ActorType,
  Classification,
  classificationRank,
  type EventPayload,
  type OutcomeStatus,
  Severity,
} from '../audit/audit-event.model';
import type { Classifier } from './classifier';
import { sha256Hex } from '../chain/hashing';
import { canonicalPayload, classifiedFragments, payloadFragments } from '../chain/event-canonical';
import type { PreparedEvent } from '../chain/prepared-event';

/** What an event the client did not classify (and no rule classified higher) is. */
const DEFAULT_CLASSIFICATION = Classification.INTERNAL;

/** An event as GraphQL hands it over (already type-checked by the schema, not yet by us). */
export interface AuditEventInputShape {
  occurredAt: string;
  actor: { id: string; type: ActorType; displayName?: string | null; ip?: string | null; userAgent?: string | null };
  action: string;
  resource: { type: string; id: string; name?: string | null };
  outcome: { status: OutcomeStatus; reason?: string | null };
  severity?: Severity | null;
  classification?: Classification | null;
  categories?: string[] | null;
  tags?: string[] | null;
  requestId?: string | null;
  sessionId?: string | null;
  sourceService?: string | null;
  metadata?: Record<string, unknown> | null;
  idempotencyKey?: string | null;
}

export interface EventLimits {
  maxStringLength: number;
  maxMetadataBytes: number;
  maxOccurredAtAgeMs: number;
  maxClockSkewMs: number;
}

export const ACTION_PATTERN = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const CATEGORY_PATTERN = /^[A-Z][A-Z0-9_]{0,63}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const MAX_LABELS = 32;
const MAX_METADATA_DEPTH = 16;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * One iterative pass over the metadata (no recursion, so a hostile nesting cannot overflow the
 * stack): nesting depth, unpaired surrogates in keys and strings (JSON.stringify escapes them, so
 * the JSON text cannot tell), and numbers JSON cannot represent (1e400 parses to Infinity).
 */
function metadataProblem(root: object): string | null {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length) {
    const [value, depth] = stack.pop()!;
    if (depth > MAX_METADATA_DEPTH) return `must nest at most ${MAX_METADATA_DEPTH} levels`;
    const object = value as Record<string, unknown>;
    for (const key of Object.keys(object)) {
      const child = object[key];
      if (!key.isWellFormed()) return 'contains an unpaired UTF-16 surrogate';
      if (typeof child === 'string') {
        if (!child.isWellFormed()) return 'contains an unpaired UTF-16 surrogate';
      } else if (typeof child === 'number') {
        if (!Number.isFinite(child)) return 'contains a number JSON cannot represent';
      } else if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return null;
}

/** Actions under this prefix are written by the server itself (attestations, refusals); clients may not forge them. */
export const RESERVED_ACTION_PREFIX = 'datapunk.';

/**
 * Whether an action lies under {@link RESERVED_ACTION_PREFIX}, in any letter case: `DATAPUNK.` and
 * `Datapunk.` read as the server's own actions to a person, so they are reserved as well.
 */
export const isReservedAction = (action: string): boolean =>
  action.slice(0, RESERVED_ACTION_PREFIX.length).toLowerCase() === RESERVED_ACTION_PREFIX;

export interface PrepareOptions {
  /** Fills in classification and categories the client left out (the frameworks' classification rules). */
  classify?: Classifier | null;
  /** The server's own events may use the reserved `datapunk.` actions. */
  trusted?: boolean;
  now?: number;
}

/**
 * Checks one batch and normalises it. Collects every problem of every event, then throws one
 * INVALID_EVENT error; nothing is written unless the whole batch is valid.
 */
export function prepareEvents(inputs: AuditEventInputShape[], limits: EventLimits, options: PrepareOptions = {}): PreparedEvent[] {
  const { classify = null, trusted = false, now = Date.now() } = options;
  const problems: Problem[] = [];
  const prepared: PreparedEvent[] = [];
  const earliest = now - limits.maxOccurredAtAgeMs;
  const latest = now + limits.maxClockSkewMs;

  inputs.forEach((input, index) => {
    const at = (field: string) => `events[${index}].${field}`;
    // Positional options: this runs for a dozen fields of each of up to 1,000 events.
    const text = (field: string, value: string | null | undefined, max = limits.maxStringLength, required = false, plain = false) => {
      if (value === null || value === undefined) {
        if (required) problems.push({ path: at(field), message: 'is required' });
        return null;
      }
      if (required && value.trim() === '') problems.push({ path: at(field), message: 'must not be empty' });
      else if (value.length > max) problems.push({ path: at(field), message: `must be at most ${max} characters` });
      else if (!value.isWellFormed()) problems.push({ path: at(field), message: 'contains an unpaired UTF-16 surrogate' });
      else if (plain && CONTROL.test(value)) problems.push({ path: at(field), message: 'must not contain control characters' });
      return value;
    };
    const before = problems.length;

    const occurredMs = ISO_UTC.test(input.occurredAt) ? Date.parse(input.occurredAt) : Number.NaN;
    if (Number.isNaN(occurredMs)) problems.push({ path: at('occurredAt'), message: 'must be an ISO-8601 date-time' });
    else if (occurredMs < earliest || occurredMs > latest) {
      problems.push({
        path: at('occurredAt'),
        message: `must lie between ${new Date(earliest).toISOString()} and ${new Date(latest).toISOString()}`,
      });
    }

    const actorId = text('actor.id', input.actor.id, 256, true);
    const displayName = text('actor.displayName', input.actor.displayName);
    const ip = text('actor.ip', input.actor.ip, 64);
    if (ip !== null && isIP(ip) === 0) problems.push({ path: at('actor.ip'), message: 'must be an IPv4 or IPv6 address' });
    const userAgent = text('actor.userAgent', input.actor.userAgent);

    const action = text('action', input.action, 128, true);
    if (action !== null && !ACTION_PATTERN.test(action)) {
      problems.push({ path: at('action'), message: 'must be dotted words of letters, digits, _ or -, e.g. auth.login' });
    } else if (action !== null && !trusted && isReservedAction(action)) {
      problems.push({
        path: at('action'),
        message: `must not start with "${RESERVED_ACTION_PREFIX}" (in any letter case): those actions are written by the server only`,
      });
    }
    const resourceType = text('resource.type', input.resource.type, 128, true, true);
    const resourceId = text('resource.id', input.resource.id, 256, true);
    const resourceName = text('resource.name', input.resource.name);
    const reason = text('outcome.reason', input.outcome.reason);

    const labels = (field: 'categories' | 'tags', values: string[] | null | undefined) => {
      const list = values ?? [];
      if (list.length > MAX_LABELS) problems.push({ path: at(field), message: `must hold at most ${MAX_LABELS} values` });
      list.forEach((value, i) => {
        if (
          field === 'categories'
            ? !CATEGORY_PATTERN.test(value)
            : value.length < 1 || value.length > 64 || CONTROL.test(value) || !value.isWellFormed()
        ) {
          problems.push({
            path: at(`${field}[${i}]`),
            message:
              field === 'categories' ? 'must be UPPER_SNAKE_CASE, e.g. PII' : 'must be 1 to 64 characters without control characters',
          });
        }
      });
      // Sorted and unique; most lists hold no value or one.
      return list.length < 2 ? list.slice() : [...new Set(list)].sort();
    };
    const categories = labels('categories', input.categories);
    const tags = labels('tags', input.tags);

    const requestId = text('requestId', input.requestId, 256);
    const sessionId = text('sessionId', input.sessionId, 256);
    const sourceService = text('sourceService', input.sourceService, 256);
    const idempotencyKey = text('idempotencyKey', input.idempotencyKey, 128, false, true);
    if (idempotencyKey !== null && idempotencyKey.length === 0) problems.push({ path: at('idempotencyKey'), message: 'must not be empty' });

    let metadata: Record<string, unknown> | null = null;
    let metadataJson: string | null = null;
    if (input.metadata !== null && input.metadata !== undefined) {
      const problem = metadataProblem(input.metadata);
      if (problem) problems.push({ path: at('metadata'), message: problem });
      else {
        metadataJson = canonicalJson(input.metadata);
        const bytes = Buffer.byteLength(metadataJson, 'utf8');
        if (bytes > limits.maxMetadataBytes) {
          problems.push({ path: at('metadata'), message: `must be at most ${limits.maxMetadataBytes} bytes as JSON (is ${bytes})` });
        }
        metadata = input.metadata;
      }
    }

    if (problems.length > before) return;
    // The client's own classification and categories win; rules fill in only what it left out, and
    // a rule's level applies only above the default.
    let classification = input.classification ?? DEFAULT_CLASSIFICATION;
    let labelled = categories;
    if (classify && (!input.classification || categories.length === 0)) {
      const ruled = classify({ action: action!, resourceType: resourceType! });
      if (
        !input.classification &&
        ruled.classification &&
        classificationRank(ruled.classification as Classification) > classificationRank(classification)
      ) {
        classification = ruled.classification as Classification;
      }
      // A rule's empty list is no change: the event's own (empty) list and fragments stay.
      if (categories.length === 0 && ruled.categories.length > 0) labelled = ruled.categories;
    }
    // What the client sent (defaults applied) decides idempotency, so that a retry still gets its
    // receipt after the classification rules changed (another plugin set, another node).
    const sent: EventPayload = {
      occurredAt: input.occurredAt, // already ISO-8601 UTC with milliseconds (checked above)
      actor: { id: actorId!, type: input.actor.type, displayName, ip, userAgent },
      action: action!,
      resource: { type: resourceType!, id: resourceId!, name: resourceName },
      outcome: { status: input.outcome.status, reason },
      severity: input.severity ?? Severity.INFO,
      classification: input.classification ?? DEFAULT_CLASSIFICATION,
      categories,
      tags,
      requestId,
      sessionId,
      sourceService,
      metadata,
    };
    const sentFragments = payloadFragments(sent, metadataJson);
    const ruled = classification !== sent.classification || labelled !== categories;
    const payload = ruled ? { ...sent, classification, categories: labelled } : sent;
    // Classification and categories are in the first fragment only: the others are the client's.
    const fragments = ruled ? classifiedFragments(sentFragments, payload) : sentFragments;
    prepared.push({ payload, fragments, metadataJson, payloadHash: sha256Hex(canonicalPayload(sentFragments)), idempotencyKey });
  });

  if (problems.length) {
    throw new AppError(
      ErrorCode.INVALID_EVENT,
      `${problems.length} problem(s) in the events; nothing was recorded. Fix the fields named in extensions.problems and resend the whole batch.`,
      { problems: problems.slice(0, 100) },
    );
  }
  return prepared;
}
