import { Field, InputType, Int } from 'type-graphql';

/** A correlation policy's optional fields (a base of the two inputs below; not in the schema itself). */
@InputType('CorrelationPolicyFields')
export abstract class CorrelationPolicyFields {
  @Field(() => [String], { nullable: true })
  matchers?: string[];

  @Field(() => Int, {
    nullable: true,
    description: "60 to 604800; default 21600 (6 h, above Alertmanager's default repeat_interval of 4 h)",
  })
  windowSeconds?: number;

  @Field(() => Int, { nullable: true, description: '1 to 86400; default 300' })
  updateIntervalSeconds?: number;

  @Field(() => Int, { nullable: true, description: '0 to 86400; default 900' })
  reopenGraceSeconds?: number;

  @Field(() => Int, { nullable: true, description: '0 to 86400; default 0 (resolutions told at once)' })
  resolveHoldSeconds?: number;

  @Field({ nullable: true })
  enabled?: boolean;

  @Field(() => Int, { nullable: true })
  position?: number;
}

@InputType()
export class CorrelationPolicyInput extends CorrelationPolicyFields {
  @Field()
  name!: string;

  @Field(() => [String])
  labels!: string[];
}

@InputType({ description: 'Fields left out keep their value; null clears one that may be empty' })
export class CorrelationPolicyUpdateInput extends CorrelationPolicyFields {
  @Field({ nullable: true })
  name?: string;

  @Field(() => [String], { nullable: true })
  labels?: string[];
}
