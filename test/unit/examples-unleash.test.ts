import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { FLAG_NAMES } from '../../src/services/flags/flag-definitions';
import { readBootstrapFile } from '../../src/services/flags/bootstrap-file';
import { ENVIRONMENT_VARIABLES } from '../../src/config';

const dir = join(__dirname, '../../examples/unleash');

describe('examples/unleash', () => {
  it('is a Compose file docker-compose accepts', () => {
    const out = execFileSync('docker-compose', ['-f', join(dir, 'docker-compose.yml'), 'config', '-q'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(out).toBe('');
  });

  it('gives AlertAgent only settings it knows, with the client token Unleash is told to create', () => {
    const compose = parse(readFileSync(join(dir, 'docker-compose.yml'), 'utf8'));
    const env = compose.services.alertagent.environment as Record<string, string>;
    const known = new Set<string>(ENVIRONMENT_VARIABLES.map((e) => e.env));
    expect(Object.keys(env).filter((name) => !known.has(name))).toEqual([]);
    expect(compose.services.unleash.environment.INIT_CLIENT_API_TOKENS).toBe(env.UNLEASH_API_TOKEN);
  });

  it('creates a toggle for every flag AlertAgent reads, and its bootstrap file is valid', () => {
    const script = readFileSync(join(dir, 'create-toggles.sh'), 'utf8');
    for (const flag of FLAG_NAMES) expect(script).toContain(flag);
    expect(readBootstrapFile(join(dir, 'flags.yaml')).unknown).toEqual([]);
  });
});
