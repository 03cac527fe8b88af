import { useState } from 'react';
import { gql } from '../api';
import { Badge, ErrorBox, ms, Pager, percent, useLiveReload, useQuery } from '../components';

// Pages of 50 keep the query within a viewer's cost limit of 2,000 (health is read per channel):
// this one costs 1,951, so a field added here must pay for itself.
const PAGE = 50;
const CHANNELS = `query($offset: Int!) { channels(limit: 50, offset: $offset, sortBy: NAME, order: ASC) { total items {
  id name type enabled tags secretFieldsSet config group { name }
  health { status successRate p50LatencyMs p95LatencyMs attempts windowMinutes lastError slo { status } }
  deliveryPolicy { effectiveRateLimit { perMinute } pool backupChannelId }
} } }`;

/** What the delivery policy does, in a line: the robot limit, the pool, the backup, the SLO. */
function policyLine(c: any, names: Map<string, string>): string {
  const parts: string[] = [];
  const limit = c.deliveryPolicy.effectiveRateLimit;
  if (limit) parts.push(`limit ${limit.perMinute}/min`);
  if (c.deliveryPolicy.pool.length > 0) parts.push(`pool of ${c.deliveryPolicy.pool.length + 1} robots`);
  if (c.deliveryPolicy.backupChannelId)
    parts.push(`backup → ${names.get(c.deliveryPolicy.backupChannelId) ?? c.deliveryPolicy.backupChannelId}`);
  if (c.health.slo) parts.push(`SLO ${c.health.slo.status.toLowerCase().replace('_', ' ')}`);
  return parts.join(' · ');
}

interface TestResult {
  status: string;
  lastError: string | null;
  attemptLog: Array<{ ok: boolean; status: number | null; latencyMs: number; peerAnswer: string | null; error: string | null }>;
}

/** Channels with their health over the last window; a test message shows what the peer answered. Secrets come masked from the API and stay so. */
export function ChannelsPage({ canTest }: { canTest: boolean }) {
  const [offset, setOffset] = useState(0);
  const { data, error, reload } = useQuery<any>(CHANNELS, { offset });
  // Health changes with every send: deliveries and failures refresh it, at most every 2 s.
  useLiveReload(
    ['subscription { gatewayEvents { type } }'],
    reload,
    2_000,
    (d) => d.gatewayEvents.type === 'delivered' || d.gatewayEvents.type === 'failed',
  );
  const [results, setResults] = useState<Record<string, TestResult | { error: unknown }>>({});
  const [busy, setBusy] = useState<string | null>(null);

  const test = async (id: string) => {
    setBusy(id);
    try {
      const { testChannel } = await gql(
        'mutation($id: ID!) { testChannel(id: $id) { status lastError attemptLog { ok status latencyMs peerAnswer error } } }',
        { id },
      );
      setResults((r) => ({ ...r, [id]: testChannel }));
      reload();
    } catch (err) {
      setResults((r) => ({ ...r, [id]: { error: err } }));
    } finally {
      setBusy(null);
    }
  };

  return (
    <>
      <h1>Channels</h1>
      <ErrorBox error={error} />
      <table className="panel">
        <thead>
          <tr>
            <th>name</th>
            <th>type</th>
            <th>health</th>
            <th>success</th>
            <th>p50 / p95</th>
            <th>settings</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {data?.channels.items.map((c: any, _i: number, all: any[]) => {
            const result = results[c.id];
            const policy = policyLine(c, new Map(all.map((o: any) => [o.id, o.name])));
            return (
              <tr key={c.id} data-channel={c.name}>
                <td>
                  <strong>{c.name}</strong>
                  {!c.enabled && <span className="badge">disabled</span>}
                  <div className="muted">
                    {c.group?.name ?? ''} {c.tags.join(' ')}
                  </div>
                </td>
                <td>{c.type}</td>
                <td>
                  <Badge value={c.health.status} />
                  <div className="muted">
                    {c.health.attempts} sends in {c.health.windowMinutes} min
                  </div>
                </td>
                <td>{percent(c.health.successRate)}</td>
                <td>
                  {ms(c.health.p50LatencyMs)} / {ms(c.health.p95LatencyMs)}
                </td>
                <td className="mono" style={{ maxWidth: 380 }}>
                  {Object.entries(c.config as Record<string, unknown>).map(([k, v]) => (
                    <div key={k}>
                      {k}: {typeof v === 'object' ? JSON.stringify(v) : String(v)}
                    </div>
                  ))}
                  {c.secretFieldsSet.length > 0 && <div className="muted">secrets set: {c.secretFieldsSet.join(', ')}</div>}
                  {policy && (
                    <div className="muted" data-testid="delivery-policy">
                      {policy}
                    </div>
                  )}
                  {c.health.lastError && <div className="error">last error: {c.health.lastError}</div>}
                </td>
                <td>
                  {canTest && (
                    <button type="button" disabled={busy === c.id} onClick={() => test(c.id)}>
                      {busy === c.id ? 'Sending…' : 'Test send'}
                    </button>
                  )}
                  {result && 'error' in result && <ErrorBox error={result.error} />}
                  {result && 'status' in result && (
                    <div data-testid="test-result">
                      <Badge value={result.status} />
                      {result.attemptLog.map((a, i) => (
                        <div key={i} className="mono">
                          {a.status ? `HTTP ${a.status}` : 'no answer'} in {ms(a.latencyMs)}: {a.peerAnswer ?? a.error ?? ''}
                        </div>
                      ))}
                    </div>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {data && <Pager offset={offset} size={PAGE} total={data.channels.total} onChange={setOffset} />}
      {data && data.channels.total === 0 && (
        <p className="muted">No channels yet: create one with the createChannel mutation (see the explorer at /graphql).</p>
      )}
    </>
  );
}
