import type { Logger } from '../services/observability/logger';
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
}

export function actorFrom(context: GraphQLContext): Actor {
  if (!context.principal) throw new UnauthenticatedError('authentication required');
  return { principal: context.principal, requestId: context.requestId };
}
