import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { BadUserInputError, ForbiddenError, UnauthenticatedError, zodIssues } from '../errors';
import { alertmanagerPayloadSchema } from '../services/gateway/alertmanager-payload';
import type { GatewayService } from '../services/gateway/gateway.service';
import type { AuthService } from '../services/security/auth.service';
import type { ClusterService } from '../services/clusters/cluster.service';
import { bearerToken, WEBHOOK_TOKEN_PREFIX } from '../services/security/token-secret';
import { roleAllows } from '../services/security/principal';

export const ALERTMANAGER_WEBHOOK_PATH = '/api/v1/alerts/alertmanager';
const CLUSTER_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/**
 * Alertmanager's `http_config` sends either `Authorization: Bearer <token>` or basic auth; with
 * basic auth the password is the token (the user name is free, e.g. the cluster's name).
 */
function bearerFrom(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const basic = /^Basic\s+(\S+)\s*$/i.exec(header);
  if (!basic) return header;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : `Bearer ${decoded.slice(colon + 1)}`;
}

/**
 * POST /api/v1/alerts/alertmanager[/:cluster]: Alertmanager's webhook receiver. Answers 200 only once the
 * alerts are stored (so Alertmanager stops retrying only when nothing can be lost), 4xx for a
 * request that will never be valid, 5xx (which Alertmanager retries) when storing failed.
 */
export function gatewayRoutes(gateway: GatewayService, auth: AuthService, clusters: ClusterService, bodyLimitBytes: number): Router {
  const router = Router();
  router.post(
    [ALERTMANAGER_WEBHOOK_PATH, `${ALERTMANAGER_WEBHOOK_PATH}/:cluster`],
    async (req: Request, _res: Response, next: NextFunction) => {
      try {
        const authorization = bearerFrom(req.header('authorization'));
        const token = bearerToken(authorization);
        // A cluster's own webhook token is good for that cluster's endpoint only.
        if (token?.startsWith(WEBHOOK_TOKEN_PREFIX)) {
          const clusterName = req.params.cluster as string | undefined;
          if (!clusterName) throw new UnauthenticatedError(`a cluster webhook token is good only at ${ALERTMANAGER_WEBHOOK_PATH}/<cluster name>`);
          const cluster = await clusters.authenticateWebhook(clusterName, token);
          req.principal = { kind: 'cluster', id: cluster.id, name: cluster.name, role: 'operator' };
          return next();
        }
        const principal = await auth.authenticate(authorization);
        if (!principal) throw new UnauthenticatedError('the webhook needs a token: set http_config.authorization (Bearer) or basic_auth in Alertmanager');
        if (!roleAllows(principal.role, 'operator')) throw new ForbiddenError(`the webhook needs a token with the operator role; this one has ${principal.role}`);
        req.principal = principal;
        next();
      } catch (err) {
        next(err);
      }
    },
    express.json({ limit: bodyLimitBytes, type: () => true }),
    async (req: Request, res: Response, next: NextFunction) => {
      try {
        const parsed = alertmanagerPayloadSchema.safeParse(req.body);
        if (!parsed.success) {
          const issues = zodIssues(parsed.error);
          const shown = issues.slice(0, 20);
          throw new BadUserInputError(
            `not an Alertmanager webhook payload (version 4): ${shown.map((i) => `${i.field}: ${i.message}`).join('; ')}${issues.length > shown.length ? ` (and ${issues.length - shown.length} more)` : ''}`,
            shown,
          );
        }
        const cluster = req.params.cluster as string | undefined;
        if (cluster !== undefined) {
          if (!CLUSTER_NAME.test(cluster)) throw BadUserInputError.forField('cluster', 'cluster names are letters, digits and _ . - (at most 100)');
          // The per-cluster endpoint labels what it receives, as an external label would; an alert's own label wins.
          for (const alert of parsed.data.alerts) alert.labels.cluster ??= cluster;
        }
        const source = cluster ? `cluster:${cluster}` : `${req.principal!.kind}:${req.principal!.name}`;
        const acceptance = await gateway.accept(parsed.data, source);
        res.status(200).json({ status: 'accepted', ...acceptance });
      } catch (err) {
        next(err);
      }
    },
  );
  return router;
}
