/**
 * Raw bytes of a key kept for comparison: "query" written with every letter escaped
 * (`\u0071\u0075…`) is 30. A longer key is not "query" however it is escaped.
 */
const KEY_CAP = 32;

/** A key's JSON text as JSON.parse reads it (so `"\u0071uery"` is `query`); '' when too long or not valid. */
function decodedKey(raw: string): string {
  if (raw.length > KEY_CAP) return '';
  if (!raw.includes('\\')) return raw;
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return '';
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Counts, as a JSON request body streams in, the raw bytes of its `query` string(s): the top-level
 * object's, or each operation's in a batch array. It lets the HTTP layer refuse a huge document
 * chunk by chunk, before the body is buffered, decoded and parsed (JSON.parse of 16 MiB blocks the
 * event loop for well over 100 ms). The count is of the JSON-encoded text, so escapes make it
 * larger than the document: callers compare against a bound that allows for that, and check the
 * exact size after parsing.
 */
export class QuerySizeScanner {
  /** Raw bytes seen inside `query` string values so far. */
  queryBytes = 0;
  private depth = 0;
  private topIsArray = false;
  private inString = false;
  private escaped = false;
  private expectKey = false;
  private capturing = false;
  private key = '';
  private lastKey = '';
  private inQuery = false;
  /** Bytes handed to {@link within}, and the chunks it has not counted yet. */
  private seen = 0;
  private pending: Buffer[] | null = [];

  /**
   * Feeds the next chunk; whether the `query` strings so far stay within `bound` bytes. They cannot
   * be longer than the body, so counting is put off until the body seen so far exceeds `bound`
   * (the chunks held back are counted then): a body below the bound is never scanned, and the
   * answer is the same as {@link push}'s for every chunk.
   */
  within(chunk: Buffer, bound: number): boolean {
    this.seen += chunk.length;
    if (this.pending) {
      if (this.seen <= bound) {
        this.pending.push(chunk);
        return true;
      }
      const held = this.pending;
      this.pending = null;
      for (const earlier of held) this.push(earlier);
    }
    return this.push(chunk) <= bound;
  }

  /** Feeds the next chunk of the body; returns the running {@link queryBytes}. */
  push(chunk: Buffer): number {
    const opDepth = this.topIsArray ? 2 : 1;
    // Inside strings the scan jumps from one quote or backslash to the next (native indexOf), so
    // a long document costs little more than a memchr over it.
    let nextQuote = -2;
    let nextBackslash = -2;
    for (let i = 0; i < chunk.length; i += 1) {
      if (this.inString) {
        if (this.escaped) {
          this.escaped = false;
          this.take(chunk, i, i + 1);
          continue;
        }
        if (nextQuote !== -1 && nextQuote < i) nextQuote = chunk.indexOf(QUOTE, i);
        if (nextBackslash !== -1 && nextBackslash < i) nextBackslash = chunk.indexOf(BACKSLASH, i);
        const special = nextQuote === -1 ? nextBackslash : nextBackslash === -1 ? nextQuote : Math.min(nextQuote, nextBackslash);
        if (special === -1) {
          this.take(chunk, i, chunk.length);
          break;
        }
        this.take(chunk, i, special);
        i = special;
        if (chunk[i] === BACKSLASH) {
          this.escaped = true;
          this.take(chunk, i, i + 1);
          continue;
        }
        this.inString = false;
        this.inQuery = false;
        if (this.capturing) {
          this.capturing = false;
          this.lastKey = decodedKey(this.key);
        }
        continue;
      }
      switch (chunk[i]) {
        case 0x7b: // {
          this.depth += 1;
          if (this.depth === opDepth) this.expectKey = true;
          break;
        case 0x5b: // [
          if (this.depth === 0) return this.arrayAtTop(chunk.subarray(i + 1));
          this.depth += 1;
          break;
        case 0x7d: // }
        case 0x5d: // ]
          this.depth -= 1;
          break;
        case 0x2c: // ,
          if (this.depth === opDepth) this.expectKey = true;
          break;
        case 0x3a: // :
          if (this.depth === opDepth) this.expectKey = false;
          break;
        case QUOTE:
          this.inString = true;
          if (this.depth === opDepth) {
            if (this.expectKey) {
              this.capturing = true;
              this.key = '';
            } else if (this.lastKey === 'query') this.inQuery = true;
          }
          break;
        default:
      }
    }
    return this.queryBytes;
  }

  /** String content `chunk[from, to)`: counted inside `query`, or kept (its first bytes) as a key. */
  private take(chunk: Buffer, from: number, to: number): void {
    if (this.inQuery) this.queryBytes += to - from;
    else if (this.capturing && this.key.length <= KEY_CAP)
      this.key += chunk.toString('latin1', from, Math.min(to, from + KEY_CAP + 1 - this.key.length));
  }

  private arrayAtTop(rest: Buffer): number {
    this.topIsArray = true;
    this.depth = 1;
    return this.push(rest);
  }
}
