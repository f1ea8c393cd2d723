import { orderByDependencies } from './order';

describe('orderByDependencies', () => {
  it('puts dependencies first and keeps the given order otherwise', () => {
    const { order, cycles } = orderByDependencies([
      { id: 'report', dependsOn: ['gdpr', 'soc2'] },
      { id: 'docx', dependsOn: [] },
      { id: 'gdpr', dependsOn: [] },
      { id: 'soc2', dependsOn: ['gdpr'] },
    ]);
    expect(order).toEqual(['gdpr', 'soc2', 'report', 'docx']);
    expect(cycles).toEqual([]);
  });

  it('reports each cycle once, with its members in dependency order', () => {
    const { cycles } = orderByDependencies([
      { id: 'a', dependsOn: ['b'] },
      { id: 'b', dependsOn: ['c'] },
      { id: 'c', dependsOn: ['a'] },
      { id: 'd', dependsOn: ['a'] },
      { id: 'self', dependsOn: ['self'] },
    ]);
    expect(cycles).toEqual([['a', 'b', 'c'], ['self']]);
  });

  it('ignores dependencies on unknown ids', () => {
    expect(orderByDependencies([{ id: 'a', dependsOn: ['missing'] }]).order).toEqual(['a']);
  });
});
