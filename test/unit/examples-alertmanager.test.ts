import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { AMTOOL_BINARY } from '../support/alertmanager';

describe('examples/alertmanager/alertmanager.yml', () => {
  it('is a config Alertmanager itself accepts (amtool check-config)', () => {
    const output = execFileSync(AMTOOL_BINARY, ['check-config', join(__dirname, '../../examples/alertmanager/alertmanager.yml')], {
      encoding: 'utf8',
    });
    expect(output).toContain('SUCCESS');
    expect(output).toContain('1 receivers');
  });
});
