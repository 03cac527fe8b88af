import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { InhibitionRuleEntity } from '../entities/gateway/inhibition.entity';
import { actorFrom, type GraphQLContext } from '../graphql/context';
import { InhibitionRuleInput, InhibitionRuleUpdateInput } from '../schema/inhibition/inhibition.input';
import { InhibitionRuleType } from '../schema/inhibition/inhibition.type';
import { formatMatcher } from '../services/gateway/route.service';
import type { InhibitionRuleService } from '../services/inhibition/inhibition-rule.service';

function toRuleType(r: InhibitionRuleEntity): InhibitionRuleType {
  return {
    id: r.id,
    name: r.name,
    sourceMatchers: r.sourceMatchers.map(formatMatcher),
    targetMatchers: r.targetMatchers.map(formatMatcher),
    equal: r.equal,
    enabled: r.enabled,
  };
}

/** Inhibition rules (flag gateway.inhibition). */
@Resolver()
export class InhibitionResolver {
  constructor(private readonly inhibitions: InhibitionRuleService) {}

  @Authorized('routes:read')
  @Query(() => [InhibitionRuleType])
  async inhibitionRules(): Promise<InhibitionRuleType[]> {
    return (await this.inhibitions.list()).map(toRuleType);
  }

  @Authorized('routes:write')
  @Mutation(() => InhibitionRuleType, { description: 'Applies at once on every replica, to alerts arriving from then on' })
  async createInhibitionRule(@Arg('input') input: InhibitionRuleInput, @Ctx() context: GraphQLContext): Promise<InhibitionRuleType> {
    return toRuleType(await this.inhibitions.create({ ...input }, actorFrom(context)));
  }

  @Authorized('routes:write')
  @Mutation(() => InhibitionRuleType)
  async updateInhibitionRule(
    @Arg('id', () => ID) id: string,
    @Arg('input') input: InhibitionRuleUpdateInput,
    @Ctx() context: GraphQLContext,
  ): Promise<InhibitionRuleType> {
    return toRuleType(await this.inhibitions.update(id, { ...input }, actorFrom(context)));
  }

  @Authorized('routes:write')
  @Mutation(() => Boolean, { description: 'Targets it holds are released at the next sweep if no other rule holds them' })
  async deleteInhibitionRule(@Arg('id', () => ID) id: string, @Ctx() context: GraphQLContext): Promise<boolean> {
    await this.inhibitions.remove(id, actorFrom(context));
    return true;
  }
}
