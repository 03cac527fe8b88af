import { OverloadedError } from '../../errors';
import type { Logger } from '../../shared/logger';
import type { Metrics } from '../observability/metrics';
import type { EventBus } from '../pubsub/event-bus';

/**
 * Bounds the alerts the gateway holds between accepting them and their first delivery attempt.
 * Past the bound a webhook is refused with 503 and Retry-After before anything is stored or sent
 * (Alertmanager sends it again), so intake never outruns delivery and memory stays bounded. The
 * overload ends once half the bound has drained, so the state does not flap at the edge.
 */
export class IntakeGate {
  private inFlight = 0;
  private overloaded = false;
  private refusedAlerts = 0;

  constructor(
    private readonly limit: number,
    private readonly retryAfterSeconds: number,
    private readonly metrics: Metrics,
    private readonly events: EventBus,
    private readonly logger: Logger,
  ) {}

  /** Takes room for a webhook's alerts, or refuses it. One webhook is always let in when nothing is held, however large. */
  admit(alerts: number): void {
    if (this.inFlight > 0 && this.inFlight + alerts > this.limit) {
      this.refusedAlerts += alerts;
      this.metrics.gatewayOverloadRefusals.inc(alerts);
      if (!this.overloaded) this.changeState(true);
      throw new OverloadedError(
        `the gateway holds ${this.inFlight} alerts not yet sent (limit ${this.limit}); nothing of this webhook was taken: send it again after Retry-After`,
        this.retryAfterSeconds,
      );
    }
    this.inFlight += alerts;
    this.metrics.gatewayInFlightAlerts.set(this.inFlight);
  }

  /** Gives back the room of alerts whose first delivery attempt is over (or whose acceptance failed). */
  release(alerts: number): void {
    this.inFlight = Math.max(0, this.inFlight - alerts);
    this.metrics.gatewayInFlightAlerts.set(this.inFlight);
    if (this.overloaded && this.inFlight <= this.limit / 2) this.changeState(false);
  }

  /** For /readyz: what works differently while overloaded. */
  degradations(): string[] {
    return this.overloaded
      ? [`intake: ${this.inFlight} alerts wait for their first send (limit ${this.limit}); webhooks are answered 503 with Retry-After`]
      : [];
  }

  private changeState(overloaded: boolean): void {
    this.overloaded = overloaded;
    this.metrics.gatewayOverloaded.set(overloaded ? 1 : 0);
    const event = {
      overloaded,
      inFlightAlerts: this.inFlight,
      limit: this.limit,
      refusedAlerts: this.refusedAlerts,
      at: new Date().toISOString(),
    };
    if (overloaded) this.logger.warn(event, 'gateway overloaded: refusing webhooks until delivery catches up');
    else this.logger.info(event, 'gateway overload over');
    if (!overloaded) this.refusedAlerts = 0;
    void this.events.publish('gateway.load', event).catch((err) => this.logger.warn({ err }, 'could not publish the gateway load event'));
  }
}
