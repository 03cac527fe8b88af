import { LockMode, RequestContext, UniqueConstraintViolationException, type MikroORM } from '@mikro-orm/core';
import { FlagStateEntity } from '../../entities/flags/flag.entity';
import type { ChannelMessage } from '../channels/message';
import type { Logger } from '../../shared/logger';
import type { Metrics } from '../observability/metrics';
import type { EventBus } from '../pubsub/event-bus';
import type { FlagChangedEvent } from '../pubsub/event-map';
import type { AuditService } from '../security/audit.service';
import { systemPrincipal } from '../security/principal';
import type { FlagSource, FlagState } from './flag-resolver';
import type { FlagChange } from './flag.service';

/** Hands a flag-change notice to a channel (the delivery service). */
export interface NoticeSender {
  deliver(channelId: string, message: ChannelMessage, options: { source: string; idempotencyKey: string }): Promise<unknown>;
}

/** Who or what caused a change, and why, as far as the flag service can tell. */
export function causeOf(change: FlagChange): { actor: string; reason: string } {
  if (change.source === 'override' && change.override) return { actor: change.override.actor, reason: change.override.reason };
  const lifted = change.previous?.source === 'override' ? change.previous.override : null;
  if (lifted) {
    const ended = lifted.expiresAt && lifted.expiresAt.getTime() <= change.at.getTime() ? 'expired' : 'was cleared';
    return {
      actor: 'system:flag-overrides',
      reason: `the override set by ${lifted.actor} ${ended} ("${lifted.reason}"); ${sourceWords[change.source]} decides again`,
    };
  }
  const actors: Record<Exclude<FlagSource, 'override'>, string> = {
    unleash: 'system:unleash',
    bootstrap: 'system:bootstrap-file',
    default: 'system:default',
  };
  return {
    actor: actors[change.source as Exclude<FlagSource, 'override'>] ?? 'system:flags',
    reason: `changed by ${sourceWords[change.source]}`,
  };
}

const sourceWords: Record<FlagSource, string> = {
  override: 'an override',
  unleash: 'Unleash',
  bootstrap: 'the bootstrap file',
  default: 'the built-in default',
};

export interface FlagChangeRecorderDeps {
  orm: MikroORM;
  audit: AuditService;
  events: EventBus;
  metrics: Metrics;
  notices: NoticeSender;
  notifyChannelId: string | undefined;
  logger: Logger;
}

/**
 * Makes every flag change visible: the gauge on every replica; and, once across replicas (the one
 * whose update of the flag's state row lands), the audit record, the change counter, the
 * `flagChanged` event and a notice to the configured channel.
 */
export class FlagChangeRecorder {
  constructor(private readonly deps: FlagChangeRecorderDeps) {}

  readonly observe = async (states: FlagState[], changes: FlagChange[]): Promise<void> => {
    for (const state of states) {
      for (const source of ['override', 'unleash', 'bootstrap', 'default'] as const) {
        if (source === state.source) this.deps.metrics.flagEnabled.set({ flag: state.name, source }, state.enabled ? 1 : 0);
        else this.deps.metrics.flagEnabled.remove({ flag: state.name, source });
      }
    }
    for (const change of changes) {
      try {
        await this.record(change);
      } catch (err) {
        this.deps.logger.warn({ err, flag: change.name }, 'could not record a flag change');
      }
    }
  };

  private async record(change: FlagChange): Promise<void> {
    const { actor, reason } = causeOf(change);
    let event: FlagChangedEvent | null = null;
    try {
      event = await RequestContext.create(this.deps.orm.em, () =>
        this.deps.audit.change({ principal: systemPrincipal('flags'), actorName: actor }, async (record) => {
          const em = this.deps.orm.em;
          const row = await em.findOne(FlagStateEntity, { name: change.name }, { lockMode: LockMode.PESSIMISTIC_WRITE });
          if (!row) {
            // The first value ever seen is where the record starts, not a change.
            em.persist(
              Object.assign(new FlagStateEntity(), {
                name: change.name,
                enabled: change.enabled,
                source: change.source,
                changedAt: change.at,
              }),
            );
            return null;
          }
          if (row.enabled === change.enabled && row.source === change.source) return null;
          const previous = { enabled: row.enabled, source: row.source as FlagSource };
          Object.assign(row, { enabled: change.enabled, source: change.source, changedAt: change.at });
          record('flag.changed', 'flag', change.name, {
            enabled: change.enabled,
            source: change.source,
            previousEnabled: previous.enabled,
            previousSource: previous.source,
            reason,
          });
          return {
            name: change.name,
            enabled: change.enabled,
            source: change.source,
            previousEnabled: previous.enabled,
            previousSource: previous.source,
            actor,
            reason,
            at: change.at.toISOString(),
          };
        }),
      );
    } catch (err) {
      // Another replica seeded the row in the same instant: its record stands.
      if (err instanceof UniqueConstraintViolationException) return;
      throw err;
    }
    if (!event) return;
    this.deps.metrics.flagChanges.inc({ flag: event.name, source: event.source });
    this.deps.logger.info({ flag: event.name, enabled: event.enabled, source: event.source, actor, reason }, 'flag changed');
    await this.deps.events.publish('flag.changed', event).catch((err) => this.deps.logger.warn({ err }, 'could not publish a flag change'));
    if (this.deps.notifyChannelId) await this.notify(this.deps.notifyChannelId, event);
  }

  private async notify(channelId: string, event: FlagChangedEvent): Promise<void> {
    const state = event.enabled ? 'on' : 'off';
    const was = event.previousEnabled === null ? '' : ` (was ${event.previousEnabled ? 'on' : 'off'}, decided by ${event.previousSource})`;
    const labels = { alertname: 'AlertAgentFlagChanged', flag: event.name, source: event.source, severity: 'info' };
    const annotations = { summary: `Feature flag ${event.name} is now ${state}${was}`, description: `${event.actor}: ${event.reason}` };
    const message: ChannelMessage = {
      kind: 'alerts',
      status: 'firing',
      alerts: [{ status: 'firing', labels, annotations, startsAt: event.at }],
      groupLabels: { alertname: labels.alertname, flag: event.name },
      commonLabels: labels,
      commonAnnotations: annotations,
      receiver: 'alertagent-flags',
    };
    try {
      await RequestContext.create(this.deps.orm.em, () =>
        this.deps.notices.deliver(channelId, message, { source: 'flags', idempotencyKey: `flag:${event.name}:${event.at}` }),
      );
    } catch (err) {
      this.deps.logger.warn({ err, channelId, flag: event.name }, 'could not notify a flag change');
    }
  }
}
