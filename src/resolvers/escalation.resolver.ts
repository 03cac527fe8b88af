import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { EscalationPolicyEntity } from '../entities/escalation/escalation.entity';
import { COST } from '../graphql/cost';
import { actorFrom, type GraphQLContext } from '../graphql/context';
import { AcknowledgementType, EscalationPolicyType } from '../schema/escalation/escalation.type';
import { EscalationPolicyInput, EscalationPolicyUpdateInput } from '../schema/escalation/escalation.input';
import { AlertRecordType } from '../schema/gateway/gateway.type';
import { IncidentType } from '../schema/incidents/incident.type';
import type { AckService } from '../services/escalation/acknowledgements';
import type { EscalationPolicyService } from '../services/escalation/escalation-policy.service';
import { formatMatcher } from '../services/gateway/route.service';
import type { IncidentRepository } from '../services/incidents/incident.repository';
import { NotFoundError } from '../errors';
import { toIncidentType } from './incident.resolver';

function toPolicyType(p: EscalationPolicyEntity): EscalationPolicyType {
  return { id: p.id, name: p.name, matchers: p.matchers.map(formatMatcher), levels: p.levels, enabled: p.enabled };
}

/** Escalation policies, and acknowledging alerts and incidents. */
@Resolver()
export class EscalationResolver {
  constructor(
    private readonly policies: EscalationPolicyService,
    private readonly acks: AckService,
    private readonly incidents: Pick<IncidentRepository, 'find'>,
  ) {}

  @Authorized('routes:read')
  @Query(() => [EscalationPolicyType])
  async escalationPolicies(): Promise<EscalationPolicyType[]> {
    return (await this.policies.list()).map(toPolicyType);
  }

  @Authorized('routes:write')
  @Mutation(() => EscalationPolicyType, { description: 'Applies on every replica at once, to alerts first told from then on' })
  async createEscalationPolicy(@Arg('input') input: EscalationPolicyInput, @Ctx() context: GraphQLContext): Promise<EscalationPolicyType> {
    return toPolicyType(await this.policies.create({ ...input, levels: input.levels.map((l) => ({ ...l })) }, actorFrom(context)));
  }

  @Authorized('routes:write')
  @Mutation(() => EscalationPolicyType)
  async updateEscalationPolicy(
    @Arg('id', () => ID) id: string,
    @Arg('input') input: EscalationPolicyUpdateInput,
    @Ctx() context: GraphQLContext,
  ): Promise<EscalationPolicyType> {
    return toPolicyType(await this.policies.update(id, { ...input, levels: input.levels?.map((l) => ({ ...l })) }, actorFrom(context)));
  }

  @Authorized('routes:write')
  @Mutation(() => Boolean, { description: 'Escalations already under way under it stop at their next step' })
  async deleteEscalationPolicy(@Arg('id', () => ID) id: string, @Ctx() context: GraphQLContext): Promise<boolean> {
    await this.policies.remove(id, actorFrom(context));
    return true;
  }

  @Authorized('alerts:ack')
  @Mutation(() => AcknowledgementType, {
    description:
      "Acknowledges the alert's current firing episode (its fingerprint and startsAt) and stops its escalation; a repeat answers the first acknowledgement",
  })
  async acknowledgeAlert(
    @Arg('recordId', () => ID) recordId: string,
    @Arg('note', () => String, { nullable: true }) note: string | null,
    @Ctx() context: GraphQLContext,
  ): Promise<AcknowledgementType> {
    const ack = await this.acks.acknowledgeAlert(recordId, actorFrom(context), note);
    return this.acks.times(ack.fingerprint, ack.startsAt);
  }

  @Authorized('alerts:ack')
  @Mutation(() => IncidentType, { description: 'Acknowledges the incident and every alert of it still firing, stopping their escalation' })
  async acknowledgeIncident(
    @Arg('id', () => ID) id: string,
    @Arg('note', () => String, { nullable: true }) note: string | null,
    @Ctx() context: GraphQLContext,
  ): Promise<IncidentType> {
    await this.acks.acknowledgeIncident(id, actorFrom(context), note);
    return toIncidentType(NotFoundError.assert(await this.incidents.find(id), 'incident', id));
  }
}

/** The acknowledgement and timings of the alert episode a record belongs to. */
@Resolver(() => AlertRecordType)
export class AlertRecordAckResolver {
  constructor(private readonly acks: AckService) {}

  @FieldResolver(() => AcknowledgementType, {
    complexity: COST.RESOLVED_FIELD,
    description: 'Acknowledgement, time to acknowledge and time to resolve of this firing episode',
  })
  async acknowledgement(@Root() record: AlertRecordType): Promise<AcknowledgementType> {
    return this.acks.times(record.fingerprint, record.startsAt);
  }
}
