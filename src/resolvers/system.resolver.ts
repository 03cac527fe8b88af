import { Query, Resolver } from 'type-graphql';
import { HealthType, VersionType } from '../schema/system/health.type';
import type { SystemService } from '../services/system/system.service';

/** Public liveness and version information. */
@Resolver()
export class SystemResolver {
  constructor(private readonly system: SystemService) {}

  @Query(() => HealthType, { description: 'Health of this process and its dependencies (no authentication needed)' })
  async health(): Promise<HealthType> {
    return (await this.system.health()) as HealthType;
  }

  @Query(() => VersionType, { description: 'Version of this AlertAgent (no authentication needed)' })
  version(): VersionType {
    return this.system.version();
  }
}
