import { parse, type ExecutionResult } from 'graphql';
import { makeExecutableSchemaLike } from './subscription-schema';
import { SharedSubscriptions } from '../../../src/http/shared-subscriptions';

const run = <T>(fn: () => T): T => fn();

describe('shared subscriptions', () => {
  it('resolves each event once for every subscriber asking the same thing, and holds at most a buffer for one that does not read', async () => {
    const { schema, emit, resolved, active } = makeExecutableSchemaLike();
    let dropped = 0;
    const sources: number[] = [];
    const shared = new SharedSubscriptions(5, { onDropped: () => (dropped += 1), onSources: (n) => sources.push(n) });
    const args = () => ({ schema, document: parse('subscription { ticks { n square } }') });

    const reader = (await shared.subscribe(args(), 'same', run)) as AsyncIterableIterator<ExecutionResult>;
    const idle = (await shared.subscribe(args(), 'same', run)) as AsyncIterableIterator<ExecutionResult>;
    expect(active()).toBe(1);

    const read: number[] = [];
    const reading = (async () => {
      for await (const result of reader) {
        read.push((result.data as { ticks: { n: number } }).ticks.n);
        if (read.length === 100) break;
      }
    })();
    for (let n = 1; n <= 100; n += 1) {
      emit(n);
      await new Promise((r) => setImmediate(r));
    }
    await reading;
    expect(read).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    // One execution for both subscribers: `square` resolved once per event.
    expect(resolved()).toBe(100);
    // The one that read nothing holds the newest five; the rest were dropped and counted.
    const held: number[] = [];
    for (let i = 0; i < 5; i += 1) held.push(((await idle.next()).value.data as { ticks: { n: number } }).ticks.n);
    expect(held).toEqual([96, 97, 98, 99, 100]);
    expect(dropped).toBe(95);

    // The last subscriber leaving ends the execution.
    await idle.return!();
    expect(sources).toEqual([1, 0]);
    expect(active()).toBe(0);
  });

  it('starts one execution for concurrent first subscribers, another for a different key, and answers an error result unshared', async () => {
    const { schema, active } = makeExecutableSchemaLike();
    const shared = new SharedSubscriptions(5, { onDropped: () => {}, onSources: () => {} });
    const args = () => ({ schema, document: parse('subscription { ticks { n } }') });
    const [a, b] = await Promise.all([shared.subscribe(args(), 'k1', run), shared.subscribe(args(), 'k1', run)]);
    expect(active()).toBe(1);
    const c = await shared.subscribe(args(), 'k2', run);
    expect(active()).toBe(2);
    const refused = await shared.subscribe({ schema, document: parse('subscription { refused { n } }') }, 'k3', run);
    expect((refused as ExecutionResult).errors?.[0].message).toBe('not for you');
    for (const it of [a, b, c] as Array<AsyncIterableIterator<ExecutionResult>>) await it.return!();
    expect(active()).toBe(0);
  });
});
