import type { EntityManager } from '@mikro-orm/core';
import { ClusterEntity } from '../../entities/clusters/cluster.entity';
import { RuleGroupVersionEntity } from '../../entities/rules/rule-group-version.entity';
import { RuleGroupEntity } from '../../entities/rules/rule-group.entity';

/** Storage of rule groups and their versions (a write joins the unit of work of the audited change around it). */
export class RuleGroupRepository {
  constructor(private readonly em: EntityManager) {}

  /** Every group, by name (then age, for groups of one name on different targets). */
  all(): Promise<RuleGroupEntity[]> {
    return this.em.find(RuleGroupEntity, {}, { orderBy: { name: 'asc', createdAt: 'asc' } });
  }

  findById(id: string): Promise<RuleGroupEntity | null> {
    return this.em.findOne(RuleGroupEntity, { id });
  }

  add(group: RuleGroupEntity): void {
    this.em.persist(group);
  }

  addVersion(version: RuleGroupVersionEntity): void {
    this.em.persist(version);
  }

  /** A group and its whole history. */
  async removeWithHistory(group: RuleGroupEntity): Promise<void> {
    await this.em.nativeDelete(RuleGroupVersionEntity, { groupId: group.id });
    this.em.remove(group);
  }

  findVersion(groupId: string, version: number): Promise<RuleGroupVersionEntity | null> {
    return this.em.findOne(RuleGroupVersionEntity, { groupId, version });
  }

  findVersions(groupId: string, versions: number[]): Promise<RuleGroupVersionEntity[]> {
    return this.em.find(RuleGroupVersionEntity, { groupId, version: { $in: versions } });
  }

  /** The history of a group, newest first. */
  history(groupId: string): Promise<RuleGroupVersionEntity[]> {
    return this.em.find(RuleGroupVersionEntity, { groupId }, { orderBy: { version: 'desc' } });
  }

  /** The clusters groups may land on, by name. */
  clusters(): Promise<ClusterEntity[]> {
    return this.em.find(ClusterEntity, {}, { orderBy: { name: 'asc' } });
  }
}
