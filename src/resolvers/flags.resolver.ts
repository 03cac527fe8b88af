import { onEvent } from '../graphql/topics';
import { Arg, Args, Authorized, Ctx, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { actorFrom, type GraphQLContext } from '../graphql/context';
import { FlagChangeType, FlagSourceName, FlagType } from '../schema/flags/flag.type';
import { FlagContextArgs } from '../schema/flags/flag.args';
import { FlagOverrideInput } from '../schema/flags/flag.input';
import { alertFlagContext, type FlagResolver, type FlagState } from '../services/flags/flag-resolver';
import type { FlagOverrideService } from '../services/flags/flag-overrides';
import type { FlagChangedEvent } from '../services/pubsub/event-map';

const toFlagType = (flag: FlagState): FlagType => ({ ...flag, source: flag.source as FlagSourceName });

/** Feature flags: their values and sources, overrides, and a live stream of changes. */
@Resolver()
export class FlagsResolver {
  constructor(
    private readonly flagResolver: FlagResolver,
    private readonly overrides: FlagOverrideService,
  ) {}

  @Authorized('flags:read')
  @Query(() => [FlagType], {
    description:
      'Every feature flag with its current value and where the value came from; Unleash strategies see the cluster, team and severity given',
  })
  flags(@Args() context: FlagContextArgs): FlagType[] {
    const labels: Record<string, string> = {};
    if (context.team) labels.team = context.team;
    if (context.severity) labels.severity = context.severity;
    return this.flagResolver.list(alertFlagContext(context.cluster, labels)).map(toFlagType);
  }

  @Authorized('flags:write')
  @Mutation(() => FlagType, {
    description: 'Overrides a flag on every replica within a second, above Unleash and the bootstrap file; audited and notified',
  })
  async setFlagOverride(@Arg('input') input: FlagOverrideInput, @Ctx() context: GraphQLContext): Promise<FlagType> {
    await this.overrides.set(actorFrom(context), input);
    return toFlagType(this.flagResolver.list().find((flag) => flag.name === input.name)!);
  }

  @Authorized('flags:write')
  @Mutation(() => FlagType, { description: 'Removes the override: Unleash, the bootstrap file or the default decides again' })
  async clearFlagOverride(@Arg('name') name: string, @Ctx() context: GraphQLContext): Promise<FlagType> {
    await this.overrides.clear(actorFrom(context), name);
    return toFlagType(this.flagResolver.list().find((flag) => flag.name === name)!);
  }

  @Authorized('flags:read')
  @Subscription(
    () => FlagChangeType,
    onEvent('flag.changed', {
      description: 'Flag changes from any source (override, Unleash, bootstrap file, AI maturity), once each, from any replica',
    }),
  )
  flagChanged(@Root() event: FlagChangedEvent): FlagChangeType {
    return {
      ...event,
      source: event.source as FlagSourceName,
      previousSource: event.previousSource as FlagSourceName | null,
      at: new Date(event.at),
    };
  }
}
