import { SIDECAR_PATH } from '../shared/paths';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { parseInput } from '../errors';
import type { ClusterEntity } from '../entities/clusters/cluster.entity';
import type { ClusterService, SyncReport } from '../services/clusters/cluster.service';
import type { RuleService } from '../services/rules/rule.service';
import { bearerToken } from '../services/security/token-secret';

type SyncKind = SyncReport['kind'];
import type { Metrics } from '../services/observability/metrics';

const syncReport = z.strictObject({
  instance: z.string().trim().min(1).max(200),
  kind: z.enum(['alertmanager', 'prometheus']),
  appliedHash: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'expected a sha256 hash in hex')
    .nullable(),
  ok: z.boolean(),
  error: z.string().max(4000).nullable().default(null),
});

const bearer = (req: Request): string | undefined => bearerToken(req.header('authorization'));

/**
 * What sidecars talk to: the current alertmanager.yml or Prometheus rule file of their cluster
 * (ETag = sha256 of the content, so an unchanged file costs a 304), and where they report what
 * they applied.
 * Authenticated by the cluster's sidecar token.
 */
export function sidecarRoutes(clusters: ClusterService, rules: RuleService, metrics: Metrics): Router {
  const router = Router();
  const wrap = (handler: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) =>
    handler(req, res).catch(next);
  /** What a sidecar of this kind should run now for the cluster. */
  const desiredFor = async (cluster: ClusterEntity, kind: SyncKind): Promise<{ content: string; hash: string }> =>
    kind === 'alertmanager' ? clusters.desiredConfig(cluster.id) : rules.ruleFileFor(cluster);

  const serve = (kind: SyncKind) =>
    wrap(async (req, res) => {
      const cluster = await clusters.authenticateSidecar(req.params.cluster as string, bearer(req));
      const desired = await desiredFor(cluster, kind);
      const etag = `"${desired.hash}"`;
      res.setHeader('ETag', etag);
      res.setHeader('X-Sync-Interval-Seconds', String(cluster.syncIntervalSeconds));
      res.setHeader('Cache-Control', 'no-store');
      const known = req.header('if-none-match');
      if (known?.split(',').some((tag) => tag.trim() === etag)) {
        res.status(304).end();
        return;
      }
      res.type('application/yaml').send(desired.content);
    });
  router.get(`${SIDECAR_PATH}/:cluster/alertmanager.yml`, serve('alertmanager'));
  router.get(`${SIDECAR_PATH}/:cluster/prometheus-rules.yml`, serve('prometheus'));

  router.post(
    `${SIDECAR_PATH}/:cluster/sync`,
    express.json({ limit: 64 * 1024, type: () => true }),
    wrap(async (req, res) => {
      const cluster = await clusters.authenticateSidecar(req.params.cluster as string, bearer(req));
      const report = parseInput(syncReport, req.body, 'body');
      const status = await clusters.recordSync(cluster, report, (await desiredFor(cluster, report.kind)).hash);
      metrics.clusterSyncReports.inc({ cluster: cluster.name, kind: report.kind, outcome: report.ok ? 'applied' : 'failed' });
      res.json({ instance: status.instance, appliedHash: status.appliedHash ?? null, reportedAt: status.reportedAt.toISOString() });
    }),
  );
  return router;
}
