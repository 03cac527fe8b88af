import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType('Permission', { description: 'What may be done to what: resource:action' })
export class PermissionType {
  @Field({ description: 'e.g. channels:write' })
  name!: string;

  @Field()
  description!: string;
}

@ObjectType('RoleScopes', { description: 'Where a role’s channel and cluster permissions apply; null fields mean everywhere' })
export class RoleScopesType {
  @Field(() => [ID], { nullable: true, description: 'Channel groups (with their subgroups) whose channels the role may see and touch' })
  channelGroups!: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Matchers a cluster’s labels (and its name, as `cluster`) must all meet' })
  clusterMatchers!: string[] | null;
}

@ObjectType('AccessRole', {
  description: 'A set of permissions with scopes: one of the built-in presets (viewer, operator, admin) or a role an admin defined',
})
export class AccessRoleType {
  @Field(() => ID, { nullable: true, description: 'Null for the built-in roles' })
  id!: string | null;

  @Field()
  name!: string;

  @Field()
  description!: string;

  @Field()
  builtIn!: boolean;

  @Field(() => [String])
  permissions!: string[];

  @Field(() => RoleScopesType)
  scopes!: RoleScopesType;
}
