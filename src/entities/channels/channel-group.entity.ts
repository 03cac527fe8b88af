import { Entity, Enum, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { ROLES, type Role } from '../security/api-token.entity';

/** A folder of channels. Groups nest; `manageRole` (or the nearest ancestor's) says who may change channels in it. */
@Entity({ tableName: 'channel_group' })
@Unique({ properties: ['parent', 'name'] })
export class ChannelGroupEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'string', length: 100 })
  name!: string;

  @ManyToOne(() => ChannelGroupEntity, { nullable: true, deleteRule: 'restrict' })
  parent?: ChannelGroupEntity | null;

  @Enum({ items: () => ROLES, type: 'string', nullable: true })
  manageRole?: Role | null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
