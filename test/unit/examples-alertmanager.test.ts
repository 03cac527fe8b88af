import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ALERTMANAGER_BINARY } from '../support/alertmanager';

describe('examples/alertmanager/alertmanager.yml', () => {
  it('is a config Alertmanager itself accepts (amtool check-config)', () => {
    const amtool = ALERTMANAGER_BINARY === 'prometheus-alertmanager' ? 'amtool' : join(ALERTMANAGER_BINARY, '..', 'amtool');
    const output = execFileSync(amtool, ['check-config', join(__dirname, '../../examples/alertmanager/alertmanager.yml')], { encoding: 'utf8' });
    expect(output).toContain('SUCCESS');
    expect(output).toContain('1 receivers');
  });
});
