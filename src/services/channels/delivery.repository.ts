import type { EntityManager } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { ChannelMessage } from './message';
import { MicroBatcher } from '../shared/micro-batcher';
import { jsonColumn, runBound } from '../storage/bound-sql';
import { DeliveryAttemptEntity } from '../../entities/channels/delivery-attempt.entity';
import { DeliveryEntity, type DeliveryStatus } from '../../entities/channels/delivery.entity';
import type { PageRequest } from '../../domain/page';

const GROUP_COMMIT = { maxBatch: 64, maxConcurrent: 4 };
/**
 * A patient write waits up to 10 ms for company. The gateway's first attempts are patient: their
 * send runs while the row is written, so the wait is in front of nothing, and fewer statements
 * leave more of the machine to the sends. Other writes go on the next turn of the event loop.
 */
const PATIENT = { ...GROUP_COMMIT, lingerMs: 10 };

/** Two batchers over one write: one for writes something waits on, one for writes nothing does. */
function batchers<I, O>(write: (items: I[]) => Promise<O[]>): { now: MicroBatcher<I, O>; patient: MicroBatcher<I, O> } {
  return { now: new MicroBatcher(write, GROUP_COMMIT), patient: new MicroBatcher(write, PATIENT) };
}

export interface DeliveryFilter {
  channelId?: string;
  /** Only deliveries to these channels (a caller's scope). */
  channelIds?: string[];
  status?: DeliveryStatus;
  /** Only these deliveries (an alert record's). */
  ids?: readonly string[];
}

/** A delivery as the hot path handles it: plain values, no entity tracking. */
export interface DeliveryRow {
  id: string;
  channelId: string;
  idempotencyKey: string;
  source: string;
  status: DeliveryStatus;
  message: ChannelMessage;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: Date | null;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
  priority: number;
  failoverDeliveryId: string | null;
}

export type NewDelivery = Pick<
  DeliveryRow,
  'channelId' | 'idempotencyKey' | 'source' | 'message' | 'maxAttempts' | 'createdAt' | 'priority'
> & { id: string };

/** A new delivery as `insertClaimed` stores it: held by its sender for the first attempt. */
export function heldForFirstAttempt(draft: NewDelivery): DeliveryRow {
  return { ...draft, status: 'sending', attempts: 1, nextAttemptAt: null, lastError: null, deliveredAt: null, failoverDeliveryId: null };
}

/** A new delivery as `insertQueued` stores it: waiting in its channel's queue for the robot. */
function waitingInQueue(draft: NewDelivery): DeliveryRow {
  return {
    ...draft,
    status: 'queued',
    attempts: 0,
    nextAttemptAt: draft.createdAt,
    lastError: null,
    deliveredAt: null,
    failoverDeliveryId: null,
  };
}

export interface AttemptRecord {
  deliveryId: string;
  channelId: string;
  attempt: number;
  ok: boolean;
  retryable: boolean;
  httpStatus: number | null;
  latencyMs: number;
  error: string | null;
  peerAnswer: string | null;
  createdAt: Date;
  /** Deliveries the message carried; 0 when nothing was sent. */
  carried: number;
  robotChannelId: string | null;
  failoverDeliveryId: string | null;
}

export type DeliveryUpdate = Pick<DeliveryRow, 'status' | 'nextAttemptAt' | 'lastError' | 'deliveredAt'> & {
  failoverDeliveryId?: string | null;
};

interface RawDelivery {
  id: string;
  channel_id: string;
  idempotency_key: string;
  source: string;
  status: DeliveryStatus;
  message: ChannelMessage | string;
  attempts: number;
  max_attempts: number;
  next_attempt_at: Date | string | null;
  last_error: string | null;
  created_at: Date | string;
  delivered_at: Date | string | null;
  priority: number;
  failover_delivery_id: string | null;
}

const COLUMNS =
  '"id", "channel_id", "idempotency_key", "source", "status", "message", "attempts", "max_attempts", "next_attempt_at", "last_error", "created_at", "delivered_at", "priority", "failover_delivery_id"';

const dateOrNull = (value: Date | string | null): Date | null => (value === null ? null : new Date(value));

function toRow(raw: RawDelivery): DeliveryRow {
  return {
    id: raw.id,
    channelId: raw.channel_id,
    idempotencyKey: raw.idempotency_key,
    source: raw.source,
    status: raw.status,
    message: jsonColumn<ChannelMessage>(raw.message),
    attempts: raw.attempts,
    maxAttempts: raw.max_attempts,
    nextAttemptAt: dateOrNull(raw.next_attempt_at),
    lastError: raw.last_error,
    createdAt: new Date(raw.created_at),
    deliveredAt: dateOrNull(raw.delivered_at),
    priority: Number(raw.priority),
    failoverDeliveryId: raw.failover_delivery_id,
  };
}

export function rowOf(entity: DeliveryEntity): DeliveryRow {
  return {
    id: entity.id,
    channelId: entity.channel.id,
    idempotencyKey: entity.idempotencyKey,
    source: entity.source,
    status: entity.status,
    message: entity.message,
    attempts: entity.attempts,
    maxAttempts: entity.maxAttempts,
    nextAttemptAt: entity.nextAttemptAt ?? null,
    lastError: entity.lastError ?? null,
    createdAt: entity.createdAt,
    deliveredAt: entity.deliveredAt ?? null,
    priority: entity.priority,
    failoverDeliveryId: entity.failoverDeliveryId ?? null,
  };
}

export interface HealthFigures {
  attempts: number;
  successes: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

/** Storage of deliveries and their attempts, including the atomic claim that gives one sender a delivery. */
export class DeliveryRepository {
  // The first attempt of every delivery passes through both: group commit keeps the statements
  // per delivery constant under load.
  private readonly inserts = batchers((items: Array<{ draft: NewDelivery; leaseUntil: Date | null }>) => this.writeInserts(items));
  private readonly attempts = batchers((items: Array<{ attempt: AttemptRecord; next: DeliveryUpdate }>) => this.writeAttempts(items));

  constructor(private readonly em: EntityManager) {}

  /**
   * Inserts the delivery already held for its first attempt (one statement instead of insert +
   * claim). `claimed` is false when the idempotency key existed: the stored delivery is returned.
   */
  insertClaimed(draft: NewDelivery, now: Date, leaseMs: number, patient = false): Promise<{ row: DeliveryRow; claimed: boolean }> {
    return this.inserts[patient ? 'patient' : 'now'].submit({ draft, leaseUntil: new Date(now.getTime() + leaseMs) });
  }

  /**
   * Inserts the delivery waiting in its channel's queue (the robot decides when it goes).
   * `claimed` is false when the idempotency key existed: the stored delivery is returned.
   */
  insertQueued(draft: NewDelivery): Promise<{ row: DeliveryRow; claimed: boolean }> {
    return this.inserts.now.submit({ draft, leaseUntil: null });
  }

  /** A null lease means queued: no attempt yet, due at once. */
  private async writeInserts(
    items: Array<{ draft: NewDelivery; leaseUntil: Date | null }>,
  ): Promise<Array<{ row: DeliveryRow; claimed: boolean }>> {
    const connection = this.em.getConnection();
    const inserted = await runBound<{ id: string }>(
      this.em,
      `insert into "delivery" ("id", "channel_id", "idempotency_key", "source", "status", "message", "attempts", "max_attempts", "lease_until", "next_attempt_at", "priority", "created_at")
       values ${items.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')} on conflict ("idempotency_key") do nothing returning "id"`,
      items.flatMap(({ draft, leaseUntil }) => [
        draft.id,
        draft.channelId,
        draft.idempotencyKey,
        draft.source,
        leaseUntil ? 'sending' : 'queued',
        JSON.stringify(draft.message),
        leaseUntil ? 1 : 0,
        draft.maxAttempts,
        leaseUntil,
        leaseUntil ? null : draft.createdAt,
        draft.priority,
        draft.createdAt,
      ]),
    );
    const insertedIds = new Set(inserted.map((r) => r.id));
    const repeated = items.filter(({ draft }) => !insertedIds.has(draft.id)).map(({ draft }) => draft.idempotencyKey);
    const existing = new Map<string, DeliveryRow>();
    if (repeated.length > 0) {
      const rows: RawDelivery[] = await connection.execute(
        `select ${COLUMNS} from "delivery" where "idempotency_key" in (${repeated.map(() => '?').join(', ')})`,
        repeated,
      );
      for (const raw of rows) existing.set(raw.idempotency_key, toRow(raw));
    }
    return items.map(({ draft, leaseUntil }) =>
      insertedIds.has(draft.id)
        ? // Inserted: the row is what we just wrote (reading the message back would parse it again for nothing).
          { row: leaseUntil ? heldForFirstAttempt(draft) : waitingInQueue(draft), claimed: true }
        : { row: existing.get(draft.idempotencyKey)!, claimed: false },
    );
  }

  /**
   * Takes the head of a channel's queue for one send: the waiting deliveries that are due, first
   * notices of critical alerts first, then oldest first, each counting an attempt. Replicas
   * draining the same queue take different rows (SKIP LOCKED).
   */
  async claimQueued(channelId: string, now: Date, leaseMs: number, limit: number): Promise<DeliveryRow[]> {
    const rows: RawDelivery[] = await this.em.getConnection().execute(
      `update "delivery" set "status" = 'sending', "lease_until" = ?, "attempts" = "attempts" + 1
        where "id" in (select "id" from "delivery"
                        where "channel_id" = ? and "status" = 'queued' and "next_attempt_at" <= ?
                        order by "priority" desc, "created_at", "id" limit ? for update skip locked)
        returning ${COLUMNS}`,
      [new Date(now.getTime() + leaseMs), channelId, now, limit],
    );
    return rows
      .map(toRow)
      .sort((a, b) => b.priority - a.priority || a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
  }

  /** Puts claimed deliveries back at their place in the queue, the attempt uncounted (they did not fit in the message). */
  async release(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.em
      .getConnection()
      .execute(
        `update "delivery" set "status" = 'queued', "lease_until" = null, "attempts" = "attempts" - 1, "next_attempt_at" = coalesce("next_attempt_at", "created_at") where "id" in (${ids.map(() => '?').join(', ')}) and "status" = 'sending'`,
        [...ids],
      );
  }

  /** Channels with deliveries waiting in their queue, and when the first of them is due. */
  async findQueues(limit: number): Promise<Array<{ channelId: string; dueAt: Date }>> {
    const rows: Array<{ channel_id: string; due_at: Date | string }> = await this.em
      .getConnection()
      .execute(
        `select "channel_id", min("next_attempt_at") as "due_at" from "delivery" where "status" = 'queued' group by "channel_id" order by 2 limit ?`,
        [limit],
      );
    return rows.map((r) => ({ channelId: r.channel_id, dueAt: new Date(r.due_at) }));
  }

  /**
   * Takes a delivery for one attempt if it is due and nobody holds it (or the holder's lease ran
   * out), counting the attempt. Returns null when there is nothing to do.
   */
  async claim(id: string, now: Date, leaseMs: number): Promise<DeliveryRow | null> {
    const rows: RawDelivery[] = await this.em.getConnection().execute(
      `update "delivery" set "status" = 'sending', "lease_until" = ?, "attempts" = "attempts" + 1
        where "id" = ?
          and (("status" in ('pending', 'retrying') and ("next_attempt_at" is null or "next_attempt_at" <= ?))
               or ("status" = 'sending' and "lease_until" < ?))
        returning ${COLUMNS}`,
      [new Date(now.getTime() + leaseMs), id, now, now],
    );
    return rows[0] ? toRow(rows[0]) : null;
  }

  /** Stores an attempt and the delivery's new state in one statement (atomic; shared with attempts finishing at the same moment). */
  async recordAttempt(attempt: AttemptRecord, next: DeliveryUpdate, patient = false): Promise<void> {
    await this.attempts[patient ? 'patient' : 'now'].submit({ attempt, next });
  }

  private async writeAttempts(items: Array<{ attempt: AttemptRecord; next: DeliveryUpdate }>): Promise<undefined[]> {
    await runBound(
      this.em,
      `with "attempt" as (
         insert into "delivery_attempt" ("id", "delivery_id", "channel_id", "attempt", "ok", "retryable", "http_status", "latency_ms", "error", "peer_answer", "created_at", "carried", "robot_channel_id", "failover_delivery_id")
         values ${items.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')})
       update "delivery" as d set "status" = v.status, "lease_until" = null, "next_attempt_at" = v.next_attempt_at, "last_error" = v.last_error, "delivered_at" = v.delivered_at,
              "failover_delivery_id" = coalesce(v.failover_delivery_id, d."failover_delivery_id")
         from (values ${items.map(() => '(?::uuid, ?, ?::timestamptz, ?, ?::timestamptz, ?::uuid)').join(', ')}) as v(id, status, next_attempt_at, last_error, delivered_at, failover_delivery_id)
        where d."id" = v.id`,
      [
        ...items.flatMap(({ attempt: a }) => [
          randomUUID(),
          a.deliveryId,
          a.channelId,
          a.attempt,
          a.ok,
          a.retryable,
          a.httpStatus,
          a.latencyMs,
          a.error,
          a.peerAnswer,
          a.createdAt,
          a.carried,
          a.robotChannelId,
          a.failoverDeliveryId,
        ]),
        ...items.flatMap(({ attempt: a, next: n }) => [
          a.deliveryId,
          n.status,
          n.nextAttemptAt,
          n.lastError,
          n.deliveredAt,
          n.failoverDeliveryId ?? null,
        ]),
      ],
    );
    return items.map(() => undefined);
  }

  async findRow(id: string): Promise<DeliveryRow | null> {
    const rows: RawDelivery[] = await this.em.getConnection().execute(`select ${COLUMNS} from "delivery" where "id" = ?`, [id]);
    return rows[0] ? toRow(rows[0]) : null;
  }

  /** Deliveries that are due, or whose sender vanished, with when they are due. */
  async findWaking(now: Date, limit: number): Promise<Array<{ id: string; attempts: number; dueAt: Date }>> {
    const rows: Array<{ id: string; attempts: number; due_at: Date | string }> = await this.em.getConnection().execute(
      `select "id", "attempts", coalesce(case when "status" = 'sending' then "lease_until" else "next_attempt_at" end, "created_at") as "due_at"
         from "delivery"
        where ("status" in ('pending', 'retrying')) or ("status" = 'sending' and "lease_until" < ?)
        order by "due_at" limit ?`,
      [now, limit],
    );
    return rows.map((r) => ({ id: r.id, attempts: r.attempts, dueAt: new Date(r.due_at) }));
  }

  async findPage(filter: DeliveryFilter, page: PageRequest): Promise<{ items: DeliveryEntity[]; total: number }> {
    const where: Record<string, unknown> = {};
    if (filter.channelId && filter.channelIds && !filter.channelIds.includes(filter.channelId)) return { items: [], total: 0 };
    if (filter.channelId) where.channel = filter.channelId;
    else if (filter.channelIds) where.channel = { $in: filter.channelIds };
    if (filter.status) where.status = filter.status;
    if (filter.ids) where.id = { $in: [...filter.ids] };
    const [items, total] = await this.em.findAndCount(DeliveryEntity, where, {
      populate: ['channel'],
      orderBy: { createdAt: page.order, id: page.order },
      limit: page.limit,
      offset: page.offset,
    });
    return { items, total };
  }

  attemptsOf(deliveryId: string): Promise<DeliveryAttemptEntity[]> {
    return this.em.find(DeliveryAttemptEntity, { delivery: deliveryId }, { orderBy: { attempt: 'asc' } });
  }

  async healthSince(
    channelId: string,
    since: Date,
  ): Promise<HealthFigures & { lastError: string | null; lastErrorAt: Date | null; recentFailures: number }> {
    const [figures]: Array<{ attempts: string; successes: string; p50: number | null; p95: number | null }> = await this.em
      .getConnection()
      .execute(
        `select count(*) as "attempts", count(*) filter (where "ok") as "successes",
              percentile_cont(0.5) within group (order by "latency_ms") as "p50",
              percentile_cont(0.95) within group (order by "latency_ms") as "p95"
         from "delivery_attempt" where "channel_id" = ? and "created_at" >= ? and "carried" > 0`,
        [channelId, since],
      );
    const recent: Array<{ ok: boolean; error: string | null; created_at: Date | string }> = await this.em
      .getConnection()
      .execute(
        `select "ok", "error", "created_at" from "delivery_attempt" where "channel_id" = ? and "carried" > 0 order by "created_at" desc limit 3`,
        [channelId],
      );
    const lastFailure = recent.find((r) => !r.ok);
    let recentFailures = 0;
    for (const r of recent) {
      if (r.ok) break;
      recentFailures += 1;
    }
    return {
      attempts: Number(figures.attempts),
      successes: Number(figures.successes),
      p50Ms: figures.p50 === null ? null : Number(figures.p50),
      p95Ms: figures.p95 === null ? null : Number(figures.p95),
      lastError: lastFailure?.error ?? null,
      lastErrorAt: lastFailure ? new Date(lastFailure.created_at) : null,
      recentFailures,
    };
  }
}
