import type { EntityManager } from '@mikro-orm/core';
import { AnalysisProviderEntity } from '../../entities/analysis/analysis-provider.entity';
import { GatewayRouteEntity } from '../../entities/gateway/gateway-route.entity';

/** Storage of analysis providers (a write joins the unit of work of the audited change around it). */
export class AnalysisProviderRepository {
  constructor(private readonly em: EntityManager) {}

  /** Every provider, by name. */
  all(): Promise<AnalysisProviderEntity[]> {
    return this.em.find(AnalysisProviderEntity, {}, { orderBy: { name: 'asc' } });
  }

  findById(id: string): Promise<AnalysisProviderEntity | null> {
    return this.em.findOne(AnalysisProviderEntity, { id });
  }

  /** The names of the routes that send alerts to a provider. */
  async routesUsing(id: string): Promise<string[]> {
    return (await this.em.find(GatewayRouteEntity, { analysisProviderId: id }, { fields: ['name'] })).map((r) => r.name);
  }

  save(provider: AnalysisProviderEntity): void {
    this.em.persist(provider);
  }

  remove(provider: AnalysisProviderEntity): void {
    this.em.remove(provider);
  }

  /** Writes what was changed on loaded providers (a re-seal). */
  flush(): Promise<void> {
    return this.em.flush();
  }
}
