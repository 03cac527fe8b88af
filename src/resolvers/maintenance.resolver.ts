import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { MaintenanceWindowEntity } from '../entities/gateway/maintenance.entity';
import { actorFrom, type GraphQLContext } from '../graphql/context';
import { MaintenanceScheduleValue, MaintenanceWindowType } from '../schema/maintenance/maintenance.type';
import { MaintenanceWindowInput, MaintenanceWindowUpdateInput } from '../schema/maintenance/maintenance.input';
import { formatMatcher } from '../services/gateway/route.service';
import { nextOccurrence, openOccurrence } from '../services/maintenance-windows/maintenance-schedule';
import { specOf, type MaintenanceWindowService } from '../services/maintenance-windows/maintenance-window.service';

function toWindowType(w: MaintenanceWindowEntity, now = new Date()): MaintenanceWindowType {
  const spec = specOf(w);
  return {
    id: w.id,
    name: w.name,
    matchers: w.matchers.map(formatMatcher),
    clusters: w.clusters,
    schedule: w.schedule as MaintenanceScheduleValue,
    startsAt: spec.startsAt,
    endsAt: spec.endsAt,
    expression: spec.expression,
    durationSeconds: spec.durationSeconds,
    timeZone: spec.timeZone,
    enabled: w.enabled,
    mirrorAsSilences: w.mirrorAsSilences,
    openUntil: w.enabled ? (openOccurrence(spec, now)?.end ?? null) : null,
    nextStart: nextOccurrence(spec, now)?.start ?? null,
  };
}

/** Maintenance windows (flag gateway.maintenance). */
@Resolver()
export class MaintenanceResolver {
  constructor(private readonly windows: MaintenanceWindowService) {}

  @Authorized('routes:read')
  @Query(() => [MaintenanceWindowType])
  async maintenanceWindows(): Promise<MaintenanceWindowType[]> {
    return (await this.windows.list()).map((w) => toWindowType(w));
  }

  @Authorized('routes:write')
  @Mutation(() => MaintenanceWindowType, { description: 'Applies at once on every replica' })
  async createMaintenanceWindow(
    @Arg('input') input: MaintenanceWindowInput,
    @Ctx() context: GraphQLContext,
  ): Promise<MaintenanceWindowType> {
    return toWindowType(await this.windows.create({ ...input }, actorFrom(context)));
  }

  @Authorized('routes:write')
  @Mutation(() => MaintenanceWindowType)
  async updateMaintenanceWindow(
    @Arg('id', () => ID) id: string,
    @Arg('input') input: MaintenanceWindowUpdateInput,
    @Ctx() context: GraphQLContext,
  ): Promise<MaintenanceWindowType> {
    return toWindowType(await this.windows.update(id, { ...input }, actorFrom(context)));
  }

  @Authorized('routes:write')
  @Mutation(() => Boolean, { description: 'What it suppressed and still fires is sent at the next sweep' })
  async deleteMaintenanceWindow(@Arg('id', () => ID) id: string, @Ctx() context: GraphQLContext): Promise<boolean> {
    await this.windows.remove(id, actorFrom(context));
    return true;
  }
}
