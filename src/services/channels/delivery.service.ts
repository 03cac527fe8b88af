import { inSpan, SpanStatusCode } from '../observability/tracing';
import { RequestContext, type MikroORM } from '@mikro-orm/core';
import { Mutex } from 'async-mutex';
import { randomUUID } from 'node:crypto';
import type { Config } from '../../config';
import type { ChannelEntity } from '../../entities/channels/channel.entity';
import { BadUserInputError, NotFoundError } from '../../errors';
import type { Logger } from '../../shared/logger';
import type { Metrics } from '../observability/metrics';
import type { JobQueue } from '../queue/job-queue';
import { backoffDelay, type BackoffPolicy } from '../../shared/backoff';
import { excerpt, type PeerClient } from '../../shared/http-post';
import { displayableValue, quoteMessageValues, type ProbeOutcome, type SendOutcome } from './channel-plugin';
import type { ChannelService, SendableChannel } from './channel.service';
import {
  heldForFirstAttempt,
  rowOf,
  type DeliveryFilter,
  type DeliveryRepository,
  type DeliveryRow,
  type DeliveryUpdate,
} from './delivery.repository';
import type { DeliveryAttemptEntity } from '../../entities/channels/delivery-attempt.entity';
import type { Page, PageRequest } from '../../domain/page';
import type { Principal } from '../security/principal';
import type { ChannelMessage } from './message';
import type { RenderedMessage, TemplateRenderer } from './templates';
import type { RedisFallbackMonitor } from '../shared/redis-fallbacks';
import { PeriodicTask } from '../shared/periodic-task';
import type { ChannelHealthService } from './channel-health.service';
import { policyOf, priorityOf, type DeliveryPolicy } from './delivery-policy';
import { mergeHead, type Waiting } from './merged-message';
import type { Robot, RobotPool } from './robot-pool';

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

/** A delivery as lists show it: its row and its channel's name. */
export type DeliveryView = DeliveryRow & { channelName: string };

/** How an attempt was made, for its record. */
interface AttemptContext {
  /** The caller is in no hurry for the attempt to be written (see DeliveryRepository). */
  patient?: boolean;
  /** The delivery waits in its channel's queue: a retry goes back there, not to its own wake-up. */
  queued?: boolean;
  /** Deliveries the message carried; 0 when nothing was sent (handed over at once). */
  carried?: number;
  robotChannelId?: string | null;
}

const SWEEP_BATCH = 500;
const NOTHING_RENDERED: RenderedMessage = { title: '', body: '' };
/** Deliveries one message may carry at most when a queue is merged. */
const MERGE_MAX = 100;
/** Messages one drain sends before it lets others have the event loop (it goes on from a wake-up). */
const DRAIN_ROUNDS = 20;
/** While a channel is down and has a backup, one message this often still tries the channel itself. */
const TRIAL_EVERY_MS = 30_000;
const HEALTH_DOWN: SendOutcome = { ok: false, retryable: false, latencyMs: 0, error: 'the channel is down (health)' };

export interface DeliveryServiceDeps {
  orm: MikroORM;
  deliveries: DeliveryRepository;
  channels: ChannelService;
  queue: JobQueue;
  metrics: Metrics;
  settings: Config['delivery'];
  logger: Logger;
  templates: TemplateRenderer;
  redis: RedisFallbackMonitor;
  peers: PeerClient;
  robots: RobotPool;
  health: Pick<ChannelHealthService, 'statusOf' | 'forget'>;
}

/**
 * Delivers messages to channels: the first attempt runs at once (pass-through); a failure that
 * may pass is retried with exponential backoff through the queue; every attempt is recorded.
 * The delivery row is the durable truth and a lease guards each attempt, so a crash or restart
 * neither loses a delivery nor sends it twice at once.
 */
export class DeliveryService {
  private readonly sweeper: PeriodicTask;
  /** Retries kept in this process while the queue cannot be reached, by delivery. */
  private readonly localWakeUps = new Map<string, NodeJS.Timeout>();
  /** Queued deliveries a drain of this process has taken, until their outcome is recorded. */
  private readonly inFlight = new Map<string, Promise<void>>();
  /**
   * Claims of one channel's queue in this process, one at a time: a drain that finds nothing to
   * claim knows every earlier claim has registered what it took (see inFlight).
   */
  private readonly claimLocks = new Map<string, Mutex>();
  /** Queued deliveries whose caller is waiting to report their outcome itself, with it once recorded. */
  private readonly reportedByCaller = new Map<string, DeliveryRow | null>();
  /** When a down channel with a backup last let a message try it. */
  private readonly trials = new Map<string, number>();
  private readonly settledListeners: Array<(delivery: DeliveryRow) => Promise<void>> = [];
  private readonly backoff: BackoffPolicy;

  constructor(private readonly deps: DeliveryServiceDeps) {
    this.backoff = { baseMs: deps.settings.backoffBaseMs, maxMs: deps.settings.backoffMaxMs, jitter: 0.2 };
    this.sweeper = new PeriodicTask('delivery', () => this.resume(), deps.logger);
  }

  /**
   * Stores the delivery, tries it once right away, and returns it as it stands after that try.
   * A channel whose robot has a rate limit (or a pool) takes it through its queue: sent at once
   * while the robot has room, else merged with what waits when the robot takes the next one.
   */
  async deliver(channelId: string, message: ChannelMessage, options: DeliverOptions): Promise<DeliveryRow> {
    const sendable = NotFoundError.assert(await this.deps.channels.sendable(channelId), 'channel', channelId);
    const now = new Date();
    const draft = {
      id: randomUUID(),
      channelId,
      idempotencyKey: options.idempotencyKey ?? randomUUID(),
      source: options.source,
      message,
      maxAttempts: options.maxAttempts ?? this.deps.settings.maxAttempts,
      createdAt: now,
      priority: priorityOf(message),
    };
    const policy = policyOf(sendable.channel.deliveryPolicy);
    if (await this.handsOverAtOnce(sendable, policy, options.source)) {
      const { row, claimed } = await this.deps.deliveries.insertClaimed(draft, now, this.deps.settings.leaseMs);
      return claimed ? this.record(row, sendable.channel, HEALTH_DOWN, { carried: 0 }) : row;
    }
    // Test messages are asked for by a person waiting for the answer: they never queue.
    if (options.source !== 'test' && (await this.deps.robots.robotsOf(sendable))) return this.deliverQueued(draft, sendable);
    const stored = this.deps.deliveries.insertClaimed(draft, now, this.deps.settings.leaseMs, options.sendWhileStoring);
    if (!options.sendWhileStoring) {
      const { row, claimed } = await stored;
      // The channel is in hand and sends unqueued: no need to load it again as a retry would.
      return claimed ? this.record(row, sendable.channel, await this.attemptOutcome(sendable, row)) : row;
    }
    // The attempt is recorded only once the row exists; if storing fails the caller hears of it
    // and hands the message over again later (which may send it twice, never zero times).
    const row = heldForFirstAttempt(draft);
    const [outcome, existing] = await Promise.all([this.attemptOutcome(sendable, row), stored]);
    if (!existing.claimed) {
      this.deps.logger.warn(
        { idempotencyKey: draft.idempotencyKey },
        'a delivery sent while storing already existed; it went out once more',
      );
      return existing.row;
    }
    return this.record(row, sendable.channel, outcome, { patient: true });
  }

  /** Puts the delivery in its channel's queue and drains the queue once; answers the delivery as it stands after. */
  private async deliverQueued(draft: Parameters<DeliveryRepository['insertQueued']>[0], sendable: SendableChannel): Promise<DeliveryRow> {
    const { row, claimed } = await this.deps.deliveries.insertQueued(draft);
    if (!claimed) return row;
    this.reportedByCaller.set(row.id, null);
    try {
      await this.drain(row.channelId);
      // Another drain of this process may have taken it: its outcome is what the caller waits for.
      await this.inFlight.get(row.id);
      const after = this.reportedByCaller.get(row.id) ?? (await this.deps.deliveries.findRow(row.id)) ?? row;
      if (after.status === 'queued') this.deps.metrics.channelQueued.inc({ channel: sendable.channel.name, type: sendable.plugin.type });
      return after;
    } finally {
      this.reportedByCaller.delete(row.id);
    }
  }

  /**
   * A channel that is down hands a message straight to its backup instead of making it wait for
   * retries, except one message every TRIAL_EVERY_MS, which tries the channel (and so finds it back up).
   */
  private async handsOverAtOnce(sendable: SendableChannel, policy: DeliveryPolicy, source: string): Promise<boolean> {
    if (!policy.backupChannelId || !policy.failoverWhenDown || source === 'test' || source === 'failover') return false;
    const id = sendable.channel.id;
    if ((await this.deps.health.statusOf(id)) !== 'down') {
      this.trials.delete(id);
      return false;
    }
    // The failures that made it down were its last try; the next one is due TRIAL_EVERY_MS later.
    const now = Date.now();
    const last = this.trials.get(id);
    if (last !== undefined && now - last >= TRIAL_EVERY_MS) {
      this.trials.set(id, now);
      return false;
    }
    if (last === undefined) this.trials.set(id, now);
    return true;
  }

  /** One attempt, if the delivery is due and nobody else holds it; returns its state after. Safe to call any number of times. */
  async attempt(deliveryId: string): Promise<DeliveryRow | null> {
    const delivery = await this.deps.deliveries.claim(deliveryId, new Date(), this.deps.settings.leaseMs);
    return delivery ? this.runAttempt(delivery) : null;
  }

  /** Sends a delivery this process holds (its lease) and records the outcome. */
  private async runAttempt(delivery: DeliveryRow): Promise<DeliveryRow> {
    const sendable = await this.deps.channels.sendable(delivery.channelId);
    if (sendable && delivery.source !== 'test' && (await this.deps.robots.robotsOf(sendable))) {
      // The channel's robot has a limit (set since, or this row was left mid-send by a crash): it takes its turn in the queue.
      await this.deps.deliveries.release([delivery.id]);
      await this.drain(delivery.channelId);
      return (await this.deps.deliveries.findRow(delivery.id)) ?? delivery;
    }
    return this.record(delivery, sendable?.channel ?? null, await this.attemptOutcome(sendable, delivery));
  }

  /**
   * Sends what waits in a channel's queue while its robots have room: each message carries the
   * head of the queue, merged within the type's size budget. When no robot has room, a wake-up is
   * set for when one will. Drains of one channel may run side by side, in this process or on
   * other replicas: each takes different deliveries (SKIP LOCKED) and tokens from the same bucket.
   */
  private async drain(channelId: string): Promise<void> {
    for (let round = 0; round < DRAIN_ROUNDS; round += 1) {
      const sendable = await this.deps.channels.sendable(channelId);
      if (!sendable) return; // deleted: its deliveries went with it
      const robots = (await this.deps.robots.robotsOf(sendable)) ?? [{ sendable, memberId: null, limit: null }];
      let finish = () => {};
      const done = new Promise<void>((resolve) => (finish = resolve));
      // Claimed first, tokens after: a drain that finds nothing to send holds no token another one needs.
      const claimed = await this.claimLock(channelId).runExclusive(async () => {
        const rows = await this.deps.deliveries.claimQueued(channelId, new Date(), this.deps.settings.leaseMs, MERGE_MAX);
        for (const row of rows) this.inFlight.set(row.id, done);
        return rows;
      });
      try {
        if (claimed.length === 0) return;
        const pick = await this.deps.robots.acquire(channelId, robots);
        if ('waitMs' in pick) {
          await this.deps.deliveries.release(claimed.map((row) => row.id));
          return this.scheduleDrain(channelId, pick.waitMs);
        }
        const waitMs = await this.sendClaimed(sendable, robots, pick.robot, claimed);
        if (waitMs > 0) return this.scheduleDrain(channelId, waitMs);
      } finally {
        for (const row of claimed) this.inFlight.delete(row.id);
        finish();
      }
    }
    await this.scheduleDrain(channelId, 0);
  }

  private claimLock(channelId: string): Mutex {
    let lock = this.claimLocks.get(channelId);
    if (!lock) this.claimLocks.set(channelId, (lock = new Mutex()));
    return lock;
  }

  /**
   * While the robots have room, each claimed delivery goes alone; what is left when they run out
   * shares the last message. Sends go one after the other (their order is the queue's); their
   * records are written together. Answers 0, or how long until a robot has room again.
   */
  private async sendClaimed(sendable: SendableChannel, robots: Robot[], first: Robot, claimed: DeliveryRow[]): Promise<number> {
    const channelId = sendable.channel.id;
    const carriers = [first, ...(await this.deps.robots.acquireMore(channelId, robots, first, claimed.length - 1))];
    const records: Array<Promise<unknown>> = [];
    try {
      for (const [index, robot] of carriers.entries()) {
        const last = index === carriers.length - 1;
        const { waitMs, recorded } = await this.sendHead(sendable, robot, last ? claimed.slice(index) : [claimed[index]!], robots.length);
        records.push(recorded);
        if (waitMs > 0) {
          for (const unused of carriers.slice(index + 1)) await this.deps.robots.refund(unused);
          await this.deps.deliveries.release(claimed.slice(index + 1).map((row) => row.id));
          return waitMs;
        }
        this.deps.robots.sentThrough(channelId, robots, robot);
      }
      return 0;
    } finally {
      await Promise.all(records);
    }
  }

  /**
   * Sends the head of a queue through one robot as one message; what does not fit goes back to
   * its place. Answers how long to wait when the message costs more than the robot has left (0
   * when it went), and the writing of its outcome.
   */
  private async sendHead(
    sendable: SendableChannel,
    robot: Robot,
    claimed: DeliveryRow[],
    poolSize: number,
  ): Promise<{ waitMs: number; recorded: Promise<unknown> }> {
    const how: AttemptContext = { queued: true, robotChannelId: robot.memberId };
    const nothing = { waitMs: 0, recorded: Promise.resolve() };
    if (!sendable.channel.enabled) {
      await this.deps.robots.refund(robot);
      await Promise.all(
        claimed.map((row) =>
          this.record(row, sendable.channel, { ok: false, retryable: false, latencyMs: 0, error: 'channel is disabled' }, how),
        ),
      );
      return nothing;
    }
    const waiting: Array<Waiting<DeliveryRow>> = [];
    for (const row of claimed) {
      try {
        waiting.push({ row, rendered: await this.render(sendable, row) });
      } catch (err) {
        await this.record(row, sendable.channel, unsendable(err), how);
      }
    }
    if (waiting.length === 0) {
      await this.deps.robots.refund(robot);
      return nothing;
    }
    const budget = sendable.plugin.mergeBudgetBytes?.(robot.sendable.config) ?? null;
    const { carried, rest, rendered, message } = mergeHead(waiting, budget, robot.limit?.perMinute ?? null);
    const waitMs = await this.deps.robots.takeMore(robot, (sendable.plugin.requestsPerMessage?.(message) ?? 1) - 1);
    if (waitMs > 0) {
      await this.deps.robots.refund(robot);
      await this.deps.deliveries.release(waiting.map((w) => w.row.id));
      return { waitMs, recorded: Promise.resolve() };
    }
    await this.deps.deliveries.release(rest.map((w) => w.row.id));
    const head = carried[0]!.row;
    const sent = await this.traced(robot.sendable, head, carried.length, () => this.post(robot.sendable, rendered, message, head));
    this.deps.robots.report(robot, sent.ok);
    // What one robot of a pool refuses for good (a revoked token) another may still take: retried there.
    const outcome: SendOutcome = !sent.ok && !sent.retryable && poolSize > 1 ? { ...sent, retryable: true } : sent;
    if (carried.length > 1)
      this.deps.metrics.channelMerged.inc({ channel: sendable.channel.name, type: sendable.plugin.type }, carried.length);
    return {
      waitMs: 0,
      recorded: Promise.all(carried.map((w) => this.record(w.row, sendable.channel, outcome, { ...how, carried: carried.length }))),
    };
  }

  private async attemptOutcome(sendable: SendableChannel | null, delivery: DeliveryRow): Promise<SendOutcome> {
    if (!sendable) return { ok: false, retryable: false, latencyMs: 0, error: 'channel no longer exists' };
    if (!sendable.channel.enabled && delivery.source !== 'test')
      return { ok: false, retryable: false, latencyMs: 0, error: 'channel is disabled' };
    return this.send(sendable, delivery);
  }

  /** Checks a channel's reachability and credentials without posting, for the types whose protocol allows it. */
  /** Deliveries to the channels a reader may see (all of them without a reader), with their channel's name. */
  async page(filter: Omit<DeliveryFilter, 'channelIds'>, page: PageRequest, reader: Principal | null): Promise<Page<DeliveryView>> {
    const channelIds = reader ? await this.deps.channels.visibleChannelIds(reader) : null;
    const { items, total } = await this.deps.deliveries.findPage({ ...filter, channelIds: channelIds ?? undefined }, page);
    return { items: items.map((d) => ({ ...rowOf(d), channelName: d.channel.name })), total };
  }

  /** One delivery, if the reader may see its channel. */
  async get(id: string, reader: Principal | null): Promise<DeliveryView> {
    const ids = [BadUserInputError.assertUuid(id, 'id', 'expected a delivery id')];
    const { items } = await this.page({ ids }, { limit: 1, offset: 0, order: 'desc' }, reader);
    return NotFoundError.assert(items[0], 'delivery', id);
  }

  /** Every attempt of a delivery, oldest first. */
  attemptsOf(deliveryId: string): Promise<DeliveryAttemptEntity[]> {
    return this.deps.deliveries.attemptsOf(deliveryId);
  }

  async probe(channelId: string): Promise<ProbeOutcome> {
    const sendable = NotFoundError.assert(await this.deps.channels.sendable(channelId), 'channel', channelId);
    if (!sendable.plugin.probe) {
      throw BadUserInputError.forField(
        'id',
        `a ${sendable.plugin.type} channel cannot be checked without posting a message; use testChannel`,
      );
    }
    return sendable.plugin.probe(sendable.config, { peers: this.deps.peers });
  }

  find(id: string): Promise<DeliveryRow | null> {
    return this.deps.deliveries.findRow(id);
  }

  /** Queues every delivery that is due or was orphaned by a crashed sender; runs at start-up and on a timer. */
  async resume(): Promise<number> {
    const now = new Date();
    const waking = await RequestContext.create(this.deps.orm.em, () => this.deps.deliveries.findWaking(now, SWEEP_BATCH));
    for (const { id, attempts, dueAt } of waking) await this.schedule(id, attempts + 1, dueAt);
    const queues = await RequestContext.create(this.deps.orm.em, () => this.deps.deliveries.findQueues(SWEEP_BATCH));
    for (const { channelId, dueAt } of queues) await this.scheduleDrain(channelId, dueAt.getTime() - now.getTime());
    return waking.length + queues.length;
  }

  /** Called when a delivery reaches delivered or failed after a retry (first attempts are reported by their caller). */
  onSettledAfterRetry(listener: (delivery: DeliveryRow) => Promise<void>): void {
    this.settledListeners.push(listener);
  }

  registerProcessor(): void {
    this.deps.queue.process(
      'delivery.attempt',
      async ({ data }) => {
        await this.attempt(data.deliveryId);
      },
      { concurrency: this.deps.settings.concurrency },
    );
    this.deps.queue.process('delivery.drain', ({ data }) => this.drain(data.channelId));
  }

  startSweeper(): void {
    this.sweeper.start(this.deps.settings.sweepIntervalMs, true);
  }

  stop(): void {
    this.sweeper.stop();
    for (const timer of this.localWakeUps.values()) clearTimeout(timer);
    this.localWakeUps.clear();
  }

  private send(sendable: SendableChannel, delivery: DeliveryRow): Promise<SendOutcome> {
    return this.traced(sendable, delivery, 1, async () => {
      let rendered: RenderedMessage;
      try {
        rendered = await this.render(sendable, delivery);
      } catch (err) {
        return unsendable(err);
      }
      return this.post(sendable, rendered, delivery.message, delivery);
    });
  }

  /** A send inside its trace span, marked with its outcome. */
  private traced(
    sendable: SendableChannel,
    delivery: DeliveryRow,
    carried: number,
    send: () => Promise<SendOutcome>,
  ): Promise<SendOutcome> {
    const attributes = () => ({
      'alertagent.channel': sendable.channel.name,
      'alertagent.channel_type': sendable.plugin.type,
      'alertagent.delivery_id': delivery.id,
      'alertagent.attempt': delivery.attempts,
      'alertagent.carried': carried,
    });
    return inSpan(`channel.send ${sendable.plugin.type}`, attributes, async (span) => {
      const outcome = await send();
      span.setAttribute('alertagent.outcome', outcome.ok ? 'delivered' : outcome.retryable ? 'retrying' : 'failed');
      if (!outcome.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error });
      return outcome;
    });
  }

  /** The delivery's message through the channel's templates, values quoted for its markup first. Throws when a template fails. */
  private async render(sendable: SendableChannel, delivery: DeliveryRow): Promise<RenderedMessage> {
    const renders = sendable.plugin.rendersTemplates?.(sendable.config) ?? true;
    if (!renders) return NOTHING_RENDERED;
    const quote = sendable.plugin.quoteValue;
    const forTemplates = quoteMessageValues(delivery.message, quote ? (value) => quote(displayableValue(value)) : displayableValue);
    const rendered = await this.deps.templates.render(sendable.templates, forTemplates, sendable.channel.name);
    if (rendered.fallback)
      this.deps.logger.warn(
        { deliveryId: delivery.id, channel: sendable.channel.name, reason: rendered.fallback },
        'channel templates fell back to the defaults',
      );
    return rendered;
  }

  private async post(
    sendable: SendableChannel,
    rendered: RenderedMessage,
    message: ChannelMessage,
    delivery: DeliveryRow,
  ): Promise<SendOutcome> {
    try {
      return await sendable.plugin.send(sendable.config, rendered, message, {
        idempotencyKey: delivery.idempotencyKey,
        peers: this.deps.peers,
        attempt: delivery.attempts,
        now: new Date(),
      });
    } catch (err) {
      return unsendable(err);
    }
  }

  /** Runs `work` (by default the delivery's next attempt) after `delayMs` in this process, once per key. */
  private wakeLocally(key: string, delayMs: number, work: () => Promise<unknown> = () => this.attempt(key)): void {
    if (this.localWakeUps.has(key)) return;
    const timer = setTimeout(() => {
      this.localWakeUps.delete(key);
      void RequestContext.create(this.deps.orm.em, work).catch((err) =>
        this.deps.logger.warn({ err, key }, 'a wake-up in this process failed; the sweeper will pick it up'),
      );
    }, delayMs);
    timer.unref();
    this.localWakeUps.set(key, timer);
  }

  private async record(
    delivery: DeliveryRow,
    channel: ChannelEntity | null,
    outcome: SendOutcome,
    how: AttemptContext = {},
  ): Promise<DeliveryRow> {
    const now = new Date();
    const attempt = delivery.attempts;
    const mayRetry = !outcome.ok && outcome.retryable && attempt < delivery.maxAttempts;
    let retry = mayRetry;
    const delayMs = mayRetry ? Math.max(backoffDelay(attempt, this.backoff), outcome.retryAfterMs ?? 0) : 0;
    const error = outcome.ok ? null : outcome.error;
    let next: DeliveryUpdate = outcome.ok
      ? { status: 'delivered', nextAttemptAt: null, lastError: null, deliveredAt: now }
      : retry
        ? {
            status: how.queued ? 'queued' : 'retrying',
            nextAttemptAt: new Date(now.getTime() + delayMs),
            lastError: error,
            deliveredAt: null,
          }
        : {
            status: 'failed',
            nextAttemptAt: null,
            lastError: outcome.retryable ? `gave up after ${attempt} attempts: ${error}` : error,
            deliveredAt: null,
          };
    const handedOver = outcome.ok ? null : await this.handOverIfDue(delivery, channel, retry, how.carried === 0, now);
    if (handedOver) {
      retry = false;
      const after = how.carried === 0 ? 'at once' : `after ${attempt} attempt${attempt === 1 ? '' : 's'}`;
      next = {
        status: 'failed',
        nextAttemptAt: null,
        lastError: `handed over to channel ${handedOver.name} ${after}: ${error}`,
        deliveredAt: null,
        failoverDeliveryId: handedOver.id,
      };
    }
    await this.deps.deliveries.recordAttempt(
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
        carried: how.carried ?? 1,
        robotChannelId: how.robotChannelId ?? null,
        failoverDeliveryId: handedOver?.id ?? null,
      },
      next,
      how.patient,
    );
    if (!outcome.ok && how.carried !== 0) this.deps.health.forget(delivery.channelId);
    const labels = { channel: channel?.name ?? delivery.channelId, type: channel?.type ?? 'unknown' };
    if (how.carried !== 0) this.deps.metrics.channelSendDuration.observe(labels, outcome.latencyMs / 1000);
    this.deps.metrics.channelSends.inc({ ...labels, outcome: next.status === 'queued' ? 'retrying' : next.status });
    if (handedOver) this.deps.metrics.channelFailovers.inc({ channel: labels.channel, backup: handedOver.name });
    if (retry && how.queued) await this.scheduleDrain(delivery.channelId, delayMs);
    else if (retry) await this.schedule(delivery.id, attempt + 1, next.nextAttemptAt!);
    else if (!outcome.ok)
      this.deps.logger.warn({ deliveryId: delivery.id, channel: labels.channel, attempt, error: next.lastError }, 'delivery failed');
    const settled = { ...delivery, ...next, failoverDeliveryId: next.failoverDeliveryId ?? delivery.failoverDeliveryId };
    // Callers report first attempts themselves; a queued delivery is reported here unless its caller is still waiting for it.
    const reportHere = attempt > 1 || (how.queued === true && !this.reportedByCaller.has(delivery.id));
    if (this.reportedByCaller.has(delivery.id)) this.reportedByCaller.set(delivery.id, settled);
    if (!retry && reportHere) {
      for (const listener of this.settledListeners)
        await listener(settled).catch((err) =>
          this.deps.logger.warn({ err, deliveryId: delivery.id }, 'a settled-delivery listener failed'),
        );
    }
    return settled;
  }

  /**
   * Hands the message to the channel's backup when the policy says it is time: the channel is
   * down (`atOnce`), the delivery has given up, failed often enough, or waited long enough. Test
   * messages and messages already handed over are not handed on (no loops between channels).
   */
  private async handOverIfDue(
    delivery: DeliveryRow,
    channel: ChannelEntity | null,
    retrying: boolean,
    atOnce: boolean,
    now: Date,
  ): Promise<{ id: string; name: string } | null> {
    if (!channel || delivery.source === 'test' || delivery.source === 'failover') return null;
    const policy = policyOf(channel.deliveryPolicy);
    if (!policy.backupChannelId || policy.backupChannelId === channel.id) return null;
    const due =
      atOnce ||
      !retrying ||
      delivery.attempts >= policy.failoverAfterAttempts ||
      now.getTime() - delivery.createdAt.getTime() >= policy.failoverAfterSeconds * 1000;
    if (!due) return null;
    try {
      const backup = await this.deliver(policy.backupChannelId, delivery.message, {
        idempotencyKey: `failover:${delivery.id}`,
        source: 'failover',
      });
      const name = (await this.deps.channels.sendable(policy.backupChannelId))?.channel.name ?? policy.backupChannelId;
      return { id: backup.id, name };
    } catch (err) {
      this.deps.logger.warn(
        { err, deliveryId: delivery.id, backup: policy.backupChannelId },
        'could not hand a delivery over to the backup channel; it goes on as if there were none',
      );
      return null;
    }
  }

  /** Wakes a channel's queue after `delayMs` (through the job queue, or in this process while it is away). */
  private async scheduleDrain(channelId: string, delayMs: number): Promise<void> {
    const dueAt = Date.now() + Math.max(0, delayMs);
    if (!this.deps.queue.isAvailable()) {
      this.deps.redis.fellBack('queue', new Error('the job queue is not connected'));
      this.wakeLocally(`drain:${channelId}`, Math.max(0, delayMs), () => this.drain(channelId));
      return;
    }
    try {
      // One wake-up per channel and second: drains finding the robot busy at once do not pile up jobs.
      await this.deps.queue.enqueue(
        'delivery.drain',
        { channelId },
        {
          jobId: `drain_${channelId}_${Math.ceil(dueAt / 1000)}`,
          delayMs: Math.max(0, Math.ceil(dueAt / 1000) * 1000 - Date.now()),
          attempts: 1,
        },
      );
    } catch (err) {
      this.deps.logger.warn({ err, channelId }, 'could not queue a wake-up of a channel queue; the sweeper will pick it up');
    }
  }

  /**
   * The job id names the attempt and its due time, so the sweeper and the retry path never queue
   * the same wake-up twice. While the queue cannot be reached, this process wakes the delivery
   * itself at its due time (the lease keeps two wake-ups from sending twice).
   */
  private async schedule(deliveryId: string, attempt: number, dueAt: Date): Promise<void> {
    const delayMs = Math.max(0, dueAt.getTime() - Date.now());
    if (!this.deps.queue.isAvailable()) {
      this.deps.redis.fellBack('queue', new Error('the job queue is not connected'));
      this.wakeLocally(deliveryId, delayMs);
      return;
    }
    this.deps.redis.recovered('queue');
    try {
      await this.deps.queue.enqueue(
        'delivery.attempt',
        { deliveryId },
        { jobId: `${deliveryId}_${attempt}_${dueAt.getTime()}`, delayMs, attempts: 1 },
      );
    } catch (err) {
      // The row stays 'retrying' with its due time; the sweeper will queue it again.
      this.deps.logger.warn({ err, deliveryId }, 'could not queue a delivery retry; the sweeper will pick it up');
    }
  }
}

/** A template that fails at render time, or a plugin bug: retrying the same input cannot help. */
function unsendable(err: unknown): SendOutcome {
  return { ok: false, retryable: false, latencyMs: 0, error: `could not send: ${(err as Error).message}` };
}
