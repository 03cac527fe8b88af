import type { ChannelMessage } from './message';
import type { RenderedMessage } from './templates';

/** A delivery waiting for its robot, rendered as it would go alone. */
export interface Waiting<R> {
  row: R & { priority: number; message: ChannelMessage };
  rendered: RenderedMessage;
}

const SEPARATOR = '\n\n---\n\n';

/** Bytes the body takes inside a JSON request: what the peers' size limits count. */
const jsonBytes = (text: string): number => Buffer.byteLength(JSON.stringify(text));

const headerFor = (count: number, perMinute: number | null): string =>
  `${count} notifications in one message${perMinute ? ` (this robot takes ${perMinute} a minute)` : ''}:${SEPARATOR}`;

/**
 * What one message carries from the head of a queue: the first waiting delivery, then those
 * behind it with the same priority, in order, as long as the body stays within `budgetBytes`.
 * The first delivery that does not fit ends the message (later ones are not let past it), and a
 * first notice of a critical alert never shares a message with lesser ones. Nothing is cut:
 * what does not fit waits for the next message. Without a budget, each goes alone.
 */
export function mergeHead<R>(
  waiting: Array<Waiting<R>>,
  budgetBytes: number | null,
  perMinute: number | null,
): { carried: Array<Waiting<R>>; rest: Array<Waiting<R>>; rendered: RenderedMessage; message: ChannelMessage } {
  const [head, ...others] = waiting;
  if (!head) throw new Error('mergeHead needs at least one waiting delivery');
  const carried = [head];
  if (budgetBytes !== null) {
    for (const next of others) {
      if (next.row.priority !== head.row.priority) break;
      const bodies = [...carried, next].map((w) => w.rendered.body);
      if (jsonBytes(headerFor(bodies.length, perMinute) + bodies.join(SEPARATOR)) > budgetBytes) break;
      carried.push(next);
    }
  }
  const rest = waiting.slice(carried.length);
  if (carried.length === 1) return { carried, rest, rendered: head.rendered, message: head.row.message };
  const messages = carried.map((w) => w.row.message);
  return {
    carried,
    rest,
    rendered: {
      title: `${head.rendered.title} (+${carried.length - 1} more)`,
      body: headerFor(carried.length, perMinute) + carried.map((w) => w.rendered.body).join(SEPARATOR),
      fallback: carried.find((w) => w.rendered.fallback)?.rendered.fallback,
    },
    message: {
      ...head.row.message,
      status: messages.some((m) => m.status === 'firing') ? 'firing' : 'resolved',
      alerts: messages.flatMap((m) => m.alerts),
      truncatedAlerts: messages.reduce((sum, m) => sum + (m.truncatedAlerts ?? 0), 0) || undefined,
    },
  };
}
