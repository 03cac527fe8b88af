import type { EntityManager } from '@mikro-orm/core';
import { DeliveryAttemptEntity } from '../../entities/channels/delivery-attempt.entity';
import { DeliveryEntity, type DeliveryStatus } from '../../entities/channels/delivery.entity';
import type { PageRequest } from '../security/audit.repository';

export interface DeliveryFilter {
  channelId?: string;
  status?: DeliveryStatus;
}

export interface HealthFigures {
  attempts: number;
  successes: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

/** Storage of deliveries and their attempts, including the atomic claim that gives one sender a delivery. */
export class DeliveryRepository {
  constructor(private readonly em: EntityManager) {}

  /** Inserts the delivery unless one with its idempotency key exists; returns whichever is stored. */
  async insertOnce(delivery: DeliveryEntity): Promise<DeliveryEntity> {
    const connection = this.em.getConnection();
    await connection.execute(
      `insert into "delivery" ("id", "channel_id", "idempotency_key", "source", "status", "message", "attempts", "max_attempts", "created_at")
       values (?, ?, ?, ?, 'pending', ?, 0, ?, ?) on conflict ("idempotency_key") do nothing`,
      [delivery.id, delivery.channel.id, delivery.idempotencyKey, delivery.source, JSON.stringify(delivery.message), delivery.maxAttempts, delivery.createdAt],
    );
    return this.em.findOneOrFail(DeliveryEntity, { idempotencyKey: delivery.idempotencyKey }, { refresh: true });
  }

  /**
   * Takes a delivery for one attempt if it is due and nobody holds it (or the holder's lease ran
   * out), counting the attempt. Returns null when there is nothing to do.
   */
  async claim(id: string, now: Date, leaseMs: number): Promise<{ id: string; attempts: number } | null> {
    const rows: Array<{ id: string; attempts: number }> = await this.em.getConnection().execute(
      `update "delivery" set "status" = 'sending', "lease_until" = ?, "attempts" = "attempts" + 1
        where "id" = ?
          and (("status" in ('pending', 'retrying') and ("next_attempt_at" is null or "next_attempt_at" <= ?))
               or ("status" = 'sending' and "lease_until" < ?))
        returning "id", "attempts"`,
      [new Date(now.getTime() + leaseMs), id, now, now],
    );
    return rows[0] ?? null;
  }

  findById(id: string): Promise<DeliveryEntity | null> {
    return this.em.findOne(DeliveryEntity, { id }, { populate: ['channel'], refresh: true });
  }

  addAttempt(attempt: DeliveryAttemptEntity): void {
    this.em.persist(attempt);
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
    if (filter.channelId) where.channel = filter.channelId;
    if (filter.status) where.status = filter.status;
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

  async healthSince(channelId: string, since: Date): Promise<HealthFigures & { lastError: string | null; lastErrorAt: Date | null; recentFailures: number }> {
    const [figures]: Array<{ attempts: string; successes: string; p50: number | null; p95: number | null }> = await this.em.getConnection().execute(
      `select count(*) as "attempts", count(*) filter (where "ok") as "successes",
              percentile_cont(0.5) within group (order by "latency_ms") as "p50",
              percentile_cont(0.95) within group (order by "latency_ms") as "p95"
         from "delivery_attempt" where "channel_id" = ? and "created_at" >= ?`,
      [channelId, since],
    );
    const recent: Array<{ ok: boolean; error: string | null; created_at: Date | string }> = await this.em.getConnection().execute(
      `select "ok", "error", "created_at" from "delivery_attempt" where "channel_id" = ? order by "created_at" desc limit 3`,
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
