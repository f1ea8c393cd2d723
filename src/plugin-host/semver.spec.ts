import { compareVersions, isRange, isVersion, parseVersion, satisfies } from './semver';

describe('semver', () => {
  it('parses full versions only', () => {
    expect(parseVersion('1.2.3')).toEqual({ major: 1, minor: 2, patch: 3, prerelease: [] });
    expect(parseVersion('1.0.0-beta.2+build.5')?.prerelease).toEqual(['beta', '2']);
    for (const bad of ['1.2', '01.2.3', '1.2.3.4', 'one', '', '^1.0.0']) expect(isVersion(bad)).toBe(false);
  });

  it('orders pre-releases below their release', () => {
    const cmp = (a: string, b: string) => compareVersions(parseVersion(a)!, parseVersion(b)!);
    expect(cmp('1.0.0-alpha', '1.0.0')).toBeLessThan(0);
    expect(cmp('1.0.0-alpha.2', '1.0.0-alpha.10')).toBeLessThan(0);
    expect(cmp('1.0.0-alpha', '1.0.0-beta')).toBeLessThan(0);
    expect(cmp('2.0.0', '1.9.9')).toBeGreaterThan(0);
  });

  it.each([
    ['1.4.2', '^1.0.0', true],
    ['2.0.0', '^1.0.0', false],
    ['0.2.5', '^0.2.1', true],
    ['0.3.0', '^0.2.1', false],
    ['0.0.4', '^0.0.3', false],
    ['1.2.9', '~1.2.3', true],
    ['1.3.0', '~1.2.3', false],
    ['1.9.0', '~1', true],
    ['1.0.0', '>=1.0.0', true],
    ['0.9.9', '>=1.0.0', false],
    ['1.0.0', '>1.0.0', false],
    ['1.0.0', '<2', true],
    ['2.0.0', '<=1.x', false],
    ['1.9.9', '<=1.x', true],
    ['1.0.0', '1.0.0', true],
    ['1.0.1', '=1.0.0', false],
    ['1.7.0', '1.x', true],
    ['1.2.7', '1.2.*', true],
    ['1.3.0', '1.2.x', false],
    ['3.1.0', '*', true],
    ['1.5.0', '>=1.2.0 <2.0.0', true],
    ['2.0.0', '>=1.2.0 <2.0.0', false],
    ['3.0.0', '^1.0.0 || ^3.0.0', true],
    ['1.0.0', '>= 1.0.0', true],
    ['1.0.0-rc.1', '^1.0.0', false],
    ['1.0.0-rc.2', '>=1.0.0-rc.1', true],
  ])('%s satisfies %s: %s', (version, range, expected) => {
    expect(satisfies(version, range)).toBe(expected);
  });

  it('rejects malformed ranges', () => {
    for (const bad of ['', 'latest', '^one', '1.x.3', '>=1.0.0 ||', '~>1.0']) expect(isRange(bad)).toBe(false);
    for (const good of ['^1.0.0', '1.x', '*', '>=1 <2', '1.0.0 || 2.x']) expect(isRange(good)).toBe(true);
  });
});
