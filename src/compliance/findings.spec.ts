import { FindingState as S, type FindingTransition, allowed, deriveFinding, findingId } from './findings';

let seq = 0;
const t = (from: S, to: S, at: string, extra: Partial<FindingTransition> = {}): FindingTransition => ({
  findingId: 'f',
  from,
  to,
  note: 'n',
  owner: null,
  dueDate: null,
  approver: null,
  expiresAt: null,
  transitionedAt: at,
  transitionedBy: 'k',
  sequence: ++seq,
  ...extra,
});

describe('findings lifecycle', () => {
  it('gives the same deviation the same id, and another deviation another', () => {
    const a = findingId('t', 'soc2', 'CC6.1', 'r', '7');
    expect(findingId('t', 'soc2', 'CC6.1', 'r', '7')).toBe(a);
    expect(findingId('t', 'soc2', 'CC6.1', 'r', '8')).not.toBe(a);
    expect(findingId('u', 'soc2', 'CC6.1', 'r', '7')).not.toBe(a);
  });

  it('allows only the transitions in the table', () => {
    expect(allowed(S.OPEN, S.INVESTIGATED_CONFIRMED)).toBe(true);
    expect(allowed(S.OPEN, S.REMEDIATED)).toBe(false);
    expect(allowed(S.INVESTIGATED_CONFIRMED, S.REMEDIATION_PLANNED)).toBe(true);
    expect(allowed(S.INVESTIGATED_NOT_A_DEVIATION, S.REMEDIATION_PLANNED)).toBe(false);
  });

  it('applies only transitions made by asOf', () => {
    const history = [
      t(S.OPEN, S.INVESTIGATED_CONFIRMED, '2026-01-10T00:00:00.000Z'),
      t(S.INVESTIGATED_CONFIRMED, S.REMEDIATION_PLANNED, '2026-02-10T00:00:00.000Z'),
    ];
    expect(deriveFinding(history, new Date('2026-01-09T00:00:00.000Z')).state).toBe(S.OPEN);
    expect(deriveFinding(history, new Date('2026-01-10T00:00:00.000Z')).state).toBe(S.INVESTIGATED_CONFIRMED);
    expect(deriveFinding(history, new Date('2026-03-01T00:00:00.000Z')).state).toBe(S.REMEDIATION_PLANNED);
  });

  it('returns a lapsed risk acceptance to the earlier state', () => {
    const history = [
      t(S.OPEN, S.INVESTIGATED_CONFIRMED, '2026-01-10T00:00:00.000Z'),
      t(S.INVESTIGATED_CONFIRMED, S.RISK_ACCEPTED, '2026-01-11T00:00:00.000Z', { expiresAt: '2026-02-01T00:00:00.000Z' }),
    ];
    expect(deriveFinding(history, new Date('2026-01-20T00:00:00.000Z')).state).toBe(S.RISK_ACCEPTED);
    const lapsed = deriveFinding(history, new Date('2026-02-01T00:00:00.000Z'));
    expect(lapsed.state).toBe(S.INVESTIGATED_CONFIRMED);
    expect(lapsed.last?.to).toBe(S.INVESTIGATED_CONFIRMED);
  });

  it('ignores a recorded transition the table does not allow from the replayed state', () => {
    expect(deriveFinding([t(S.OPEN, S.REMEDIATED, '2026-01-10T00:00:00.000Z')], new Date('2026-02-01T00:00:00.000Z')).state).toBe(S.OPEN);
  });
});
