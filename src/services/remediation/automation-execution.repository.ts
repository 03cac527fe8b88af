import type { EntityManager, FilterQuery } from '@mikro-orm/core';
import type { Page, PageRequest } from '../../domain/page';
import { AutomationExecutionEntity, type ExecutionStatus } from '../../entities/remediation/remediation.entity';

export interface ExecutionFilter {
  status?: string | null;
  actionName?: string | null;
}

/** Statuses that start an action's cooldown: it ran, would have run, or is about to. */
const COOLING: ExecutionStatus[] = ['running', 'succeeded', 'dry_run', 'awaiting_approval'];

/** Storage of remediation proposals and runs. */
export class AutomationExecutionRepository {
  constructor(private readonly em: EntityManager) {}

  async findPage(filter: ExecutionFilter, page: PageRequest): Promise<Page<AutomationExecutionEntity>> {
    const where: FilterQuery<AutomationExecutionEntity> = {};
    if (filter.status) where.status = filter.status as ExecutionStatus;
    if (filter.actionName) where.actionName = filter.actionName;
    const [items, total] = await this.em.findAndCount(AutomationExecutionEntity, where, {
      orderBy: { createdAt: page.order, id: page.order },
      limit: page.limit,
      offset: page.offset,
    });
    return { items, total };
  }

  findById(id: string): Promise<AutomationExecutionEntity | null> {
    return this.em.findOne(AutomationExecutionEntity, { id });
  }

  /** Whether the action was proposed or run since then (its cooldown). */
  async cooledSince(actionName: string, since: Date): Promise<boolean> {
    return (await this.em.count(AutomationExecutionEntity, { actionName, status: { $in: COOLING }, createdAt: { $gte: since } })) > 0;
  }

  /** Takes an approval: false when another approver (or link) took it first. */
  async claimApproval(id: string, by: string): Promise<boolean> {
    return (
      (await this.em.nativeUpdate(
        AutomationExecutionEntity,
        { id, status: 'awaiting_approval' },
        { status: 'running', triggeredBy: by },
      )) === 1
    );
  }
}
