import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, validate } from 'graphql';
import { buildAppSchema } from '../../src/schema/build-schema';

describe('examples/operations.graphql', () => {
  it('holds only operations that are valid against the current schema', async () => {
    const source = readFileSync(join(__dirname, '../../examples/operations.graphql'), 'utf8');
    const document = parse(source);
    expect(document.definitions.length).toBeGreaterThanOrEqual(8);
    expect(validate(await buildAppSchema(), document).map((e) => e.message)).toEqual([]);
  });
});
