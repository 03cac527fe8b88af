import type { EntityManager, FilterQuery } from '@mikro-orm/core';
import { ChannelGroupEntity } from '../../entities/channels/channel-group.entity';
import { ChannelEntity } from '../../entities/channels/channel.entity';
import type { PageRequest } from '../../domain/page';

export interface ChannelFilter {
  type?: string;
  groupId?: string;
  tag?: string;
  enabled?: boolean;
  /** Case-insensitive substring of the name. */
  search?: string;
  /** Only channels in these groups (a caller's scope). */
  groupIds?: string[];
}

export type ChannelSortField = 'name' | 'createdAt' | 'type';

/** Storage of channels and channel groups. */
export class ChannelRepository {
  constructor(private readonly em: EntityManager) {}

  add(entity: ChannelEntity | ChannelGroupEntity): void {
    this.em.persist(entity);
  }

  remove(entity: ChannelEntity | ChannelGroupEntity): void {
    this.em.remove(entity);
  }

  findById(id: string): Promise<ChannelEntity | null> {
    return this.em.findOne(ChannelEntity, { id }, { populate: ['group'] });
  }

  /** Every channel, for maintenance across all of them (resealing secrets). */
  findAll(): Promise<ChannelEntity[]> {
    return this.em.find(ChannelEntity, {});
  }

  async idsInGroups(groupIds: string[]): Promise<string[]> {
    if (groupIds.length === 0) return [];
    return (await this.em.find(ChannelEntity, { group: { $in: groupIds } }, { fields: ['id'] })).map((c) => c.id);
  }

  flush(): Promise<void> {
    return this.em.flush();
  }

  findByName(name: string): Promise<ChannelEntity | null> {
    return this.em.findOne(ChannelEntity, { name });
  }

  async findPage(filter: ChannelFilter, page: PageRequest, sortBy: ChannelSortField): Promise<{ items: ChannelEntity[]; total: number }> {
    const where: FilterQuery<ChannelEntity> = {};
    if (filter.type) where.type = filter.type;
    if (filter.groupId && filter.groupIds && !filter.groupIds.includes(filter.groupId)) return { items: [], total: 0 };
    if (filter.groupId) where.group = filter.groupId;
    else if (filter.groupIds) where.group = { $in: filter.groupIds };
    if (filter.enabled !== undefined) where.enabled = filter.enabled;
    if (filter.tag) where.tags = { $contains: [filter.tag] };
    if (filter.search) where.name = { $ilike: `%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` };
    const [items, total] = await this.em.findAndCount(ChannelEntity, where, {
      populate: ['group'],
      orderBy: { [sortBy]: page.order, id: page.order },
      limit: page.limit,
      offset: page.offset,
    });
    return { items, total };
  }

  findGroup(id: string): Promise<ChannelGroupEntity | null> {
    return this.em.findOne(ChannelGroupEntity, { id });
  }

  listGroups(): Promise<ChannelGroupEntity[]> {
    return this.em.find(ChannelGroupEntity, {}, { orderBy: { name: 'asc' } });
  }

  /** Names of the gateway routes that send to this channel. */
  async routesUsing(channelId: string): Promise<string[]> {
    const rows: Array<{ name: string }> = await this.em
      .getConnection()
      .execute(`select "name" from "gateway_route" where "channel_ids" @> ?::jsonb order by "position", "name"`, [
        JSON.stringify([channelId]),
      ]);
    return rows.map((r) => r.name);
  }

  /** Names of the channels that hand over to this one or hold it in their pool. */
  async channelsLeaningOn(channelId: string): Promise<string[]> {
    const rows: Array<{ name: string }> = await this.em
      .getConnection()
      .execute(
        `select "name" from "channel" where "delivery_policy"->>'backupChannelId' = ? or "delivery_policy"->'pool' @> ?::jsonb order by "name"`,
        [channelId, JSON.stringify([channelId])],
      );
    return rows.map((r) => r.name);
  }

  countGroupChildren(id: string): Promise<number> {
    return this.em.count(ChannelGroupEntity, { parent: id });
  }
}
