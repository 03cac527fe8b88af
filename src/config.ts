import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { isSensitiveKey } from './shared/sensitive';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Accepts real booleans (YAML) and the strings an environment variable can hold. */
const BOOLEAN_WORDS: Record<string, boolean> = { true: true, false: false, '1': true, '0': false, yes: true, no: false };
const flexibleBoolean = z.preprocess(
  (v) => (typeof v === 'string' ? (BOOLEAN_WORDS[v.trim().toLowerCase()] ?? v) : v),
  z.boolean({ message: 'expected true or false' }),
);

const wholeNumber = z.coerce.number({ message: 'expected a whole number' }).int('expected a whole number');
const port = wholeNumber.min(0, 'expected a port from 0 to 65535').max(65535, 'expected a port from 0 to 65535');
const positiveInt = wholeNumber.positive('expected a number above 0');
const optionalString = z.string().trim().min(1).optional();
const fraction = z.coerce
  .number({ message: 'expected a number from 0 to 1' })
  .min(0, 'expected a number from 0 to 1')
  .max(1, 'expected a number from 0 to 1');

// A string that is not a URL at all gets one message, not "Invalid URL" and the scheme message both.
const postgresUrl = z
  .string()
  .url({ message: 'expected a postgres:// or postgresql:// URL', abort: true })
  .refine((u) => /^postgres(ql)?:\/\//.test(u), 'expected a postgres:// or postgresql:// URL');
const redisUrl = z
  .string()
  .url({ message: 'expected a redis:// or rediss:// URL', abort: true })
  .refine((u) => /^rediss?:\/\//.test(u), 'expected a redis:// or rediss:// URL');
const httpUrl = z
  .string()
  .url({ message: 'expected an http:// or https:// URL', abort: true })
  .refine((u) => /^https?:\/\//.test(u), 'expected an http:// or https:// URL');

/** An http(s) base URL, stored without trailing slashes so paths can be appended. */
export const httpBaseUrl = httpUrl.transform((u) => u.replace(/\/+$/, ''));

const base64Key = z
  .string()
  .refine((v) => Buffer.from(v, 'base64').length === 32, 'expected 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`)');

/** `flag=accuracy` pairs, e.g. `analysis.remediation=0.9`: features that ask more of a provider than the global minimum. */
const featureAccuracy = z.string().transform((text, ctx) => {
  const minimums: Record<string, number> = {};
  for (const pair of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const match = /^([a-z][a-z0-9.-]*)=(0(?:\.\d+)?|1(?:\.0+)?)$/.exec(pair);
    if (!match) {
      ctx.addIssue({
        code: 'custom',
        message: `expected flag=accuracy pairs with an accuracy from 0 to 1, e.g. analysis.remediation=0.9 (got "${pair}")`,
      });
      return z.NEVER;
    }
    minimums[match[1]] = Number(match[2]);
  }
  return minimums;
});

/** `role:cost` pairs, e.g. `anonymous:20,viewer:5000`; every built-in role must be there. */
const costLimits = z.string().transform((text, ctx) => {
  const limits: Record<string, number> = {};
  for (const pair of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const match = /^([A-Za-z0-9_.-]+):(\d+)$/.exec(pair);
    if (!match) {
      ctx.addIssue({ code: 'custom', message: `expected role:cost pairs, e.g. viewer:5000 (got "${pair}")` });
      return z.NEVER;
    }
    limits[match[1]] = Number(match[2]);
  }
  const missing = ['anonymous', 'viewer', 'operator', 'admin'].filter((role) => limits[role] === undefined);
  if (missing.length > 0) {
    ctx.addIssue({ code: 'custom', message: `missing ${missing.join(', ')}` });
    return z.NEVER;
  }
  return limits;
});

export const configSchema = z.strictObject({
  server: z
    .strictObject({
      host: z.string().default('0.0.0.0'),
      port: port.default(4000),
      bodyLimitBytes: positiveInt.default(8 * 1024 * 1024),
      /** Open connections in all; more are dropped as they arrive. Keep it below the file-descriptor limit (ulimit -n). */
      maxConnections: positiveInt.default(10_000),
      /** Open connections from one address (a proxy counts as one). */
      maxConnectionsPerIp: positiveInt.default(512),
      /** A client must send a request's headers within this. */
      headersTimeoutMs: positiveInt.default(10_000),
      /** A client must send a whole request within this. */
      requestTimeoutMs: positiveInt.default(60_000),
      /**
       * How long a kept-alive connection may sit idle after an answer. Longer than a proxy's idle
       * timeout (60 s is common), so the client closes first: a close that crosses a new request on
       * the wire loses that request, and a client that stalls ~5 s could meet Node's default.
       */
      keepAliveTimeoutMs: positiveInt.default(65_000),
      /** graphql-ws connections in all, per client address and per caller (token). */
      maxSubscriptionSockets: positiveInt.default(2_000),
      maxSubscriptionSocketsPerIp: positiveInt.default(100),
      maxSubscriptionSocketsPerCaller: positiveInt.default(20),
      /** A graphql-ws connection with no operation running for this long is closed. */
      subscriptionIdleMs: positiveInt.default(60_000),
      /** Unwritten bytes one graphql-ws socket may hold; results for a socket over it are dropped for it (and counted). */
      subscriptionBufferBytes: positiveInt
        .min(1_024)
        .max(64 * 1024 * 1024)
        .default(1024 * 1024),
      /** Subscription results to one graphql-ws socket within this are written together: one system call instead of one each. */
      subscriptionFlushMs: wholeNumber.min(0, 'expected 0 or more').max(1_000).default(25),
      /** Events a subscription's fan-out has not reached within this are skipped (0 = never): subscribers see now, not a backlog. */
      subscriptionMaxLagMs: wholeNumber.max(600_000).default(5_000),
      /** Where graphql-ws is served: a process of its own (own), the serve process (inline), or own where Redis carries events (auto). */
      subscriptionProcess: z.enum(['auto', 'own', 'inline']).default('auto'),
      /** When set, /metrics answers only requests bearing it (Prometheus: authorization.credentials). */
      metricsToken: z.string().min(16, 'must be at least 16 characters').optional(),
      /** Proxies whose X-Forwarded-For is believed (addresses, CIDRs or loopback, linklocal, uniquelocal). */
      trustProxy: z.string().default('loopback, linklocal, uniquelocal'),
      /** Header whose value becomes the request id when a proxy sets one. */
      requestIdHeader: z.string().default('x-request-id'),
      /** How Alertmanager reaches this server (written into rendered configs); default http://localhost:<port>. */
      publicUrl: httpBaseUrl.optional(),
    })
    .prefault({}),
  database: z
    .strictObject({
      /** PostgreSQL connection string; when absent the embedded PGlite database is used. */
      url: postgresUrl.optional(),
      dataDir: z.string().default('./data'),
      autoMigrate: flexibleBoolean.default(true),
      poolMax: positiveInt.default(10),
    })
    .prefault({}),
  redis: z
    .strictObject({
      url: redisUrl.optional(),
      keyPrefix: z
        .string()
        .regex(/^[A-Za-z0-9_.:-]+$/, 'only letters, digits and _ . : - are allowed')
        .default('alertagent'),
      /** Redis calls on the alert path (windows, events) that take longer fall back to the process. */
      commandTimeoutMs: positiveInt.max(10_000).default(100),
      /** A running job's claim, renewed at half this while its worker lives; a job of a worker gone longer is run again. */
      jobLockMs: positiveInt.min(1_000).max(600_000).default(30_000),
    })
    .prefault({}),
  log: z.strictObject({ level: z.enum(LOG_LEVELS).default('info') }).prefault({}),
  tracing: z
    .strictObject({
      /** OTLP/HTTP collector base URL (…/v1/traces is appended); tracing is off without it. */
      otlpEndpoint: httpUrl.optional(),
      serviceName: z.string().trim().min(1).default('alertagent'),
      /** Share of new traces kept (a trace begun upstream keeps its caller's decision). */
      sampleRatio: z.coerce.number().min(0).max(1).default(1),
    })
    .prefault({}),
  auth: z
    .strictObject({
      /** HS256 secret for bearer JWTs; JWT auth is off when absent (API tokens still work). */
      jwtSecret: z.string().min(32, 'must be at least 32 characters').optional(),
      jwtIssuer: z.string().default('alertagent'),
      /** A JWT must carry `exp`, and live at most this long (from `iat`, or from now when it has none). */
      jwtMaxLifetimeSeconds: positiveInt.default(24 * 3600),
      /** An admin API token accepted from the environment, e.g. a Kubernetes Secret. */
      bootstrapToken: z.string().min(24, 'must be at least 24 characters').optional(),
    })
    .prefault({}),
  flags: z
    .strictObject({
      unleashUrl: httpUrl.optional(),
      unleashToken: optionalString,
      unleashAppName: z.string().default('alertagent'),
      refreshIntervalMs: positiveInt.default(15_000),
      /** YAML or JSON file of `flagName: true|false`, used when Unleash is absent or unreachable. */
      bootstrapFile: optionalString,
      /** Channel told of every flag change (who, why, from which source). */
      notifyChannelId: z.uuid('must be a channel id (UUID)').optional(),
    })
    .prefault({}),
  graphql: z
    .strictObject({
      maxDepth: positiveInt.max(100).default(12),
      introspection: flexibleBoolean.default(true),
      maxAliases: positiveInt.max(1_000).default(15),
      maxRootFields: positiveInt.max(1_000).default(10),
      /** Parsing stops past this many tokens: a document's size costs nothing more than this. */
      maxTokens: positiveInt.default(5_000),
      /** Resolvers that have not started by then do not run; the answer carries TIMEOUT errors for them. */
      timeoutMs: positiveInt.default(10_000),
      /** Most an operation may cost, per role; `anonymous` is the public surface (health, version). */
      costLimits: costLimits.prefault('anonymous:200,viewer:2000,operator:4000,admin:8000'),
      /** Cost a caller (token, or address when anonymous) may spend per minute, across operations. */
      costPerMinute: positiveInt.default(100_000),
      /** …and per second, so the minute's budget is not spent in one burst. */
      costPerSecond: positiveInt.default(4_000),
      /** GraphQL requests and subscriptions one client address may start per minute. */
      requestsPerMinutePerIp: positiveInt.default(1_200),
      /** Operations one caller may have running at once. */
      maxConcurrentPerCaller: positiveInt.max(1_000).default(4),
      /** Operations costing this much or more take turns with each other (they hold the event loop for milliseconds). */
      heavyCost: positiveInt.default(1_000),
      /** Heavy operations running at once per process. */
      heavyAtOnce: positiveInt.max(64).default(1),
      /** Top-level query fields (each a database read) running at once per process; the rest of the pool stays free for the alert path. */
      readsAtOnce: positiveInt.max(256).default(4),
    })
    .prefault({}),
  workers: z
    .strictObject({
      /** Run queue workers inside `serve` (single-node default). */
      inProcess: flexibleBoolean.default(true),
    })
    .prefault({}),
  security: z
    .strictObject({
      /** 32 bytes, base64: seals channel secrets at rest. Unset in the embedded mode = a key file in the data directory. */
      encryptionKey: base64Key.optional(),
      encryptionKeyId: z
        .string()
        .regex(/^[A-Za-z0-9_.-]{1,32}$/, 'letters, digits and _ . - only, at most 32')
        .default('k1'),
      /** Older keys, `id:base64,id:base64`, still accepted for opening secrets during a rotation. */
      previousEncryptionKeys: z.string().optional(),
    })
    .prefault({}),
  delivery: z
    .strictObject({
      maxAttempts: positiveInt.max(50).default(8),
      backoffBaseMs: positiveInt.default(2_000),
      backoffMaxMs: positiveInt.default(5 * 60_000),
      /** How long a sender owns a delivery; past it, a crashed sender's delivery is taken over. */
      leaseMs: positiveInt.default(60_000),
      /** How often due and orphaned deliveries are looked for (the safety net under the queue). */
      sweepIntervalMs: positiveInt.default(15_000),
      concurrency: positiveInt.max(256).default(16),
      /** Window of channel health (success rate, latency percentiles). */
      healthWindowMinutes: positiveInt.max(24 * 60).default(15),
      /** How often channel SLOs are judged and due scheduled probes run. */
      watchIntervalMs: positiveInt.min(1_000).default(30_000),
      /** A channel's own templates render in worker threads and are stopped past this; the message then goes out with the defaults. */
      templateTimeoutMs: positiveInt.max(60_000).default(1_000),
    })
    .prefault({}),
  gateway: z
    .strictObject({
      /** Alertmanager sends up to thousands of alerts per group; 5 MiB holds several thousand. */
      bodyLimitBytes: positiveInt.default(5 * 1024 * 1024),
      sweepIntervalMs: positiveInt.default(10_000),
      /** A receipt still unprocessed this long after it was accepted was left by a crash; the sweeper finishes it. */
      orphanAfterMs: positiveInt.default(10_000),
      /** Alertmanager HA replicas each send the same notification: copies within this window are dropped. */
      dedupeWindowMs: positiveInt.default(60_000),
      /** With the gateway.convergence flag on: repeats of one firing alert within this window are folded. */
      convergenceWindowMs: positiveInt.default(5 * 60_000),
      /** With flag gateway.inhibition: a source alert not seen again for this long no longer inhibits (its Alertmanager may be gone). Above Alertmanager's repeat_interval. */
      inhibitionSourceTtlMs: positiveInt.default(6 * 3600_000),
      /** With flag gateway.inhibition: targets still held when their last source stops wait this long for their own resolution before they are sent (Alertmanager's default group_interval; 0 = at once). */
      inhibitionReleaseWaitMs: wholeNumber.min(0, 'expected 0 or more').default(5 * 60_000),
      /** With flag gateway.advanced-convergence: an alert that changes between firing and resolved this many times … */
      flapChanges: positiveInt.min(2).max(100).default(4),
      /** … within this window is flapping: told once, then held … */
      flapWindowMs: positiveInt.default(60 * 60_000),
      /** … until it has not changed for this long, when one summary says how it settled. */
      flapQuietMs: positiveInt.default(15 * 60_000),
      /** A webhook credential once accepted is not looked up again for this long: revocations apply within it. */
      credentialCacheMs: wholeNumber.min(0, 'expected 0 or more').default(5_000),
      /** Routing whose regexes could be costly runs in a worker thread and is stopped past this; the alerts then take the default route. */
      routingTimeoutMs: positiveInt.max(60_000).default(1_000),
      /** Alerts held between acceptance and their first send; past it webhooks are answered 503 with Retry-After. */
      maxInFlightAlerts: positiveInt.default(10_000),
      /** Retry-After of those 503s. */
      overloadRetryAfterSeconds: positiveInt.max(300).default(5),
      /** While no route exists, a start creates the fallback route `default` delivering here. */
      defaultRouteWebhookUrl: httpUrl.optional(),
    })
    .prefault({}),
  egress: z
    .strictObject({
      /** auto: refused in production (PostgreSQL), allowed in the embedded quick start. */
      loopback: z.enum(['auto', 'allow', 'deny']).default('auto'),
      privateRanges: z.enum(['allow', 'deny']).default('allow'),
      /** Addresses, CIDRs or host names (`*.example.com`) always allowed. */
      allow: z.string().default(''),
      /** Addresses, CIDRs or host names refused as well. */
      deny: z.string().default(''),
    })
    .prefault({}),
  sandbox: z
    .strictObject({
      /** Worker threads for work whose cost a user controls: channels' own templates, costly route regexes. */
      threads: positiveInt.max(16).default(2),
    })
    .prefault({}),
  clusters: z
    .strictObject({
      healthIntervalMs: positiveInt.default(15_000),
      healthTimeoutMs: positiveInt.default(3_000),
      /** Replica health history is kept this long. */
      healthRetentionHours: positiveInt.default(72),
    })
    .prefault({}),
  analysis: z
    .strictObject({
      /** Analyses run at once per worker process. */
      concurrency: positiveInt.max(64).default(4),
      /** Tries per analysis, the first included; past them it is failed (or timed out) with the reason. */
      maxAttempts: positiveInt.max(10).default(3),
      backoffBaseMs: positiveInt.default(2_000),
      backoffMaxMs: positiveInt.default(60_000),
      /** Largest context sent to a provider, as JSON. */
      contextMaxBytes: positiveInt.default(16_384),
      /** Earlier notifications, similar alerts and earlier analyses each included in the context. */
      historyLimit: positiveInt.max(100).default(10),
      /** AI maturity: each provider judged over the analyses finished in this many hours. */
      maturityWindowHours: positiveInt.max(24 * 90).default(24),
      /** Fewest finished analyses (and, for accuracy, rated ones) before a provider is judged at all. */
      maturityMinSamples: positiveInt.max(100_000).default(20),
      /** Below this share of "useful" among rated analyses a provider is degraded. */
      maturityMinAccuracy: fraction.default(0.6),
      /** Above this share of errors, time-outs and unparsed answers a provider is degraded. */
      maturityMaxFailureRate: fraction.default(0.25),
      /** Above this 95th-percentile answer time a provider is degraded. */
      maturityMaxLatencyMs: positiveInt.default(120_000),
      /** A degraded provider is trusted again only this far inside every threshold (hysteresis). */
      maturityRecoveryMargin: fraction.max(0.5).default(0.1),
      /** Per AI-driven feature, a higher accuracy its providers must keep (else the feature alone is switched off). */
      maturityFeatureMinAccuracy: featureAccuracy.prefault(''),
      maturityIntervalMs: positiveInt.default(60_000),
    })
    .prefault({}),
  escalation: z
    .strictObject({
      /** How long an acknowledgement link in a message works. */
      ackLinkTtlSeconds: positiveInt
        .min(60)
        .max(30 * 86_400)
        .default(7 * 86_400),
    })
    .prefault({}),
  retention: z
    .strictObject({
      auditDays: positiveInt.default(365),
      /** Webhook payloads as received (replays reach back this far). */
      receiptsDays: positiveInt.max(3650).default(30),
      /** Alert records, acknowledgements and finished escalations. */
      recordsDays: positiveInt.max(3650).default(365),
      /** Finished deliveries with their attempts. */
      deliveriesDays: positiveInt.max(3650).default(90),
      analysesDays: positiveInt.max(3650).default(365),
      /** Resolved incidents with their alerts and notifications. */
      incidentsDays: positiveInt.max(3650).default(365),
      executionsDays: positiveInt.max(3650).default(365),
    })
    .prefault({}),
});

export type Config = z.output<typeof configSchema>;

/** One row per environment variable: where it lands in the config and what it means (the README table is built from this). */
export const ENVIRONMENT_VARIABLES = [
  { env: 'HOST', path: 'server.host', description: 'Interface to listen on' },
  { env: 'PORT', path: 'server.port', description: 'HTTP port for GraphQL, subscriptions and the plain routes (0 = any free port)' },
  {
    env: 'PUBLIC_URL',
    path: 'server.publicUrl',
    description: 'URL at which Alertmanager reaches this server, used in rendered configs (default http://localhost:PORT)',
  },
  {
    env: 'MAX_CONNECTIONS',
    path: 'server.maxConnections',
    description: 'Open connections in all (keep below `ulimit -n`); more are dropped as they arrive',
  },
  {
    env: 'MAX_CONNECTIONS_PER_IP',
    path: 'server.maxConnectionsPerIp',
    description: 'Open connections from one address; more are dropped as they arrive',
  },
  { env: 'HEADERS_TIMEOUT_MS', path: 'server.headersTimeoutMs', description: "Time a client has to send a request's headers" },
  { env: 'REQUEST_TIMEOUT_MS', path: 'server.requestTimeoutMs', description: 'Time a client has to send a whole request' },
  {
    env: 'KEEP_ALIVE_TIMEOUT_MS',
    path: 'server.keepAliveTimeoutMs',
    description:
      "Idle time a kept-alive connection stays open after an answer; keep it above your proxy's idle timeout so the client closes first",
  },
  { env: 'WS_MAX_CONNECTIONS', path: 'server.maxSubscriptionSockets', description: 'graphql-ws connections in all' },
  {
    env: 'WS_MAX_CONNECTIONS_PER_IP',
    path: 'server.maxSubscriptionSocketsPerIp',
    description: 'graphql-ws connections from one client address',
  },
  {
    env: 'WS_MAX_CONNECTIONS_PER_CALLER',
    path: 'server.maxSubscriptionSocketsPerCaller',
    description: 'graphql-ws connections of one caller (token)',
  },
  {
    env: 'WS_BUFFER_BYTES',
    path: 'server.subscriptionBufferBytes',
    description:
      'Unwritten bytes one graphql-ws socket may hold while its client reads slowly; results for it past this are dropped and counted in alertagent_subscription_events_dropped_total',
  },
  {
    env: 'WS_FLUSH_MS',
    path: 'server.subscriptionFlushMs',
    description:
      'Subscription results to one socket within this many ms are written together (0 = each at once); trades up to this much event latency for far fewer writes',
  },
  {
    env: 'WS_MAX_LAG_MS',
    path: 'server.subscriptionMaxLagMs',
    description:
      'A subscription whose fan-out falls this many ms behind skips the older events (counted in alertagent_subscription_events_stale_total), so subscribers get what happens now rather than a growing backlog; 0 = never skip',
  },
  {
    env: 'WS_PROCESS',
    path: 'server.subscriptionProcess',
    description:
      'Where graphql-ws is served: `own` = a child process of `alertagent serve` (writing results to many sockets never delays webhooks; needs DATABASE_URL and REDIS_URL), `inline` = the serve process, `auto` = own when DATABASE_URL and REDIS_URL are set (the embedded mode is one process)',
  },
  {
    env: 'WS_IDLE_TIMEOUT_MS',
    path: 'server.subscriptionIdleMs',
    description: 'A graphql-ws connection with no operation running for this long is closed',
  },
  {
    env: 'METRICS_TOKEN',
    path: 'server.metricsToken',
    description: '/metrics answers only requests with `Authorization: Bearer <this>` (≥ 16 chars); unset = open',
  },
  {
    env: 'TRUST_PROXY',
    path: 'server.trustProxy',
    description: 'Proxies whose X-Forwarded-For is believed for client addresses (addresses, CIDRs, or loopback, linklocal, uniquelocal)',
  },
  { env: 'BODY_LIMIT_BYTES', path: 'server.bodyLimitBytes', description: 'Largest accepted request body' },
  { env: 'DATABASE_URL', path: 'database.url', description: 'PostgreSQL URL; unset = embedded PGlite' },
  { env: 'DATA_DIR', path: 'database.dataDir', description: 'Directory of the embedded database' },
  { env: 'DATABASE_AUTO_MIGRATE', path: 'database.autoMigrate', description: 'Apply pending migrations when `serve` starts' },
  { env: 'DATABASE_POOL_MAX', path: 'database.poolMax', description: 'PostgreSQL connection pool size' },
  { env: 'REDIS_URL', path: 'redis.url', description: 'Redis URL; unset = in-process queue and pub/sub' },
  { env: 'REDIS_KEY_PREFIX', path: 'redis.keyPrefix', description: 'Prefix of every Redis key and channel' },
  {
    env: 'REDIS_COMMAND_TIMEOUT_MS',
    path: 'redis.commandTimeoutMs',
    description:
      'Redis calls on the alert path slower than this go on without Redis (windows local to the process, events to local subscribers)',
  },
  {
    env: 'REDIS_JOB_LOCK_MS',
    path: 'redis.jobLockMs',
    description:
      'How long a queued job stays claimed by a worker that stopped renewing its claim (crash, shutdown cut it off) before another worker runs it again',
  },
  { env: 'LOG_LEVEL', path: 'log.level', description: 'fatal, error, warn, info, debug, trace or silent (hot-reloaded from the file)' },
  { env: 'AUTH_JWT_SECRET', path: 'auth.jwtSecret', description: 'HS256 secret for bearer JWTs (≥ 32 chars); unset = JWTs refused' },
  { env: 'AUTH_JWT_ISSUER', path: 'auth.jwtIssuer', description: 'Required `iss` claim of bearer JWTs' },
  {
    env: 'AUTH_JWT_MAX_LIFETIME_SECONDS',
    path: 'auth.jwtMaxLifetimeSeconds',
    description: 'Longest lifetime of a bearer JWT; `exp` is required',
  },
  { env: 'AUTH_BOOTSTRAP_TOKEN', path: 'auth.bootstrapToken', description: 'An admin API token taken from the environment (≥ 24 chars)' },
  {
    env: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    path: 'tracing.otlpEndpoint',
    description:
      'OpenTelemetry collector (OTLP/HTTP) base URL, e.g. http://otel-collector:4318; traces webhook → stages → delivery → peer, off when unset',
  },
  { env: 'OTEL_SERVICE_NAME', path: 'tracing.serviceName', description: 'service.name of the traces' },
  {
    env: 'TRACING_SAMPLE_RATIO',
    path: 'tracing.sampleRatio',
    description: 'Share of new traces kept, 0 to 1 (traces begun upstream follow their caller)',
  },
  { env: 'UNLEASH_URL', path: 'flags.unleashUrl', description: 'Unleash API URL, e.g. http://unleash:4242/api' },
  { env: 'UNLEASH_API_TOKEN', path: 'flags.unleashToken', description: 'Unleash client token' },
  { env: 'UNLEASH_APP_NAME', path: 'flags.unleashAppName', description: 'Application name reported to Unleash' },
  { env: 'UNLEASH_REFRESH_INTERVAL_MS', path: 'flags.refreshIntervalMs', description: 'How often flags are fetched from Unleash' },
  { env: 'FLAGS_BOOTSTRAP_FILE', path: 'flags.bootstrapFile', description: 'Local flag values used without Unleash (hot-reloaded)' },
  {
    env: 'FLAGS_NOTIFY_CHANNEL_ID',
    path: 'flags.notifyChannelId',
    description: 'Channel id told of every flag change: who or what changed it, why, and from which source',
  },
  { env: 'GRAPHQL_MAX_DEPTH', path: 'graphql.maxDepth', description: 'Deepest accepted GraphQL selection' },
  { env: 'GRAPHQL_INTROSPECTION', path: 'graphql.introspection', description: 'Allow schema introspection' },
  { env: 'GRAPHQL_MAX_ALIASES', path: 'graphql.maxAliases', description: 'Most aliases in one operation' },
  { env: 'GRAPHQL_MAX_ROOT_FIELDS', path: 'graphql.maxRootFields', description: 'Most top-level fields in one operation' },
  { env: 'GRAPHQL_MAX_TOKENS', path: 'graphql.maxTokens', description: 'Most tokens in one GraphQL document (parsing stops there)' },
  {
    env: 'GRAPHQL_TIMEOUT_MS',
    path: 'graphql.timeoutMs',
    description: 'Time limit of one operation: resolvers not started by then answer TIMEOUT',
  },
  {
    env: 'GRAPHQL_COST_LIMITS',
    path: 'graphql.costLimits',
    description: 'Most one operation may cost, per role (`role:cost,…`; `anonymous` is the public surface)',
  },
  {
    env: 'GRAPHQL_COST_PER_MINUTE',
    path: 'graphql.costPerMinute',
    description: 'Cost one caller (token, or address when anonymous) may spend per minute',
  },
  {
    env: 'GRAPHQL_COST_PER_SECOND',
    path: 'graphql.costPerSecond',
    description: 'Cost one caller may spend per second (so a minute’s budget is not spent in one burst)',
  },
  {
    env: 'GRAPHQL_REQUESTS_PER_MINUTE_PER_IP',
    path: 'graphql.requestsPerMinutePerIp',
    description: 'GraphQL requests and subscriptions one client address may start per minute',
  },
  { env: 'GRAPHQL_MAX_CONCURRENT', path: 'graphql.maxConcurrentPerCaller', description: 'Operations one caller may have running at once' },
  {
    env: 'GRAPHQL_HEAVY_COST',
    path: 'graphql.heavyCost',
    description: 'Operations costing this much or more take turns, so few at once hold the event loop the webhook shares',
  },
  {
    env: 'GRAPHQL_READS_AT_ONCE',
    path: 'graphql.readsAtOnce',
    description:
      'Top-level query fields resolving at once per process (at most `DATABASE_POOL_MAX` − 2): the other database connections stay free for the alert path',
  },
  { env: 'GRAPHQL_HEAVY_AT_ONCE', path: 'graphql.heavyAtOnce', description: 'Heavy operations running at once per process' },
  { env: 'WORKERS_IN_PROCESS', path: 'workers.inProcess', description: 'Run queue workers inside `serve`' },
  {
    env: 'ENCRYPTION_KEY',
    path: 'security.encryptionKey',
    description: 'Key sealing channel secrets (32 bytes base64); required with DATABASE_URL',
  },
  { env: 'ENCRYPTION_KEY_ID', path: 'security.encryptionKeyId', description: 'Id stored with each sealed secret, for key rotation' },
  {
    env: 'PREVIOUS_ENCRYPTION_KEYS',
    path: 'security.previousEncryptionKeys',
    description: 'Older keys still accepted while rotating: `id:base64,id:base64`',
  },
  { env: 'DELIVERY_MAX_ATTEMPTS', path: 'delivery.maxAttempts', description: 'Tries per delivery, the first included' },
  {
    env: 'DELIVERY_BACKOFF_BASE_MS',
    path: 'delivery.backoffBaseMs',
    description: 'Delay before the first retry; doubles each time, with jitter',
  },
  { env: 'DELIVERY_BACKOFF_MAX_MS', path: 'delivery.backoffMaxMs', description: 'Longest delay between retries' },
  { env: 'DELIVERY_LEASE_MS', path: 'delivery.leaseMs', description: 'How long a sender owns a delivery before another may take it over' },
  {
    env: 'DELIVERY_SWEEP_INTERVAL_MS',
    path: 'delivery.sweepIntervalMs',
    description: 'How often due or orphaned deliveries are picked up',
  },
  { env: 'DELIVERY_CONCURRENCY', path: 'delivery.concurrency', description: 'Retries sent at once per worker process' },
  {
    env: 'CHANNEL_HEALTH_WINDOW_MINUTES',
    path: 'delivery.healthWindowMinutes',
    description: 'Window for channel success rate and latency',
  },
  {
    env: 'CHANNEL_WATCH_INTERVAL_MS',
    path: 'delivery.watchIntervalMs',
    description: 'How often channel SLOs are judged (channelSlo events) and scheduled channel probes run',
  },
  {
    env: 'TEMPLATE_RENDER_TIMEOUT_MS',
    path: 'delivery.templateTimeoutMs',
    description:
      "Time limit of one render of a channel's own templates (in a worker thread); past it the message goes out with the default templates",
  },
  { env: 'GATEWAY_BODY_LIMIT_BYTES', path: 'gateway.bodyLimitBytes', description: 'Largest accepted Alertmanager webhook body' },
  {
    env: 'GATEWAY_SWEEP_INTERVAL_MS',
    path: 'gateway.sweepIntervalMs',
    description: 'How often accepted but unprocessed webhooks are picked up',
  },
  {
    env: 'GATEWAY_ORPHAN_AFTER_MS',
    path: 'gateway.orphanAfterMs',
    description: 'Age at which an unprocessed webhook is taken over by the sweeper',
  },
  {
    env: 'GATEWAY_DEDUPE_WINDOW_MS',
    path: 'gateway.dedupeWindowMs',
    description: 'Copies of one notification (Alertmanager HA) within this window are dropped',
  },
  {
    env: 'GATEWAY_CONVERGENCE_WINDOW_MS',
    path: 'gateway.convergenceWindowMs',
    description: 'With flag gateway.convergence: repeats of a firing alert within this window are folded',
  },
  {
    env: 'GATEWAY_FLAP_CHANGES',
    path: 'gateway.flapChanges',
    description:
      'With flag gateway.advanced-convergence: changes between firing and resolved within GATEWAY_FLAP_WINDOW_MS that make an alert flapping',
  },
  {
    env: 'GATEWAY_FLAP_WINDOW_MS',
    path: 'gateway.flapWindowMs',
    description: 'With flag gateway.advanced-convergence: the window in which flapping changes are counted',
  },
  {
    env: 'GATEWAY_FLAP_QUIET_MS',
    path: 'gateway.flapQuietMs',
    description:
      'With flag gateway.advanced-convergence: a flapping alert that has not changed for this long has settled and is summarised once',
  },
  {
    env: 'GATEWAY_INHIBITION_SOURCE_TTL_MS',
    path: 'gateway.inhibitionSourceTtlMs',
    description:
      "With flag gateway.inhibition: a source alert not seen again for this long stops inhibiting (keep it above Alertmanager's repeat_interval)",
  },
  {
    env: 'GATEWAY_INHIBITION_RELEASE_WAIT_MS',
    path: 'gateway.inhibitionReleaseWaitMs',
    description:
      "With flag gateway.inhibition: when a target's last source stops, the target is sent at its own next notification or after this long, and not at all if it resolves first (as Alertmanager does at its group_interval; 0 = at once)",
  },
  {
    env: 'GATEWAY_CREDENTIAL_CACHE_MS',
    path: 'gateway.credentialCacheMs',
    description:
      'How long the webhook trusts a token it accepted before looking it up again (revoked tokens stop within this; 0 = every request)',
  },
  {
    env: 'GATEWAY_MAX_IN_FLIGHT_ALERTS',
    path: 'gateway.maxInFlightAlerts',
    description:
      'Alerts accepted but not yet through their first send; past it webhooks are answered 503 with Retry-After (nothing of them stored or sent) until half have drained',
  },
  {
    env: 'GATEWAY_OVERLOAD_RETRY_AFTER_SECONDS',
    path: 'gateway.overloadRetryAfterSeconds',
    description: 'Retry-After of the 503 answered while overloaded',
  },
  {
    env: 'DEFAULT_ROUTE_WEBHOOK_URL',
    path: 'gateway.defaultRouteWebhookUrl',
    description:
      'When set and no route exists, a start creates the route `default` (taken by alerts no other route matches) with a webhook channel `default` posting here',
  },
  {
    env: 'GATEWAY_ROUTING_TIMEOUT_MS',
    path: 'gateway.routingTimeoutMs',
    description:
      'Time limit of routing a webhook whose route regexes could be costly (run in a worker thread); past it the alerts take the default route',
  },
  {
    env: 'EGRESS_LOOPBACK',
    path: 'egress.loopback',
    description: 'Calls to loopback addresses: auto (refused with DATABASE_URL, allowed embedded), allow or deny',
  },
  {
    env: 'EGRESS_PRIVATE',
    path: 'egress.privateRanges',
    description: 'Calls to private ranges (10/8, 172.16/12, 192.168/16, fc00::/7, 100.64/10): allow or deny',
  },
  {
    env: 'EGRESS_ALLOW',
    path: 'egress.allow',
    description: 'Addresses, CIDRs or host names (`*.example.com`) that outbound calls may always reach, comma-separated',
  },
  {
    env: 'EGRESS_DENY',
    path: 'egress.deny',
    description:
      'Addresses, CIDRs or host names outbound calls may not reach, comma-separated (link-local and cloud metadata are always refused)',
  },
  {
    env: 'SANDBOX_THREADS',
    path: 'sandbox.threads',
    description: "Worker threads for work whose cost users control: channels' own templates and costly route regexes",
  },
  { env: 'CLUSTER_HEALTH_INTERVAL_MS', path: 'clusters.healthIntervalMs', description: 'How often every Alertmanager replica is checked' },
  {
    env: 'CLUSTER_HEALTH_TIMEOUT_MS',
    path: 'clusters.healthTimeoutMs',
    description: 'A replica slower than this to answer a check counts as down',
  },
  { env: 'CLUSTER_HEALTH_RETENTION_HOURS', path: 'clusters.healthRetentionHours', description: 'Hours of replica health history kept' },
  { env: 'ANALYSIS_CONCURRENCY', path: 'analysis.concurrency', description: 'Analyses run at once per worker process' },
  { env: 'ANALYSIS_MAX_ATTEMPTS', path: 'analysis.maxAttempts', description: 'Tries per analysis before it is marked failed or timed out' },
  {
    env: 'ANALYSIS_BACKOFF_BASE_MS',
    path: 'analysis.backoffBaseMs',
    description: 'Delay before the first analysis retry; doubles each time, with jitter',
  },
  { env: 'ANALYSIS_BACKOFF_MAX_MS', path: 'analysis.backoffMaxMs', description: 'Longest delay between analysis retries' },
  {
    env: 'ANALYSIS_CONTEXT_MAX_BYTES',
    path: 'analysis.contextMaxBytes',
    description: 'Largest alert context sent to a provider (JSON bytes)',
  },
  {
    env: 'ANALYSIS_HISTORY_LIMIT',
    path: 'analysis.historyLimit',
    description: 'Earlier notifications, similar alerts and analyses included in a context, each',
  },
  {
    env: 'ACK_LINK_TTL_SECONDS',
    path: 'escalation.ackLinkTtlSeconds',
    description: 'How long an acknowledgement link in a message works (each works once)',
  },
  {
    env: 'ANALYSIS_MATURITY_WINDOW_HOURS',
    path: 'analysis.maturityWindowHours',
    description: 'AI maturity: providers are judged on the analyses finished in this many hours',
  },
  {
    env: 'ANALYSIS_MATURITY_MIN_SAMPLES',
    path: 'analysis.maturityMinSamples',
    description: 'AI maturity: fewest finished (and, for accuracy, rated) analyses before a provider is judged',
  },
  {
    env: 'ANALYSIS_MATURITY_MIN_ACCURACY',
    path: 'analysis.maturityMinAccuracy',
    description: 'AI maturity: below this share of useful feedback a provider is degraded and AI-driven features switch off',
  },
  {
    env: 'ANALYSIS_MATURITY_MAX_FAILURE_RATE',
    path: 'analysis.maturityMaxFailureRate',
    description: 'AI maturity: above this share of errors, time-outs and unparsed answers a provider is degraded',
  },
  {
    env: 'ANALYSIS_MATURITY_MAX_LATENCY_MS',
    path: 'analysis.maturityMaxLatencyMs',
    description: 'AI maturity: above this p95 answer time a provider is degraded',
  },
  {
    env: 'ANALYSIS_MATURITY_RECOVERY_MARGIN',
    path: 'analysis.maturityRecoveryMargin',
    description: 'AI maturity: how far inside every threshold a degraded provider must come back before it is trusted',
  },
  {
    env: 'ANALYSIS_MATURITY_FEATURE_MIN_ACCURACY',
    path: 'analysis.maturityFeatureMinAccuracy',
    description:
      'AI maturity: flag=accuracy pairs (e.g. analysis.remediation=0.9): a feature switched off while any provider is below its own minimum',
  },
  { env: 'ANALYSIS_MATURITY_INTERVAL_MS', path: 'analysis.maturityIntervalMs', description: 'AI maturity: how often providers are judged' },
  { env: 'RETENTION_AUDIT_DAYS', path: 'retention.auditDays', description: 'Days audit events are kept' },
  {
    env: 'RETENTION_RECEIPTS_DAYS',
    path: 'retention.receiptsDays',
    description: 'Days webhook payloads are kept once processed (replays reach back this far)',
  },
  {
    env: 'RETENTION_RECORDS_DAYS',
    path: 'retention.recordsDays',
    description: 'Days alert records, acknowledgements and finished escalations are kept',
  },
  {
    env: 'RETENTION_DELIVERIES_DAYS',
    path: 'retention.deliveriesDays',
    description: 'Days finished deliveries and their attempts are kept',
  },
  { env: 'RETENTION_ANALYSES_DAYS', path: 'retention.analysesDays', description: 'Days finished analyses are kept' },
  {
    env: 'RETENTION_INCIDENTS_DAYS',
    path: 'retention.incidentsDays',
    description: 'Days resolved incidents (with their alerts and notifications) are kept',
  },
  { env: 'RETENTION_EXECUTIONS_DAYS', path: 'retention.executionsDays', description: 'Days finished remediation executions are kept' },
] as const;

/** Raised when configuration does not validate; its message names every bad key and where it came from. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** YAML file; defaults to $ALERTAGENT_CONFIG when set. */
  file?: string;
}

type Tree = Record<string, unknown>;

function setPath(tree: Tree, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = tree;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    node[key] = next !== null && typeof next === 'object' ? next : {};
    node = node[key] as Tree;
  }
  node[keys[keys.length - 1]] = value;
}

function readConfigFile(file: string): Tree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`config file ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    throw new ConfigError([`config file ${file}: not valid YAML (${(err as Error).message.split('\n')[0]})`]);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError([`config file ${file}: expected a mapping at the top level`]);
  }
  return parsed as Tree;
}

/** Echoes the rejected value so the user sees what was read, except for keys that may hold credentials (URLs included). */
function describeValue(path: string, raw: Tree): string {
  if (!path || isSensitiveKey(path) || /url$/i.test(path)) return '';
  let node: unknown = raw;
  for (const key of path.split('.')) node = node && typeof node === 'object' ? (node as Tree)[key] : undefined;
  return node === undefined || typeof node === 'object' ? '' : ` (got ${JSON.stringify(node)})`;
}

/** Builds the one validated config: defaults, then the YAML file, then environment variables. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const file = options.file ?? env.ALERTAGENT_CONFIG;
  const raw: Tree = file ? readConfigFile(file) : {};
  const origin = new Map<string, string>();
  for (const { env: name, path } of ENVIRONMENT_VARIABLES) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(raw, path, value);
    origin.set(path, `env ${name}`);
  }
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const source = origin.get(path) ?? (file ? `file ${file}` : 'default');
    return `${path || '(root)'} (${source}): ${issue.message}${describeValue(path, raw)}`;
  });
  throw new ConfigError(problems);
}
