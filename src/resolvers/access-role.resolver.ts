import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { RoleEntity } from '../entities/security/role.entity';
import { actorFrom, type GraphQLContext } from '../graphql/context';
import { AccessRoleInput, AccessRoleUpdateInput } from '../schema/security/access-role.input';
import { AccessRoleType, PermissionType } from '../schema/security/access-role.type';
import { formatMatcher } from '../services/gateway/route.service';
import { BUILT_IN_ROLES, PERMISSIONS, PRESETS } from '../services/security/permissions';
import type { RoleService } from '../services/security/role.service';

const BUILT_IN_DESCRIPTIONS = {
  viewer: 'Reads everything but tokens, roles and the audit trail',
  operator: 'A viewer who also runs the alert path: channels, routes, rules, analyses, posting alerts, cluster configs',
  admin: 'Everything, including clusters, analysis providers, tokens, roles and the audit trail',
} as const;

function toAccessRoleType(role: RoleEntity): AccessRoleType {
  return {
    id: role.id,
    name: role.name,
    description: role.description,
    builtIn: false,
    permissions: role.permissions,
    scopes: { channelGroups: role.channelGroups ?? null, clusterMatchers: role.clusterMatchers?.map(formatMatcher) ?? null },
  };
}

/** Permissions and roles: the built-in presets and the roles admins define. */
@Resolver()
export class AccessRoleResolver {
  constructor(private readonly roles: RoleService) {}

  @Authorized()
  @Query(() => [PermissionType], { description: 'Every permission there is' })
  permissions(): PermissionType[] {
    return Object.entries(PERMISSIONS).map(([name, description]) => ({ name, description }));
  }

  @Authorized('tokens:admin')
  @Query(() => [AccessRoleType], { description: 'The built-in roles, then the roles admins defined, by name' })
  async accessRoles(): Promise<AccessRoleType[]> {
    const builtIn = BUILT_IN_ROLES.map((name) => ({
      id: null,
      name,
      description: BUILT_IN_DESCRIPTIONS[name],
      builtIn: true,
      permissions: [...PRESETS[name]],
      scopes: { channelGroups: null, clusterMatchers: null },
    }));
    return [...builtIn, ...(await this.roles.list()).map(toAccessRoleType)];
  }

  @Authorized('tokens:admin')
  @Mutation(() => AccessRoleType, { description: 'Define a role; tokens (customRole) and JWTs (claim role) can then hold it' })
  async createAccessRole(@Arg('input') input: AccessRoleInput, @Ctx() context: GraphQLContext): Promise<AccessRoleType> {
    return toAccessRoleType(await this.roles.create({ ...input }, actorFrom(context)));
  }

  @Authorized('tokens:admin')
  @Mutation(() => AccessRoleType, {
    description: 'Change a role’s name, permissions or scopes (fields left out are kept); every holder has them within seconds',
  })
  async updateAccessRole(
    @Arg('id', () => ID) id: string,
    @Arg('input') input: AccessRoleUpdateInput,
    @Ctx() context: GraphQLContext,
  ): Promise<AccessRoleType> {
    return toAccessRoleType(await this.roles.update(id, { ...input }, actorFrom(context)));
  }

  @Authorized('tokens:admin')
  @Mutation(() => Boolean, { description: 'Delete a role no token holds' })
  async deleteAccessRole(@Arg('id', () => ID) id: string, @Ctx() context: GraphQLContext): Promise<boolean> {
    await this.roles.remove(id, actorFrom(context));
    return true;
  }
}
