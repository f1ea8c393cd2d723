/**
 * The body of a C2SP `tlog-witness` add-checkpoint request (ADR 0050): "old <size>\n", up to 63
 * base64 consistency proof lines, a blank line, then the signed checkpoint note. Shared by the
 * server that submits checkpoints and the `datapunk-audit witness` command that answers them.
 */

/** Consistency proof lines a request may carry (C2SP: the client MUST NOT send more). */
export const MAX_PROOF_LINES = 63;
/** The Content-Type of a 409 answer: the witness's latest size in decimal and a newline. */
export const TLOG_SIZE_CONTENT_TYPE = 'text/x.tlog.size';

/** The request body for `oldSize`, the proof from it and the note. */
export function addCheckpointBody(oldSize: number, proof: readonly Buffer[], note: string): string {
  if (!Number.isSafeInteger(oldSize) || oldSize < 0) throw new RangeError('an old size is a whole number ≥ 0');
  if (proof.length > MAX_PROOF_LINES) throw new RangeError(`a proof has at most ${MAX_PROOF_LINES} lines`);
  return `old ${oldSize}\n${proof.map((h) => `${h.toString('base64')}\n`).join('')}\n${note}`;
}

/** A parsed add-checkpoint request; throws an Error whose message says what is malformed. */
export function parseAddCheckpointBody(body: string): { oldSize: number; proof: Buffer[]; note: string } {
  const end = body.indexOf('\n\n');
  if (end < 0) throw new Error('the body is "old <size>", proof lines, a blank line and the checkpoint');
  const lines = body.slice(0, end).split('\n');
  const m = /^old (0|[1-9][0-9]*)$/.exec(lines[0]);
  if (!m || !Number.isSafeInteger(Number(m[1]))) throw new Error('the first line is "old <size>" in decimal without leading zeroes');
  const proofLines = lines.slice(1);
  if (proofLines.length > MAX_PROOF_LINES) throw new Error(`at most ${MAX_PROOF_LINES} consistency proof lines`);
  const proof = proofLines.map((line) => {
    const hash = Buffer.from(line, 'base64');
    if (hash.length !== 32 || hash.toString('base64') !== line) throw new Error('each proof line is one 32-byte hash in base64');
    return hash;
  });
  return { oldSize: Number(m[1]), proof, note: body.slice(end + 2) };
}

/** The size a 409 answer carries; throws when the body is not one decimal line. */
export function parseTlogSize(body: string): number {
  const m = /^(0|[1-9][0-9]*)\n$/.exec(body);
  if (!m || !Number.isSafeInteger(Number(m[1]))) throw new Error('a text/x.tlog.size body is a decimal size and a newline');
  return Number(m[1]);
}
