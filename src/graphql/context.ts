import type { Logger } from '../shared/logger';
import type { Actor } from '../services/security/audit.service';
import type { Principal } from '../services/security/principal';
import { UnauthenticatedError } from '../errors';

/** What every resolver gets: who calls, and the request's id and logger. */
export interface GraphQLContext {
  requestId: string;
  principal: Principal | null;
  logger: Logger;
  /** The client's address (behind trusted proxies: the forwarded one), for limits and the audit trail. */
  clientIp: string;
  /** Epoch ms past which no further resolver starts; unset for subscriptions. */
  deadline?: number;
  /** Runs a top-level query field when the process has a read turn free (absent: at once). */
  readTurn?: <T>(read: () => Promise<T>) => Promise<T>;
  /** The permission the running mutation was let in with, for its audit events. */
  permission?: string;
  /** Audits a change refused for want of a permission (who tried what). */
  recordDenied?: (field: string, permission: string) => Promise<void>;
  /** Names of the clusters the caller's scope covers; null when it covers every cluster (subscription filters ask per event). */
  visibleClusters(): Promise<ReadonlySet<string> | null>;
  /** Ids of the channels the caller's channel-group scope covers; null when it covers every channel. */
  visibleChannels(): Promise<readonly string[] | null>;
}

/** Whether an event about a cluster may reach this caller. */
export async function clusterVisible(context: GraphQLContext, clusterName: string | null): Promise<boolean> {
  const names = await context.visibleClusters();
  return names === null || (clusterName !== null && names.has(clusterName));
}

/** Whether an event about a channel may reach this caller. */
export async function channelVisible(context: GraphQLContext, channelId: string): Promise<boolean> {
  const ids = await context.visibleChannels();
  return ids === null || ids.includes(channelId);
}

export function actorFrom(context: GraphQLContext): Actor {
  if (!context.principal) throw new UnauthenticatedError('authentication required');
  return { principal: context.principal, requestId: context.requestId, permission: context.permission };
}
