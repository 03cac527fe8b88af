import { useState } from 'react';
import { Badge, Diff, ErrorBox, HealthChart, ms, Pager, time, useLiveReload, useQuery } from '../components';

// Replicas and sync state are read per cluster: pages of 5 keep the list within a viewer's cost limit.
const PAGE = 5;
const CLUSTERS = `query($offset: Int!) { clusters(limit: 5, offset: $offset) { total items {
  id name status labels alertmanagerUrls webhookUrl
  replicas { url up responseMs version peers error checkedAt }
  sync { desiredVersion desiredHash instances { instance inSync appliedHash lastSuccessAt lastError } }
} } }`;
const history = (withConfig: boolean) => `query($id: ID!) { cluster(id: $id) {
  healthHistory(limit: 200) { url up responseMs checkedAt }
  ${withConfig ? 'configVersions(limit: 10) { total items { version author createdAt hash content } }' : ''}
} }`;

/** Health over time and config versions of one cluster, with the difference between a version and the one before it. */
function ClusterHistory({ id, canSeeConfig }: { id: string; canSeeConfig: boolean }) {
  const { data, error, reload } = useQuery<any>(history(canSeeConfig), { id });
  useLiveReload(
    [`subscription { clusterHealth(clusterId: "${id}") { at } }`, `subscription { clusterSync(clusterId: "${id}") { at } }`],
    reload,
    2_000,
  );
  const [chosen, setChosen] = useState<number | null>(null);
  if (error) return <ErrorBox error={error} />;
  if (!data) return null;
  const versions = data.cluster.configVersions?.items ?? [];
  const index = Math.max(
    0,
    versions.findIndex((v: any) => v.version === (chosen ?? versions[0]?.version)),
  );
  const [after, before] = [versions[index], versions[index + 1]];
  return (
    <>
      <HealthChart points={data.cluster.healthHistory} />
      {!canSeeConfig && <p className="muted">Config versions need the clusters:deploy permission (operator).</p>}
      {canSeeConfig && after && (
        <>
          <strong>Config versions</strong>{' '}
          <select value={after.version} onChange={(e) => setChosen(Number(e.target.value))} aria-label="config version">
            {versions.map((v: any) => (
              <option key={v.version} value={v.version}>
                version {v.version} by {v.author}, {time(v.createdAt)}
              </option>
            ))}
          </select>
          <Diff
            from={before ? `version ${before.version}` : 'nothing'}
            to={`version ${after.version}`}
            before={before?.content ?? ''}
            after={after.content}
          />
        </>
      )}
    </>
  );
}

/** Clusters: replica health over time, sidecar sync state, and config versions with their differences. */
export function ClustersPage({ canSeeConfig }: { canSeeConfig: boolean }) {
  const [offset, setOffset] = useState(0);
  const { data, error, reload } = useQuery<any>(CLUSTERS, { offset });
  useLiveReload(['subscription { clusterHealth { at } }', 'subscription { clusterSync { at } }'], reload, 2_000);
  return (
    <>
      <h1>Clusters</h1>
      <ErrorBox error={error} />
      {data?.clusters.total === 0 && (
        <p className="muted">No clusters yet: register one with createCluster (see the explorer at /graphql).</p>
      )}
      {data?.clusters.items.map((c: any) => (
        <div className="panel" key={c.id} data-cluster={c.name}>
          <h2>
            {c.name} <Badge value={c.status} />
          </h2>
          <div className="cards">
            <div>
              <strong>Replicas</strong>
              <table>
                <tbody>
                  {c.replicas.map((r: any) => (
                    <tr key={r.url}>
                      <td className="mono">{r.url}</td>
                      <td>
                        <Badge value={r.up ? 'up' : 'down'} />
                      </td>
                      <td>{ms(r.responseMs)}</td>
                      <td>{r.version ?? ''}</td>
                      <td className="muted">{r.error ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <div>
              <strong>Sidecar sync</strong> <span className="muted">desired version {c.sync.desiredVersion}</span>
              <table>
                <tbody>
                  {c.sync.instances.length === 0 && (
                    <tr>
                      <td className="muted">no sidecar has reported yet</td>
                    </tr>
                  )}
                  {c.sync.instances.map((s: any) => (
                    <tr key={s.instance}>
                      <td>{s.instance}</td>
                      <td>
                        <Badge value={s.inSync ? 'healthy' : 'degraded'} />
                      </td>
                      <td>{time(s.lastSuccessAt)}</td>
                      <td className="muted">{s.lastError ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </div>
          <ClusterHistory id={c.id} canSeeConfig={canSeeConfig} />
        </div>
      ))}
      {data && <Pager offset={offset} size={PAGE} total={data.clusters.total} onChange={setOffset} />}
    </>
  );
}
