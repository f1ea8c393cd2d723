/**
 * RFC 8785 (JSON Canonicalization Scheme) for the values an event can hold: object keys sorted by
 * UTF-16 code units, no whitespace, ECMAScript number and string serialisation (what JSON.stringify
 * does for primitives). Non-finite numbers are rejected, as the RFC requires.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
      const obj = value as Record<string, unknown>;
      let out = '';
      for (const k of Object.keys(obj).sort()) {
        const member = obj[k];
        if (member !== undefined) out += `${out ? ',' : ''}${JSON.stringify(k)}:${canonicalJson(member)}`;
      }
      return `{${out}}`;
    }
    default:
      throw new TypeError(`canonicalJson: unsupported ${typeof value}`);
  }
}
