import type { PageRequest } from '../../domain/page';
import type { EntityManager, FilterQuery } from '@mikro-orm/core';
import { AuditEventEntity } from '../../entities/security/audit-event.entity';

export interface AuditFilter {
  action?: string;
  actor?: string;
  targetType?: string;
  since?: Date;
}

/** Storage of the audit trail. */
export class AuditRepository {
  constructor(private readonly em: EntityManager) {}

  add(event: AuditEventEntity): void {
    this.em.persist(event);
  }

  async findPage(filter: AuditFilter, page: PageRequest): Promise<{ items: AuditEventEntity[]; total: number }> {
    const where: FilterQuery<AuditEventEntity> = {};
    if (filter.action) where.action = filter.action;
    if (filter.actor) where.actor = filter.actor;
    if (filter.targetType) where.targetType = filter.targetType;
    if (filter.since) where.createdAt = { $gte: filter.since };
    const [items, total] = await this.em.findAndCount(AuditEventEntity, where, {
      orderBy: { createdAt: page.order, id: page.order },
      limit: page.limit,
      offset: page.offset,
    });
    return { items, total };
  }
}
