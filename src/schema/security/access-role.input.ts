import { Field, ID, InputType } from 'type-graphql';

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
