import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseSidecarFlags } from '../../src/sidecar/sidecar-command';

describe('examples/sidecar/alertmanager-with-sidecar.yaml', () => {
  it('runs the sidecar with flags the command accepts, on the file Alertmanager reads', () => {
    const [doc] = parseAllDocuments(readFileSync(join(__dirname, '../../examples/sidecar/alertmanager-with-sidecar.yaml'), 'utf8')).map(
      (d) => d.toJS(),
    );
    const containers: Array<{ name: string; args: string[] }> = doc.spec.template.spec.containers;
    const sidecar = containers.find((c) => c.name === 'config-sync')!;
    expect(sidecar.args[0]).toBe('sidecar');
    const flags = Object.fromEntries(
      sidecar.args.slice(1).map((arg) => {
        const [key, value] = arg.replace(/^--/, '').split('=');
        return [key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()), value];
      }),
    );
    const parsed = parseSidecarFlags({ backoffBase: '1s', backoffMax: '2m', logLevel: 'info', ...flags } as never);
    expect(parsed).toMatchObject({ kind: 'alertmanager', cluster: 'prod-eu', engineUrl: 'http://localhost:9093' });
    const alertmanager = containers.find((c) => c.name === 'alertmanager')!;
    expect(alertmanager.args).toContain(`--config.file=${parsed.file}`);
  });
});

describe('sidecar flags', () => {
  it('are refused with the flag named and what it expects', () => {
    expect(() =>
      parseSidecarFlags({
        kind: 'alertmanager',
        server: 'http://alertagent:4000',
        cluster: 'prod eu',
        file: '/etc/am.yml',
        engineUrl: 'localhost:9093',
        backoffBase: '1.5s',
        backoffMax: '2m',
        listen: '9531',
        logLevel: 'info',
      } as never),
    ).toThrow(
      '--cluster: cluster names are letters, digits and _ . -; --engine-url: expected an http:// or https:// URL; --backoff-base: "1.5s" is not a duration such as 30s, 5m or 1h30m; --listen: expected host:port, e.g. 0.0.0.0:9531',
    );
  });
});
