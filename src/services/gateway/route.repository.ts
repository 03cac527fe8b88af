import type { EntityManager } from '@mikro-orm/core';
import { AnalysisProviderEntity } from '../../entities/analysis/analysis-provider.entity';
import { GatewayRouteEntity } from '../../entities/gateway/gateway-route.entity';
import { assertChannelsExist } from '../channels/channel-refs';

/** Storage of routes (a write joins the unit of work of the audited change around it). */
export class RouteRepository {
  constructor(private readonly em: EntityManager) {}

  /** Every route in the order they are tried; read fresh (the table reloads from it after any replica's change). */
  inOrder(): Promise<GatewayRouteEntity[]> {
    return this.em.fork().find(GatewayRouteEntity, {}, { orderBy: { position: 'asc', createdAt: 'asc' } });
  }

  findById(id: string): Promise<GatewayRouteEntity | null> {
    return this.em.findOne(GatewayRouteEntity, { id });
  }

  /** The default route other than this one, if there is one. */
  otherDefault(exceptId: string): Promise<GatewayRouteEntity | null> {
    return this.em.findOne(GatewayRouteEntity, { isDefault: true, id: { $ne: exceptId } });
  }

  count(): Promise<number> {
    return this.em.count(GatewayRouteEntity, {});
  }

  async providerExists(id: string): Promise<boolean> {
    return (await this.em.findOne(AnalysisProviderEntity, { id }, { fields: ['id'] })) !== null;
  }

  /** Refuses (as bad input, per field) channel ids that name no channel. */
  assertChannelsExist(lists: Array<{ field: string; ids: readonly string[] }>): Promise<void> {
    return assertChannelsExist(this.em, lists);
  }

  save(route: GatewayRouteEntity): void {
    this.em.persist(route);
  }

  remove(route: GatewayRouteEntity): void {
    this.em.remove(route);
  }
}
