import { Authorized, Query, Resolver } from 'type-graphql';
import { FlagType, type FlagSourceName } from '../schema/flags/flag.type';
import type { FlagResolver } from '../services/flags/flag-resolver';

/** Read-only view of feature flags; values are changed in Unleash or the bootstrap file. */
@Resolver()
export class FlagsResolver {
  constructor(private readonly flagResolver: FlagResolver) {}

  @Authorized('flags:read')
  @Query(() => [FlagType], { description: 'Every feature flag with its current value and where the value came from' })
  flags(): FlagType[] {
    return this.flagResolver.list().map((flag) => ({ ...flag, source: flag.source as FlagSourceName }));
  }
}
