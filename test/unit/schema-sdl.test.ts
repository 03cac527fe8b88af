import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { printAppSchema } from '../../src/schema/build-schema';

describe('published SDL', () => {
  it('matches the schema the code builds (run `npm run docs` after changing the API)', async () => {
    const committed = readFileSync(join(__dirname, '../../src/schema/schema.graphql'), 'utf8');
    expect(committed).toBe(await printAppSchema());
  });
});
