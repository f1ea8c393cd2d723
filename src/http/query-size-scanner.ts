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

  /** Feeds the next chunk of the body; returns the running {@link queryBytes}. */
  push(chunk: Buffer): number {
    const opDepth = this.topIsArray ? 2 : 1;
    for (let i = 0; i < chunk.length; i += 1) {
      const b = chunk[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) {
          this.inString = false;
          this.inQuery = false;
          if (this.capturing) {
            this.capturing = false;
            this.lastKey = this.key;
          }
          continue;
        }
        if (this.inQuery) this.queryBytes += 1;
        else if (this.capturing && this.key.length < 8) this.key += String.fromCharCode(b);
        continue;
      }
      switch (b) {
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

  private arrayAtTop(rest: Buffer): number {
    this.topIsArray = true;
    this.depth = 1;
    return this.push(rest);
  }
}
