import { createPublicKey, type KeyObject } from 'node:crypto';
import { cosign, witnessVerifierKey } from '../chain/cosignature';
import { EMPTY_ROOT, verifyConsistency } from '../chain/merkle';
import { type NoteVerifier, openNote, parseCheckpointText, parseNote, parseVerifierKey } from '../chain/signed-note';
import { parseAddCheckpointBody, TLOG_SIZE_CONTENT_TYPE } from '../chain/witness-protocol';
import type { WitnessState } from './witness-state';

/** A witness's answer to one request: status, Content-Type and body. */
export interface WitnessReply {
  status: number;
  contentType: string;
  body: string;
}

/** Why a request was refused, as the first word of a refusal's body (docs/errors.md, "Witness"). */
export enum WitnessRefusal {
  BAD_REQUEST = 'WITNESS_BAD_REQUEST',
  UNKNOWN_LOG = 'WITNESS_UNKNOWN_LOG',
  BAD_SIGNATURE = 'WITNESS_BAD_SIGNATURE',
  CONFLICT = 'WITNESS_CONFLICT',
  INCONSISTENT = 'WITNESS_INCONSISTENT',
}

const refuse = (status: number, code: WitnessRefusal, message: string): WitnessReply => ({
  status,
  contentType: 'text/plain; charset=utf-8',
  body: `${code}: ${message}\n`,
});

/** The witness's own identity and the logs it witnesses. */
export interface WitnessOptions {
  name: string;
  privateKey: KeyObject;
  /** Log verifier keys (C2SP vkeys); a log's key name is its origin, as this service's logs sign. */
  logKeys: readonly string[];
  state: WitnessState;
  /** The clock of the cosignatures' timestamps (tests pin it). */
  now?: () => Date;
}

/**
 * The C2SP tlog-witness add-checkpoint check: the log's signature, the old size against the size
 * stored (compare-and-swap, one request of an origin at a time), the consistency proof from the
 * stored tree to the new one, then the new state persisted before the cosignature is returned.
 */
export class Witness {
  readonly publicKey: KeyObject;

  private readonly logs = new Map<string, NoteVerifier[]>();

  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly options: WitnessOptions) {
    this.publicKey = createPublicKey(options.privateKey);
    for (const vkey of options.logKeys) {
      const { name, publicKey } = parseVerifierKey(vkey);
      this.logs.set(name, [...(this.logs.get(name) ?? []), { name, publicKey }]);
    }
  }

  /** The witness's verifier key, for the logs' and verifiers' configuration. */
  get verifierKey(): string {
    return witnessVerifierKey(this.options.name, this.publicKey);
  }

  /** The origins witnessed. */
  get origins(): string[] {
    return [...this.logs.keys()];
  }

  /** Answers one add-checkpoint request body. */
  async addCheckpoint(body: string): Promise<WitnessReply> {
    let request: ReturnType<typeof parseAddCheckpointBody>;
    let text: string;
    let checkpoint: ReturnType<typeof parseCheckpointText>;
    try {
      request = parseAddCheckpointBody(body);
      text = parseNote(request.note).text;
      checkpoint = parseCheckpointText(text);
    } catch (error) {
      return refuse(400, WitnessRefusal.BAD_REQUEST, (error as Error).message);
    }
    const keys = this.logs.get(checkpoint.origin);
    if (!keys) return refuse(404, WitnessRefusal.UNKNOWN_LOG, `this witness does not witness the log "${checkpoint.origin}"`);
    try {
      if (!openNote(request.note, keys).verifiedBy.length) throw new Error('no signature of a key this witness trusts for the log');
    } catch (error) {
      return refuse(403, WitnessRefusal.BAD_SIGNATURE, (error as Error).message);
    }
    if (request.oldSize > checkpoint.size) {
      return refuse(400, WitnessRefusal.BAD_REQUEST, `the old size ${request.oldSize} is past the checkpoint's size ${checkpoint.size}`);
    }
    if (request.oldSize === 0 && request.proof.length) {
      return refuse(400, WitnessRefusal.BAD_REQUEST, 'a request from size 0 carries no proof');
    }
    return this.serialised(checkpoint.origin, () => this.update(request, text, checkpoint));
  }

  /** Runs `work` after every earlier request of `origin` has finished. */
  private serialised<T>(origin: string, work: () => T): Promise<T> {
    const previous = this.queues.get(origin) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(origin, settled);
    void settled.then(() => {
      if (this.queues.get(origin) === settled) this.queues.delete(origin);
    });
    return next;
  }

  private update(
    request: ReturnType<typeof parseAddCheckpointBody>,
    text: string,
    checkpoint: ReturnType<typeof parseCheckpointText>,
  ): WitnessReply {
    const stored = this.options.state.get(checkpoint.origin);
    const storedSize = stored?.size ?? 0;
    if (request.oldSize !== storedSize) return { status: 409, contentType: TLOG_SIZE_CONTENT_TYPE, body: `${storedSize}\n` };
    const root = checkpoint.root;
    if (request.oldSize === checkpoint.size) {
      const storedRoot = stored ? Buffer.from(stored.root, 'base64') : EMPTY_ROOT;
      if (request.proof.length) return refuse(422, WitnessRefusal.INCONSISTENT, 'a checkpoint of the stored size takes no proof');
      if (!storedRoot.equals(root)) {
        return refuse(409, WitnessRefusal.CONFLICT, `a tree of ${checkpoint.size} with another root was cosigned before: a fork`);
      }
    } else if (request.oldSize > 0) {
      const check = verifyConsistency(request.oldSize, checkpoint.size, Buffer.from(stored!.root, 'base64'), root, request.proof);
      if (!check.ok) {
        return refuse(
          422,
          WitnessRefusal.INCONSISTENT,
          `the tree of ${checkpoint.size} is not an extension of the tree of ${storedSize} (${check.reason})`,
        );
      }
    }
    this.options.state.put({ origin: checkpoint.origin, size: checkpoint.size, root: root.toString('base64'), note: request.note });
    const timestamp = Math.floor((this.options.now?.() ?? new Date()).getTime() / 1000);
    return {
      status: 200,
      contentType: 'text/plain; charset=utf-8',
      body: cosign(text, this.options.name, this.options.privateKey, this.publicKey, timestamp),
    };
  }
}
