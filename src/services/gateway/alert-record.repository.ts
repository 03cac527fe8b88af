import type { EntityManager } from '@mikro-orm/core';
import type { PageRequest } from '../../domain/page';
import { runBound, jsonColumn } from '../storage/bound-sql';

/** One processing record as lists show it: plain values straight from the row, no entity built. */
export interface AlertRecordRow {
  id: string;
  receiptId: string;
  fingerprint: string;
  status: string;
  alertname: string;
  severity: string | null;
  cluster: string | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: Date;
  endsAt: Date | null;
  receivedAt: Date;
  routedAt: Date | null;
  firstDeliveredAt: Date | null;
  generatorUrl: string | null;
  state: string;
  routeNames: string[];
  deliveryIds: string[];
  incidentId: string | null;
  holdReason: string | null;
}

export interface AlertRecordFilter {
  alertname?: string | null;
  severity?: string | null;
  cluster?: string | null;
  status?: string | null;
  state?: string | null;
  fingerprint?: string | null;
  id?: string | null;
  /** Label name → value; every one must hold. */
  labels?: Readonly<Record<string, string>>;
  /** Only records of these clusters (a caller's scope); an empty list matches nothing. */
  clusters?: readonly string[];
}

const COLUMNS = `"id", "receipt_id", "fingerprint", "status", "alertname", "severity", "cluster", "labels", "annotations", "starts_at", "ends_at",
  "received_at", "routed_at", "first_delivered_at", "generator_url", "state", "route_names", "delivery_ids", "incident_id", "hold_reason"`;

function toRow(r: Record<string, unknown>): AlertRecordRow {
  return {
    id: r.id as string,
    receiptId: r.receipt_id as string,
    fingerprint: r.fingerprint as string,
    status: r.status as string,
    alertname: r.alertname as string,
    severity: (r.severity as string | null) ?? null,
    cluster: (r.cluster as string | null) ?? null,
    labels: jsonColumn(r.labels),
    annotations: jsonColumn(r.annotations),
    startsAt: new Date(r.starts_at as string),
    endsAt: r.ends_at ? new Date(r.ends_at as string) : null,
    receivedAt: new Date(r.received_at as string),
    routedAt: r.routed_at ? new Date(r.routed_at as string) : null,
    firstDeliveredAt: r.first_delivered_at ? new Date(r.first_delivered_at as string) : null,
    generatorUrl: (r.generator_url as string | null) ?? null,
    state: r.state as string,
    routeNames: jsonColumn(r.route_names),
    deliveryIds: jsonColumn(r.delivery_ids),
    incidentId: (r.incident_id as string | null) ?? null,
    holdReason: (r.hold_reason as string | null) ?? null,
  };
}

/**
 * Reads of processing records for the API. Lists are read as plain rows: building entities for
 * hundreds of records cost several times the query itself, on the event loop the webhook shares.
 */
export class AlertRecordRepository {
  constructor(private readonly em: EntityManager) {}

  /** `total` false skips the count (the answer's total is then 0): a full count is the dearer half of a page. */
  async findPage(
    filter: AlertRecordFilter,
    page: PageRequest,
    options: { total: boolean } = { total: true },
  ): Promise<{ items: AlertRecordRow[]; total: number }> {
    const conditions: string[] = [];
    const values: unknown[] = [];
    for (const [column, value] of [
      ['alertname', filter.alertname],
      ['severity', filter.severity],
      ['cluster', filter.cluster],
      ['status', filter.status],
      ['state', filter.state],
      ['fingerprint', filter.fingerprint],
      ['id', filter.id],
    ] as const) {
      if (!value) continue;
      conditions.push(`"${column}" = ?`);
      values.push(value);
    }
    for (const [name, value] of Object.entries(filter.labels ?? {})) {
      conditions.push(`"labels" ->> ? = ?`);
      values.push(name, value);
    }
    if (filter.clusters) {
      if (filter.clusters.length === 0) return { items: [], total: 0 };
      conditions.push(`"cluster" in (${filter.clusters.map(() => '?').join(', ')})`);
      values.push(...filter.clusters);
    }
    const where = conditions.length > 0 ? `where ${conditions.join(' and ')}` : '';
    const direction = page.order === 'asc' ? 'asc' : 'desc';
    const [rows, [{ total }]] = await Promise.all([
      runBound(
        this.em,
        `select ${COLUMNS} from "alert_record" ${where} order by "received_at" ${direction}, "id" ${direction} limit ? offset ?`,
        [...values, page.limit, page.offset],
      ),
      options.total
        ? runBound<{ total: number | string }>(this.em, `select count(*) as "total" from "alert_record" ${where}`, values)
        : [{ total: 0 }],
    ]);
    return { items: rows.map(toRow), total: Number(total) };
  }
}
