import type { ChannelGroupEntity } from '../../entities/channels/channel-group.entity';
import type { Role } from '../../entities/security/api-token.entity';
import { ForbiddenError } from '../../errors';
import type { Actor } from '../security/audit.service';
import { atLeast, type Grant } from '../security/permissions';
import type { Principal } from '../security/principal';
import { channelInScope } from '../security/scopes';
import type { ChannelRepository } from './channel.repository';

export type ChannelAction = 'write' | 'test';

/**
 * Who may see and touch which channels. Reading needs channels:read (checked by the API) and the
 * channel's group inside the caller's channel-group scope. Changing needs channels:write (testing,
 * channels:test), unless the group (or a group above it) names a `manageRole`: then a caller at
 * least that role may, whatever its channel permissions, and no one below it may.
 */
export class ChannelAccess {
  constructor(private readonly repository: ChannelRepository) {}

  /**
   * Throws FORBIDDEN unless the caller may act on channels in this group; returns the actor with
   * the permission it acts under, for the audit trail.
   */
  async assertMay(actor: Actor, group: ChannelGroupEntity | null, action: ChannelAction): Promise<Actor> {
    const { principal } = actor;
    const chain = await this.groupChain(group);
    if (
      !channelInScope(
        principal.grant,
        chain.map((g) => g.id),
      )
    ) {
      throw new ForbiddenError(`channel group "${group?.name ?? '(none)'}" is outside the channel groups of the role ${principal.role}`);
    }
    const permission = action === 'test' ? 'channels:test' : 'channels:write';
    const manageRole = chain.find((g) => g.manageRole)?.manageRole ?? null;
    if (manageRole) {
      if (!atLeast(principal.grant, manageRole)) {
        throw new ForbiddenError(
          `changing channels in group "${group?.name}" needs at least the ${manageRole} role (the group's manage role); the role ${principal.role} is not`,
        );
      }
      return { ...actor, permission: `${permission} (manage role ${manageRole})` };
    }
    if (!principal.grant.permissions.has(permission))
      throw new ForbiddenError(`this needs the permission ${permission}, which the role ${principal.role} does not hold`);
    return { ...actor, permission };
  }

  /** Throws FORBIDDEN when a channel's group lies outside the caller's scope. */
  async assertVisible(principal: Principal | null, group: ChannelGroupEntity | null, what: string): Promise<void> {
    if (!principal || principal.grant.scopes.channelGroups === null) return;
    const chain = await this.groupChain(group);
    if (
      !channelInScope(
        principal.grant,
        chain.map((g) => g.id),
      )
    )
      throw new ForbiddenError(`${what} is outside the channel groups of the role ${principal.role}`);
  }

  /** The groups a grant may see (its scope's groups and every group below them); null when unscoped. */
  async visibleGroupIds(grant: Grant): Promise<string[] | null> {
    const scope = grant.scopes.channelGroups;
    if (scope === null) return null;
    const groups = await this.repository.listGroups();
    const visible = new Set(scope);
    for (let grew = true; grew; ) {
      grew = false;
      for (const group of groups) {
        if (group.parent && visible.has(group.parent.id) && !visible.has(group.id)) {
          visible.add(group.id);
          grew = true;
        }
      }
    }
    return [...visible];
  }

  /** The role a group's manage role (or the nearest ancestor's) asks for; null when none does. */
  async manageRoleOf(group: ChannelGroupEntity | null): Promise<Role | null> {
    return (await this.groupChain(group)).find((g) => g.manageRole)?.manageRole ?? null;
  }

  /** A group followed by its ancestors up to the root (cycles cut). */
  private async groupChain(group: ChannelGroupEntity | null): Promise<ChannelGroupEntity[]> {
    const chain: ChannelGroupEntity[] = [];
    const seen = new Set<string>();
    for (
      let current = group;
      current && !seen.has(current.id);
      current = current.parent ? await this.repository.findGroup(current.parent.id) : null
    ) {
      seen.add(current.id);
      chain.push(current);
    }
    return chain;
  }
}
