import { GraphQLInt, GraphQLObjectType, GraphQLSchema } from 'graphql';

/** A schema with a `ticks` subscription fed by `emit`, counting how often a field is resolved and how many sources run. */
export function makeExecutableSchemaLike() {
  const listeners = new Set<(n: number) => void>();
  let resolved = 0;
  let active = 0;
  const ticks = (): AsyncIterableIterator<{ n: number }> => {
    const queue: number[] = [];
    const waiting: Array<(r: IteratorResult<{ n: number }>) => void> = [];
    const listener = (n: number) => {
      const next = waiting.shift();
      if (next) next({ value: { n }, done: false });
      else queue.push(n);
    };
    listeners.add(listener);
    active += 1;
    return {
      next: () =>
        queue.length > 0 ? Promise.resolve({ value: { n: queue.shift()! }, done: false }) : new Promise((resolve) => waiting.push(resolve)),
      return: async () => {
        if (listeners.delete(listener)) active -= 1;
        for (const resolve of waiting.splice(0)) resolve({ value: undefined, done: true });
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  };
  const Tick = new GraphQLObjectType({
    name: 'Tick',
    fields: {
      n: { type: GraphQLInt },
      square: { type: GraphQLInt, resolve: ({ n }: { n: number }) => ((resolved += 1), n * n) },
    },
  });
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { n: { type: GraphQLInt } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        ticks: { type: Tick, subscribe: ticks, resolve: (tick: { n: number }) => tick },
        refused: {
          type: Tick,
          subscribe: () => {
            throw new Error('not for you');
          },
        },
      },
    }),
  });
  return { schema, emit: (n: number) => listeners.forEach((l) => l(n)), resolved: () => resolved, active: () => active };
}
