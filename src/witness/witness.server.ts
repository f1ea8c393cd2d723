import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Witness, WitnessRefusal } from './witness.service';

/** The largest add-checkpoint body read: 63 proof lines and a note with its signatures fit many times over. */
export const MAX_WITNESS_BODY_BYTES = 64 * 1024;

/** Bounds of the witness's HTTP server; no request may hold it up or fill its memory. */
export interface WitnessServerLimits {
  maxBodyBytes: number;
  /** The whole request, headers and body, must arrive within this. */
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  /** How often Node checks for requests past their timeouts. */
  checkIntervalMs: number;
  maxConnections: number;
}

export const DEFAULT_WITNESS_LIMITS: WitnessServerLimits = {
  maxBodyBytes: MAX_WITNESS_BODY_BYTES,
  requestTimeoutMs: 10_000,
  headersTimeoutMs: 5_000,
  checkIntervalMs: 1_000,
  maxConnections: 256,
};

const plain = (res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
};

/** A running witness: its URL (the submission prefix) and how to stop it. */
export interface WitnessServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves `POST /add-checkpoint` (C2SP tlog-witness) on `host:port`; port 0 picks a free one. */
export async function startWitnessServer(
  witness: Witness,
  host: string,
  port: number,
  limits: WitnessServerLimits = DEFAULT_WITNESS_LIMITS,
): Promise<WitnessServer> {
  const server = http.createServer(
    {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      connectionsCheckingInterval: limits.checkIntervalMs,
      keepAliveTimeout: 5_000,
    },
    (req, res) => {
      const url = (req.url ?? '').split('?')[0];
      if (url !== '/add-checkpoint') return plain(res, 404, 'not found: this witness answers POST /add-checkpoint\n');
      if (req.method !== 'POST') return plain(res, 405, 'add-checkpoint takes POST\n', { allow: 'POST' });
      const declared = Number(req.headers['content-length'] ?? 0);
      // The answer goes out first; then the connection is dropped with the rest of the body unread.
      const tooLarge = () => {
        res.once('finish', () => req.destroy());
        plain(res, 413, `${WitnessRefusal.BAD_REQUEST}: the body is larger than ${limits.maxBodyBytes} bytes\n`, { connection: 'close' });
      };
      if (declared > limits.maxBodyBytes) return tooLarge();
      const chunks: Buffer[] = [];
      let size = 0;
      let refused = false;
      req.on('data', (chunk: Buffer) => {
        if (refused) return;
        size += chunk.length;
        if (size > limits.maxBodyBytes) {
          refused = true;
          tooLarge();
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => {
        if (refused) return;
        let body: string;
        try {
          body = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
        } catch {
          return plain(res, 400, `${WitnessRefusal.BAD_REQUEST}: the body is not UTF-8\n`);
        }
        witness.addCheckpoint(body).then(
          (reply) => {
            res.writeHead(reply.status, { 'content-type': reply.contentType, 'content-length': Buffer.byteLength(reply.body) });
            res.end(reply.body);
          },
          (error: unknown) => {
            // The state could not be written: nothing was cosigned.
            plain(res, 500, `the witness could not record the checkpoint: ${error instanceof Error ? error.message : String(error)}\n`);
          },
        );
      });
    },
  );
  server.maxConnections = limits.maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
