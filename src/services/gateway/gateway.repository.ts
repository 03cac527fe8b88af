import { RequestContext, type MikroORM } from '@mikro-orm/core';
import type { AlertRecordState } from '../../entities/gateway/alert-record.entity';
import { MicroBatcher } from '../shared/micro-batcher';
import { runBound, jsonColumn } from '../storage/bound-sql';
import { storableDate, ZERO_TIME, type AlertmanagerAlert, type AlertmanagerPayload } from './alertmanager-payload';

const RECORD_INSERT_BATCH = 500;
/** Receipts up to this size go through group commit; bigger ones are written on their own. */
const GROUP_COMMIT_MAX_ALERTS = 100;

/** A receipt just taken, as it is stored. */
export interface ReceiptDraft {
  receiptId: string;
  receivedAt: Date;
  payload: AlertmanagerPayload;
  recordIds: string[];
  source: string;
}

/** What routing decided for one record. */
export interface RecordOutcome {
  id: string;
  state: AlertRecordState;
  routeNames: string[];
  deliveryIds: string[];
  firstDeliveredAt: Date | null;
  incidentId: string | null;
  /** Why a stage held it back, when one did. */
  holdReason: string | null;
}

interface OutcomeBatch {
  outcomes: RecordOutcome[];
  routedAt: Date;
  finishedReceiptId: string | null;
}

/** A record that a delivery served, as settling after retries needs it. */
export interface ServedRecord {
  id: string;
  receiptId: string;
  deliveryIds: string[];
  receivedAt: Date;
  alert: Pick<AlertmanagerAlert, 'status' | 'labels' | 'fingerprint'>;
}

const INSERT_RECEIPTS = `insert into "alert_receipt" ("id", "received_at", "group_key", "receiver", "status", "alert_count", "truncated_alerts", "source", "payload") values`;
const INSERT_RECORDS = `insert into "alert_record" ("id", "receipt_id", "fingerprint", "status", "alertname", "severity", "cluster", "labels", "annotations",
  "starts_at", "ends_at", "generator_url", "received_at", "state", "route_names", "delivery_ids") values`;

function receiptRows(drafts: ReceiptDraft[]): { sql: string; values: unknown[] } {
  return {
    sql: drafts.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', '),
    values: drafts.flatMap(({ receiptId, receivedAt, payload, source }) => [
      receiptId,
      receivedAt,
      payload.groupKey,
      payload.receiver,
      payload.status,
      payload.alerts.length,
      payload.truncatedAlerts,
      source,
      JSON.stringify(payload),
    ]),
  };
}

/** Record rows for slices of receipts' alerts (`start` is the index of the slice's first alert in its receipt). */
function recordRows(slices: Array<{ draft: ReceiptDraft; start: number; alerts: AlertmanagerAlert[] }>): {
  sql: string;
  values: unknown[];
} {
  const rows: string[] = [];
  const values: unknown[] = [];
  for (const { draft, start, alerts } of slices) {
    alerts.forEach((alert, i) => {
      rows.push("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'received', '[]', '[]')");
      values.push(
        draft.recordIds[start + i],
        draft.receiptId,
        alert.fingerprint,
        alert.status,
        (alert.labels.alertname ?? '').slice(0, 200),
        alert.labels.severity?.slice(0, 64) ?? null,
        alert.labels.cluster?.slice(0, 200) ?? null,
        JSON.stringify(alert.labels),
        JSON.stringify(alert.annotations),
        storableDate(alert.startsAt),
        alert.endsAt === ZERO_TIME ? null : storableDate(alert.endsAt),
        alert.generatorURL || null,
        draft.receivedAt,
      );
    });
  }
  return { sql: rows.join(', '), values };
}

/**
 * The gateway's SQL: receipts and their records in, outcomes out. Writes on the hot path go
 * through group commit (receipts and outcomes arriving together share one statement); every
 * statement is atomic on its own, so a crash leaves a receipt either whole or absent.
 */
export class GatewayRepository {
  private readonly acceptWriter = new MicroBatcher<ReceiptDraft, void>((drafts) => this.insertReceipts(drafts), {
    maxBatch: 32,
    maxConcurrent: 4,
    lingerMs: 2,
  });
  private readonly outcomeWriter = new MicroBatcher<OutcomeBatch, void>((items) => this.updateOutcomes(items), {
    maxBatch: 32,
    maxConcurrent: 4,
    lingerMs: 10,
  });

  constructor(private readonly orm: MikroORM) {}

  /** Stores a receipt and one record per alert (group-committed unless the receipt is big). */
  storeReceipt(draft: ReceiptDraft): Promise<void> {
    return draft.payload.alerts.length <= GROUP_COMMIT_MAX_ALERTS ? this.acceptWriter.submit(draft) : this.insertLargeReceipt(draft);
  }

  /** A receipt not yet processed, read back; null when it is unknown or done. */
  async unprocessedReceipt(receiptId: string): Promise<{ payload: AlertmanagerPayload; receivedAt: Date } | null> {
    const [receipt]: Array<{ payload: AlertmanagerPayload | string; received_at: Date; processed_at: Date | null }> = await this.orm.em
      .getConnection()
      .execute(`select "payload", "received_at", "processed_at" from "alert_receipt" where "id" = ?`, [receiptId]);
    if (!receipt || receipt.processed_at) return null;
    return { payload: jsonColumn(receipt.payload), receivedAt: new Date(receipt.received_at) };
  }

  async receiptExists(receiptId: string): Promise<boolean> {
    const rows: unknown[] = await this.orm.em.getConnection().execute(`select 1 from "alert_receipt" where "id" = ?`, [receiptId]);
    return rows.length > 0;
  }

  /** Receipts accepted before `before` and never processed (their process stopped in between), oldest first. */
  async orphanReceiptIds(before: Date, limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await RequestContext.create(this.orm.em, () =>
      this.orm.em
        .getConnection()
        .execute(
          `select "id" from "alert_receipt" where "processed_at" is null and "received_at" < ? order by "received_at" limit ${Number(limit)}`,
          [before],
        ),
    );
    return rows.map((r) => r.id);
  }

  /** Writes records' outcomes and, with `finishedReceiptId`, marks the receipt processed in the same statement. */
  async storeOutcomes(outcomes: RecordOutcome[], routedAt: Date, finishedReceiptId: string | null): Promise<void> {
    if (outcomes.length <= GROUP_COMMIT_MAX_ALERTS) {
      await this.outcomeWriter.submit({ outcomes, routedAt, finishedReceiptId });
      return;
    }
    for (let start = 0; start < outcomes.length; start += RECORD_INSERT_BATCH) {
      const last = start + RECORD_INSERT_BATCH >= outcomes.length;
      await this.updateOutcomes([
        { outcomes: outcomes.slice(start, start + RECORD_INSERT_BATCH), routedAt, finishedReceiptId: last ? finishedReceiptId : null },
      ]);
    }
  }

  /** The records a delivery served. */
  async recordsServedBy(deliveryId: string): Promise<ServedRecord[]> {
    const rows: Array<Record<string, unknown>> = await this.orm.em
      .getConnection()
      .execute(
        `select "id", "receipt_id", "delivery_ids", "received_at", "labels", "status", "fingerprint" from "alert_record" where "delivery_ids" @> ?::jsonb`,
        [JSON.stringify([deliveryId])],
      );
    return rows.map((r) => ({
      id: r.id as string,
      receiptId: r.receipt_id as string,
      deliveryIds: jsonColumn<string[]>(r.delivery_ids),
      receivedAt: new Date(r.received_at as string),
      alert: {
        status: r.status as AlertmanagerAlert['status'],
        labels: jsonColumn<Record<string, string>>(r.labels),
        fingerprint: r.fingerprint as string,
      },
    }));
  }

  /** A record settled after retries: its state, and its first delivery unless it had one. */
  async settleRecord(id: string, state: AlertRecordState, firstDelivered: Date | null): Promise<void> {
    await this.orm.em
      .getConnection()
      .execute(`update "alert_record" set "state" = ?, "first_delivered_at" = coalesce("first_delivered_at", ?) where "id" = ?`, [
        state,
        firstDelivered,
        id,
      ]);
  }

  /** Several receipts and all their records in one statement: atomic without an explicit transaction, one commit. */
  private async insertReceipts(drafts: ReceiptDraft[]): Promise<undefined[]> {
    const receipts = receiptRows(drafts);
    const records = recordRows(drafts.map((draft) => ({ draft, start: 0, alerts: draft.payload.alerts })));
    await runBound(this.orm.em, `with "receipt" as (${INSERT_RECEIPTS} ${receipts.sql}) ${INSERT_RECORDS} ${records.sql}`, [
      ...receipts.values,
      ...records.values,
    ]);
    return drafts.map(() => undefined);
  }

  /** A receipt too big for one statement: its parts in one transaction. */
  private async insertLargeReceipt(draft: ReceiptDraft): Promise<void> {
    const connection = this.orm.em.getConnection();
    await this.orm.em.fork().transactional(async (em) => {
      const ctx = em.getTransactionContext();
      const receipt = receiptRows([draft]);
      await connection.execute(`${INSERT_RECEIPTS} ${receipt.sql}`, receipt.values, 'run', ctx);
      for (let start = 0; start < draft.payload.alerts.length; start += RECORD_INSERT_BATCH) {
        const records = recordRows([{ draft, start, alerts: draft.payload.alerts.slice(start, start + RECORD_INSERT_BATCH) }]);
        await connection.execute(`${INSERT_RECORDS} ${records.sql}`, records.values, 'run', ctx);
      }
    });
  }

  /** Several receipts' outcomes in one statement (group commit, as for accepts). */
  private async updateOutcomes(items: OutcomeBatch[]): Promise<undefined[]> {
    const finished = items.map((i) => i.finishedReceiptId).filter((id): id is string => id !== null);
    const rows = items.flatMap((item) => item.outcomes.map((u) => ({ ...u, routedAt: item.routedAt })));
    const done =
      finished.length > 0
        ? `with "done" as (update "alert_receipt" set "processed_at" = ? where "id" in (${finished.map(() => '?').join(', ')})) `
        : '';
    await runBound(
      this.orm.em,
      // A record that has settled is never taken back to routed by a second pass over its receipt.
      `${done}update "alert_record" as r set "state" = case when r."state" in ('delivered', 'partially_delivered', 'failed') and v.state in ('routed', 'received') then r."state" else v.state end,
         "route_names" = v.route_names, "delivery_ids" = v.delivery_ids,
         "first_delivered_at" = coalesce(v.first_delivered_at, r."first_delivered_at"), "routed_at" = v.routed_at,
         "incident_id" = coalesce(v.incident_id, r."incident_id"), "hold_reason" = v.hold_reason
        from (values ${rows.map(() => '(?::uuid, ?, ?::jsonb, ?::jsonb, ?::timestamptz, ?::timestamptz, ?::uuid, ?::text)').join(', ')})
          as v(id, state, route_names, delivery_ids, first_delivered_at, routed_at, incident_id, hold_reason) where r."id" = v.id`,
      [
        ...(done ? [new Date(), ...finished] : []),
        ...rows.flatMap((u) => [
          u.id,
          u.state,
          JSON.stringify(u.routeNames),
          JSON.stringify(u.deliveryIds),
          u.firstDeliveredAt,
          u.routedAt,
          u.incidentId,
          u.holdReason,
        ]),
      ],
    );
    return items.map(() => undefined);
  }
}
