/** A plugin as far as ordering cares. */
export interface Node {
  id: string;
  dependsOn: readonly string[];
}

export interface Ordering {
  /** Dependencies before dependants; otherwise the given order is kept. */
  order: string[];
  /** Each cycle once, as ids in dependency order (`a → b → a` is `['a', 'b']`). */
  cycles: string[][];
}

/** Depth-first topological order; dependencies on unknown ids are ignored (reported elsewhere). */
export function orderByDependencies(nodes: readonly Node[]): Ordering {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const state = new Map<string, 'visiting' | 'done'>();
  const order: string[] = [];
  const cycles: string[][] = [];
  const onCycle = new Set<string>();

  const visit = (id: string, stack: string[]) => {
    const current = state.get(id);
    if (current === 'done') return;
    if (current === 'visiting') {
      const cycle = stack.slice(stack.indexOf(id));
      if (!cycle.some((member) => onCycle.has(member))) {
        cycles.push(cycle);
        cycle.forEach((member) => onCycle.add(member));
      }
      return;
    }
    state.set(id, 'visiting');
    for (const dep of byId.get(id)!.dependsOn) if (byId.has(dep)) visit(dep, [...stack, id]);
    state.set(id, 'done');
    order.push(id);
  };
  for (const node of nodes) visit(node.id, []);
  return { order, cycles };
}
