import { QuerySizeScanner } from './query-size-scanner';

/** Feeds `text` in chunks of `size` bytes; the final count. */
const scan = (text: string, size = 7) => {
  const scanner = new QuerySizeScanner();
  const bytes = Buffer.from(text);
  let count = 0;
  for (let i = 0; i < bytes.length; i += size) count = scanner.push(bytes.subarray(i, i + size));
  return count;
};

describe('QuerySizeScanner', () => {
  it('counts the raw bytes of the top-level query string, whatever the chunking', () => {
    const body = JSON.stringify({ variables: { query: 'not this', list: ['query', { query: 'nor this' }] }, query: '{ viewer { role } }' });
    for (const size of [1, 2, 7, 64, 4096]) expect(scan(body, size)).toBe('{ viewer { role } }'.length);
  });

  it('counts escapes as sent and ignores quotes escaped inside the string', () => {
    expect(scan(JSON.stringify({ query: 'a"b\\c\n' }))).toBe('a\\"b\\\\c\\n'.length);
    expect(scan('{"query":"\\u0041"}')).toBe(6);
  });

  it('reads the key as JSON.parse does: an escaped "query" is the query, whatever the chunking', () => {
    for (const size of [1, 3, 7, 64]) {
      expect(scan('{"\\u0071uery":"abcd"}', size)).toBe(4);
      expect(scan('{"\\u0071\\u0075\\u0065\\u0072\\u0079":"abcd"}', size)).toBe(4);
      expect(scan('[{"q\\u0075ery":"ab"},{"query":"cde"}]', size)).toBe(5);
      // Neither is "query" once decoded.
      expect(scan('{"\\u0071uerys":"abcd","query\\u0000":"efg"}', size)).toBe(0);
      expect(scan(`{"${'query'.repeat(8)}":"abcd"}`, size)).toBe(0);
    }
  });

  it('sums the operations of a batch, and counts nothing for a non-string query or no query', () => {
    expect(scan(JSON.stringify([{ query: 'abc' }, { variables: { query: 'x' } }, { query: 'de' }]))).toBe(5);
    expect(scan(JSON.stringify({ query: 12345, operationName: 'query' }))).toBe(0);
    expect(scan(JSON.stringify({ extensions: { persistedQuery: { sha256Hash: 'ab' } } }))).toBe(0);
  });

  it('within() refuses at the same chunk as push(), and does not count a body below the bound', () => {
    const body = Buffer.from(JSON.stringify({ query: `{ ${'a'.repeat(300)} }`, variables: { events: ['x'.repeat(200)] } }));
    for (const bound of [10, 150, 303, 304, 400, body.length - 1, body.length]) {
      for (const size of [1, 7, 64, 4096]) {
        const eager = new QuerySizeScanner();
        const deferred = new QuerySizeScanner();
        for (let i = 0; i < body.length; i += size) {
          const chunk = body.subarray(i, i + size);
          expect(deferred.within(chunk, bound)).toBe(eager.push(chunk) <= bound);
        }
        expect(deferred.queryBytes).toBe(body.length <= bound ? 0 : eager.queryBytes);
      }
    }
  });
});
