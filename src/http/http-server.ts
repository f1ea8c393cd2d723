import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { type ApolloServer, HeaderMap } from '@apollo/server';
import { DATABASE_RETRY_AFTER_SECONDS } from '../errors/database-error';
import { ErrorCode, HTTP_STATUS } from '../errors/error-code';
import type { Principal } from '../access/role';
import { QuerySizeScanner } from './query-size-scanner';
import type { Metrics } from '../observability/metrics';
import type { Logger } from '../observability/logger';

/** The ids of one request: the server's own, and the one the client sent (validated), if any. */
export interface RequestIds {
  /** Always generated here; what logs and server-written events record as `requestId`. */
  requestId: string;
  /** The client's `x-request-id`, if it is 1–128 of `A-Za-z0-9._:-`; recorded only under this name. */
  clientRequestId: string | null;
}

export interface HttpDeps<TContext extends object> {
  apollo: ApolloServer<TContext>;
  /** The request's context; `principal` was authenticated here, before the document was read. */
  context: (req: IncomingMessage, ids: RequestIds, principal: Principal | null) => Promise<TContext>;
  /** An API key secret → its principal, or null for an unknown or revoked key. */
  authenticate: (secret: string) => Promise<Principal | null>;
  ready: () => Promise<boolean>;
  metrics: Metrics;
  logger: Logger;
  maxRequestBytes: number;
  /** Per-address rate limit, checked before a /graphql body is read: a refusal is answered 429. */
  rateLimit?: (req: IncomingMessage) => Promise<{ retryAfterSeconds: number; message: string } | null>;
  /** MAX_QUERY_BYTES: the document text (POST `query`, GET `?query=`), checked before parsing. */
  maxQueryBytes: number;
  /** Node's http timeouts (keep-alive idle, headers, whole request). */
  timeouts: { keepAliveTimeoutMs: number; headersTimeoutMs: number; requestTimeoutMs: number };
  /** Origins a browser may call /graphql from; exact matches only. */
  corsOrigins: readonly string[];
  /** Bearer token /metrics requires, if any. */
  metricsToken?: string;
  /** Without a token: refuse /metrics (production) instead of serving it openly (development). */
  metricsClosed?: boolean;
  /** Checks a signed report URL and returns the file (GET /reports/…). */
  download?: (
    url: URL,
    requestId: string,
    options: { head: boolean },
  ) => Promise<{ fileName: string; mimeType: string; sizeBytes: number; content: AsyncIterable<Buffer> }>;
}

const DOWNLOAD_STATUS: Partial<Record<string, number>> = {
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.DOWNLOAD_EXPIRED]: 410,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.REPORT_DAMAGED]: 500,
};

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** How long a keep-alive socket with no request may stay open once shutdown began (a request may be on the wire). */
export const IDLE_GRACE_MS = 1000;

const CORS_METHODS = 'GET, POST, OPTIONS';
const CORS_HEADERS = 'content-type, authorization, apollo-require-preflight, x-request-id';
const CORS_EXPOSE = 'x-request-id, x-client-request-id';

/** `Authorization: Bearer <token>`, the scheme in any case (RFC 9110 makes it case-insensitive). */
export const bearerToken = (req: IncomingMessage): string | null => {
  const match = /^bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match ? match[1] : null;
};

/** Constant-time: equal-length SHA-256 digests, so neither content nor length leaks through timing. */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)).unref());

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const errorBody = (code: ErrorCode, message: string) => ({ errors: [{ message, extensions: { code } }] });

class BodyTooLarge extends Error {}
class DocumentTooLarge extends Error {}

/**
 * Reads and throws away the request body (up to `limit` bytes), so that an answer given without it
 * (401, 503) does not close a socket that still has unread bytes: the kernel would reset it, and the
 * client would see ECONNRESET instead of the answer. False when the body is larger than `limit`.
 */
function discardBody(req: IncomingMessage, limit: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (req.readableEnded || req.complete) return resolve(true);
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.resume();
        resolve(false);
      }
    };
    const onEnd = () => {
      cleanup();
      resolve(true);
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onEnd);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onEnd);
  });
}

/** The body, up to `limit` bytes; `inspect` sees each chunk first and may stop the read (false). */
function readBody(req: IncomingMessage, limit: number, inspect?: (chunk: Buffer) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      reject(new BodyTooLarge());
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Drain instead of destroying the socket, so the client still receives the 413.
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      if (refused) return;
      if (inspect && !inspect(chunk)) {
        // Read on to the end without keeping anything, so the answer leaves a usable connection.
        refused = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => (refused ? reject(new DocumentTooLarge()) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

/**
 * Plain node:http front: /graphql through Apollo's executeHTTPGraphQLRequest, plus /healthz,
 * /readyz and /metrics. Tracks in-flight requests so shutdown can drain them.
 */
export class HttpServer<TContext extends object> {
  readonly server: http.Server;
  private inFlight = 0;
  private draining = false;
  private idle: (() => void) | null = null;
  private closing: Promise<void> | null = null;
  /** Responses being produced: told to close their socket when shutdown begins. */
  private readonly active = new Set<ServerResponse>();
  private readonly cors: ReadonlySet<string>;

  constructor(private readonly deps: HttpDeps<TContext>) {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.deps.logger.error({ err: (err as Error)?.message }, 'request handler failed');
        if (!res.headersSent) sendJson(res, 500, errorBody(ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error'));
        else res.destroy();
      });
    });
    // Keep-alive above every load balancer's idle timeout (60 s on AWS ALB, GCP, nginx), so the
    // balancer closes idle sockets first and never sends a request into one the server is closing.
    this.server.keepAliveTimeout = deps.timeouts.keepAliveTimeoutMs;
    this.server.headersTimeout = deps.timeouts.headersTimeoutMs;
    this.server.requestTimeout = deps.timeouts.requestTimeoutMs;
    this.cors = new Set(deps.corsOrigins);
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve((this.server.address() as { port: number }).port));
    });
  }

  /**
   * Graceful stop within `timeoutMs`: stop accepting connections; let in-flight requests finish, each
   * answer carrying `Connection: close`; answer requests that still arrive on open keep-alive sockets
   * with 503 + `Connection: close`; close sockets idle for {@link IDLE_GRACE_MS}; at the deadline,
   * close whatever is left.
   */
  close(timeoutMs: number): Promise<void> {
    this.closing ??= (async () => {
      const deadline = Date.now() + timeoutMs;
      this.draining = true;
      // net.Server's close, not http.Server's: the latter also destroys idle keep-alive sockets at
      // once, resetting requests a client has already sent on them but the server has not read yet.
      const closed = new Promise<void>((resolve) => net.Server.prototype.close.call(this.server, () => resolve()));
      for (const res of this.active) if (!res.headersSent) res.setHeader('connection', 'close');
      await this.untilIdle(deadline);
      await sleep(Math.min(IDLE_GRACE_MS, deadline - Date.now()));
      await this.untilIdle(deadline);
      this.server.closeAllConnections();
      await Promise.race([closed, sleep(deadline - Date.now())]);
    })();
    return this.closing;
  }

  /** Resolves when no request is in flight, or at `deadline`. */
  private async untilIdle(deadline: number): Promise<void> {
    if (this.inFlight === 0) return;
    await Promise.race([new Promise<void>((resolve) => (this.idle = resolve)), sleep(deadline - Date.now())]);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The server's id is always its own: a client-chosen one would end up in server-written chain
    // events. The client's (validated) id is kept beside it, labelled as the client's.
    const header = req.headers['x-request-id'];
    const ids: RequestIds = {
      requestId: randomUUID(),
      clientRequestId: typeof header === 'string' && REQUEST_ID.test(header) ? header : null,
    };
    const { requestId } = ids;
    res.setHeader('x-request-id', requestId);
    if (ids.clientRequestId) res.setHeader('x-client-request-id', ids.clientRequestId);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      sendJson(res, 400, errorBody(ErrorCode.BAD_REQUEST, 'The request target is not a valid URL.'));
      return;
    }
    const started = process.hrtime.bigint();
    const route = ['/graphql', '/healthz', '/readyz', '/metrics'].includes(url.pathname)
      ? url.pathname
      : url.pathname.startsWith('/reports/')
        ? '/reports'
        : 'other';
    res.on('finish', () => {
      this.deps.metrics.httpRequests.inc({ route, status: String(res.statusCode) });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      this.deps.logger.info(
        {
          requestId,
          clientRequestId: ids.clientRequestId ?? undefined,
          method: req.method,
          route,
          status: res.statusCode,
          ms: Math.round(ms * 10) / 10,
        },
        'request',
      );
    });
    this.inFlight += 1;
    this.active.add(res);
    try {
      if (this.draining) {
        // A request that arrived on an open keep-alive socket after shutdown began: answered, never reset.
        res.setHeader('connection', 'close');
        await discardBody(req, this.deps.maxRequestBytes);
        sendJson(res, 503, errorBody(ErrorCode.SERVICE_UNAVAILABLE, 'The server is shutting down; retry on another instance.'));
        return;
      }
      switch (route) {
        case '/graphql':
          await this.graphql(req, res, url, ids);
          break;
        case '/healthz':
          sendJson(res, 200, { status: 'ok' });
          break;
        case '/readyz': {
          const ok = await this.deps.ready().catch(() => false);
          sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'database unreachable' });
          break;
        }
        case '/metrics': {
          const { metricsToken, metricsClosed } = this.deps;
          const given = bearerToken(req);
          if (metricsToken ? !given || !sameSecret(given, metricsToken) : metricsClosed) {
            sendJson(
              res,
              401,
              errorBody(
                ErrorCode.UNAUTHENTICATED,
                metricsToken
                  ? 'Send METRICS_BEARER_TOKEN as "Authorization: Bearer <token>".'
                  : 'In production /metrics needs METRICS_BEARER_TOKEN to be set, and sent as "Authorization: Bearer <token>".',
              ),
            );
            break;
          }
          const text = await this.deps.metrics.registry.metrics();
          res.writeHead(200, { 'content-type': this.deps.metrics.registry.contentType });
          res.end(text);
          break;
        }
        case '/reports':
          await this.report(req, res, url, requestId);
          break;
        default:
          sendJson(res, 404, errorBody(ErrorCode.NOT_FOUND, `No route ${url.pathname}; GraphQL is served at /graphql.`));
      }
    } catch (error) {
      this.deps.logger.error({ err: (error as Error)?.message, requestId }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, errorBody(ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error'));
      else res.destroy();
    } finally {
      this.inFlight -= 1;
      this.active.delete(res);
      if (this.inFlight === 0 && this.idle) this.idle();
    }
  }

  /** A report download: the signed URL is the credential (no API key), checked before any byte goes out. */
  private async report(req: IncomingMessage, res: ServerResponse, url: URL, requestId: string): Promise<void> {
    if (!this.deps.download || (req.method !== 'GET' && req.method !== 'HEAD')) {
      sendJson(res, 404, errorBody(ErrorCode.NOT_FOUND, 'Report downloads are GET requests to a downloadUrl.'));
      return;
    }
    let file: { fileName: string; mimeType: string; sizeBytes: number; content: AsyncIterable<Buffer> };
    try {
      file = await this.deps.download(url, requestId, { head: req.method === 'HEAD' });
    } catch (error) {
      const code = (error as { extensions?: { code?: string } }).extensions?.code;
      const status = code ? DOWNLOAD_STATUS[code] : undefined;
      if (!status) throw error;
      sendJson(res, status, errorBody(code as ErrorCode, (error as Error).message));
      return;
    }
    const ascii = file.fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
    res.writeHead(200, {
      'content-type': file.mimeType,
      'content-length': file.sizeBytes,
      'content-disposition': `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(file.fileName)}`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    // Streamed a few chunks at a time (checked before, and again as it goes: a file changed in
    // between is cut off before its last chunk, never completed).
    try {
      for await (const bytes of file.content) {
        if (res.destroyed) return; // the client went away
        if (!res.write(bytes)) await drained(res);
      }
      res.end();
    } catch (error) {
      this.deps.logger.error({ err: error instanceof Error ? error.message : String(error), requestId }, 'report download cut off');
      res.destroy();
    }
  }

  /** CORS for /graphql: only listed origins get the headers; a preflight is answered here. True when answered. */
  private corsHandled(req: IncomingMessage, res: ServerResponse): boolean {
    res.setHeader('vary', 'Origin');
    const origin = req.headers.origin;
    const allowed = typeof origin === 'string' && this.cors.has(origin);
    if (allowed) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-expose-headers', CORS_EXPOSE);
    }
    if (req.method !== 'OPTIONS') return false;
    if (allowed) {
      res.setHeader('access-control-allow-methods', CORS_METHODS);
      res.setHeader('access-control-allow-headers', CORS_HEADERS);
      res.setHeader('access-control-max-age', '600');
    }
    res.writeHead(204, { allow: CORS_METHODS, 'content-length': 0 });
    res.end();
    return true;
  }

  private async graphql(req: IncomingMessage, res: ServerResponse, url: URL, ids: RequestIds): Promise<void> {
    if (this.corsHandled(req, res)) return;
    // Authenticate before the document is read or parsed: without a valid key, a request costs one
    // indexed lookup, whatever its size. Only a GET without a document (the landing page) passes.
    const secret = bearerToken(req);
    const hasDocument = req.method !== 'GET' || url.searchParams.has('query');
    let principal: Principal | null = null;
    if (secret) {
      try {
        principal = await this.deps.authenticate(secret);
      } catch (error) {
        this.deps.logger.error({ err: (error as Error)?.message, requestId: ids.requestId }, 'authentication lookup failed');
        const code = (error as { extensions?: { code?: unknown } }).extensions?.code;
        const status = typeof code === 'string' ? HTTP_STATUS[code as ErrorCode] : undefined;
        await discardBody(req, this.deps.maxRequestBytes);
        if (status && status >= 500) {
          // A database fault (503) is worth a retry; a full disk (507) is not until an operator acts.
          if (status === 503) res.setHeader('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
          sendJson(res, status, errorBody(code as ErrorCode, (error as Error).message));
        } else sendJson(res, 500, errorBody(ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error'));
        return;
      }
    }
    if (!principal && hasDocument) {
      // Without a valid key (none, or a guess) a request spends its address's budget.
      const limited = await this.deps.rateLimit?.(req);
      const drained = await discardBody(req, this.deps.maxRequestBytes);
      if (limited) {
        if (!drained) res.setHeader('connection', 'close');
        res.setHeader('retry-after', String(limited.retryAfterSeconds));
        sendJson(res, 429, errorBody(ErrorCode.RATE_LIMITED, limited.message));
        return;
      }
      if (!drained) res.setHeader('connection', 'close');
      res.setHeader('www-authenticate', 'Bearer');
      sendJson(
        res,
        401,
        errorBody(
          ErrorCode.UNAUTHENTICATED,
          secret ? 'The API key is unknown or revoked.' : 'Send an API key as "Authorization: Bearer <key>".',
        ),
      );
      return;
    }

    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const queryTooLarge = () =>
      sendJson(
        res,
        HTTP_STATUS[ErrorCode.QUERY_TOO_LARGE] ?? 400,
        errorBody(
          ErrorCode.QUERY_TOO_LARGE,
          `The GraphQL document exceeds ${this.deps.maxQueryBytes} bytes (MAX_QUERY_BYTES); send variables for data, not literals.`,
        ),
      );
    if (Buffer.byteLength(url.searchParams.get('query') ?? '') > this.deps.maxQueryBytes) {
      queryTooLarge();
      return;
    }
    let body: unknown = undefined;
    if (req.method === 'POST') {
      let raw: Buffer;
      try {
        // A document that is certainly too large (its JSON text exceeds 6× the cap: no escape
        // expands more) is refused as it streams in, before the body is buffered or parsed.
        const scanner = new QuerySizeScanner();
        const bound = this.deps.maxQueryBytes * 6;
        raw = await readBody(req, this.deps.maxRequestBytes, (chunk) => scanner.within(chunk, bound));
      } catch (error) {
        if (error instanceof DocumentTooLarge) {
          queryTooLarge();
          return;
        }
        if (error instanceof BodyTooLarge) {
          res.setHeader('connection', 'close');
          sendJson(
            res,
            413,
            errorBody(
              ErrorCode.PAYLOAD_TOO_LARGE,
              `The request body exceeds ${this.deps.maxRequestBytes} bytes (MAX_REQUEST_BYTES); send smaller batches.`,
            ),
          );
          return;
        }
        throw error;
      }
      const type = headers.get('content-type') ?? '';
      if (/^application\/(graphql-response\+)?json/i.test(type) || /\+json/i.test(type)) {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          sendJson(res, 400, errorBody(ErrorCode.BAD_REQUEST, 'The request body is not valid JSON.'));
          return;
        }
      } else {
        body = raw.toString('utf8');
      }
      // The body may be large (event batches as variables); the document itself is capped apart.
      if (raw.length > this.deps.maxQueryBytes && documentBytes(body) > this.deps.maxQueryBytes) {
        queryTooLarge();
        return;
      }
    }
    const response = await this.deps.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
      context: () => this.deps.context(req, ids, principal),
    });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
    } else {
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    }
  }
}

/** Bytes of the GraphQL document(s) in a POST body: `query` of the operation, or of each in a batch. */
function documentBytes(body: unknown): number {
  const operations = Array.isArray(body) ? body : [body];
  return operations.reduce<number>((sum, op) => {
    const query = op !== null && typeof op === 'object' ? (op as { query?: unknown }).query : typeof op === 'string' ? op : undefined;
    return sum + (typeof query === 'string' ? Buffer.byteLength(query) : 0);
  }, 0);
}

/** Resolves when `res` can take more data, or is closed. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
