/**
 * The URL paths of AlertAgent's HTTP interface, in one place: the server mounts them, services
 * write links to them (webhook URLs, callback URLs, acknowledgement links) and the sidecar calls
 * them. A path changed here changes on every side at once.
 */
export const GRAPHQL_PATH = '/graphql';
export const HEALTHZ_PATH = '/healthz';
export const READYZ_PATH = '/readyz';
export const METRICS_PATH = '/metrics';
export const ALERTMANAGER_WEBHOOK_PATH = '/api/v1/alerts/alertmanager';
export const ANALYSIS_CALLBACK_PATH = '/api/v1/analysis/callback';
export const ACK_PATH = '/ack';
export const BACKUP_PATH = '/api/v1/backup';
export const SIDECAR_PATH = '/api/v1/sidecar/clusters';

/** A cluster's own webhook: its token is good there only, and its alerts carry its name. */
export const clusterWebhookPath = (cluster: string): string => `${ALERTMANAGER_WEBHOOK_PATH}/${encodeURIComponent(cluster)}`;

/** What a sidecar fetches (the rendered files) and where it reports (`sync`). */
export type SidecarResource = 'alertmanager.yml' | 'prometheus-rules.yml' | 'sync';

export const sidecarPath = (cluster: string, resource: SidecarResource): string =>
  `${SIDECAR_PATH}/${encodeURIComponent(cluster)}/${resource}`;
