import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState } from 'react';
import { gql, onConnected, subscribe } from '../api';
import { Badge, ErrorBox } from '../components';

interface Row {
  id: string;
  alertname: string;
  severity: string | null;
  cluster: string | null;
  state: string;
  receivedAt: string;
  labels?: Record<string, string>;
  analysis?: { status: string; rootCause: string | null; confidence: number | null };
}

interface Incident {
  id: string;
  title: string;
  state: string;
  alertCount: number;
  firingCount: number;
  lastAlertAt: string;
}

/** Rows kept in the page: past this the oldest go (they stay in AlertAgent, a filter or reload finds them). */
const MAX_ROWS = 20_000;
const ROW_HEIGHT = 34;
// No per-record resolved fields here (analyses come live): 100 records stay within a viewer's cost limit.
const RECORD_FIELDS = 'id alertname severity cluster state receivedAt labels';
const INCIDENTS = `{ incidents(limit: 20) { items { id title state alertCount firingCount lastAlertAt } } }`;

type Filters = { cluster: string; severity: string; state: string; label: string };

const labelPair = (text: string): [string, string] | null => {
  const at = text.indexOf('=');
  return at > 0
    ? [
        text.slice(0, at).trim(),
        text
          .slice(at + 1)
          .trim()
          .replace(/^"(.*)"$/, '$1'),
      ]
    : null;
};

/** `existing` (newest first) with `added` merged in: a sort of the few new ids and one pass, not a sort of all. */
function mergeNewestFirst(existing: string[], added: string[], rows: Map<string, Row>): string[] {
  const at = (id: string) => rows.get(id)!.receivedAt;
  const fresh = [...new Set(added)].sort((a, b) => (at(a) < at(b) ? 1 : at(a) > at(b) ? -1 : 0));
  const merged: string[] = [];
  let i = 0;
  let j = 0;
  while (i < existing.length || j < fresh.length) {
    if (j >= fresh.length || (i < existing.length && at(existing[i]) >= at(fresh[j]))) merged.push(existing[i++]);
    else merged.push(fresh[j++]);
  }
  return merged;
}

function fromRecord(r: any): Row {
  return {
    id: r.id,
    alertname: r.alertname,
    severity: r.severity,
    cluster: r.cluster,
    state: r.state,
    receivedAt: r.receivedAt,
    labels: r.labels,
  };
}

/**
 * "Now": every alert as it arrives and changes state, live over graphql-ws. Events are gathered and
 * applied once per animation frame, and only the rows on screen are rendered, so a storm of ten
 * thousand alerts a minute leaves the page responsive.
 */
export function NowPage() {
  const rows = useRef(new Map<string, Row>());
  const order = useRef<string[]>([]);
  const pending = useRef<Array<(map: Map<string, Row>) => string[] | void>>([]);
  const [version, setVersion] = useState(0);
  const [filters, setFilters] = useState<Filters>({ cluster: '', severity: '', state: '', label: '' });
  const [incidents, setIncidents] = useState<Incident[]>([]);
  const [error, setError] = useState<unknown>(null);
  const frame = useRef(0);
  const refreshTimer = useRef<number | null>(null);

  /** Queues a change; all changes queued within a frame are applied together. */
  const apply = (change: (map: Map<string, Row>) => string[] | void) => {
    pending.current.push(change);
    if (frame.current) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      const added: string[] = [];
      for (const c of pending.current.splice(0)) added.push(...(c(rows.current) ?? []));
      if (added.length) {
        order.current = mergeNewestFirst(order.current, added, rows.current);
        for (const gone of order.current.splice(MAX_ROWS)) rows.current.delete(gone);
      }
      setVersion((v) => v + 1);
    });
  };

  /** Loads the newest records (first view, after a reconnect, for labels of new rows) and merges them by id: nothing twice. */
  const current = useRef(filters);
  current.current = filters;
  const load = async (limit: number) => {
    const filters = current.current;
    const label = labelPair(filters.label);
    const data = await gql(
      `query($limit: Int!, $cluster: String, $severity: String, $state: String, $labels: [String!]) { alertRecords(limit: $limit, cluster: $cluster, severity: $severity, state: $state, labels: $labels) { items { ${RECORD_FIELDS} } } }`,
      {
        limit,
        cluster: filters.cluster || null,
        severity: filters.severity || null,
        state: filters.state || null,
        labels: label ? [`${label[0]}=${label[1]}`] : null,
      },
    );
    apply((map) => {
      const added: string[] = [];
      for (const record of data.alertRecords.items) {
        if (!map.has(record.id)) added.push(record.id);
        map.set(record.id, { ...map.get(record.id), ...fromRecord(record) });
      }
      return added;
    });
  };

  const scheduleRefresh = () => {
    if (refreshTimer.current !== null) return;
    refreshTimer.current = window.setTimeout(() => {
      refreshTimer.current = null;
      load(50).catch(setError);
    }, 1_500);
  };

  useEffect(() => {
    rows.current.clear();
    order.current = [];
    load(100).catch(setError);
    const loadIncidents = () =>
      gql(INCIDENTS).then(
        (d) => setIncidents(d.incidents.items),
        () => {},
      );
    void loadIncidents();
    const events = subscribe(
      `subscription($cluster: String, $severity: String) { gatewayEvents(cluster: $cluster, severity: $severity) { type recordId alertname severity cluster at } }`,
      { cluster: filters.cluster || null, severity: filters.severity || null },
      ({ gatewayEvents: e }) => {
        apply((map) => {
          const known = map.get(e.recordId);
          map.set(e.recordId, {
            ...(known ?? { id: e.recordId, receivedAt: e.at }),
            alertname: e.alertname,
            severity: e.severity,
            cluster: e.cluster,
            state: e.type,
          } as Row);
          return known ? [] : [e.recordId];
        });
        scheduleRefresh();
      },
      setError,
    );
    const analyses = subscribe('subscription { analysisResults { recordId status rootCause confidence } }', {}, ({ analysisResults: a }) =>
      apply((map) => {
        const row = map.get(a.recordId);
        if (row) map.set(a.recordId, { ...row, analysis: { status: a.status, rootCause: a.rootCause, confidence: a.confidence } });
      }),
    );
    let incidentTimer: number | null = null;
    const incidentsLive = subscribe('subscription { incidentUpdates { incidentId } }', {}, () => {
      incidentTimer ??= window.setTimeout(() => {
        incidentTimer = null;
        void loadIncidents();
      }, 300);
    });
    const offReconnect = onConnected((again) => {
      if (again) {
        load(100).catch(setError);
        void loadIncidents();
      }
    });
    return () => {
      events();
      analyses();
      incidentsLive();
      offReconnect();
      if (incidentTimer !== null) clearTimeout(incidentTimer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [filters.cluster, filters.severity]);

  // State and label filter the rows at hand at once; older matching rows are fetched besides.
  const firstFilter = useRef(true);
  useEffect(() => {
    if (firstFilter.current) return void (firstFilter.current = false);
    load(100).catch(setError);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [filters.state, filters.label]);

  const visible = useMemo(() => {
    const label = labelPair(filters.label);
    return order.current
      .map((id) => rows.current.get(id)!)
      .filter(
        (r) =>
          (!filters.state || r.state === filters.state) &&
          (!filters.cluster || r.cluster === filters.cluster) &&
          (!filters.severity || r.severity === filters.severity) &&
          (!label || r.labels?.[label[0]] === label[1]),
      );
  }, [version, filters]);

  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({
    count: visible.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const set = (key: keyof Filters) => (event: { target: { value: string } }) => setFilters((f) => ({ ...f, [key]: event.target.value }));
  const unrouted = visible.filter((r) => r.state === 'unrouted').length;

  return (
    <>
      <h1>Now</h1>
      <ErrorBox error={error} />
      {incidents.length > 0 && (
        <div className="panel" data-testid="incidents">
          <strong>Incidents</strong>
          <table>
            <tbody>
              {incidents.map((i) => (
                <tr key={i.id}>
                  <td>
                    <a href={`#/incident/${i.id}`}>{i.title}</a>
                  </td>
                  <td>
                    <Badge value={i.state} />
                  </td>
                  <td className="muted">
                    {i.firingCount} firing of {i.alertCount}
                  </td>
                  <td className="muted">{new Date(i.lastAlertAt).toLocaleTimeString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="row panel">
        <input placeholder="cluster" value={filters.cluster} onChange={set('cluster')} aria-label="cluster filter" />
        <select value={filters.severity} onChange={set('severity')} aria-label="severity filter">
          <option value="">any severity</option>
          {['critical', 'warning', 'info'].map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
        <select value={filters.state} onChange={set('state')} aria-label="state filter">
          <option value="">any state</option>
          {[
            'received',
            'routed',
            'delivered',
            'partially_delivered',
            'failed',
            'unrouted',
            'duplicate',
            'converged',
            'grouped',
            'inhibited',
            'flapping',
            'suppressed',
            'batched',
          ].map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
        <input placeholder="label: team=db" value={filters.label} onChange={set('label')} aria-label="label filter" />
        <span className="grow" />
        {unrouted > 0 && (
          <span
            className="badge unrouted"
            data-testid="unrouted-count"
            title="These alerts matched no route and no default route: nobody was told"
          >
            {unrouted} unrouted
          </span>
        )}
        <span className="muted" data-testid="row-count">
          {visible.length} alerts
        </span>
      </div>
      <div className="vlist" ref={scroller} data-testid="alert-list">
        <div className="vrow head">
          <span>received</span>
          <span>alert</span>
          <span>severity</span>
          <span>state</span>
          <span>cluster</span>
          <span>analysis</span>
        </div>
        <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
          {virtual.getVirtualItems().map((item) => {
            const r = visible[item.index];
            return (
              <div key={r.id} className="vrow" style={{ top: item.start }} data-record={r.id} data-alertname={r.alertname}>
                <span className="muted">{new Date(r.receivedAt).toLocaleTimeString()}</span>
                <a href={`#/alert/${r.id}`}>{r.alertname}</a>
                <Badge value={r.severity} />
                <span>
                  <Badge value={r.state} />
                </span>
                <span>{r.cluster ?? '—'}</span>
                <span className="muted">{r.analysis ? (r.analysis.rootCause ?? r.analysis.status) : ''}</span>
              </div>
            );
          })}
        </div>
      </div>
    </>
  );
}
