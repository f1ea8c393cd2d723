import { satisfies, validRange } from 'semver';
import { acceptsApiVersion, isRange, isVersion } from './api-range';

describe('plugin versions and apiVersion ranges', () => {
  it('takes full semver versions only', () => {
    for (const good of ['1.2.3', '2.0.0-beta.1', '1.0.0-beta.2+build.5', 'v1.2.3']) expect(isVersion(good)).toBe(true);
    for (const bad of ['1.2', '01.2.3', '1.2.3.4', 'one', '', '^1.0.0', '1.0.0-01']) expect(isVersion(bad)).toBe(false);
  });

  it('takes every range npm takes, hyphen ranges and ~> included', () => {
    const good = [
      '^1.0.0',
      '~1.2',
      '1.x',
      '1.2.*',
      '*',
      'x',
      '>=1 <2',
      '>= 1.0.0',
      '1.0.0 || 2.x',
      '1.0.0 - 2.0.0',
      '1 - 2',
      '~>1.0',
      'v1.2.0',
    ];
    for (const range of good) expect([range, isRange(range)]).toEqual([range, true]);
    for (const range of ['latest', '^one', '1.x.3', '> = 1.0.0', '1.2.3 -2'])
      expect([range, isRange(range), validRange(range)]).toEqual([range, false, null]);
  });

  it('refuses a blank range or a blank side of ||, which npm would read as *', () => {
    for (const range of ['', '  ', '^1.0.0 ||', '|| ^1.0.0', '^1.0.0 || || ^2.0.0']) {
      expect([range, validRange(range)]).toEqual([range, expect.stringContaining('*')]);
      expect([range, isRange(range)]).toEqual([range, false]);
    }
  });

  // The cases where the hand-written check the host had before disagreed with npm, then npm's usual ones.
  it.each([
    ['1.0.0 - 2.0.0', '1.2.0', true],
    ['1.0.0 - 2.0.0', '2.0.0', true],
    ['1.0.0 - 2.0.0', '2.0.1', false],
    ['1 - 1.1', '1.2.0', false],
    ['<2', '1.0.0', true],
    ['>=2.0.0-0 <2', '2.0.0-rc.1', false],
    ['>=2.0.0-0 <2.0.0', '2.0.0-rc.1', true],
    ['<2', '2.0.0-rc.1', false],
    ['<2.0.0', '2.0.0-rc.1', false],
    ['^1.0.0', '1.4.2', true],
    ['^1.0.0', '2.0.0', false],
    ['^0.2.1', '0.2.5', true],
    ['^0.2.1', '0.3.0', false],
    ['^0.0.3', '0.0.4', false],
    ['~1.2.3', '1.2.9', true],
    ['~1.2.3', '1.3.0', false],
    ['~>1.2', '1.2.9', true],
    ['>1.0.0', '1.0.0', false],
    ['<=1.x', '1.9.9', true],
    ['<=1.x', '2.0.0', false],
    ['=1.0.0', '1.0.1', false],
    ['>=1.2.0 <2.0.0', '2.0.0', false],
    ['^1.0.0 || ^3.0.0', '3.0.0', true],
    // A pre-release of the API is accepted only by a range that names a pre-release of the same version.
    ['^1.0.0', '1.0.0-rc.1', false],
    ['>=1.0.0', '2.0.0-rc.1', false],
    ['*', '2.0.0-rc.1', false],
    ['^2.0.0-rc.1', '2.0.0-rc.2', true],
    ['^2.0.0-rc.1', '2.0.0', true],
    ['>=1.0.0-rc.1', '1.0.0-rc.2', true],
    ['>=1.0.0-rc.1', '1.1.0-rc.1', false],
  ])('%s accepts plugin API %s: %s, as npm semver says', (range, apiVersion, expected) => {
    expect(acceptsApiVersion(range, apiVersion)).toBe(expected);
    expect(satisfies(apiVersion, range)).toBe(expected);
  });

  it("checks against this server's plugin API by default", () => {
    expect(acceptsApiVersion('^1.0.0')).toBe(true);
    expect(acceptsApiVersion('^2.0.0')).toBe(false);
    expect(acceptsApiVersion('1.0.0 - 1.1.9')).toBe(false);
  });
});
