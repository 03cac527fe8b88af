import { inSpan, SpanStatusCode } from '../observability/tracing';
import { RequestContext, type MikroORM } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { Config } from '../../config';
import type { ChannelEntity } from '../../entities/channels/channel.entity';
import { BadUserInputError, NotFoundError } from '../../errors';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { JobQueue } from '../queue/job-queue';
import { backoffDelay, type BackoffPolicy } from '../shared/backoff';
import { excerpt, type PeerClient } from '../shared/http-post';
import { quoteMessageValues, type ProbeOutcome, type SendOutcome } from './channel-plugin';
import type { ChannelService, SendableChannel } from './channel.service';
import { heldForFirstAttempt, type DeliveryRepository, type DeliveryRow, type DeliveryUpdate } from './delivery.repository';
import type { ChannelMessage } from './message';
import type { RenderedMessage, TemplateRenderer } from './templates';
import type { RedisFallbackMonitor } from '../shared/redis-fallbacks';
import { Sweeper } from '../shared/sweeper';

export interface DeliverOptions {
  /** Same key, same delivery: a repeat is answered with the stored one. Defaults to a fresh id. */
  idempotencyKey?: string;
  /** Who asked: gateway, test, api … */
  source: string;
  maxAttempts?: number;
  /**
   * Sends the first attempt while the delivery is being stored instead of after. Only for a key
   * that cannot exist yet (a receipt just taken): a repeat could not be answered with the stored
   * delivery before it is sent again.
   */
  sendWhileStoring?: boolean;
}

const SWEEP_BATCH = 500;
const NOTHING_RENDERED: RenderedMessage = { title: '', body: '' };

/**
 * Delivers messages to channels: the first attempt runs at once (pass-through); a failure that
 * may pass is retried with exponential backoff through the queue; every attempt is recorded.
 * The delivery row is the durable truth and a lease guards each attempt, so a crash or restart
 * neither loses a delivery nor sends it twice at once.
 */
export class DeliveryService {
  private readonly sweeper: Sweeper;
  /** Retries kept in this process while the queue cannot be reached, by delivery. */
  private readonly localWakeUps = new Map<string, NodeJS.Timeout>();
  private readonly settledListeners: Array<(delivery: DeliveryRow) => Promise<void>> = [];
  private readonly backoff: BackoffPolicy;

  constructor(
    private readonly orm: MikroORM,
    private readonly deliveries: DeliveryRepository,
    private readonly channels: ChannelService,
    private readonly queue: JobQueue,
    private readonly metrics: Metrics,
    private readonly settings: Config['delivery'],
    private readonly logger: Logger,
    private readonly templates: TemplateRenderer,
    private readonly redis: RedisFallbackMonitor,
    private readonly peers: PeerClient,
  ) {
    this.backoff = { baseMs: settings.backoffBaseMs, maxMs: settings.backoffMaxMs, jitter: 0.2 };
    this.sweeper = new Sweeper('delivery', () => this.resume(), logger);
  }

  /** Stores the delivery, tries it once right away, and returns it as it stands after that try. */
  async deliver(channelId: string, message: ChannelMessage, options: DeliverOptions): Promise<DeliveryRow> {
    const sendable = NotFoundError.assert(await this.channels.sendable(channelId), 'channel', channelId);
    const now = new Date();
    const draft = {
      id: randomUUID(),
      channelId,
      idempotencyKey: options.idempotencyKey ?? randomUUID(),
      source: options.source,
      message,
      maxAttempts: options.maxAttempts ?? this.settings.maxAttempts,
      createdAt: now,
    };
    const stored = this.deliveries.insertClaimed(draft, now, this.settings.leaseMs, options.sendWhileStoring);
    if (!options.sendWhileStoring) {
      const { row, claimed } = await stored;
      return claimed ? this.runAttempt(row) : row;
    }
    // The attempt is recorded only once the row exists; if storing fails the caller hears of it
    // and hands the message over again later (which may send it twice, never zero times).
    const row = heldForFirstAttempt(draft);
    const [outcome, existing] = await Promise.all([this.attemptOutcome(sendable, row), stored]);
    if (!existing.claimed) {
      this.logger.warn({ idempotencyKey: draft.idempotencyKey }, 'a delivery sent while storing already existed; it went out once more');
      return existing.row;
    }
    return this.record(row, sendable.channel, outcome, true);
  }

  /** One attempt, if the delivery is due and nobody else holds it; returns its state after. Safe to call any number of times. */
  async attempt(deliveryId: string): Promise<DeliveryRow | null> {
    const delivery = await this.deliveries.claim(deliveryId, new Date(), this.settings.leaseMs);
    return delivery ? this.runAttempt(delivery) : null;
  }

  /** Sends a delivery this process holds (its lease) and records the outcome. */
  private async runAttempt(delivery: DeliveryRow): Promise<DeliveryRow> {
    const sendable = await this.channels.sendable(delivery.channelId);
    return this.record(delivery, sendable?.channel ?? null, await this.attemptOutcome(sendable, delivery));
  }

  private async attemptOutcome(sendable: SendableChannel | null, delivery: DeliveryRow): Promise<SendOutcome> {
    if (!sendable) return { ok: false, retryable: false, latencyMs: 0, error: 'channel no longer exists' };
    if (!sendable.channel.enabled && delivery.source !== 'test') return { ok: false, retryable: false, latencyMs: 0, error: 'channel is disabled' };
    return this.send(sendable, delivery);
  }

  /** Checks a channel's reachability and credentials without posting, for the types whose protocol allows it. */
  async probe(channelId: string): Promise<ProbeOutcome> {
    const sendable = NotFoundError.assert(await this.channels.sendable(channelId), 'channel', channelId);
    if (!sendable.plugin.probe) {
      throw BadUserInputError.forField('id', `a ${sendable.plugin.type} channel cannot be checked without posting a message; use testChannel`);
    }
    return sendable.plugin.probe(sendable.config, { peers: this.peers });
  }

  find(id: string): Promise<DeliveryRow | null> {
    return this.deliveries.findRow(id);
  }

  /** Queues every delivery that is due or was orphaned by a crashed sender; runs at start-up and on a timer. */
  async resume(): Promise<number> {
    const now = new Date();
    const waking = await RequestContext.create(this.orm.em, () => this.deliveries.findWaking(now, SWEEP_BATCH));
    for (const { id, attempts, dueAt } of waking) await this.schedule(id, attempts + 1, dueAt);
    return waking.length;
  }

  /** Called when a delivery reaches delivered or failed after a retry (first attempts are reported by their caller). */
  onSettledAfterRetry(listener: (delivery: DeliveryRow) => Promise<void>): void {
    this.settledListeners.push(listener);
  }

  registerProcessor(): void {
    this.queue.process(
      'delivery.attempt',
      async ({ data }) => {
        await RequestContext.create(this.orm.em, () => this.attempt(data.deliveryId));
      },
      { concurrency: this.settings.concurrency },
    );
  }

  startSweeper(): void {
    this.sweeper.start(this.settings.sweepIntervalMs, true);
  }

  stop(): void {
    this.sweeper.stop();
    for (const timer of this.localWakeUps.values()) clearTimeout(timer);
    this.localWakeUps.clear();
  }

  private send(sendable: SendableChannel, delivery: DeliveryRow): Promise<SendOutcome> {
    const attributes = () => ({ 'alertagent.channel': sendable.channel.name, 'alertagent.channel_type': sendable.plugin.type, 'alertagent.delivery_id': delivery.id, 'alertagent.attempt': delivery.attempts });
    return inSpan(`channel.send ${sendable.plugin.type}`, attributes, async (span) => {
      const outcome = await this.sendOnce(sendable, delivery);
      span.setAttribute('alertagent.outcome', outcome.ok ? 'delivered' : outcome.retryable ? 'retrying' : 'failed');
      if (!outcome.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error });
      return outcome;
    });
  }

  private async sendOnce(sendable: SendableChannel, delivery: DeliveryRow): Promise<SendOutcome> {
    try {
      const renders = sendable.plugin.rendersTemplates?.(sendable.config) ?? true;
      const quote = sendable.plugin.quoteValue;
      const forTemplates = quote ? quoteMessageValues(delivery.message, quote) : delivery.message;
      const rendered = renders ? await this.templates.render(sendable.templates, forTemplates, sendable.channel.name) : NOTHING_RENDERED;
      if (rendered.fallback) this.logger.warn({ deliveryId: delivery.id, channel: sendable.channel.name, reason: rendered.fallback }, 'channel templates fell back to the defaults');
      return await sendable.plugin.send(sendable.config, rendered, delivery.message, {
        idempotencyKey: delivery.idempotencyKey,
        peers: this.peers,
        attempt: delivery.attempts,
        now: new Date(),
      });
    } catch (err) {
      // A template that fails at render time, or a plugin bug: retrying the same input cannot help.
      return { ok: false, retryable: false, latencyMs: 0, error: `could not send: ${(err as Error).message}` };
    }
  }

  private wakeLocally(deliveryId: string, delayMs: number): void {
    if (this.localWakeUps.has(deliveryId)) return;
    const timer = setTimeout(() => {
      this.localWakeUps.delete(deliveryId);
      void RequestContext.create(this.orm.em, () => this.attempt(deliveryId)).catch((err) => this.logger.warn({ err, deliveryId }, 'a retry in this process failed; the sweeper will pick it up'));
    }, delayMs);
    timer.unref();
    this.localWakeUps.set(deliveryId, timer);
  }

  /** `patient`: the caller is in no hurry for the attempt to be written (see DeliveryRepository). */
  private async record(delivery: DeliveryRow, channel: ChannelEntity | null, outcome: SendOutcome, patient = false): Promise<DeliveryRow> {
    const now = new Date();
    const attempt = delivery.attempts;
    const retry = !outcome.ok && outcome.retryable && attempt < delivery.maxAttempts;
    const delayMs = retry ? Math.max(backoffDelay(attempt, this.backoff), outcome.retryAfterMs ?? 0) : 0;
    const error = outcome.ok ? null : outcome.error;
    const next: DeliveryUpdate = outcome.ok
      ? { status: 'delivered', nextAttemptAt: null, lastError: null, deliveredAt: now }
      : retry
        ? { status: 'retrying', nextAttemptAt: new Date(now.getTime() + delayMs), lastError: error, deliveredAt: null }
        : { status: 'failed', nextAttemptAt: null, lastError: outcome.retryable ? `gave up after ${attempt} attempts: ${error}` : error, deliveredAt: null };
    await this.deliveries.recordAttempt(
      {
        deliveryId: delivery.id,
        channelId: delivery.channelId,
        attempt,
        ok: outcome.ok,
        retryable: !outcome.ok && outcome.retryable,
        httpStatus: outcome.status ?? null,
        latencyMs: Math.round(outcome.latencyMs * 100) / 100,
        error,
        peerAnswer: outcome.peerAnswer ? excerpt(outcome.peerAnswer) : null,
        createdAt: now,
      },
      next,
      patient,
    );
    const labels = { channel: channel?.name ?? delivery.channelId, type: channel?.type ?? 'unknown' };
    this.metrics.channelSendDuration.observe(labels, outcome.latencyMs / 1000);
    this.metrics.channelSends.inc({ ...labels, outcome: next.status === 'retrying' ? 'retrying' : next.status });
    if (retry) await this.schedule(delivery.id, attempt + 1, next.nextAttemptAt!);
    else if (!outcome.ok) this.logger.warn({ deliveryId: delivery.id, channel: labels.channel, attempt, error: next.lastError }, 'delivery failed');
    const settled = { ...delivery, ...next };
    if (!retry && attempt > 1) {
      for (const listener of this.settledListeners) await listener(settled).catch((err) => this.logger.warn({ err, deliveryId: delivery.id }, 'a settled-delivery listener failed'));
    }
    return settled;
  }

  /**
   * The job id names the attempt and its due time, so the sweeper and the retry path never queue
   * the same wake-up twice. While the queue cannot be reached, this process wakes the delivery
   * itself at its due time (the lease keeps two wake-ups from sending twice).
   */
  private async schedule(deliveryId: string, attempt: number, dueAt: Date): Promise<void> {
    const delayMs = Math.max(0, dueAt.getTime() - Date.now());
    if (!this.queue.isAvailable()) {
      this.redis.fellBack('queue', new Error('the job queue is not connected'));
      this.wakeLocally(deliveryId, delayMs);
      return;
    }
    this.redis.recovered('queue');
    try {
      await this.queue.enqueue('delivery.attempt', { deliveryId }, { jobId: `${deliveryId}_${attempt}_${dueAt.getTime()}`, delayMs, attempts: 1 });
    } catch (err) {
      // The row stays 'retrying' with its due time; the sweeper will queue it again.
      this.logger.warn({ err, deliveryId }, 'could not queue a delivery retry; the sweeper will pick it up');
    }
  }
}
