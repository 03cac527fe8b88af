import { HEALTHZ_PATH, METRICS_PATH, READYZ_PATH } from '../shared/paths';
import { Router } from 'express';
import { AggregatorRegistry } from 'prom-client';
import { UnauthenticatedError } from '../errors';
import { bearerToken, sameSecret } from '../services/security/token-secret';
import type { Metrics } from '../services/observability/metrics';
import type { SystemService } from '../services/system/system.service';
import type { MetricsJson } from './subscription-process';

/**
 * /healthz (alive), /readyz (can take alerts: 503 only when the database is down; a Redis outage
 * is `degraded` and stays ready, because alerts still flow), /metrics (Prometheus text format).
 */
export function opsRoutes(
  system: SystemService,
  metrics: Metrics,
  metricsToken?: string,
  /** Metrics of a helper process (the subscription process), served with this process's own. */
  helperMetrics?: () => Promise<MetricsJson>,
): Router {
  const router = Router();
  router.get(HEALTHZ_PATH, (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get(READYZ_PATH, async (_req, res) => {
    const health = await system.health();
    res.status(health.status === 'down' ? 503 : 200).json(health);
  });
  router.get(METRICS_PATH, async (req, res) => {
    if (metricsToken) {
      const token = bearerToken(req.header('authorization'));
      if (!token || !sameSecret(token, metricsToken))
        throw new UnauthenticatedError('/metrics needs the metrics token: Authorization: Bearer <METRICS_TOKEN>');
    }
    res.setHeader('content-type', metrics.registry.contentType);
    if (!helperMetrics) return void res.send(await metrics.registry.metrics());
    // Series differ by their role label, so merging the two registries keeps each process's own.
    const merged = AggregatorRegistry.aggregate([await metrics.registry.getMetricsAsJSON(), await helperMetrics()]);
    res.send(await merged.metrics());
  });
  return router;
}
