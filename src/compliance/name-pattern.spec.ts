import { prefixUpperBound, sqliteRegexp } from '../database/sql';
import { globPrefix, globToRegex, namePredicate } from './name-pattern';

const matches = (glob: string, name: string) => new RegExp(globToRegex(glob), 'u').test(name);

describe('globToRegex', () => {
  it('anchors the whole name', () => {
    expect(globToRegex('auth.login')).toBe('^auth\\.login$');
    expect(matches('auth.login', 'auth.login')).toBe(true);
    expect(matches('auth.login', 'auth.login.failed')).toBe(false);
    expect(matches('auth.login', 'x.auth.login')).toBe(false);
  });

  it('lets * match any run without a dot', () => {
    expect(matches('auth.*.failed', 'auth.login.failed')).toBe(true);
    expect(matches('auth.*.failed', 'auth..failed')).toBe(true);
    expect(matches('auth.*.failed', 'auth.login.mfa.failed')).toBe(false);
    expect(matches('auth.*', 'auth.login')).toBe(true);
    expect(matches('auth.*', 'auth.login.failed')).toBe(false);
    expect(matches('*_record', 'patient_record')).toBe(true);
    expect(matches('*_record', 'x.patient_record')).toBe(false);
  });

  it('lets ** match any run, dots included', () => {
    expect(matches('**.read', 'patient_record.read')).toBe(true);
    expect(matches('**.read', 'a.b.c.read')).toBe(true);
    expect(matches('**.read', 'read')).toBe(false);
    expect(matches('patient_record.**', 'patient_record.lab.result')).toBe(true);
    expect(matches('patient_record.**', 'patient_record')).toBe(false);
    expect(matches('a.**.*.z', 'a.b.c.d.z')).toBe(true);
    expect(matches('a.**.*.z', 'a.z')).toBe(false);
  });

  it('keeps regular-expression metacharacters in names literal', () => {
    const glob = 'a+b?(c)[d]{2}|e^f$g\\h.i';
    expect(matches(glob, 'a+b?(c)[d]{2}|e^f$g\\h.i')).toBe(true);
    expect(matches(glob, 'aab(c)dd')).toBe(false);
    expect(matches('v1.0', 'v1x0')).toBe(false);
    expect(matches('a|b', 'a')).toBe(false);
    expect(matches('a+', 'aa')).toBe(false);
    expect(matches('x?', 'x')).toBe(false);
    expect(matches('(x)*', '(x)anything')).toBe(true);
    expect(matches('(x)*', 'x')).toBe(false);
  });

  it('compiles every pattern in unicode mode (as SQLite and JavaScript run it)', () => {
    for (const glob of ['a-b', 'a/b', 'é.*', 'a{1,2}', '[', ']', '\\', 'x**y*z']) {
      expect(() => new RegExp(globToRegex(glob), 'u')).not.toThrow();
    }
  });
});

describe('globPrefix', () => {
  it('is the text before the first *', () => {
    expect(globPrefix('auth.*.failed')).toBe('auth.');
    expect(globPrefix('patient_record.**')).toBe('patient_record.');
    expect(globPrefix('**.read')).toBe('');
    expect(globPrefix('*')).toBe('');
  });

  it('is the whole glob when it has no *', () => {
    expect(globPrefix('auth.login')).toBe('auth.login');
  });
});

describe('prefixUpperBound', () => {
  it('increments the last character', () => {
    expect(prefixUpperBound('auth.')).toBe('auth/');
    expect(prefixUpperBound('a')).toBe('b');
    expect(prefixUpperBound('patient_record')).toBe('patient_recore');
  });

  it('lies above every name with the prefix and above none without it that sorts after the prefix', () => {
    const prefix = 'auth.';
    const bound = prefixUpperBound(prefix);
    for (const name of ['auth.', 'auth.login', 'auth.~~~', 'auth.\u00ff', 'auth.zzzz.zzzz']) {
      expect(name >= prefix && name < bound).toBe(true);
    }
    for (const name of ['auth', 'auth-x', 'auth/', 'auth0', 'authz', 'b']) {
      expect(name >= prefix && name < bound).toBe(false);
    }
  });
});

describe('namePredicate', () => {
  it('tests equals exactly, case-sensitively', () => {
    const test = namePredicate({ equals: 'auth.login' });
    expect(test('auth.login')).toBe(true);
    expect(test('auth.login.failed')).toBe(false);
    expect(test('Auth.login')).toBe(false);
  });

  it('tests prefix as starts-with', () => {
    const test = namePredicate({ prefix: 'patient_record.' });
    expect(test('patient_record.lab')).toBe(true);
    expect(test('patient_record.')).toBe(true);
    expect(test('patient_record')).toBe(false);
    expect(test('x.patient_record.lab')).toBe(false);
  });

  it('tests a glob as its regular expression', () => {
    const test = namePredicate({ glob: 'lab_result.*' });
    expect(test('lab_result.blood')).toBe(true);
    expect(test('lab_result.blood.panel')).toBe(false);
    expect(test('lab_resultXblood')).toBe(false);
  });
});

describe('sqliteRegexp', () => {
  it('answers 1 for a match and 0 otherwise, as SQLite expects', () => {
    const pattern = globToRegex('auth.*');
    expect(sqliteRegexp(pattern, 'auth.login')).toBe(1);
    expect(sqliteRegexp(pattern, 'auth.login.failed')).toBe(0);
  });

  it('answers 0 for values that are not text (NULL columns)', () => {
    expect(sqliteRegexp('^.*$', null)).toBe(0);
    expect(sqliteRegexp('^.*$', undefined)).toBe(0);
    expect(sqliteRegexp('^1$', 1)).toBe(0);
  });

  it('gives the same answers when a compiled pattern is reused', () => {
    const pattern = globToRegex('**.read');
    const names = ['patient_record.read', 'read', 'a.b.read', 'a.b.write', 'patient_record.read'];
    const first = names.map((n) => sqliteRegexp(pattern, n));
    const second = names.map((n) => sqliteRegexp(pattern, n));
    expect(first).toEqual([1, 0, 1, 0, 1]);
    expect(second).toEqual(first);
  });

  it('keeps different patterns apart', () => {
    expect(sqliteRegexp('^a$', 'a')).toBe(1);
    expect(sqliteRegexp('^b$', 'a')).toBe(0);
    expect(sqliteRegexp('^a$', 'b')).toBe(0);
  });
});
