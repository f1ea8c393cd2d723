import { verifyCosignatures, type WitnessKey } from './cosignature';
import { addCheckpointBody, parseTlogSize, TLOG_SIZE_CONTENT_TYPE } from './witness-protocol';

/** A configured witness: its submission prefix and key (WITNESSES). */
export interface WitnessEndpoint {
  url: string;
  key: WitnessKey;
}

/** A checkpoint to submit: the tenant, its id and its note of tree size `size`. */
export interface Submission {
  tenantId: string;
  checkpointId: string;
  size: number;
  note: string;
}

/** What the submitter needs from the service: proofs, the sizes already cosigned, and where cosignatures go. */
export interface SubmitterDeps {
  /** The consistency proof between two sizes of the tenant's tree. */
  consistency(tenantId: string, fromSize: number, toSize: number): Promise<Buffer[]>;
  /** The largest size of the tenant this witness cosigned, as stored. */
  cosignedSize(tenantId: string, witnessName: string): Promise<number>;
  store(checkpointId: string, witnessName: string, line: string, timestamp: number): Promise<void>;
  /** The witnesses whose cosignature of the checkpoint is stored. */
  cosigners(checkpointId: string): Promise<string[]>;
  log: { warn(obj: object, msg: string): void };
}

/** The most of a witness's answer read: a few cosignature lines, or a refusal. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** The answer's body as text, refused past MAX_ANSWER_BYTES (a witness cannot fill this server's memory). */
async function boundedText(res: Response): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += chunk.byteLength;
    // Throwing out of the loop cancels the rest of the stream.
    if (size > MAX_ANSWER_BYTES) throw new Error(`the witness's answer is larger than ${MAX_ANSWER_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** 409s followed with a new old size before a submission gives up (a witness that keeps moving). */
const MAX_CONFLICTS = 3;

/**
 * Submits new checkpoints to the configured witnesses (C2SP tlog-witness, ADR 0050) off the request
 * path: each call returns at once; one tenant's submissions run one at a time, and while one runs
 * only the newest waiting checkpoint is kept (a witness cosigns the latest tree, older ones add
 * nothing). Every request has a timeout; a witness that is down costs a log line, and is asked
 * again on the checkpoint timer's next tick (retryUnanswered) or with the next checkpoint.
 */
export class WitnessSubmitter {
  /** Sizes each witness is known to hold, by witness name and tenant: saves a 409 round trip. */
  private readonly sizes = new Map<string, number>();

  private readonly running = new Map<string, Promise<void>>();

  private readonly waiting = new Map<string, Submission>();

  /** Per tenant, its newest checkpoint and the witnesses that could not be reached about it. */
  private readonly unanswered = new Map<string, { submission: Submission; witnesses: Set<string> }>();

  private readonly stop = new AbortController();

  constructor(
    readonly witnesses: readonly WitnessEndpoint[],
    readonly quorum: number,
    private readonly timeoutMs: number,
    private readonly deps: SubmitterDeps,
  ) {}

  /** Queues `submission` for every witness; never throws, never waits. */
  submit(submission: Submission): void {
    if (!this.witnesses.length || this.stop.signal.aborted) return;
    const { tenantId } = submission;
    this.unanswered.delete(tenantId); // a newer checkpoint replaces the one they missed
    if (this.running.has(tenantId)) {
      this.waiting.set(tenantId, submission);
      return;
    }
    this.start(tenantId, submission, this.witnesses);
  }

  /**
   * Asks the named witnesses about `submission`: the tenant's newest checkpoint, which the service
   * found them missing a cosignature of at start (CheckpointService.resumeWitnesses). Nothing is
   * done when a submission of the tenant is already running, waiting or due again (it is newer, or
   * the same). Never throws, never waits.
   */
  resubmit(submission: Submission, witnessNames: readonly string[]): void {
    const { tenantId } = submission;
    if (this.stop.signal.aborted || this.running.has(tenantId) || this.waiting.has(tenantId) || this.unanswered.has(tenantId)) return;
    const names = new Set(witnessNames);
    const asked = this.witnesses.filter((w) => names.has(w.key.name));
    if (asked.length) this.start(tenantId, submission, asked);
  }

  /**
   * Asks again the witnesses that could not be reached about each tenant's newest checkpoint (the
   * checkpoint timer calls it), so a checkpoint gets its cosignatures once they are back even when
   * the head does not move. Never waits.
   */
  retryUnanswered(): void {
    for (const [tenantId, { submission, witnesses }] of [...this.unanswered]) {
      if (this.running.has(tenantId) || this.stop.signal.aborted) continue;
      this.unanswered.delete(tenantId);
      this.start(
        tenantId,
        submission,
        this.witnesses.filter((w) => witnesses.has(w.key.name)),
      );
    }
  }

  private start(tenantId: string, first: Submission, witnesses: readonly WitnessEndpoint[]): void {
    const run = async (): Promise<void> => {
      let next: Submission | undefined = first;
      let asked = witnesses;
      while (next && !this.stop.signal.aborted) {
        await this.round(next, asked);
        next = this.waiting.get(tenantId);
        this.waiting.delete(tenantId);
        asked = this.witnesses;
      }
    };
    const job = run().finally(() => this.running.delete(tenantId));
    this.running.set(tenantId, job);
  }

  /** Resolves once no submission is running (tests, and shutdown after close()). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running.values()]);
  }

  /** Aborts requests in flight and drops what waits. */
  async close(): Promise<void> {
    this.stop.abort();
    this.waiting.clear();
    await this.idle();
  }

  private async round(s: Submission, witnesses: readonly WitnessEndpoint[]): Promise<void> {
    const results = await Promise.all(witnesses.map((w) => this.submitTo(w, s)));
    const missed = new Set(witnesses.filter((_, i) => results[i] === 'unanswered').map((w) => w.key.name));
    // Only if no newer checkpoint came meanwhile: that one is what they will be asked about.
    if (missed.size && !this.waiting.has(s.tenantId) && !this.unanswered.has(s.tenantId)) {
      this.unanswered.set(s.tenantId, { submission: s, witnesses: missed });
    }
    const cosigned = (await this.deps.cosigners(s.checkpointId)).length;
    if (cosigned < this.quorum) {
      this.deps.log.warn(
        { tenantId: s.tenantId, checkpointId: s.checkpointId, size: s.size, cosigned, quorum: this.quorum },
        'checkpoint lacks its witness quorum (WITNESS_QUORUM)',
      );
    }
  }

  /** One witness: whether its cosignature was stored, it refused, or it could not be reached. */
  private async submitTo(w: WitnessEndpoint, s: Submission): Promise<'cosigned' | 'refused' | 'unanswered'> {
    const sizeKey = `${w.key.name}\n${s.tenantId}`;
    try {
      let old = this.sizes.get(sizeKey) ?? (await this.deps.cosignedSize(s.tenantId, w.key.name));
      for (let conflicts = 0; ; conflicts += 1) {
        if (old > s.size) {
          this.deps.log.warn(
            { witness: w.key.name, tenantId: s.tenantId, witnessSize: old, size: s.size },
            'a witness holds a larger tree than this checkpoint: the log was rolled back, or another server signs it',
          );
          return 'refused';
        }
        const proof = old === 0 || old === s.size ? [] : await this.deps.consistency(s.tenantId, old, s.size);
        const res = await fetch(`${w.url.replace(/\/$/, '')}/add-checkpoint`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain; charset=utf-8' },
          body: addCheckpointBody(old, proof, s.note),
          signal: AbortSignal.any([this.stop.signal, AbortSignal.timeout(this.timeoutMs)]),
          redirect: 'error',
        });
        const body = await boundedText(res);
        if (res.status === 409 && (res.headers.get('content-type') ?? '').startsWith(TLOG_SIZE_CONTENT_TYPE) && conflicts < MAX_CONFLICTS) {
          old = parseTlogSize(body);
          this.sizes.set(sizeKey, old);
          continue;
        }
        if (res.status !== 200) {
          this.deps.log.warn(
            { witness: w.key.name, tenantId: s.tenantId, size: s.size, status: res.status, answer: body.slice(0, 300) },
            res.status >= 500 ? 'a witness failed; it is asked again' : 'a witness refused a checkpoint',
          );
          return res.status >= 500 ? 'unanswered' : 'refused';
        }
        const check = verifyCosignatures(`${s.note}${body.endsWith('\n') ? body : `${body}\n`}`, [w.key], 1);
        if (!check.ok) {
          this.deps.log.warn({ witness: w.key.name, tenantId: s.tenantId, size: s.size }, 'a witness answered without a valid cosignature');
          return 'refused';
        }
        const [{ line, timestamp }] = check.cosigned;
        await this.deps.store(s.checkpointId, w.key.name, line, timestamp);
        this.sizes.set(sizeKey, s.size);
        return 'cosigned';
      }
    } catch (error) {
      if (!this.stop.signal.aborted) {
        this.deps.log.warn(
          { witness: w.key.name, tenantId: s.tenantId, size: s.size, err: error instanceof Error ? error.message : String(error) },
          'a witness did not answer (down, too slow, or too long an answer); it is asked again',
        );
      }
      return 'unanswered';
    }
  }
}
