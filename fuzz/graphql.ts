import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { anyValue, hostileString, type Random } from './random';

/** One request to /graphql: body (or a GET query string), the caller's token, what it tries. */
export interface GraphQLCase {
  kind: string;
  method: 'POST' | 'GET';
  body?: string;
  query?: string;
  role: 'anonymous' | 'viewer' | 'operator' | 'admin';
}

/** Ids the fuzzer knows exist, so some calls reach real rows. */
export type KnownIds = string[];

const YAML_BOMB = `a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: [*f,*f,*f,*f,*f,*f,*f,*f,*f]`;

/** A GraphQL literal for a value: any JSON value as GraphQL input syntax. */
function toLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '1e309';
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(toLiteral).join(', ')}]`;
  return `{ ${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${/^[_A-Za-z][_0-9A-Za-z]*$/.test(k) ? k : 'x'}: ${toLiteral(v)}`)
    .join(', ')} }`;
}

/** A value for an input type: usually plausible, often hostile, sometimes of the wrong type. */
function valueFor(type: GraphQLInputType, random: Random, ids: KnownIds, depth = 0): unknown {
  if (random.chance(0.08)) return anyValue(random);
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) return Array.from({ length: random.int(0, 3) }, () => valueFor(inner.ofType, random, ids, depth + 1));
  if (isEnumType(inner)) return { __enum: random.pick(inner.getValues()).name };
  if (isInputObjectType(inner)) {
    if (depth > 3) return {};
    const fields = Object.values(inner.getFields()).filter((f) => isNonNullType(f.type) || random.chance(0.5));
    return Object.fromEntries(fields.map((f) => [f.name, valueFor(f.type, random, ids, depth + 1)]));
  }
  if (isScalarType(inner)) {
    switch (inner.name) {
      case 'ID':
        return random.chance(0.5) && ids.length > 0
          ? random.pick(ids)
          : random.pick(['00000000-0000-4000-8000-000000000000', 'not-a-uuid', hostileString(random)]);
      case 'Int':
        return random.pick([0, 1, 50, 500, 501, -1, 2 ** 31, 1_000_000]);
      case 'Float':
        return random.pick([0, 0.5, -1, 1e300]);
      case 'Boolean':
        return random.chance(0.5);
      case 'JSONObject':
        return random.pick([
          {},
          { url: 'http://169.254.169.254/latest', webhookUrl: 'https://oapi.dingtalk.com/robot/send?access_token=x' },
          { a: anyValue(random) },
          { host: hostileString(random) },
        ]);
      case 'DateTimeISO':
        return random.pick(['2026-01-01T00:00:00Z', 'yesterday', '0000-01-01T00:00:00Z']);
      default:
        return random.pick([
          hostileString(random),
          YAML_BOMB,
          'groups:\n  - name: x\n    rules:\n      - alert: A\n        expr: up == 0\n',
          'route: {receiver: x}\nreceivers: [{name: x}]',
          random.text(5),
        ]);
    }
  }
  return null;
}

function literalFor(type: GraphQLInputType, random: Random, ids: KnownIds): string {
  const value = valueFor(type, random, ids);
  const write = (v: unknown): string => {
    if (v && typeof v === 'object' && '__enum' in (v as object)) return String((v as { __enum: string }).__enum);
    if (Array.isArray(v)) return `[${v.map(write).join(', ')}]`;
    if (v && typeof v === 'object')
      return `{ ${Object.entries(v as Record<string, unknown>)
        .map(([k, x]) => `${k}: ${write(x)}`)
        .join(', ')} }`;
    return toLiteral(v);
  };
  return write(value);
}

/** A selection of a type's fields, `depth` levels down, with aliases now and then. */
function selection(type: GraphQLObjectType, random: Random, ids: KnownIds, depth: number): string {
  const fields = Object.values(type.getFields());
  const chosen = Array.from({ length: random.int(1, Math.min(6, fields.length)) }, () => random.pick(fields));
  return chosen
    .map((field, i) => {
      const named = getNamedType(field.type);
      const alias = random.chance(0.2) ? `a${i}_${random.int(0, 99)}: ` : '';
      const args =
        field.args.length > 0 && random.chance(0.5)
          ? `(${field.args.map((a) => `${a.name}: ${literalFor(a.type, random, ids)}`).join(', ')})`
          : '';
      if (isObjectType(named))
        return depth > 0
          ? `${alias}${field.name}${args} { ${selection(named, random, ids, depth - 1)} }`
          : `${alias}${field.name}${args} { __typename }`;
      return `${alias}${field.name}${args}`;
    })
    .join(' ');
}

function rootCall(kind: 'query' | 'mutation', field: GraphQLField<unknown, unknown>, random: Random, ids: KnownIds): string {
  const args = field.args.filter((a) => isNonNullType(a.type) || random.chance(0.4));
  const argText = args.length > 0 ? `(${args.map((a) => `${a.name}: ${literalFor(a.type, random, ids)}`).join(', ')})` : '';
  const named = getNamedType(field.type);
  const body = isObjectType(named) ? ` { ${selection(named, random, ids, random.int(0, 3))} }` : '';
  return `${kind} { ${field.name}${argText}${body} }`;
}

const ROLES: GraphQLCase['role'][] = ['anonymous', 'viewer', 'operator', 'admin'];

/** The next hostile operation: schema-shaped calls with hostile values, and the classic attacks on GraphQL servers. */
export function graphqlCase(schema: GraphQLSchema, random: Random, ids: KnownIds): GraphQLCase {
  const role = random.pick(ROLES);
  const post = (kind: string, query: string, variables?: unknown): GraphQLCase => ({
    kind,
    method: 'POST',
    role,
    body: JSON.stringify({ query, variables }),
  });
  const roots = (type: GraphQLObjectType | null | undefined) => Object.values(type?.getFields() ?? {});
  const attacks: Array<() => GraphQLCase> = [
    () => post('query', rootCall('query', random.pick(roots(schema.getQueryType())), random, ids)),
    () => post('query', rootCall('query', random.pick(roots(schema.getQueryType())), random, ids)),
    () => post('mutation', rootCall('mutation', random.pick(roots(schema.getMutationType())), random, ids)),
    () => post('mutation', rootCall('mutation', random.pick(roots(schema.getMutationType())), random, ids)),
    () =>
      post(
        'aliases',
        `{ ${Array.from({ length: random.int(10, 3_000) }, (_, i) => `h${i}: health { status components { name status } }`).join(' ')} }`,
      ),
    () =>
      post(
        'deep',
        `{ ${'alertRecords { items { analyses { id } } } '.repeat(1)}${'{'.repeat(0)} viewer { ${'name '.repeat(random.int(1, 5_000))} } }`,
      ),
    () =>
      post(
        'nested depth',
        `query { channels { items { group { ${'__typename '.repeat(1)} } } } ${'__schema { types { fields { type { ofType { ofType { ofType { name } } } } } } }'.repeat(random.int(1, 3))} }`,
      ),
    () => post('fragment cycle', 'query { ...A } fragment A on Query { viewer { name } ...B } fragment B on Query { ...A }'),
    () => post('directive spam', `{ viewer ${'@include(if: true) '.repeat(random.int(10, 2_000))} { name } }`),
    () => post('unknown field', `{ ${hostileString(random).replace(/[^_A-Za-z0-9]/g, '') || 'x'} }`),
    () =>
      post('variables of the wrong type', 'query($limit: Int, $id: ID!) { channels(limit: $limit) { total } channel(id: $id) { id } }', {
        limit: anyValue(random),
        id: anyValue(random),
      }),
    () =>
      post(
        'huge limit',
        `{ alertRecords(limit: ${random.pick([500, 501, 100000, -1])}, offset: ${random.pick([0, -5, 2 ** 31])}) { items { id labels annotations analyses { id } } } }`,
      ),
    () => post('introspection', '{ __schema { types { name fields { name args { name type { name } } } } } }'),
    () => ({
      kind: 'batched',
      method: 'POST',
      role,
      body: JSON.stringify(Array.from({ length: random.int(2, 50) }, () => ({ query: '{ health { status } }' }))),
    }),
    () => ({
      kind: 'not JSON',
      method: 'POST',
      role,
      body: random.pick(['{"query": ', 'query { health }', '\u0000', '{"query": "{ health { status } }"}}}', '{"query": 5}', '{}']),
    }),
    () => ({
      kind: 'GET',
      method: 'GET',
      role,
      query: `query=${encodeURIComponent(random.pick(['{ health { status } }', 'mutation { deleteRoute(id: "x") }', '{', hostileString(random)]).replace(/[\ud800-\udfff]/g, '?'))}`,
    }),
    () => post('subscription over HTTP', 'subscription { gatewayEvents { type } }'),
    () => post('tokens', `query { ${'version { version } '.repeat(random.int(100, 3_000))}}`),
  ];
  return random.pick(attacks)();
}
