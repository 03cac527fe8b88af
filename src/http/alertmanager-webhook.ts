import { ALERTMANAGER_WEBHOOK_PATH } from '../shared/paths';
import type { AuditAction } from '../services/security/audit-actions';
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestContext, type MikroORM } from '@mikro-orm/core';
import { LRUCache } from 'lru-cache';
import getRawBody from 'raw-body';
import { BadUserInputError, ForbiddenError, retryAfterOf, UnauthenticatedError } from '../errors';
import { inSpan, SpanKind } from '../services/observability/tracing';
import type { ClusterService } from '../services/clusters/cluster.service';
import { parseAlertmanagerPayload } from '../services/gateway/alertmanager-payload';
import type { GatewayService } from '../services/gateway/gateway.service';
import type { Logger } from '../shared/logger';
import type { Metrics } from '../services/observability/metrics';
import type { EventBus } from '../services/pubsub/event-bus';
import type { AuthService } from '../services/security/auth.service';
import { hasPermission, type Principal } from '../services/security/principal';
import { clusterInScope } from '../services/security/scopes';
import { bearerToken, WEBHOOK_TOKEN_PREFIX } from '../services/security/token-secret';
import { httpFailure } from './error-handler';
import { requestIdFrom } from './request-context';

const CLUSTER_NAME = /^[A-Za-z0-9_.-]{1,100}$/;
/** Audited actions after which a remembered credential may no longer be good. */
const CREDENTIAL_CHANGES = new Set<AuditAction>(['api-token.revoked', 'cluster.credentials-rotated', 'cluster.deleted']);

/** Which webhook URL a request is for; null when it is not a webhook request. */
export interface WebhookTarget {
  /** Set for the per-cluster endpoint. */
  cluster?: string;
}

export function webhookTarget(method: string | undefined, url: string | undefined): WebhookTarget | null {
  if (method !== 'POST') return null;
  return webhookPath(url);
}

/**
 * Answers a request with another method on a webhook path: 405 with `Allow: POST` and what the
 * URL is for, so that someone who opens it in a browser learns the URL is right. Returns false
 * when the path is not a webhook path.
 */
export function refuseOtherMethods(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method === 'POST' || webhookPath(req.url) === null) return false;
  res.setHeader('allow', 'POST');
  reply(res, 405, {
    errors: [
      {
        message: `this is AlertAgent's Alertmanager webhook: Alertmanager POSTs alerts here (webhook_configs url, with a bearer token); ${req.method} is not served`,
        extensions: { code: 'METHOD_NOT_ALLOWED' },
      },
    ],
  });
  return true;
}

function webhookPath(url: string | undefined): WebhookTarget | null {
  if (!url?.startsWith(ALERTMANAGER_WEBHOOK_PATH)) return null;
  const query = url.indexOf('?');
  let path = query < 0 ? url : url.slice(0, query);
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  if (path === ALERTMANAGER_WEBHOOK_PATH) return {};
  const rest = path.slice(ALERTMANAGER_WEBHOOK_PATH.length);
  if (!rest.startsWith('/') || rest.indexOf('/', 1) >= 0) return null;
  try {
    return { cluster: decodeURIComponent(rest.slice(1)) };
  } catch {
    return { cluster: rest.slice(1) };
  }
}

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

export interface WebhookDeps {
  orm: MikroORM;
  gateway: GatewayService;
  auth: AuthService;
  clusters: ClusterService;
  metrics: Metrics;
  logger: Logger;
  bodyLimitBytes: number;
  requestIdHeader: string;
  /** How long an accepted credential is taken without asking the database again: a revoked API token or a rotated cluster token stops working within it. */
  credentialCacheMs: number;
  events: EventBus;
}

export interface WebhookEndpoint {
  handle(req: IncomingMessage, res: ServerResponse, target: WebhookTarget): Promise<void>;
  close(): void;
}

/**
 * POST /api/v1/alerts/alertmanager[/<cluster>]: Alertmanager's webhook receiver, served on the
 * bare Node request (no framework in between: this is the hottest route). Answers 200 only once
 * the alerts are stored (so Alertmanager stops retrying only when nothing can be lost), 4xx for a
 * request that will never be valid, 5xx (which Alertmanager retries) when storing failed.
 */
export function alertmanagerWebhook(deps: WebhookDeps): WebhookEndpoint {
  const { orm, gateway, auth, clusters, metrics, logger, bodyLimitBytes } = deps;
  const requestIdHeader = deps.requestIdHeader.toLowerCase();
  // Keyed by a hash of the credential and the endpoint, never the credential itself.
  const accepted = deps.credentialCacheMs > 0 ? new LRUCache<string, Sender>({ max: 1_000, ttl: deps.credentialCacheMs }) : null;
  // A revocation or rotation on any replica is audited and published: forget everything at once (the TTL is the backstop).
  const audits = deps.events.subscribe('audit.recorded');
  void (async () => {
    for await (const event of audits) if (CREDENTIAL_CHANGES.has(event.action)) accepted?.clear();
  })().catch((err) => logger.warn({ err }, 'stopped following credential changes'));

  async function authenticate(header: string | undefined, cluster: string | undefined): Promise<Sender> {
    const authorization = bearerFrom(header);
    const key = accepted
      ? createHash('sha256')
          .update(`${cluster ?? ''}\n${authorization ?? ''}`)
          .digest('hex')
      : null;
    const known = key ? accepted?.get(key) : undefined;
    if (known) return known;
    const token = bearerToken(authorization);
    let sender: Sender;
    // A cluster's own webhook token is good for that cluster's endpoint only.
    if (token?.startsWith(WEBHOOK_TOKEN_PREFIX)) {
      if (cluster === undefined)
        throw new UnauthenticatedError(`a cluster webhook token is good only at ${ALERTMANAGER_WEBHOOK_PATH}/<cluster name>`);
      await RequestContext.create(orm.em, () => clusters.authenticateWebhook(cluster, token));
      sender = { source: `cluster:${cluster}`, boundToCluster: true };
    } else {
      const principal = await RequestContext.create(orm.em, () => auth.authenticate(authorization));
      if (!principal)
        throw new UnauthenticatedError('the webhook needs a token: set http_config.authorization (Bearer) or basic_auth in Alertmanager');
      if (!hasPermission(principal, 'alerts:write'))
        throw new ForbiddenError(`the webhook needs the permission alerts:write, which the role ${principal.role} does not hold`);
      const scoped = principal.grant.scopes.clusters !== null;
      if (scoped) await RequestContext.create(orm.em, () => assertClusterInScope(principal, cluster));
      sender = { source: cluster === undefined ? `${principal.kind}:${principal.name}` : `cluster:${cluster}`, boundToCluster: scoped };
    }
    if (key) accepted?.set(key, sender);
    return sender;
  }

  /** A token scoped to some clusters posts for one of them, at its endpoint. */
  async function assertClusterInScope(principal: Principal, cluster: string | undefined): Promise<void> {
    if (cluster === undefined)
      throw new ForbiddenError(`the role ${principal.role} is scoped to clusters: post to ${ALERTMANAGER_WEBHOOK_PATH}/<cluster name>`);
    const registered = await clusters.findByName(cluster);
    if (!registered || !clusterInScope(principal.grant, registered))
      throw new ForbiddenError(`cluster ${cluster} is outside the clusters of the role ${principal.role}`);
  }

  const handle = (req: IncomingMessage, res: ServerResponse, target: WebhookTarget): Promise<void> => {
    const route = target.cluster === undefined ? ALERTMANAGER_WEBHOOK_PATH : `${ALERTMANAGER_WEBHOOK_PATH}/:cluster`;
    // A trace begun upstream (a proxy, an instrumented sender) is continued from its traceparent.
    return inSpan(
      `POST ${route}`,
      () => ({ 'http.request.method': 'POST', 'http.route': route, 'alertagent.cluster': target.cluster ?? '' }),
      async (span) => {
        await answer(req, res, target, route);
        span.setAttribute('http.response.status_code', res.statusCode);
      },
      { kind: SpanKind.SERVER, parent: req.headers },
    );
  };

  const answer = async (req: IncomingMessage, res: ServerResponse, target: WebhookTarget, route: string): Promise<void> => {
    const stopTimer = metrics.httpRequestDuration.startTimer();
    const requestId = requestIdFrom(req.headers[requestIdHeader]);
    res.setHeader(requestIdHeader, requestId);
    res.once('finish', () => stopTimer({ method: 'POST', route, status: String(res.statusCode) }));
    try {
      const sender = await authenticate(req.headers.authorization, target.cluster);
      const { payload, repairs } = parseAlertmanagerPayload(await readBody(req, bodyLimitBytes));
      if (target.cluster !== undefined) {
        if (!CLUSTER_NAME.test(target.cluster))
          throw BadUserInputError.forField('cluster', 'cluster names are letters, digits and _ . - (at most 100)');
        await labelWithCluster(payload.alerts, target.cluster, sender.boundToCluster);
      }
      const acceptance = await gateway.accept(payload, sender.source);
      if (repairs.count > 0) {
        metrics.gatewayPayloadRepairs.inc(repairs.count);
        logger.info({ requestId, repairs: repairs.notes }, 'webhook accepted with repairs so that all of it can be stored');
      }
      reply(res, 200, { status: 'accepted', ...acceptance, ...(repairs.count > 0 ? { repairs: repairs.notes } : {}) });
    } catch (err) {
      const failure = httpFailure(err);
      const log = logger.child({ requestId });
      if (failure.known) log.info({ code: failure.known.code, message: failure.known.message }, 'request rejected');
      else log.error({ err }, 'unhandled error in the webhook');
      const retryAfter = retryAfterOf(failure.known);
      if (retryAfter !== undefined) res.setHeader('retry-after', String(retryAfter));
      reply(res, failure.status, failure.body);
    }
  };
  /**
   * The per-cluster endpoint labels what it receives, as an external label would; an alert's own
   * label wins, except that a sender bound to this cluster (its webhook token, a cluster-scoped
   * role) cannot label alerts as another registered cluster: such a label is kept as
   * `exported_cluster`, as Prometheus keeps a target label it overrides.
   */
  async function labelWithCluster(alerts: Array<{ labels: Record<string, string> }>, cluster: string, bound: boolean): Promise<void> {
    const others = bound ? await clusters.registeredNames() : null;
    for (const alert of alerts) {
      const own = alert.labels.cluster;
      if (own !== undefined && own !== cluster && others?.has(own)) {
        alert.labels.exported_cluster ??= own;
        alert.labels.cluster = cluster;
      } else {
        alert.labels.cluster ??= cluster;
      }
    }
  }

  return { handle, close: () => void audits.return?.() };
}

/** Who sent a webhook, as the gateway records it, and whether it speaks for one cluster only. */
interface Sender {
  source: string;
  boundToCluster: boolean;
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    return Promise.reject(new BadUserInputError(`content encoding "${encoding}" is not supported; send the webhook uncompressed`));
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')
    return Promise.reject(new BadUserInputError(`unsupported charset "${charset}"; send UTF-8`));
  return getRawBody(req, { length: req.headers['content-length'], limit, encoding: 'utf8' });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) }).end(text);
}
