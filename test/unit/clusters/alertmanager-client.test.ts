import { AlertmanagerClient } from '../../../src/services/clusters/alertmanager-client';
import type { ClusterEntity } from '../../../src/entities/clusters/cluster.entity';

/** Answers as Alertmanager 0.25's API v2 gives them, by path; records which replica was asked. */
function alertmanagerAnswering(bodies: Record<string, unknown>, down: string[] = []) {
  const asked: string[] = [];
  const peers = {
    call: async (_method: string, url: string) => {
      asked.push(url);
      const base = Object.keys(bodies).find((path) => url.endsWith(path));
      if (down.some((d) => url.startsWith(d))) return { status: 503, text: 'not ready' };
      return base ? { status: 200, text: JSON.stringify(bodies[base]) } : { status: 404, text: 'not found' };
    },
  };
  const health = { latest: async () => [], tlsOf: () => undefined };
  return { client: new AlertmanagerClient(health as never, peers as never), asked };
}

const cluster = { id: 'c1', name: 'prod', alertmanagerUrls: ['http://am-0:9093', 'http://am-1:9093'] } as ClusterEntity;

describe('AlertmanagerClient reads Alertmanager API v2 into typed answers', () => {
  it('writes silence matchers in Alertmanager notation, an absent isEqual meaning equal (before 0.22)', async () => {
    const { client } = alertmanagerAnswering({
      '/api/v2/silences': [
        {
          id: 's1',
          status: { state: 'active' },
          matchers: [
            { name: 'alertname', value: 'Disk"Full', isRegex: false },
            { name: 'instance', value: 'db-.*', isRegex: true, isEqual: true },
            { name: 'env', value: 'dev', isRegex: false, isEqual: false },
            { name: 'team', value: 'a|b', isRegex: true, isEqual: false },
          ],
          createdBy: 'ops',
          comment: 'maintenance',
          startsAt: '2026-12-07T10:00:00.000Z',
          endsAt: '2026-12-07T12:00:00.000Z',
        },
      ],
    });
    const { body } = await client.silences(cluster);
    expect(body[0].matchers).toEqual(['alertname="Disk\\"Full"', 'instance=~"db-.*"', 'env!="dev"', 'team!~"a|b"']);
    expect(body[0].endsAt).toEqual(new Date('2026-12-07T12:00:00.000Z'));
  });

  it('fills what a status without gossip leaves out, masks secrets in the config, and says which replica answered', async () => {
    const { client, asked } = alertmanagerAnswering(
      {
        '/api/v2/status': {
          versionInfo: { version: '0.25.0' },
          uptime: '2026-12-07T09:00:00.000Z',
          config: { original: 'global:\n  slack_api_url: https://hooks.slack.com/services/T0/B0/secret\n' },
        },
      },
      ['http://am-0:9093'],
    );
    const { servedBy, body } = await client.status(cluster);
    expect(servedBy).toBe('http://am-1:9093');
    expect(asked).toHaveLength(2);
    expect(body).toMatchObject({ version: '0.25.0', clusterStatus: 'disabled', peers: 0 });
    expect(body.config).not.toContain('secret');
  });

  it('names the receivers of each alert', async () => {
    const { client } = alertmanagerAnswering({
      '/api/v2/alerts': [
        {
          fingerprint: 'f1',
          status: { state: 'suppressed' },
          labels: { alertname: 'A' },
          annotations: {},
          startsAt: '2026-12-07T09:00:00.000Z',
          endsAt: '2026-12-07T09:05:00.000Z',
          receivers: [{ name: 'oncall' }, { name: 'alertagent' }],
        },
      ],
    });
    const { body } = await client.alerts(cluster);
    expect(body).toEqual([expect.objectContaining({ fingerprint: 'f1', state: 'suppressed', receivers: ['oncall', 'alertagent'] })]);
  });
});
