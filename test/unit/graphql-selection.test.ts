import { buildSchema, graphql } from 'graphql';
import { selectsField } from '../../src/graphql/selection';

describe('selectsField', () => {
  const schema = buildSchema('type Page { total: Int! items: [Int!]! } type Query { page: Page! }');
  const asked = async (query: string) => {
    let seen: boolean | undefined;
    const result = await graphql({
      schema,
      source: query,
      rootValue: { page: (_: unknown, _ctx: unknown, info: never) => ((seen = selectsField(info, 'total')), { total: 3, items: [1] }) },
    });
    expect(result.errors).toBeUndefined();
    return seen;
  };

  it('sees a field asked for directly, through inline fragments and named ones (even cyclic-looking reuse)', async () => {
    expect(await asked('{ page { items } }')).toBe(false);
    expect(await asked('{ page { items total } }')).toBe(true);
    expect(await asked('{ page { ... on Page { total } } }')).toBe(true);
    expect(
      await asked('{ page { ...P ...Q } } fragment P on Page { items } fragment Q on Page { ...R } fragment R on Page { total }'),
    ).toBe(true);
    expect(await asked('{ page { ...P ...P } } fragment P on Page { items }')).toBe(false);
    expect(await asked('{ page { count: total } }')).toBe(true);
  });
});
