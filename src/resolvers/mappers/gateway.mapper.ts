import type { GatewayRouteEntity } from '../../entities/gateway/gateway-route.entity';
import type { RouteType } from '../../schema/gateway/gateway.type';
import { routeInputOf } from '../../services/gateway/route.service';

/** A route as GraphQL shows it: what a user would send to recreate it, and its id (alert records are served as their rows). */
export function toRouteType(route: GatewayRouteEntity): RouteType {
  return { id: route.id, ...routeInputOf(route), followUps: route.followUps };
}
