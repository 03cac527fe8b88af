/**
 * The layering AlertAgent keeps (checked by `npm run lint`, part of `npm test`):
 * entities know only the domain; services know no GraphQL, HTTP or resolvers; resolvers reach the
 * database only through services; the sidecar stands on shared code alone; no import cycles.
 */
module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'entities-import-only-the-domain',
      comment: 'Entities describe storage; what they share with services lives in src/domain.',
      severity: 'error',
      from: { path: '^src/entities/' },
      to: { path: '^src/(services|resolvers|http|schema|graphql|cli|sidecar)/' },
    },
    {
      name: 'services-know-no-api',
      comment: 'Services are the product; GraphQL, HTTP and resolvers sit on top of them.',
      severity: 'error',
      from: { path: '^src/services/' },
      to: { path: '^src/(resolvers|graphql|schema|http)/' },
    },
    {
      name: 'resolvers-use-services-not-the-database',
      comment: 'Resolvers map; the entity manager belongs to services and their repositories.',
      severity: 'error',
      from: { path: '^src/resolvers/' },
      to: { path: '^node_modules/@mikro-orm/' },
    },
    {
      name: 'sidecar-stands-alone',
      comment: 'The sidecar ships beside Alertmanager and Prometheus: shared code, the errors and the config loader only.',
      severity: 'error',
      from: { path: '^src/sidecar/' },
      to: { path: '^src/', pathNot: ['^src/(sidecar|shared|domain|errors)/', '^src/config\\.ts$'] },
    },
    {
      name: 'shared-stands-alone',
      comment: 'src/shared is what the server and the sidecar both use: it leans on nothing of either.',
      severity: 'error',
      from: { path: '^src/(shared|domain)/' },
      to: { path: '^src/', pathNot: '^src/(shared|domain|errors)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    exclude: { path: '^(dist|web)/' },
  },
};
