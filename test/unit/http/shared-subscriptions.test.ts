import { parse, type ExecutionResult } from 'graphql';
import { makeExecutableSchemaLike } from './subscription-schema';
import { SharedSubscriptions, type SubscriberSink } from '../../../src/http/shared-subscriptions';

const run = <T>(fn: () => T): T => fn();
const settle = () => new Promise((r) => setImmediate(r));

/** A subscriber that takes results until it holds `room` of them (a socket that stops being read). */
function sink(room = Infinity): SubscriberSink & { got: number[] } {
  const got: number[] = [];
  return {
    got,
    write: (payload) =>
      got.length < room && got.push((JSON.parse(payload.toString()) as { data: { ticks: { n: number } } }).data.ticks.n) > 0,
  };
}

describe('shared subscriptions', () => {
  it('resolves and serializes each event once for every subscriber asking the same thing; a backed-up one loses results, not memory', async () => {
    const { schema, emit, resolved, active } = makeExecutableSchemaLike();
    let dropped = 0;
    let serialized = 0;
    const sources: number[] = [];
    const shared = new SharedSubscriptions({
      serialize: (result) => ((serialized += 1), JSON.stringify(result)),
      onDropped: () => (dropped += 1),
      onSources: (n) => sources.push(n),
    });
    const args = () => ({ schema, document: parse('subscription { ticks { n square } }') });
    const reader = sink();
    const stuck = sink(5);
    const readerResults = (await shared.subscribe(args(), 'same', reader, run)) as AsyncIterableIterator<ExecutionResult>;
    const stuckResults = (await shared.subscribe(args(), 'same', stuck, run)) as AsyncIterableIterator<ExecutionResult>;
    expect(active()).toBe(1);

    for (let n = 1; n <= 100; n += 1) {
      emit(n);
      await settle();
    }
    expect(reader.got).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(stuck.got).toEqual([1, 2, 3, 4, 5]);
    expect(dropped).toBe(95);
    // One execution, one serialization per event, for both.
    expect(resolved()).toBe(100);
    expect(serialized).toBe(100);

    // The iterators graphql-ws reads end when their subscriber leaves; the last one ends the execution.
    const pending = readerResults.next();
    await readerResults.return!();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(active()).toBe(1);
    await stuckResults.return!();
    expect(sources).toEqual([1, 0]);
    expect(active()).toBe(0);
  });

  it('starts one execution for concurrent first subscribers, another for a different key, and answers an error result unshared', async () => {
    const { schema, active } = makeExecutableSchemaLike();
    const shared = new SharedSubscriptions({ serialize: (r) => JSON.stringify(r), onDropped: () => {}, onSources: () => {} });
    const args = () => ({ schema, document: parse('subscription { ticks { n } }') });
    const [a, b] = await Promise.all([shared.subscribe(args(), 'k1', sink(), run), shared.subscribe(args(), 'k1', sink(), run)]);
    expect(active()).toBe(1);
    const c = await shared.subscribe(args(), 'k2', sink(), run);
    expect(active()).toBe(2);
    const refused = await shared.subscribe({ schema, document: parse('subscription { refused { n } }') }, 'k3', sink(), run);
    expect((refused as ExecutionResult).errors?.[0].message).toBe('not for you');
    for (const it of [a, b, c] as Array<AsyncIterableIterator<ExecutionResult>>) await it.return!();
    expect(active()).toBe(0);
  });
});
