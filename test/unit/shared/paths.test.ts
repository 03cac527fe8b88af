import { clusterWebhookPath, sidecarPath } from '../../../src/shared/paths';

describe('URL paths shared by server, services and sidecar', () => {
  it('encodes cluster names so a name cannot reach another path', () => {
    expect(clusterWebhookPath('prod-eu')).toBe('/api/v1/alerts/alertmanager/prod-eu');
    expect(clusterWebhookPath('a/../b c')).toBe('/api/v1/alerts/alertmanager/a%2F..%2Fb%20c');
    expect(sidecarPath('prod eu', 'sync')).toBe('/api/v1/sidecar/clusters/prod%20eu/sync');
    expect(sidecarPath('prod', 'prometheus-rules.yml')).toBe('/api/v1/sidecar/clusters/prod/prometheus-rules.yml');
  });
});
