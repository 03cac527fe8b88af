import { useEffect, useState } from 'react';
import { gql, subscribe } from '../api';
import { Badge, ErrorBox, ms, percent, time, useQuery } from '../components';

const RECORD = `query($id: ID!) { alertRecord(id: $id) {
  id alertname status state severity cluster fingerprint labels annotations startsAt endsAt receivedAt routedAt firstDeliveredAt routeNames holdReason generatorUrl incidentId
  deliveries { id channelName status attempts maxAttempts lastError createdAt deliveredAt attemptLog { attempt ok status latencyMs peerAnswer error retryable createdAt carried robotChannelId failoverDeliveryId } }
  analyses { id status rootCause confidence category suggestedActions suggestedTeam error feedbackUseful feedbackBy createdAt finishedAt }
  acknowledgement { acknowledgedAt acknowledgedBy note via timeToAckSeconds }
} }`;

interface TimelineEntry {
  at: string;
  what: string;
  detail?: string;
  tone?: 'good' | 'bad';
  testId?: string;
}

/** One alert: a timeline from reception to every delivery attempt (with the peer's answer) and analysis, updated live. */
export function AlertDetailPage({ id, canOperate, canGiveFeedback }: { id: string; canOperate: boolean; canGiveFeedback: boolean }) {
  const { data, error, reload } = useQuery<any>(RECORD, { id });
  const [actionError, setActionError] = useState<unknown>(null);
  const record = data?.alertRecord;

  // Anything that happens to this alert (a retry, an analysis) reloads the page's view of it.
  useEffect(() => {
    if (!record) return;
    let timer: number | null = null;
    const later = () => (timer ??= window.setTimeout(() => ((timer = null), reload()), 250));
    const events = subscribe(
      'subscription($alertname: String) { gatewayEvents(alertname: $alertname) { recordId } }',
      { alertname: record.alertname },
      (d) => d.gatewayEvents.recordId === id && later(),
    );
    const analyses = subscribe(
      'subscription($recordId: ID) { analysisResults(recordId: $recordId) { analysisId } }',
      { recordId: id },
      later,
    );
    return () => {
      events();
      analyses();
      if (timer !== null) clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [record?.id]);

  if (error) return <ErrorBox error={error} />;
  if (!record) return <p className="muted">Loading…</p>;

  const entries: TimelineEntry[] = [
    { at: record.receivedAt, what: `received (${record.status})`, detail: record.cluster ? `from cluster ${record.cluster}` : undefined },
  ];
  if (record.routedAt) entries.push({ at: record.routedAt, what: `routed by ${record.routeNames.join(', ') || 'no route'}` });
  if (record.holdReason)
    entries.push({ at: record.routedAt ?? record.receivedAt, what: `held: ${record.state}`, detail: record.holdReason });
  for (const delivery of record.deliveries) {
    for (const attempt of delivery.attemptLog) {
      entries.push({
        at: attempt.createdAt,
        what:
          attempt.carried === 0
            ? `${delivery.channelName}: not tried (the channel is down)`
            : `${delivery.channelName}: attempt ${attempt.attempt} ${attempt.ok ? 'delivered' : 'failed'}${attempt.status ? ` (HTTP ${attempt.status})` : ''} in ${ms(attempt.latencyMs)}` +
              `${attempt.carried > 1 ? `, one message for ${attempt.carried} notifications (robot rate limit)` : ''}${attempt.robotChannelId ? ', through a pool robot' : ''}`,
        detail:
          [
            attempt.peerAnswer ? `peer answered: ${attempt.peerAnswer}` : attempt.error,
            attempt.failoverDeliveryId ? `handed over to the backup channel (delivery ${attempt.failoverDeliveryId})` : null,
          ]
            .filter(Boolean)
            .join(' — ') || undefined,
        tone: attempt.ok ? 'good' : 'bad',
        testId: 'delivery-attempt',
      });
    }
    if (delivery.attemptLog.length === 0)
      entries.push({
        at: delivery.createdAt,
        what: `${delivery.channelName}: ${delivery.status.toLowerCase()}`,
        testId: 'delivery-attempt',
      });
  }
  for (const analysis of record.analyses) {
    entries.push({
      at: analysis.finishedAt ?? analysis.createdAt,
      what: `analysis ${analysis.status}${analysis.confidence !== null ? `, confidence ${percent(analysis.confidence)}` : ''}`,
      detail: analysis.rootCause ? `root cause: ${analysis.rootCause}` : (analysis.error ?? undefined),
      tone: analysis.status === 'succeeded' ? 'good' : analysis.status === 'failed' ? 'bad' : undefined,
    });
  }
  if (record.acknowledgement?.acknowledgedAt)
    entries.push({
      at: record.acknowledgement.acknowledgedAt,
      what: `acknowledged by ${record.acknowledgement.acknowledgedBy}`,
      detail: record.acknowledgement.note ?? undefined,
      tone: 'good',
    });
  entries.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));

  const act = (query: string, variables: Record<string, unknown>) =>
    gql(query, variables).then(() => (setActionError(null), reload()), setActionError);

  return (
    <>
      <h1>
        {record.alertname} <Badge value={record.severity} /> <Badge value={record.state} />
      </h1>
      <ErrorBox error={actionError} />
      <div className="cards">
        <div className="panel">
          <h2>Timeline</h2>
          <ul className="timeline" data-testid="timeline">
            {entries.map((e, i) => (
              <li key={i} className={e.tone ?? ''} data-testid={e.testId}>
                <div>
                  <span className="muted">{time(e.at)}</span> — {e.what}
                </div>
                {e.detail && <div className="mono muted">{e.detail}</div>}
              </li>
            ))}
          </ul>
          {canOperate && !record.acknowledgement?.acknowledgedAt && record.status === 'firing' && (
            <button type="button" onClick={() => act('mutation($id: ID!) { acknowledgeAlert(recordId: $id) { acknowledgedAt } }', { id })}>
              Acknowledge
            </button>
          )}
        </div>
        <div className="panel">
          <h2>Labels</h2>
          <table>
            <tbody>
              {Object.entries(record.labels as Record<string, string>).map(([k, v]) => (
                <tr key={k}>
                  <td className="mono">{k}</td>
                  <td className="mono">{v}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {Object.keys(record.annotations).length > 0 && <h2>Annotations</h2>}
          {Object.entries(record.annotations as Record<string, string>).map(([k, v]) => (
            <p key={k}>
              <strong>{k}</strong>: {v}
            </p>
          ))}
          {record.incidentId && (
            <p>
              Part of <a href={`#/incident/${record.incidentId}`}>an incident</a>.
            </p>
          )}
        </div>
      </div>
      {record.analyses.length > 0 && (
        <div className="panel">
          <h2>Analyses</h2>
          {record.analyses.map((a: any) => (
            <div key={a.id} className="panel">
              <div className="row">
                <Badge value={a.status} />
                <strong className="grow">{a.rootCause ?? a.error ?? 'no answer yet'}</strong>
                {a.confidence !== null && <span>confidence {percent(a.confidence)}</span>}
              </div>
              {a.suggestedActions?.length > 0 && (
                <ul>
                  {a.suggestedActions.map((s: string, i: number) => (
                    <li key={i}>{s}</li>
                  ))}
                </ul>
              )}
              {a.status === 'succeeded' && canGiveFeedback && (
                <div className="row">
                  <span className="muted">
                    {a.feedbackUseful === null
                      ? 'Was this useful?'
                      : `Marked ${a.feedbackUseful ? 'useful' : 'not useful'} by ${a.feedbackBy}`}
                  </span>
                  <button
                    type="button"
                    onClick={() =>
                      act('mutation($id: ID!, $u: Boolean!) { submitAnalysisFeedback(id: $id, useful: $u) { id } }', { id: a.id, u: true })
                    }
                  >
                    Useful
                  </button>
                  <button
                    type="button"
                    onClick={() =>
                      act('mutation($id: ID!, $u: Boolean!) { submitAnalysisFeedback(id: $id, useful: $u) { id } }', { id: a.id, u: false })
                    }
                  >
                    Not useful
                  </button>
                </div>
              )}
            </div>
          ))}
        </div>
      )}
    </>
  );
}

const INCIDENT = `query($id: ID!) { incident(id: $id) {
  id title state policyName openedAt resolvedAt acknowledgedAt acknowledgedBy alertCount firingCount labels
  alerts { fingerprint alertname status firstSeenAt lastSeenAt notified }
  notifications { id kind sequence firing resolved added error createdAt }
} }`;

/** One incident: its alerts and each notification it sent, updated live. */
export function IncidentDetailPage({ id, canOperate }: { id: string; canOperate: boolean }) {
  const { data, error, reload } = useQuery<any>(INCIDENT, { id });
  const [actionError, setActionError] = useState<unknown>(null);
  useEffect(
    () => subscribe('subscription { incidentUpdates { incidentId } }', {}, (d) => d.incidentUpdates.incidentId === id && reload()),
    [id],
  );
  if (error) return <ErrorBox error={error} />;
  const incident = data?.incident;
  if (!incident) return <p className="muted">Loading…</p>;
  return (
    <>
      <h1>
        {incident.title} <Badge value={incident.state} />
      </h1>
      <ErrorBox error={actionError} />
      <p className="muted">
        Policy {incident.policyName}; opened {time(incident.openedAt)}
        {incident.resolvedAt ? `, resolved ${time(incident.resolvedAt)}` : ''}; {incident.firingCount} of {incident.alertCount} alerts
        firing.
      </p>
      {incident.acknowledgedAt ? (
        <p>
          Acknowledged by {incident.acknowledgedBy} at {time(incident.acknowledgedAt)}.
        </p>
      ) : (
        canOperate &&
        incident.state !== 'RESOLVED' && (
          <button
            type="button"
            onClick={() => gql('mutation($id: ID!) { acknowledgeIncident(id: $id) { id } }', { id }).then(reload, setActionError)}
          >
            Acknowledge
          </button>
        )
      )}
      <div className="cards">
        <div className="panel">
          <h2>Alerts</h2>
          <table>
            <thead>
              <tr>
                <th>alert</th>
                <th>status</th>
                <th>first seen</th>
                <th>last seen</th>
              </tr>
            </thead>
            <tbody>
              {incident.alerts.map((a: any) => (
                <tr key={a.fingerprint}>
                  <td>{a.alertname}</td>
                  <td>
                    <Badge value={a.status} />
                  </td>
                  <td>{time(a.firstSeenAt)}</td>
                  <td>{time(a.lastSeenAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div className="panel">
          <h2>Notifications</h2>
          <ul className="timeline">
            {incident.notifications.map((n: any) => (
              <li key={n.id} className={n.error ? 'bad' : 'good'}>
                {time(n.createdAt)} — #{n.sequence} {n.kind}: {n.firing} firing, {n.resolved} resolved{n.added ? `, ${n.added} new` : ''}
                {n.error && <div className="mono muted">{n.error}</div>}
              </li>
            ))}
          </ul>
        </div>
      </div>
    </>
  );
}
