import { onEvent } from '../graphql/topics';
import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { CorrelationPolicyEntity } from '../entities/gateway/incident.entity';
import { NotFoundError } from '../errors';
import { COST } from '../graphql/cost';
import { actorFrom, type GraphQLContext } from '../graphql/context';
import { toPageRequest } from '../schema/common/page.args';
import { CorrelationPolicyInput, CorrelationPolicyUpdateInput } from '../schema/incidents/incident.input';
import {
  CorrelationPolicyType,
  IncidentAlertType,
  IncidentEventType,
  IncidentNotificationType,
  IncidentPageType,
  IncidentStateValue,
  IncidentType,
} from '../schema/incidents/incident.type';
import { IncidentsArgs } from '../schema/incidents/incident.args';
import { formatMatcher } from '../services/gateway/route.service';
import type { CorrelationPolicyService } from '../services/incidents/correlation-policy.service';
import type { IncidentRepository, IncidentRow } from '../services/incidents/incident.repository';
import type { IncidentEvent } from '../services/pubsub/event-map';

function toPolicyType(p: CorrelationPolicyEntity): CorrelationPolicyType {
  return {
    id: p.id,
    name: p.name,
    position: p.position,
    labels: p.labels,
    matchers: p.matchers.map(formatMatcher),
    windowSeconds: p.windowSeconds,
    updateIntervalSeconds: p.updateIntervalSeconds,
    reopenGraceSeconds: p.reopenGraceSeconds,
    resolveHoldSeconds: p.resolveHoldSeconds,
    enabled: p.enabled,
  };
}

export function toIncidentType(i: IncidentRow): IncidentType {
  return {
    id: i.id,
    title: i.title,
    state: i.state as IncidentStateValue,
    policyName: i.policyName,
    labels: i.labels,
    channelIds: i.channelIds,
    openedAt: i.openedAt,
    lastAlertAt: i.lastAlertAt,
    updatedAt: i.updatedAt,
    resolvedAt: i.resolvedAt,
    updatePending: i.updatePendingSince !== null,
    acknowledgedAt: i.acknowledgedAt,
    acknowledgedBy: i.acknowledgedBy,
    alertCount: i.alertCount,
    firingCount: i.firingCount,
    notificationCount: i.notificationCount,
  };
}

/** Incidents, their alerts and notifications, the live incident stream, and correlation policies. */
@Resolver(() => IncidentType)
export class IncidentResolver {
  constructor(
    private readonly policies: CorrelationPolicyService,
    private readonly incidentRows: IncidentRepository,
  ) {}

  @Authorized('routes:read')
  @Query(() => [CorrelationPolicyType], { description: 'Correlation policies in the order they are tried' })
  async correlationPolicies(): Promise<CorrelationPolicyType[]> {
    return (await this.policies.list()).map(toPolicyType);
  }

  @Authorized('routes:write')
  @Mutation(() => CorrelationPolicyType, { description: 'Applies at once on every replica, to alerts arriving from then on' })
  async createCorrelationPolicy(
    @Arg('input') input: CorrelationPolicyInput,
    @Ctx() context: GraphQLContext,
  ): Promise<CorrelationPolicyType> {
    return toPolicyType(await this.policies.create({ ...input }, actorFrom(context)));
  }

  @Authorized('routes:write')
  @Mutation(() => CorrelationPolicyType, { description: 'Window and interval changes apply to incidents opened from then on' })
  async updateCorrelationPolicy(
    @Arg('id', () => ID) id: string,
    @Arg('input') input: CorrelationPolicyUpdateInput,
    @Ctx() context: GraphQLContext,
  ): Promise<CorrelationPolicyType> {
    return toPolicyType(await this.policies.update(id, { ...input }, actorFrom(context)));
  }

  @Authorized('routes:write')
  @Mutation(() => Boolean, { description: 'Open incidents of the policy carry on until they resolve' })
  async deleteCorrelationPolicy(@Arg('id', () => ID) id: string, @Ctx() context: GraphQLContext): Promise<boolean> {
    await this.policies.remove(id, actorFrom(context));
    return true;
  }

  @Authorized('alerts:read')
  @Query(() => IncidentPageType, { description: 'Incidents, newest opened first by default' })
  async incidents(@Args() args: IncidentsArgs): Promise<IncidentPageType> {
    const { items, total } = await this.incidentRows.findPage({ state: args.state, policyName: args.policyName }, toPageRequest(args));
    return { items: items.map(toIncidentType), total };
  }

  @Authorized('alerts:read')
  @Query(() => IncidentType)
  async incident(@Arg('id', () => ID) id: string): Promise<IncidentType> {
    return toIncidentType(NotFoundError.assert(await this.incidentRows.find(id), 'incident', id));
  }

  @Authorized('alerts:read')
  @FieldResolver(() => [IncidentAlertType], { complexity: COST.RESOLVED_FIELD, description: 'Its alerts, in the order they joined' })
  async alerts(@Root() incident: IncidentType): Promise<IncidentAlertType[]> {
    return this.incidentRows.alertsOf(incident.id);
  }

  @Authorized('alerts:read')
  @FieldResolver(() => [IncidentNotificationType], {
    complexity: COST.RESOLVED_FIELD,
    description: 'Updates and resolutions sent, per channel',
  })
  async notifications(@Root() incident: IncidentType): Promise<IncidentNotificationType[]> {
    return (await this.incidentRows.notificationsOf(incident.id)).map(({ message: _message, incidentId: _incident, ...row }) => row);
  }

  @Authorized('alerts:read')
  @Subscription(
    () => IncidentEventType,
    onEvent('incident.changed', {
      description: 'Incidents as they open, take alerts, are notified and resolve, on any replica',
    }),
  )
  incidentUpdates(@Root() event: IncidentEvent): IncidentEventType {
    return { ...event, state: event.state as IncidentStateValue, at: new Date(event.at) };
  }
}
