import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { GatewaySimulationEntity } from '../entities/gateway/gateway-simulation.entity';
import { actorFrom, type GraphQLContext } from '../graphql/context';
import { BadUserInputError } from '../errors';
import { GatewayProposalInput } from '../schema/replay/simulation.input';
import { GatewaySimulationType, SimulationStateValue, type SimulationResultType } from '../schema/replay/simulation.type';
import type { GatewayProposal, GatewaySimulationService } from '../services/replay/gateway-simulation.service';
import type { SimulationResult } from '../services/replay/simulation-tally';

/** Replay before rollout: recorded receipts through a proposed gateway configuration, nothing sent. */
@Resolver()
export class SimulationResolver {
  constructor(private readonly simulations: GatewaySimulationService) {}

  private async toType(row: GatewaySimulationEntity): Promise<GatewaySimulationType> {
    const proposal = row.proposal as GatewayProposal;
    return {
      id: row.id,
      state: row.state as SimulationStateValue,
      from: row.rangeFrom,
      to: row.rangeTo,
      flags: (proposal.flags ?? []).filter((f) => f.enabled).map((f) => f.name),
      receiptsTotal: row.receiptsTotal,
      receiptsDone: row.receiptsDone,
      cancelRequested: row.cancelRequested,
      result: row.result ? await this.toResult(row.result as unknown as SimulationResult) : null,
      error: row.error ?? null,
      requestedBy: row.requestedBy,
      createdAt: row.createdAt,
      startedAt: row.startedAt ?? null,
      finishedAt: row.finishedAt ?? null,
    };
  }

  private async toResult(result: SimulationResult): Promise<SimulationResultType> {
    const names = await this.simulations.channelNames(result.byChannel.map((c) => c.channelId));
    const changed = (c: SimulationResult['newlyHeld']) => ({
      count: c.count,
      sample: c.sample.map((a) => ({ ...a, receivedAt: new Date(a.receivedAt) })),
    });
    return {
      ...result,
      byChannel: result.byChannel.map((c) => ({ ...c, channelName: names.get(c.channelId) ?? null })),
      newlyHeld: changed(result.newlyHeld),
      newlySent: changed(result.newlySent),
    };
  }

  @Authorized('routes:write')
  @Mutation(() => GatewaySimulationType, {
    description:
      'Replays the receipts recorded in [from, to) (at most 31 days) through a proposed configuration without sending anything; runs in the background: poll gatewaySimulation(id)',
  })
  async simulateGateway(
    @Arg('from', () => Date) from: Date,
    @Arg('to', () => Date) to: Date,
    @Arg('proposal', () => GatewayProposalInput, { nullable: true }) proposal: GatewayProposalInput | null,
    @Ctx() context: GraphQLContext,
  ): Promise<GatewaySimulationType> {
    const { correlationPolicies, ...rest } = proposal ?? {};
    return this.toType(await this.simulations.start(from, to, { ...rest, policies: correlationPolicies }, actorFrom(context)));
  }

  @Authorized('routes:write')
  @Mutation(() => GatewaySimulationType, { description: 'Stops a queued or running replay (at its next page of receipts)' })
  async cancelGatewaySimulation(@Arg('id', () => ID) id: string): Promise<GatewaySimulationType> {
    return this.toType(await this.simulations.cancel(id));
  }

  @Authorized('routes:read')
  @Query(() => GatewaySimulationType)
  async gatewaySimulation(@Arg('id', () => ID) id: string): Promise<GatewaySimulationType> {
    return this.toType(await this.simulations.find(id));
  }

  @Authorized('routes:read')
  @Query(() => [GatewaySimulationType], { description: 'The latest replays, newest first' })
  async gatewaySimulations(
    @Arg('limit', () => Int, { defaultValue: 20, description: '1 to 100' }) limit: number,
  ): Promise<GatewaySimulationType[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw BadUserInputError.forField('limit', 'must be 1 to 100');
    return Promise.all((await this.simulations.list(limit)).map((row) => this.toType(row)));
  }
}
