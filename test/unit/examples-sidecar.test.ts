import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseSidecarFlags } from '../../src/sidecar/sidecar-command';

describe('examples/sidecar/alertmanager-with-sidecar.yaml', () => {
  it('runs the sidecar with flags the command accepts, on the file Alertmanager reads', () => {
    const [doc] = parseAllDocuments(readFileSync(join(__dirname, '../../examples/sidecar/alertmanager-with-sidecar.yaml'), 'utf8')).map((d) => d.toJS());
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
