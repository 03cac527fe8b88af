import { Field, ID, InputType, ObjectType } from 'type-graphql';

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

/** A role's optional fields (a base of the two inputs below; not in the schema itself). */
@InputType('AccessRoleFields')
export abstract class AccessRoleFields {
  @Field({ nullable: true })
  description?: string;

  @Field(() => [ID], { nullable: true, description: 'Limit channel permissions to these channel groups and their subgroups' })
  channelGroups?: string[] | null;

  @Field(() => [String], {
    nullable: true,
    description: 'Limit cluster permissions to clusters matching all of these, e.g. env="prod" or cluster=~"eu-.*"',
  })
  clusterMatchers?: string[] | null;
}

@InputType()
export class AccessRoleInput extends AccessRoleFields {
  @Field({ description: 'Lower-case letters, digits and _ . -; not viewer, operator or admin' })
  name!: string;

  @Field(() => [String], { description: 'resource:action names (see the permissions query)' })
  permissions!: string[];
}

@InputType({ description: 'Fields left out keep their value; null clears one that may be empty' })
export class AccessRoleUpdateInput extends AccessRoleFields {
  @Field({ nullable: true, description: 'Lower-case letters, digits and _ . -; not viewer, operator or admin' })
  name?: string;

  @Field(() => [String], { nullable: true, description: 'resource:action names (see the permissions query)' })
  permissions?: string[];
}
