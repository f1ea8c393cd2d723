import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { type ApolloServer, HeaderMap } from '@apollo/server';
import { ErrorCode } from '../errors/error-code';
import type { Metrics } from '../observability/metrics';
import type { Logger } from '../observability/logger';

export interface HttpDeps<TContext extends object> {
  apollo: ApolloServer<TContext>;
  context: (req: IncomingMessage, requestId: string) => Promise<TContext>;
  ready: () => Promise<boolean>;
  metrics: Metrics;
  logger: Logger;
  maxRequestBytes: number;
  /** Per-address rate limit, checked before a /graphql body is read: a refusal is answered 429. */
  rateLimit?: (req: IncomingMessage) => Promise<{ retryAfterSeconds: number; message: string } | null>;
  /** Bearer token /metrics requires, if any. */
  metricsToken?: string;
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

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const errorBody = (code: ErrorCode, message: string) => ({ errors: [{ message, extensions: { code } }] });

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      reject(new BodyTooLarge());
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Drain instead of destroying the socket, so the client still receives the 413.
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
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

  constructor(private readonly deps: HttpDeps<TContext>) {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.deps.logger.error({ err: (err as Error)?.message }, 'request handler failed');
        if (!res.headersSent) sendJson(res, 500, errorBody(ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error'));
        else res.destroy();
      });
    });
    this.server.keepAliveTimeout = 5000;
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve((this.server.address() as { port: number }).port));
    });
  }

  /** Stops accepting, lets in-flight requests finish (up to timeoutMs), then closes sockets. */
  async close(timeoutMs: number): Promise<void> {
    this.draining = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    if (this.inFlight > 0) {
      await Promise.race([new Promise<void>((resolve) => (this.idle = resolve)), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    }
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const header = req.headers['x-request-id'];
    const requestId = typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
    res.setHeader('x-request-id', requestId);
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
      this.deps.logger.info({ requestId, method: req.method, route, status: res.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
    });
    if (this.draining) {
      res.setHeader('connection', 'close');
      sendJson(res, 503, errorBody(ErrorCode.SERVICE_UNAVAILABLE, 'The server is shutting down; retry on another instance.'));
      return;
    }
    this.inFlight += 1;
    try {
      switch (route) {
        case '/graphql':
          await this.graphql(req, res, url, requestId);
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
          if (this.deps.metricsToken && req.headers.authorization !== `Bearer ${this.deps.metricsToken}`) {
            sendJson(res, 401, errorBody(ErrorCode.UNAUTHENTICATED, 'Send METRICS_BEARER_TOKEN as "Authorization: Bearer <token>".'));
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

  private async graphql(req: IncomingMessage, res: ServerResponse, url: URL, requestId: string): Promise<void> {
    const limited = await this.deps.rateLimit?.(req);
    if (limited) {
      req.resume(); // the unread body is drained, so the client still receives the 429
      res.setHeader('retry-after', String(limited.retryAfterSeconds));
      return sendJson(res, 429, errorBody(ErrorCode.RATE_LIMITED, limited.message));
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    let body: unknown = undefined;
    if (req.method === 'POST') {
      let raw: Buffer;
      try {
        raw = await readBody(req, this.deps.maxRequestBytes);
      } catch (error) {
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
    }
    const response = await this.deps.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
      context: () => this.deps.context(req, requestId),
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
