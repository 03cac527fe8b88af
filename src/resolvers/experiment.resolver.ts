import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { RoutingExperimentEntity } from '../entities/experiments/routing-experiment.entity';
import { actorFrom, type GraphQLContext } from '../graphql/context';
import { ExperimentReportType, RoutingExperimentType } from '../schema/experiments/experiment.type';
import { RoutingExperimentInput } from '../schema/experiments/experiment.input';
import type { RoutingExperimentService } from '../services/experiments/routing-experiment.service';

const toExperimentType = (e: RoutingExperimentEntity): RoutingExperimentType => ({
  ...e,
  winner: e.winner ?? null,
  endedAt: e.endedAt ?? null,
});

/** A/B tests of routes. */
@Resolver()
export class ExperimentResolver {
  constructor(private readonly experiments: RoutingExperimentService) {}

  @Authorized('routes:read')
  @Query(() => [RoutingExperimentType])
  async routingExperiments(): Promise<RoutingExperimentType[]> {
    return (await this.experiments.list()).map(toExperimentType);
  }

  @Authorized('routes:read')
  @Query(() => ExperimentReportType, {
    description: "Each arm's notifications per episode, time to acknowledge and resolve, and negative feedback, with 95 % intervals",
  })
  async routingExperimentReport(@Arg('id', () => ID) id: string): Promise<ExperimentReportType> {
    return this.experiments.report(id);
  }

  @Authorized('routes:write')
  @Mutation(() => RoutingExperimentType, {
    description: 'Starts splitting the route’s alerts between the route (A) and the variant (B) while routing.learning is on',
  })
  async startRoutingExperiment(
    @Arg('input') input: RoutingExperimentInput,
    @Ctx() context: GraphQLContext,
  ): Promise<RoutingExperimentType> {
    return toExperimentType(await this.experiments.create({ ...input, variant: { ...input.variant } }, actorFrom(context)));
  }

  @Authorized('routes:write')
  @Mutation(() => RoutingExperimentType, { description: 'Ends the experiment keeping the route as it is' })
  async stopRoutingExperiment(@Arg('id', () => ID) id: string, @Ctx() context: GraphQLContext): Promise<RoutingExperimentType> {
    return toExperimentType(await this.experiments.stopExperiment(id, actorFrom(context)));
  }

  @Authorized('routes:write')
  @Mutation(() => RoutingExperimentType, {
    description: 'Ends the experiment keeping the winner (the report’s, or the arm named): B writes the variant into the route',
  })
  async promoteRoutingExperiment(
    @Arg('id', () => ID) id: string,
    @Arg('arm', () => String, { nullable: true }) arm: string | null | undefined,
    @Ctx() context: GraphQLContext,
  ): Promise<RoutingExperimentType> {
    return toExperimentType(await this.experiments.promote(id, arm ?? null, actorFrom(context)));
  }
}
