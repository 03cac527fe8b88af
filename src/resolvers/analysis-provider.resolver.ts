import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { actorFrom, type GraphQLContext } from '../graphql/context';
import { AnalysisProviderInput, AnalysisProviderUpdateInput } from '../schema/analysis/analysis.input';
import { AnalysisProviderPageType, AnalysisProviderType } from '../schema/analysis/analysis.type';
import { AnalysisProvidersArgs } from '../schema/analysis/analysis.args';
import { byField, pageOf } from '../schema/common/list.args';
import type { AnalysisProviderEntity } from '../entities/analysis/analysis-provider.entity';
import type { AnalysisProviderService, ProviderInput } from '../services/analysis/analysis-provider.service';
import { toProviderType } from './mappers/analysis.mapper';

/** The AI backends analyses run on: n8n, Dify, OpenAI-compatible. */
@Resolver(() => AnalysisProviderType)
export class AnalysisProviderResolver {
  constructor(private readonly providers: AnalysisProviderService) {}

  @Authorized('analysis:read')
  @Query(() => AnalysisProviderPageType, { description: 'Analysis providers, filtered, sorted and paginated' })
  async analysisProviders(@Args() args: AnalysisProvidersArgs): Promise<AnalysisProviderPageType> {
    const providers = (await this.providers.list()).map((p) => this.toType(p));
    const keep = (p: AnalysisProviderType) => (!args.type || p.type === args.type) && (args.enabled == null || p.enabled === args.enabled);
    return pageOf(providers, args, (p) => p.name, byField(args.sortBy), keep);
  }

  @Authorized('analysis:admin')
  @Mutation(() => AnalysisProviderType)
  async createAnalysisProvider(@Arg('input') input: AnalysisProviderInput, @Ctx() context: GraphQLContext): Promise<AnalysisProviderType> {
    return this.toType(await this.providers.save(null, { ...input } as ProviderInput, actorFrom(context)));
  }

  @Authorized('analysis:admin')
  @Mutation(() => AnalysisProviderType, {
    description: 'Changes what it is given: fields and config keys left out are kept, and so is the secret',
  })
  async updateAnalysisProvider(
    @Arg('id', () => ID) id: string,
    @Arg('input') input: AnalysisProviderUpdateInput,
    @Ctx() context: GraphQLContext,
  ): Promise<AnalysisProviderType> {
    return this.toType(await this.providers.save(id, { ...input } as ProviderInput, actorFrom(context)));
  }

  @Authorized('analysis:admin')
  @Mutation(() => Boolean)
  async deleteAnalysisProvider(@Arg('id', () => ID) id: string, @Ctx() context: GraphQLContext): Promise<boolean> {
    await this.providers.remove(id, actorFrom(context));
    return true;
  }

  private toType(provider: AnalysisProviderEntity): AnalysisProviderType {
    return toProviderType(provider, this.providers.masked(provider));
  }
}
