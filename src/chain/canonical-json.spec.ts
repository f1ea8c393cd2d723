import { canonicalJson } from './canonical-json';

describe('canonicalJson (RFC 8785)', () => {
  it('sorts keys by UTF-16 code units at every depth and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}');
    // RFC 8785 §3.2.3 example ordering: "\u20ac" (€) sorts after "\r" and before "\ud83d\ude00".
    expect(canonicalJson({ '\u20ac': 1, '\r': 2, '\ud83d\ude00': 3, '1': 4 })).toBe('{"\\r":2,"1":4,"€":1,"😀":3}');
  });

  it('serialises numbers and control characters as ECMAScript does', () => {
    expect(canonicalJson([1e21, 0.1, -0, 1e-7, 'a\nb\u0001'])).toBe('[1e+21,0.1,0,1e-7,"a\\nb\\u0001"]');
  });

  it('rejects values JSON cannot represent exactly', () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(TypeError);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(TypeError);
  });
});
