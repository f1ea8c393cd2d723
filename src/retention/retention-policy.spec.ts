import { BUILT_IN_PLUGINS } from '../../plugins/registry';
import { FRAMEWORK_RETENTION, keptBecause, type LegalHold, type RetentionRule, RetentionSelector } from './retention-policy';

const DAY = 86_400_000;
const NOW = new Date('2030-01-01T00:00:00.000Z');
const rule = (selector: RetentionSelector, value: string, minDays: number | null, maxDays: number | null): RetentionRule => ({
  id: `${selector}:${value}`,
  tenantId: 't',
  selector,
  value,
  minDays,
  maxDays,
  note: null,
  createdAt: NOW.toISOString(),
  createdBy: null,
});
const event = (ageDays: number, action = 'auth.login') => ({
  recordedAt: new Date(NOW.getTime() - ageDays * DAY).toISOString(),
  occurredAt: new Date(NOW.getTime() - ageDays * DAY).toISOString(),
  action,
  actorId: 'u-1',
  resourceId: 'r-1',
  classification: 1,
  categories: ['phi'],
});

describe('retention policy', () => {
  it('suggests minimums only for frameworks that are built in', () => {
    const ids = BUILT_IN_PLUGINS.filter((p) => p.kind === 'framework').map(
      (p) => (p as { catalog: { framework: { id: string } } }).catalog.framework.id,
    );
    for (const s of FRAMEWORK_RETENTION) expect(ids).toContain(s.frameworkId);
  });

  it('names the longest duty still running as the reason an event is kept', () => {
    const rules = [rule(RetentionSelector.FRAMEWORK, 'hipaa', 2190, null), rule(RetentionSelector.ACTION_PREFIX, 'auth.', null, 30)];
    expect(keptBecause(event(100), rules, [], NOW)).toBe('rule FRAMEWORK:hipaa (FRAMEWORK hipaa) keeps it 2190 days');
    expect(keptBecause(event(10), [rules[1]], [], NOW)).toBe('rule ACTION_PREFIX:auth. (ACTION_PREFIX auth.) keeps it 30 days');
    expect(keptBecause(event(10, 'data.read'), [rules[1]], [], NOW)).toBe('no rule with a maximum applies to it');
  });

  it('puts an active hold first, and ignores a released one', () => {
    const hold: LegalHold = {
      id: 'h-1',
      tenantId: 't',
      // Stored by reference; matched by it and, while the subject is live, by its id.
      subjectRef: 's_AAAAAAAAAAAAAAAAAAAAAA',
      subject: 'u-1',
      storedAs: ['s_AAAAAAAAAAAAAAAAAAAAAA', 'u-1'],
      actionPrefix: null,
      occurredFrom: null,
      occurredTo: null,
      reason: 'matter',
      createdAt: NOW.toISOString(),
      createdBy: null,
      releasedAt: null,
      releasedBy: null,
    };
    const rules = [rule(RetentionSelector.CATEGORY, 'phi', null, 30)];
    expect(keptBecause(event(100), rules, [hold], NOW)).toBe('legal hold h-1');
    expect(keptBecause(event(100), rules, [{ ...hold, releasedAt: NOW.toISOString() }], NOW)).not.toMatch(/legal hold/);
  });
});
