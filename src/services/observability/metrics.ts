import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LabelValues, SEVERITIES } from './label-values';
import { settleWithin } from '../shared/settle-within';

/** From 1 ms to 5 s: the span between a local call and a slow peer. */
const LATENCY_BUCKETS_SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Owns one Prometheus registry per process role, so two servers in one process never share series. */
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequestDuration = new Histogram({
    name: 'alertagent_http_request_duration_seconds',
    help: 'Duration of HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  readonly graphqlOperationDuration = new Histogram({
    name: 'alertagent_graphql_operation_duration_seconds',
    help: 'Duration of GraphQL operations by type, name and outcome',
    labelNames: ['type', 'name', 'outcome'] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  readonly graphqlErrors = new Counter({
    name: 'alertagent_graphql_errors_total',
    help: 'GraphQL errors returned to clients by code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  readonly redisFallbacks = new Counter({
    name: 'alertagent_redis_fallbacks_total',
    help: 'Calls that went on without Redis (it was down or slow), by what they were for (windows, events, queue)',
    labelNames: ['use'] as const,
    registers: [this.registry],
  });

  readonly redisDegraded = new Gauge({
    name: 'alertagent_redis_degraded',
    help: 'Whether a Redis-backed part is working without Redis now (1) or not (0), by part',
    labelNames: ['use'] as const,
    registers: [this.registry],
  });

  readonly jobsProcessed = new Counter({
    name: 'alertagent_queue_jobs_total',
    help: 'Queue jobs finished by queue and outcome',
    labelNames: ['queue', 'outcome'] as const,
    registers: [this.registry],
  });

  /** Read from the queue at each scrape (see watchQueue). */
  private waitingJobsSource: (() => Promise<Record<string, number>>) | null = null;

  readonly jobsWaiting = new Gauge({
    name: 'alertagent_queue_waiting_jobs',
    help: 'Jobs ready to run that no worker has taken yet, by queue (the backlog; with Redis, shared by every replica)',
    labelNames: ['queue'] as const,
    registers: [this.registry],
    collect: async () => {
      if (!this.waitingJobsSource) return;
      // A scrape must not hang or fail on the queue's store: an unreachable Redis leaves the last values.
      let counts: Record<string, number> = {};
      await settleWithin(
        this.waitingJobsSource().then((read) => (counts = read)),
        1_000,
      );
      for (const [queue, waiting] of Object.entries(counts)) this.jobsWaiting.set({ queue }, waiting);
    },
  });

  /** Where alertagent_queue_waiting_jobs comes from. */
  watchQueue(source: () => Promise<Record<string, number>>): void {
    this.waitingJobsSource = source;
  }

  readonly channelSends = new Counter({
    name: 'alertagent_channel_sends_total',
    help: 'Attempts to send to a channel by outcome (delivered, retrying, failed)',
    labelNames: ['channel', 'type', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly channelQueued = new Counter({
    name: 'alertagent_channel_queued_total',
    help: 'Deliveries that waited in a channel queue because its robot was at its rate limit',
    labelNames: ['channel', 'type'] as const,
    registers: [this.registry],
  });

  readonly channelMerged = new Counter({
    name: 'alertagent_channel_merged_deliveries_total',
    help: 'Deliveries sent inside a message that carried more than one (merged while the robot was at its limit)',
    labelNames: ['channel', 'type'] as const,
    registers: [this.registry],
  });

  readonly channelFailovers = new Counter({
    name: 'alertagent_channel_failovers_total',
    help: "Deliveries handed over to the channel's backup channel",
    labelNames: ['channel', 'backup'] as const,
    registers: [this.registry],
  });

  readonly channelSloBreached = new Gauge({
    name: 'alertagent_channel_slo_breached',
    help: '1 while a channel misses its SLO (success rate or p95 latency over its window), 0 while it meets it',
    labelNames: ['channel'] as const,
    registers: [this.registry],
  });

  readonly channelProbes = new Counter({
    name: 'alertagent_channel_probes_total',
    help: 'Scheduled channel probes by outcome (ok, failed)',
    labelNames: ['channel', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly channelSendDuration = new Histogram({
    name: 'alertagent_channel_send_duration_seconds',
    help: 'Time a channel peer took to answer one send',
    labelNames: ['channel', 'type'] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  readonly templateFallbacks = new Counter({
    name: 'alertagent_template_fallbacks_total',
    help: "Messages sent with the default templates because a channel's own failed, overran its time limit (timeout) or found the sandbox full (busy)",
    labelNames: ['channel', 'reason'] as const,
    registers: [this.registry],
  });

  readonly gatewayAlerts = new Counter({
    name: 'alertagent_gateway_alerts_total',
    help: 'Alerts through the gateway by stage (received, delivered, failed, routed = still retrying, unrouted)',
    labelNames: ['stage', 'cluster', 'severity'] as const,
    registers: [this.registry],
  });

  readonly subscriptionSources = new Gauge({
    name: 'alertagent_subscription_executions',
    help: 'Distinct subscriptions being executed (subscribers asking the same thing with the same rights share one)',
    registers: [this.registry],
  });

  readonly subscriptionDropped = new Counter({
    name: 'alertagent_subscription_events_dropped_total',
    help: 'Subscription results dropped for subscribers that read slower than events came',
    registers: [this.registry],
  });

  readonly subscriptionStale = new Counter({
    name: 'alertagent_subscription_events_stale_total',
    help: 'Events skipped by a subscription whose fan-out was more than WS_MAX_LAG_MS behind (none of its subscribers got them)',
    registers: [this.registry],
  });

  readonly aiMaturityState = new Gauge({
    name: 'alertagent_ai_maturity_state',
    help: 'AI maturity of each analysis provider: 1 for its state (trusted, probation, degraded), 0 for the others',
    labelNames: ['provider', 'state'] as const,
    registers: [this.registry],
  });

  readonly aiAccuracy = new Gauge({
    name: 'alertagent_ai_accuracy_ratio',
    help: 'Share of rated analyses marked useful over the maturity window, per provider',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });

  readonly aiFailureRate = new Gauge({
    name: 'alertagent_ai_failure_ratio',
    help: 'Share of finished analyses that failed, timed out or were unparsed over the maturity window, per provider',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });

  readonly aiLatencyP95 = new Gauge({
    name: 'alertagent_ai_latency_p95_seconds',
    help: '95th percentile of answer times over the maturity window, per provider',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });

  readonly aiSamples = new Gauge({
    name: 'alertagent_ai_finished_analyses',
    help: 'Analyses finished over the maturity window, per provider (the sample size)',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });

  readonly ackLinkRefusals = new Counter({
    name: 'alertagent_ack_link_refusals_total',
    help: 'Acknowledgement and approval links refused, by reason (malformed, forged, expired, used)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly retentionDeleted = new Counter({
    name: 'alertagent_retention_deleted_total',
    help: 'Rows deleted past their retention, by kind (receipts, records, deliveries, analyses, incidents, executions, audit …)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly flagEnabled = new Gauge({
    name: 'alertagent_flag_enabled',
    help: 'Each feature flag: 1 on, 0 off, labelled with the source that decides it (override, unleash, bootstrap, default)',
    labelNames: ['flag', 'source'] as const,
    registers: [this.registry],
  });

  readonly flagChanges = new Counter({
    name: 'alertagent_flag_changes_total',
    help: 'Recorded flag changes (counted once across replicas) by flag and the source that decides it after the change',
    labelNames: ['flag', 'source'] as const,
    registers: [this.registry],
  });

  readonly gatewayInFlightAlerts = new Gauge({
    name: 'alertagent_gateway_in_flight_alerts',
    help: 'Alerts accepted and not yet through their first send',
    registers: [this.registry],
  });

  readonly gatewayOverloaded = new Gauge({
    name: 'alertagent_gateway_overloaded',
    help: '1 while webhooks are refused with 503 because too many alerts wait for their first send',
    registers: [this.registry],
  });

  readonly gatewayOverloadRefusals = new Counter({
    name: 'alertagent_gateway_overload_refused_alerts_total',
    help: 'Alerts of webhooks answered 503 while the gateway was overloaded (Alertmanager sends them again)',
    registers: [this.registry],
  });

  readonly gatewayPayloadRepairs = new Counter({
    name: 'alertagent_gateway_payload_repairs_total',
    help: 'Values of accepted webhooks changed so that they can be stored (NUL characters, unpaired surrogates, JSON nested too deep, oversized unknown fields, out-of-range dates, overlong fingerprints)',
    registers: [this.registry],
  });

  readonly gatewayFirstDelivery = new Histogram({
    name: 'alertagent_gateway_first_delivery_seconds',
    help: 'From receiving an alert to its first successful delivery',
    labelNames: ['cluster', 'severity'] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  readonly clusterReplicaUp = new Gauge({
    name: 'alertagent_cluster_replica_up',
    help: 'Whether an Alertmanager replica was healthy and ready at its last check (1) or not (0)',
    labelNames: ['cluster', 'url'] as const,
    registers: [this.registry],
  });

  readonly clusterReplicaResponse = new Gauge({
    name: 'alertagent_cluster_replica_response_seconds',
    help: 'How long the last health check of an Alertmanager replica took',
    labelNames: ['cluster', 'url'] as const,
    registers: [this.registry],
  });

  readonly clusterSyncReports = new Counter({
    name: 'alertagent_cluster_sync_reports_total',
    help: 'Reports from config-sync sidecars by cluster, kind and outcome',
    labelNames: ['cluster', 'kind', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly analysisRuns = new Counter({
    name: 'alertagent_analysis_runs_total',
    help: 'Analyses finished by provider and status (succeeded, failed, timed_out) and whether the answer parsed',
    labelNames: ['provider', 'status', 'parsed'] as const,
    registers: [this.registry],
  });

  readonly analysisDuration = new Histogram({
    name: 'alertagent_analysis_duration_seconds',
    help: 'Time a provider took to answer one analysis try',
    labelNames: ['provider'] as const,
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });

  readonly analysisFeedback = new Counter({
    name: 'alertagent_analysis_feedback_total',
    help: 'Feedback on analyses by provider and verdict (useful, not_useful): the input of the AI maturity evaluation',
    labelNames: ['provider', 'verdict'] as const,
    registers: [this.registry],
  });

  // Alerts bring any label values; the metric labels made from them keep few (see LabelValues).
  private readonly clusterValues = new LabelValues(200);
  private readonly severityValues = new LabelValues(0, SEVERITIES);

  /** The cluster and severity labels of an alert's series, bounded. */
  alertLabels(labels: Record<string, string>): { cluster: string; severity: string } {
    return { cluster: this.clusterValues.of(labels.cluster), severity: this.severityValues.of(labels.severity) };
  }

  constructor(role: string) {
    this.registry.setDefaultLabels({ role });
    collectDefaultMetrics({ register: this.registry, prefix: 'alertagent_' });
  }
}
