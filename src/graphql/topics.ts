import type { SubscriptionHandlerData, SubscriptionOptions } from 'type-graphql';
import type { EventMap, EventName } from '../services/pubsub/event-map';
import type { GraphQLContext } from './context';

/** What a subscription filter sees: the event as the bus carries it, the subscription's arguments, the caller. */
export type EventFilterData<N extends EventName, A> = SubscriptionHandlerData<EventMap[N], A, GraphQLContext>;

/**
 * A subscription to one event of the bus. The topic must be a name of the event map, and the
 * filter is typed by that event's payload, so renaming an event or changing its shape breaks the
 * build instead of a live stream.
 */
export function onEvent<N extends EventName, A = Record<string, never>>(
  topic: N,
  options: { description: string; filter?: (data: EventFilterData<N, A>) => boolean | Promise<boolean> },
): SubscriptionOptions {
  const { description, filter } = options;
  return filter ? { topics: topic, description, filter: (data) => filter(data as EventFilterData<N, A>) } : { topics: topic, description };
}
