import type { GatewayRouteEntity } from '../../entities/gateway/gateway-route.entity';
import type { RouteType } from '../../schema/gateway/gateway.type';
import { formatMatcher } from '../../services/gateway/route.service';

/** Routes as GraphQL shows them (alert records are served as their rows). */

export function toRouteType(route: GatewayRouteEntity): RouteType {
  return {
    id: route.id,
    name: route.name,
    position: route.position,
    matchers: route.matchers.map(formatMatcher),
    channelIds: route.channelIds,
    continueMatching: route.continueMatching,
    perAlert: route.perAlert,
    isDefault: route.isDefault,
    enabled: route.enabled,
    analysisProviderId: route.analysisProviderId ?? null,
    followUps: route.followUps,
    groupWaitSeconds: route.groupWaitSeconds ?? null,
    groupIntervalSeconds: route.groupIntervalSeconds ?? null,
    repeatIntervalSeconds: route.repeatIntervalSeconds ?? null,
  };
}
