import type { MikroORM } from '@mikro-orm/core';
import type { AlertmanagerPayload } from '../gateway/alertmanager-payload';
import { jsonColumn } from '../storage/bound-sql';
import type { NotificationKind } from './gateway-model';
import type { ActualTotals } from './simulation-tally';

export interface RecordedReceipt {
  id: string;
  receivedAt: Date;
  payload: AlertmanagerPayload;
  /** Record id → state, for the receipt's alerts that have a record. */
  states: Map<string, string>;
}

/** Delivery sources (who handed a message to delivery) as the kinds of message a replay counts. */
const KIND_OF_SOURCE: Record<string, NotificationKind> = {
  gateway: 'alerts',
  convergence: 'convergence-summary',
  flapping: 'flap-summary',
  inhibition: 'inhibition-release',
  maintenance: 'maintenance-release',
  'route-window': 'route-window',
};

/** Reads what the gateway received and did in a time range, for replays. */
export class RecordedTraffic {
  constructor(private readonly orm: MikroORM) {}

  private get connection() {
    return this.orm.em.getConnection();
  }

  async countReceipts(from: Date, to: Date): Promise<number> {
    const [row] = await this.connection.execute(
      `select count(*) as "n" from "alert_receipt" where "received_at" >= ? and "received_at" < ?`,
      [from, to],
    );
    return Number(row.n);
  }

  /** Receipts in time order after `after` (exclusive), with their records' states. */
  async receiptsPage(from: Date, to: Date, after: { receivedAt: Date; id: string } | null, limit: number): Promise<RecordedReceipt[]> {
    const rows = await this.connection.execute(
      `select "id", "received_at", "payload" from "alert_receipt"
        where "received_at" >= ? and "received_at" < ? ${after ? `and ("received_at", "id") > (?, ?::uuid)` : ''}
        order by "received_at", "id" limit ${Number(limit)}`,
      after ? [from, to, after.receivedAt, after.id] : [from, to],
    );
    if (rows.length === 0) return [];
    const ids = rows.map((r: Record<string, unknown>) => r.id as string);
    const records = await this.connection.execute(
      `select "id", "state" from "alert_record" where "receipt_id" in (${ids.map(() => '?').join(', ')})`,
      ids,
    );
    const states = new Map<string, string>(records.map((r: Record<string, unknown>) => [r.id as string, r.state as string]));
    return rows.map((r: Record<string, unknown>) => ({
      id: r.id as string,
      receivedAt: new Date(r.received_at as string),
      payload: jsonColumn<AlertmanagerPayload>(r.payload),
      states,
    }));
  }

  /** Messages really handed to channels in the range, by channel and kind, and incidents opened. */
  async totals(from: Date, to: Date): Promise<ActualTotals> {
    const rows = await this.connection.execute(
      `select d."channel_id", d."source", n."kind" as "incident_kind", count(*) as "n" from "delivery" d
         left join "incident_notification" n on n."delivery_id" = d."id"
        where d."created_at" >= ? and d."created_at" < ? group by 1, 2, 3`,
      [from, to],
    );
    const deliveries = rows.flatMap((r: Record<string, unknown>) => {
      const source = r.source as string;
      const kind: NotificationKind | undefined =
        source === 'incident' ? (r.incident_kind === 'resolved' ? 'incident-resolution' : 'incident-update') : KIND_OF_SOURCE[source];
      return kind ? [{ channelId: r.channel_id as string, kind, count: Number(r.n) }] : [];
    });
    const [opened] = await this.connection.execute(`select count(*) as "n" from "incident" where "opened_at" >= ? and "opened_at" < ?`, [
      from,
      to,
    ]);
    return { deliveries, incidentsOpened: Number(opened.n) };
  }
}
