import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configTableMarkdown } from '../../src/cli/config-table';

describe('README', () => {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');

  it('documents every configuration variable exactly as the config schema defines it', () => {
    const embedded = /<!-- config-table:start -->\n([\s\S]*?)\n<!-- config-table:end -->/.exec(readme)?.[1];
    expect(embedded).toBe(configTableMarkdown());
  });

  it('gives the two commands: start on the embedded default, and run the tests', () => {
    expect(readme).toContain('npm start');
    expect(readme).toContain('npm test');
  });
});
