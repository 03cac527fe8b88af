import type { AuditAction } from './audit-actions';
import type { EntityManager } from '@mikro-orm/core';
import { AuditEventEntity } from '../../entities/security/audit-event.entity';
import type { Logger } from '../../shared/logger';
import type { EventBus } from '../pubsub/event-bus';
import type { PageRequest } from '../../domain/page';
import type { AuditFilter, AuditRepository } from './audit.repository';
import { actorOf, type Principal } from './principal';

/** Who acts, and under which request, for the audit trail. */
export interface Actor {
  principal: Principal;
  requestId?: string;
  /** The permission the change is made under (recorded with it). */
  permission?: string;
  /** Recorded instead of the principal's name when AlertAgent records a change someone else made (a flag override taking effect). */
  actorName?: string;
}

export type RecordAudit = (action: AuditAction, targetType: string, targetId: string | null, details?: Record<string, unknown>) => void;

export interface AuditServiceDeps {
  em: EntityManager;
  repository: AuditRepository;
  events: EventBus;
  logger: Logger;
}

/** Keeps the audit trail: every administrative change is written in the same transaction as its audit event. */
export class AuditService {
  constructor(private readonly deps: AuditServiceDeps) {}

  /** Runs `work` in one transaction with an audit recorder; events are published only after the commit. */
  async change<T>(actor: Actor, work: (record: RecordAudit) => Promise<T>): Promise<T> {
    const recorded: Array<{ event: AuditEventEntity; action: AuditAction }> = [];
    const result = await this.deps.em.transactional(async () => {
      const record: RecordAudit = (action, targetType, targetId, details = {}) => {
        const event = new AuditEventEntity();
        Object.assign(event, {
          actor: actor.actorName ?? actorOf(actor.principal),
          action,
          targetType,
          targetId,
          details,
          requestId: actor.requestId ?? null,
          permission: actor.permission ?? null,
        });
        this.deps.repository.add(event);
        recorded.push({ event, action });
      };
      return work(record);
    });
    for (const { event, action } of recorded) await this.publish(event, action);
    return result;
  }

  list(filter: AuditFilter, page: PageRequest) {
    return this.deps.repository.findPage(filter, page);
  }

  private async publish(event: AuditEventEntity, action: AuditAction): Promise<void> {
    try {
      await this.deps.events.publish('audit.recorded', {
        id: event.id,
        actor: event.actor,
        action,
        targetType: event.targetType,
        targetId: event.targetId ?? null,
        permission: event.permission ?? null,
        createdAt: event.createdAt.toISOString(),
      });
    } catch (err) {
      // The change is committed; a missed live event must not turn it into an error for the caller.
      this.deps.logger.warn({ err, auditId: event.id }, 'could not publish audit event');
    }
  }
}
