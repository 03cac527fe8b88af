import type { Redis } from 'ioredis';
import type { Config } from '../config';
import { ChannelHealthService } from './channels/channel-health.service';
import { ChannelRepository } from './channels/channel.repository';
import { ChannelService } from './channels/channel.service';
import { TemplateRenderer } from './channels/templates';
import { FallbackTokenBuckets, InProcessTokenBuckets, RedisTokenBuckets } from './channels/robot-limits';
import { RobotPool } from './channels/robot-pool';
import { ChannelWatch } from './channels/channel-watch';
import { SandboxPool } from './sandbox/sandbox-pool';
import { DeliveryRepository } from './channels/delivery.repository';
import { DeliveryService } from './channels/delivery.service';
import { GatewayService } from './gateway/gateway.service';
import { CorrelationPolicyService } from './incidents/correlation-policy.service';
import { IncidentNotifier } from './incidents/incident-notifier';
import { IncidentRepository } from './incidents/incident.repository';
import { InhibitionRuleService } from './inhibition/inhibition-rule.service';
import { InhibitionReleaser } from './inhibition/inhibition-releaser';
import { InhibitionRepository } from './inhibition/inhibition.repository';
import { GatewaySimulationService } from './replay/gateway-simulation.service';
import { AlertmanagerImporter } from './import/alertmanager-importer';
import { RouteWindowFlusher } from './route-windows/route-window-flusher';
import { SilenceMirror } from './maintenance-windows/silence-mirror';
import { RouteWindowRepository } from './route-windows/route-window.repository';
import { MaintenanceWindowService } from './maintenance-windows/maintenance-window.service';
import { SuppressedAlerts } from './maintenance-windows/suppressed-alerts';
import { RouteService } from './gateway/route.service';
import { FallbackWindowStore, InProcessWindowStore, RedisWindowStore } from './gateway/window-store';
import { FallbackFlapStore, InProcessFlapStore, RedisFlapStore } from './gateway/flap-store';
import { RedisFallbacks } from './shared/redis-fallbacks';
import { EgressPolicy, egressSettings } from './security/egress-policy';
import { PeerClient } from '../shared/http-post';
import { loadSecretBox } from './security/encryption-keys';
import type { SecretBox } from './security/secret-box';
import { DataRetentionJob } from './maintenance/data-retention.job';
import type { Logger } from '../shared/logger';
import { Metrics } from './observability/metrics';
import type { EventBus } from './pubsub/event-bus';
import { InProcessEventBus } from './pubsub/in-process-event-bus';
import { RedisEventBus } from './pubsub/redis-event-bus';
import { BullJobQueue } from './queue/bull-job-queue';
import { InProcessJobQueue } from './queue/in-process-job-queue';
import type { JobQueue } from './queue/job-queue';
import { FlagService, type FlagServiceOptions } from './flags/flag.service';
import { FlagOverrideRepository, FlagOverrideService } from './flags/flag-overrides';
import { FlagChangeRecorder } from './flags/flag-change-recorder';
import { ApiTokenRepository } from './security/api-token.repository';
import { ApiTokenService } from './security/api-token.service';
import { AuditRepository } from './security/audit.repository';
import { AuditService } from './security/audit.service';
import { AuthService } from './security/auth.service';
import { RoleService } from './security/role.service';
import { RequestLimits } from './security/request-limits';
import { connectRedis, pingRedis } from './shared/redis';
import { AlertmanagerClient } from './clusters/alertmanager-client';
import { ClusterHealthService } from './clusters/cluster-health.service';
import { ClusterService } from './clusters/cluster.service';
import { RuleService } from './rules/rule.service';
import { PublicUrl } from './shared/public-url';
import { AnalysisService } from './analysis/analysis.service';
import { AnalysisProviderService } from './analysis/analysis-provider.service';
import { AnalysisRepository } from './analysis/analysis.repository';
import { AnalysisRunner } from './analysis/analysis-runner';
import { SmartRouter } from './analysis/smart-routing';
import { MaturityEvaluator } from './analysis/maturity-evaluator';
import { AckLinks } from './escalation/ack-links';
import { AckService } from './escalation/acknowledgements';
import { EscalationPolicyService } from './escalation/escalation-policy.service';
import { Escalator } from './escalation/escalator';
import { RemediationActionService } from './remediation/remediation-action.service';
import { AutomationExecutionRepository } from './remediation/automation-execution.repository';
import { AlertRecordRepository } from './gateway/alert-record.repository';
import { AlertRecordService } from './gateway/alert-record.service';
import { BackgroundTasks, backgroundTask, type BackgroundTask } from './shared/background-task';
import { RuleGroupRepository } from './rules/rule-group.repository';
import { RouteRepository } from './gateway/route.repository';
import { ClusterRepository } from './clusters/cluster.repository';
import { ReplicaCheckRepository } from './clusters/replica-check.repository';
import { AnalysisProviderRepository } from './analysis/analysis-provider.repository';
import { AiMaturityRepository } from './analysis/ai-maturity.repository';
import { PerJobContextQueue } from './queue/per-job-context';
import { Remediator } from './remediation/remediator';
import { RoutingExperimentService } from './experiments/routing-experiment.service';
import { settleWithin } from './shared/settle-within';
import { startTracing } from './observability/tracing';
import { APP_VERSION } from './system/system.service';
import { MigrationRunner } from './storage/migrations';
import { BackupService } from './backup/backup.service';
import { openStorage, type Storage } from './storage/orm';
import { SystemService } from './system/system.service';

export interface ServiceDeps {
  logger: Logger;
  /** serve | worker | cli: labels metrics and decides which background parts run. */
  role: 'serve' | 'worker' | 'subscriptions' | 'cli';
  flagOptions?: FlagServiceOptions;
}

/** Everything a process needs, built once. */
export interface Services {
  config: Config;
  routes: RouteService;
  gateway: GatewayService;
  policies: CorrelationPolicyService;
  incidents: IncidentRepository;
  inhibitions: InhibitionRuleService;
  maintenanceWindows: MaintenanceWindowService;
  simulations: GatewaySimulationService;
  alertmanagerImport: AlertmanagerImporter;
  channels: ChannelService;
  deliveries: DeliveryService;
  /** Processing records as readers see them. */
  alertRecords: AlertRecordService;
  channelHealth: ChannelHealthService;
  channelWatch: ChannelWatch;
  logger: Logger;
  metrics: Metrics;
  storage: Storage;
  migrations: MigrationRunner;
  events: EventBus;
  queue: JobQueue;
  flags: FlagService;
  flagOverrides: FlagOverrideService;
  auth: AuthService;
  roles: RoleService;
  /** GraphQL's rate, cost and concurrency limits per caller and client address. */
  requestLimits: RequestLimits;
  audit: AuditService;
  apiTokens: ApiTokenService;
  system: SystemService;
  retention: DataRetentionJob;
  backup: BackupService;
  /** Seals and opens stored secrets with the configured keys. */
  secretBox: SecretBox;
  publicUrl: PublicUrl;
  analysis: AnalysisService;
  analysisProviders: AnalysisProviderService;
  analysisRunner: AnalysisRunner;
  maturity: MaturityEvaluator;
  escalationPolicies: EscalationPolicyService;
  acks: AckService;
  remediationActions: RemediationActionService;
  remediator: Remediator;
  experiments: RoutingExperimentService;
  clusters: ClusterService;
  rules: RuleService;
  clusterHealth: ClusterHealthService;
  alertmanagers: AlertmanagerClient;
  /** Starts background work that belongs to this role (flag polling, queue processors, schedules). */
  start(): Promise<void>;
  close(): Promise<void>;
}

interface RedisConnections {
  commands: Redis;
  subscriber: Redis;
  queue: Redis;
}

const SHUTDOWN_STEP_MS = 5_000;
/** Renders waiting for a sandbox thread beyond this go out with the default templates at once. */
const SANDBOX_QUEUE = 256;

/** QUIT waits for a reply that a Redis which is down never sends; drop the socket then. */
async function closeRedis(connection: Redis): Promise<void> {
  if (connection.status === 'ready' && (await settleWithin(connection.quit(), 2_000))) return;
  connection.disconnect();
}

/** `commands` serves the alert path (windows, events) and fails fast; the queue's connections wait out an outage. */
function openRedis(url: string, failFastMs: number, logger: Logger): RedisConnections {
  const connections = {
    commands: connectRedis(url, 'alertagent-commands', { autoPipelining: true, failFastMs }),
    subscriber: connectRedis(url, 'alertagent-subscriber'),
    queue: connectRedis(url, 'alertagent-queue'),
  };
  // One line per outage, not one per reconnect attempt (and none of ioredis' own "Unhandled error event").
  let down = false;
  for (const connection of Object.values(connections)) {
    connection.on('error', (err: Error) => {
      if (down) return;
      down = true;
      logger.warn({ err: err.message }, 'Redis does not answer; reconnecting');
    });
    connection.on('ready', () => {
      if (down) logger.info('Redis answers again');
      down = false;
    });
  }
  return connections;
}

/** The one composition root: storage, Redis, bus, queue, flags and the domain services, wired by hand. */
export async function createServices(config: Config, deps: ServiceDeps): Promise<Services> {
  const { logger } = deps;
  const metrics = new Metrics(deps.role);
  // Before anything is traced; CLI commands are not.
  const tracing =
    deps.role === 'cli'
      ? null
      : startTracing(config.tracing, { role: deps.role, version: APP_VERSION }, logger.child({ component: 'tracing' }));
  // Before storage: a missing key is a configuration error and should say so before any connection is tried.
  const secretBox = loadSecretBox(config, logger.child({ component: 'security' }));
  const storage = await openStorage(config, logger.child({ component: 'storage' }));
  const migrations = new MigrationRunner(
    storage.orm,
    config.database.url
      ? { databaseUrl: config.database.url, onWait: () => logger.info('another process is changing the database schema; waiting for it') }
      : null,
  );
  const redis = config.redis.url ? openRedis(config.redis.url, config.redis.commandTimeoutMs, logger.child({ component: 'redis' })) : null;
  const redisFallbacks = new RedisFallbacks(metrics, logger.child({ component: 'redis' }));
  const events: EventBus = redis
    ? new RedisEventBus(redis.commands, redis.subscriber, config.redis.keyPrefix, logger.child({ component: 'events' }), redisFallbacks)
    : new InProcessEventBus();
  const queue: JobQueue = new PerJobContextQueue(
    redis
      ? new BullJobQueue(redis.queue, config.redis.keyPrefix, logger.child({ component: 'queue' }), metrics, config.redis.jobLockMs)
      : new InProcessJobQueue(logger.child({ component: 'queue' })),
    storage.orm,
  );
  metrics.watchQueue(() => queue.waitingJobs());

  const em = storage.orm.em;
  const tokenRepository = new ApiTokenRepository(em);
  const audit = new AuditService({ em, repository: new AuditRepository(em), events, logger: logger.child({ component: 'audit' }) });
  const roles = new RoleService(em, audit, events);
  const flags = new FlagService(
    config.flags,
    events,
    logger.child({ component: 'flags' }),
    deps.flagOptions,
    new FlagOverrideRepository(storage.orm),
  );
  const backup = new BackupService({
    orm: storage.orm,
    migrations,
    box: secretBox,
    mode: storage.mode,
    logger: logger.child({ component: 'backup' }),
  });
  const retention = new DataRetentionJob({
    queue,
    orm: storage.orm,
    settings: config.retention,
    metrics,
    logger: logger.child({ component: 'retention' }),
  });
  const egress = new EgressPolicy(egressSettings(config));
  const peers = new PeerClient(egress);
  const sandbox = new SandboxPool({ threads: config.sandbox.threads, maxQueue: SANDBOX_QUEUE });
  const templates = new TemplateRenderer(sandbox, config.delivery.templateTimeoutMs, metrics);
  const channels = new ChannelService({ repository: new ChannelRepository(em), box: secretBox, audit, templates, egress });
  const deliveryRecords = new DeliveryRepository(em);
  const channelHealth = new ChannelHealthService(
    deliveryRecords,
    config.delivery.healthWindowMinutes,
    async (id) => (await channels.sendable(id))?.channel ?? null,
  );
  const robotBuckets = redis
    ? new FallbackTokenBuckets(new RedisTokenBuckets(redis.commands, config.redis.keyPrefix), redisFallbacks)
    : new InProcessTokenBuckets();
  const robots = new RobotPool(robotBuckets, (id) => channels.sendable(id));
  const deliveries = new DeliveryService({
    orm: storage.orm,
    deliveries: deliveryRecords,
    channels,
    queue,
    metrics,
    settings: config.delivery,
    logger: logger.child({ component: 'delivery' }),
    templates,
    redis: redisFallbacks,
    peers,
    robots,
    health: channelHealth,
  });
  const channelWatch = new ChannelWatch({
    orm: storage.orm,
    health: channelHealth,
    deliveries,
    events,
    metrics,
    logger: logger.child({ component: 'channel-watch' }),
  });
  const flagOverrides = new FlagOverrideService(em, audit, flags);
  flags.onObserve(
    new FlagChangeRecorder({
      orm: storage.orm,
      audit,
      events,
      metrics,
      notices: deliveries,
      notifyChannelId: config.flags.notifyChannelId,
      logger: logger.child({ component: 'flags' }),
    }).observe,
  );
  const routes = new RouteService({
    repository: new RouteRepository(em),
    audit,
    events,
    logger: logger.child({ component: 'routes' }),
    sandbox,
    sandboxTimeoutMs: config.gateway.routingTimeoutMs,
  });
  const publicUrl = new PublicUrl(config.server.publicUrl, config.server.port);
  const analysisProviders = new AnalysisProviderService({
    repository: new AnalysisProviderRepository(em),
    secrets: secretBox,
    audit,
    peers,
    egress,
  });
  const ackLinks = new AckLinks(secretBox.deriveKey('ack-links'), () => publicUrl.get());
  const remediationActions = new RemediationActionService({ em, audit, secrets: secretBox, egress });
  const remediator = new Remediator({
    orm: storage.orm,
    executions: new AutomationExecutionRepository(em),
    actions: remediationActions,
    flags,
    audit,
    peers,
    links: ackLinks,
    deliveries,
    linkTtlSeconds: config.escalation.ackLinkTtlSeconds,
    logger: logger.child({ component: 'remediation' }),
  });
  const analysisRepository = new AnalysisRepository(storage.orm);
  const smartRouter = new SmartRouter({
    analyses: analysisRepository,
    routes,
    deliveries,
    flags,
    logger: logger.child({ component: 'smart-routing' }),
  });
  const analysisRunner = new AnalysisRunner({
    queue,
    events,
    metrics,
    providers: analysisProviders,
    repository: analysisRepository,
    publicUrl,
    settings: config.analysis,
    logger: logger.child({ component: 'analysis' }),
    consumers: [smartRouter, remediator],
  });
  const maturity = new MaturityEvaluator({
    orm: storage.orm,
    repository: new AiMaturityRepository(em),
    overrides: flagOverrides,
    events,
    metrics,
    settings: config.analysis,
    logger: logger.child({ component: 'ai-maturity' }),
  });
  const analysis = new AnalysisService({
    queue,
    metrics,
    audit,
    flags,
    providers: analysisProviders,
    repository: analysisRepository,
    runner: analysisRunner,
    logger: logger.child({ component: 'analysis' }),
  });
  const policies = new CorrelationPolicyService({ em, audit, events, logger: logger.child({ component: 'policies' }) });
  const incidents = new IncidentRepository(storage.orm);
  const incidentNotifier = new IncidentNotifier({
    orm: storage.orm,
    repository: incidents,
    queue,
    deliveries,
    events,
    logger: logger.child({ component: 'incidents' }),
  });
  const inhibitions = new InhibitionRuleService({ em, audit, events, logger: logger.child({ component: 'inhibitions' }) });
  const inhibitionRepository = new InhibitionRepository(storage.orm);
  const inhibitionReleaser = new InhibitionReleaser({
    orm: storage.orm,
    repository: inhibitionRepository,
    routes,
    deliveries,
    logger: logger.child({ component: 'inhibitions' }),
    timing: { sourceTtlMs: config.gateway.inhibitionSourceTtlMs, releaseWaitMs: config.gateway.inhibitionReleaseWaitMs },
  });
  const maintenanceWindows = new MaintenanceWindowService({ em, audit, events, logger: logger.child({ component: 'maintenance' }) });
  const suppressed = new SuppressedAlerts({ orm: storage.orm, routes, deliveries, logger: logger.child({ component: 'maintenance' }) });
  const routeWindowRepository = new RouteWindowRepository(storage.orm);
  const routeWindowFlusher = new RouteWindowFlusher({
    repository: routeWindowRepository,
    queue,
    deliveries,
    logger: logger.child({ component: 'route-windows' }),
  });
  const escalationPolicies = new EscalationPolicyService({ em, audit, events, logger: logger.child({ component: 'escalation' }) });
  const acks = new AckService({
    orm: storage.orm,
    audit,
    links: ackLinks,
    approvals: remediator,
    onRefused: (reason) => metrics.ackLinkRefusals.inc({ reason }),
  });
  const escalator = new Escalator({
    orm: storage.orm,
    queue,
    policies: escalationPolicies,
    deliveries,
    flags,
    links: ackLinks,
    ackLinkTtlSeconds: config.escalation.ackLinkTtlSeconds,
    logger: logger.child({ component: 'escalation' }),
  });
  const experiments = new RoutingExperimentService({
    orm: storage.orm,
    em,
    audit,
    routes,
    flags,
    events,
    logger: logger.child({ component: 'experiments' }),
  });
  const gateway = new GatewayService({
    experiments,
    escalations: escalator,
    routeWindows: { repository: routeWindowRepository, flusher: routeWindowFlusher },
    maintenance: { windows: maintenanceWindows, suppressed },
    inhibition: { rules: inhibitions, repository: inhibitionRepository, releaser: inhibitionReleaser },
    policies,
    incidents,
    incidentNotifier,
    orm: storage.orm,
    queue,
    routes,
    deliveries,
    events,
    metrics,
    logger: logger.child({ component: 'gateway' }),
    windows: redis
      ? new FallbackWindowStore(new RedisWindowStore(redis.commands, config.redis.keyPrefix), redisFallbacks)
      : new InProcessWindowStore(),
    flaps: redis
      ? new FallbackFlapStore(new RedisFlapStore(redis.commands, config.redis.keyPrefix), redisFallbacks)
      : new InProcessFlapStore(),
    flags,
    settings: config.gateway,
    analysis,
  });
  inhibitionReleaser.joinIncidents = (released) => gateway.joinReleased(released);
  const simulations = new GatewaySimulationService({
    orm: storage.orm,
    queue,
    inForce: { routes, policies, inhibitionRules: inhibitions, maintenanceWindows, flags },
    settings: config.gateway,
    logger: logger.child({ component: 'simulations' }),
  });
  const rules = new RuleService(new RuleGroupRepository(em), audit);
  const clusters = new ClusterService({
    repository: new ClusterRepository(em),
    secrets: secretBox,
    audit,
    events,
    publicUrl,
    rules,
    egress,
  });
  const clusterHealth = new ClusterHealthService({
    checks: new ReplicaCheckRepository(em),
    queue,
    events,
    metrics,
    settings: config.clusters,
    logger: logger.child({ component: 'cluster-health' }),
    peers,
    tlsOf: (cluster) => clusters.tlsOf(cluster),
  });
  const alertmanagers = new AlertmanagerClient(clusterHealth, peers);
  const silenceMirror = new SilenceMirror({ orm: storage.orm, alertmanagers, flags, logger: logger.child({ component: 'maintenance' }) });
  const system = new SystemService(
    storage.mode,
    {
      database: () => storage.ping(),
      redis: redis ? () => pingRedis(redis.commands) : null,
    },
    () => [...redisFallbacks.degradations(), ...gateway.degradations()],
  );

  const sweepMs = config.gateway.sweepIntervalMs;
  const tasks = new BackgroundTasks(logger.child({ component: 'tasks' }));
  /** What every process that serves or works keeps running: flags and the configuration caches that follow changes. */
  const servingTasks: BackgroundTask[] = [
    backgroundTask(
      'flags',
      async () => {
        flags.start();
        await flags.startOverrides();
      },
      () => flags.stop(),
    ),
    backgroundTask(
      'routes',
      () => routes.start(),
      () => routes.stop(),
    ),
    backgroundTask(
      'correlation policies',
      () => policies.start(),
      () => policies.stop(),
    ),
    backgroundTask(
      'inhibition rules',
      () => inhibitions.start(),
      () => inhibitions.stop(),
    ),
    backgroundTask(
      'maintenance windows',
      () => maintenanceWindows.start(),
      () => maintenanceWindows.stop(),
    ),
    backgroundTask(
      'escalation policies',
      () => escalationPolicies.start(),
      () => escalationPolicies.stop(),
    ),
    backgroundTask(
      'experiments',
      () => experiments.start(),
      () => experiments.stop(),
    ),
    // Stopped before the caches above: alerts in flight still route.
    backgroundTask(
      'gateway',
      () => gateway.start(),
      () => gateway.stop(),
    ),
  ];
  /** Queue processors, sweeps and schedules: in worker processes, or in the server when workers run in process. */
  const workerTasks: BackgroundTask[] = [
    backgroundTask(
      'deliveries',
      () => (deliveries.registerProcessor(), deliveries.startSweeper()),
      () => deliveries.stop(),
    ),
    backgroundTask(
      'channel watch',
      () => channelWatch.start(config.delivery.watchIntervalMs),
      () => channelWatch.stop(),
    ),
    backgroundTask(
      'receipts',
      () => (gateway.registerProcessor(), gateway.startSweeper(sweepMs)),
      () => gateway.stopSweeper(),
    ),
    backgroundTask(
      'incident notices',
      () => (incidentNotifier.registerProcessor(), incidentNotifier.startSweeper(sweepMs)),
      () => incidentNotifier.stop(),
    ),
    backgroundTask(
      'inhibition releases',
      () => inhibitionReleaser.startSweeper(sweepMs),
      () => inhibitionReleaser.stop(),
    ),
    backgroundTask(
      'suppressed alerts',
      () => suppressed.startSweeper(sweepMs),
      () => suppressed.stop(),
    ),
    backgroundTask('simulations', () => simulations.registerProcessor()),
    backgroundTask(
      'silence mirror',
      () => silenceMirror.startSweeper(sweepMs),
      () => silenceMirror.stop(),
    ),
    backgroundTask(
      'route windows',
      () => (routeWindowFlusher.registerProcessor(), routeWindowFlusher.startSweeper(sweepMs)),
      () => routeWindowFlusher.stop(),
    ),
    backgroundTask('analysis', () => analysisRunner.registerProcessor()),
    backgroundTask(
      'ai maturity',
      () => maturity.startSweeper(),
      () => maturity.stop(),
    ),
    backgroundTask(
      'escalation',
      () => (escalator.registerProcessor(), escalator.startSweeper(sweepMs)),
      () => escalator.stop(),
    ),
    backgroundTask(
      'cluster health',
      () => (clusterHealth.registerProcessor(), clusterHealth.schedule()),
      () => clusterHealth.stop(),
    ),
    backgroundTask(
      'retention',
      () => (retention.registerProcessor(), retention.schedule()),
      () => retention.stop(),
    ),
  ];

  return {
    config,
    publicUrl,
    analysis,
    analysisProviders,
    analysisRunner,
    maturity,
    escalationPolicies,
    acks,
    remediationActions,
    remediator,
    experiments,
    clusters,
    rules,
    clusterHealth,
    alertmanagers,
    routes,
    gateway,
    policies,
    incidents,
    inhibitions,
    maintenanceWindows,
    simulations,
    alertmanagerImport: new AlertmanagerImporter(em, { channels, routes, inhibitions, maintenanceWindows }),
    channels,
    deliveries,
    alertRecords: new AlertRecordService(new AlertRecordRepository(em)),
    channelHealth,
    channelWatch,
    logger,
    metrics,
    storage,
    migrations,
    events,
    queue,
    flags,
    flagOverrides,
    auth: new AuthService(config.auth, tokenRepository, roles),
    roles,
    requestLimits: new RequestLimits(config.graphql, redis?.commands ?? null, config.redis.keyPrefix, config.database.poolMax),
    audit,
    apiTokens: new ApiTokenService({ tokens: tokenRepository, audit, logger: logger.child({ component: 'api-tokens' }), roles }),
    system,
    retention,
    backup,
    secretBox,
    async start() {
      const runsWorkers = deps.role === 'worker' || (deps.role === 'serve' && config.workers.inProcess);
      await tasks.start([...servingTasks, ...(runsWorkers ? workerTasks : [])]);
    },
    async close() {
      await tasks.stop();
      // The queue bounds its own wait for running jobs; this bounds a Redis that stopped answering.
      if (!(await settleWithin(queue.close(SHUTDOWN_STEP_MS), 2 * SHUTDOWN_STEP_MS)))
        logger.warn('queue did not close in time; abandoning it');
      await events.close();
      if (redis) await Promise.all(Object.values(redis).map(closeRedis));
      await sandbox.close();
      await peers.close();
      await storage.close();
      // Last: the spans of the shutdown itself are flushed too.
      await settleWithin(tracing?.shutdown() ?? Promise.resolve(), SHUTDOWN_STEP_MS);
    },
  };
}
