import type { Logger } from '../../shared/logger';
import type { EventBus } from '../pubsub/event-bus';
import type { EventName } from '../pubsub/event-map';

/** Topics that say "reload what you keep in memory", each carrying only a time. */
type ChangeTopic = Extract<
  EventName,
  | 'routes.changed'
  | 'policies.changed'
  | 'inhibitions.changed'
  | 'maintenance.changed'
  | 'flags.overrides-changed'
  | 'escalations.changed'
  | 'experiments.changed'
>;

/**
 * Keeps what every replica holds in memory (the routing table, correlation policies,
 * inhibition rules) current: built at start, rebuilt after a change made here and whenever any
 * replica announces one, so a change applies at run time everywhere without a restart.
 */
export class ReloadOnChange {
  private watching: AsyncIterableIterator<unknown> | null = null;

  constructor(
    private readonly events: EventBus,
    private readonly topic: ChangeTopic,
    private readonly reload: () => Promise<void>,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await this.reload();
    const changes = this.events.subscribe(this.topic);
    this.watching = changes;
    void (async () => {
      for await (const _ of changes)
        await this.reload().catch((err) => this.logger.error({ err, topic: this.topic }, 'could not reload after a change'));
    })();
  }

  async stop(): Promise<void> {
    await this.watching?.return?.();
  }

  /** After a change made here: rebuilt at once here, and announced to the other replicas. */
  async announce(): Promise<void> {
    await this.reload();
    await this.events
      .publish(this.topic, { at: new Date().toISOString() })
      .catch((err) => this.logger.warn({ err, topic: this.topic }, 'could not announce a change'));
  }
}
