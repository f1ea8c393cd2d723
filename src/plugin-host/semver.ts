/**
 * The part of semver the host needs: parse a version, check it against a range. Written out
 * rather than depending on `semver` for about sixty lines (ADR 0009).
 */

export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  prerelease: string[];
}

const NUMBER = '0|[1-9]\\d*';
const IDENT = '[0-9A-Za-z-]+';
const VERSION = new RegExp(`^v?(${NUMBER})\\.(${NUMBER})\\.(${NUMBER})(?:-(${IDENT}(?:\\.${IDENT})*))?(?:\\+${IDENT}(?:\\.${IDENT})*)?$`);
const PARTIAL = /^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z-.]+))?$/;

export function parseVersion(text: string): SemVer | null {
  const m = VERSION.exec(text.trim());
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), prerelease: m[4] ? m[4].split('.') : [] };
}

export const isVersion = (text: string): boolean => parseVersion(text) !== null;

function compareIdentifiers(a: string, b: string): number {
  const an = /^\d+$/.test(a);
  const bn = /^\d+$/.test(b);
  if (an && bn) return Number(a) - Number(b);
  if (an !== bn) return an ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareVersions(a: SemVer, b: SemVer): number {
  const core = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
  if (core) return Math.sign(core);
  if (!a.prerelease.length || !b.prerelease.length) {
    // A release ranks above its pre-releases.
    return a.prerelease.length ? -1 : b.prerelease.length ? 1 : 0;
  }
  for (let i = 0; i < Math.max(a.prerelease.length, b.prerelease.length); i++) {
    if (a.prerelease[i] === undefined) return -1;
    if (b.prerelease[i] === undefined) return 1;
    const c = compareIdentifiers(a.prerelease[i], b.prerelease[i]);
    if (c) return Math.sign(c);
  }
  return 0;
}

type Comparator = { op: '<' | '<=' | '>' | '>=' | '='; version: SemVer };

const v = (major: number, minor: number, patch: number, prerelease: string[] = []): SemVer => ({ major, minor, patch, prerelease });

/** One range term (`^1.2.3`, `>=1.0.0`, `1.x`, …) as comparators that must all hold; null when malformed. */
function termToComparators(term: string): Comparator[] | null {
  const m = /^(\^|~|>=|<=|>|<|=)?\s*(.+)$/.exec(term);
  if (!m) return null;
  const op = m[1] ?? '';
  const p = PARTIAL.exec(m[2]);
  if (!p) return null;
  const wild = (s: string | undefined) => s === undefined || /^[xX*]$/.test(s);
  if (wild(p[1]) && !(wild(p[2]) && wild(p[3]))) return null;
  if (wild(p[2]) && !wild(p[3])) return null;
  const major = wild(p[1]) ? null : Number(p[1]);
  const minor = wild(p[2]) ? null : Number(p[2]);
  const patch = wild(p[3]) ? null : Number(p[3]);
  const pre = p[4] ? p[4].split('.') : [];
  if (pre.length && patch === null) return null;

  if (major === null) return op === '<' || op === '>' ? [{ op: '<', version: v(0, 0, 0) }] : [];
  const low = v(major, minor ?? 0, patch ?? 0, pre);
  // The first version above everything the partial version names.
  const partialUpper = minor === null ? v(major + 1, 0, 0) : patch === null ? v(major, minor + 1, 0) : null;
  switch (op) {
    case '^': {
      const upper =
        major > 0 || minor === null ? v(major + 1, 0, 0) : minor > 0 || patch === null ? v(0, minor + 1, 0) : v(0, 0, patch + 1);
      return [
        { op: '>=', version: low },
        { op: '<', version: upper },
      ];
    }
    case '~': {
      const upper = minor === null ? v(major + 1, 0, 0) : v(major, minor + 1, 0);
      return [
        { op: '>=', version: low },
        { op: '<', version: upper },
      ];
    }
    case '>':
      return partialUpper ? [{ op: '>=', version: partialUpper }] : [{ op: '>', version: low }];
    case '>=':
      return [{ op: '>=', version: low }];
    case '<':
      return [{ op: '<', version: low }];
    case '<=':
      return partialUpper ? [{ op: '<', version: partialUpper }] : [{ op: '<=', version: low }];
    default:
      return partialUpper
        ? [
            { op: '>=', version: low },
            { op: '<', version: partialUpper },
          ]
        : [{ op: '=', version: low }];
  }
}

/** A range as OR-ed sets of AND-ed comparators; null when malformed. */
function parseRange(range: string): Comparator[][] | null {
  const sets: Comparator[][] = [];
  for (const alternative of range.trim().split('||')) {
    // "> = 1.0.0" is not a range, but ">= 1.0.0" is: glue an operator to the version after it.
    const terms = alternative
      .trim()
      .replace(/(\^|~|>=|<=|>|<|=)\s+/g, '$1')
      .split(/\s+/)
      .filter(Boolean);
    if (!terms.length) return null;
    const set: Comparator[] = [];
    for (const term of terms) {
      const comparators = termToComparators(term);
      if (!comparators) return null;
      set.push(...comparators);
    }
    sets.push(set);
  }
  return sets;
}

export const isRange = (range: string): boolean => parseRange(range) !== null;

/**
 * Whether `version` lies in `range`. A pre-release version satisfies a range only when a comparator
 * names the same major.minor.patch with a pre-release, as npm does.
 */
export function satisfies(version: string, range: string): boolean {
  const parsed = parseVersion(version);
  const sets = parseRange(range);
  if (!parsed || !sets) return false;
  return sets.some((set) => {
    const holds = set.every(({ op, version: bound }) => {
      const c = compareVersions(parsed, bound);
      return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : op === '>=' ? c >= 0 : c === 0;
    });
    if (!holds || !parsed.prerelease.length) return holds;
    return set.some(
      ({ version: b }) => b.prerelease.length && b.major === parsed.major && b.minor === parsed.minor && b.patch === parsed.patch,
    );
  });
}
