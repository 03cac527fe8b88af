import { onEvent } from '../graphql/topics';
import { Args, Authorized, Query, Resolver, Root, Subscription } from 'type-graphql';
import { toPageRequest } from '../schema/common/page.args';
import { AuditEventPageType, AuditEventType } from '../schema/security/audit-event.type';
import { AuditEventsArgs } from '../schema/security/audit-event.args';
import type { AuditRecordedEvent } from '../services/pubsub/event-map';
import type { AuditService } from '../services/security/audit.service';

/** The audit trail: query it, or watch it live. */
@Resolver()
export class AuditResolver {
  constructor(private readonly audit: AuditService) {}

  @Authorized('audit:read')
  @Query(() => AuditEventPageType, { description: 'Administrative actions, filtered and paginated' })
  async auditEvents(@Args() args: AuditEventsArgs): Promise<AuditEventPageType> {
    const page = toPageRequest(args);
    const { items, total } = await this.audit.list(
      {
        action: args.action ?? undefined,
        actor: args.actor ?? undefined,
        targetType: args.targetType ?? undefined,
        since: args.since ?? undefined,
      },
      page,
    );
    return {
      total,
      items: items.map((e) => ({ ...e, targetId: e.targetId ?? null, permission: e.permission ?? null, details: e.details })),
    };
  }

  @Authorized('audit:read')
  @Subscription(
    () => AuditEventType,
    onEvent('audit.recorded', {
      description: 'Administrative actions as they happen, on any replica',
    }),
  )
  auditEventRecorded(@Root() event: AuditRecordedEvent): AuditEventType {
    return { ...event, createdAt: new Date(event.createdAt), details: null };
  }
}
