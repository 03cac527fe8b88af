import { Field, ID, Int, ObjectType } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';

@ObjectType('AuditEvent', { description: 'One administrative action' })
export class AuditEventType {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'kind:name of the principal, e.g. api-token:grafana' })
  actor!: string;

  @Field({ description: 'e.g. api-token.created' })
  action!: string;

  @Field()
  targetType!: string;

  @Field(() => String, { nullable: true })
  targetId!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The permission the change was made under, e.g. channels:write (null: a system action or one recorded before permissions)',
  })
  permission!: string | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'What changed (never secrets)' })
  details?: Record<string, unknown> | null;

  @Field()
  createdAt!: Date;
}

@ObjectType('AuditEventPage')
export class AuditEventPageType {
  @Field(() => [AuditEventType])
  items!: AuditEventType[];

  @Field(() => Int, { description: 'Rows matching the filter, ignoring limit and offset' })
  total!: number;
}
