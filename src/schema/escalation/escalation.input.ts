import { Field, ID, InputType, Int } from 'type-graphql';

@InputType()
export class EscalationLevelInput {
  @Field(() => Int, { description: '1 s to 7 days after the level before (the first: after the first notice)' })
  delaySeconds!: number;

  @Field(() => [ID], { description: '1 to 20 channels' })
  channelIds!: string[];
}

/** An escalation policy's optional fields (a base of the two inputs below; not in the schema itself). */
@InputType('EscalationPolicyFields')
export abstract class EscalationPolicyFields {
  @Field({ nullable: true })
  enabled?: boolean;
}

@InputType()
export class EscalationPolicyInput extends EscalationPolicyFields {
  @Field()
  name!: string;

  @Field(() => [String], {
    description: 'Alertmanager-style matchers; the first enabled policy (oldest first) an alert matches is the one it follows',
  })
  matchers!: string[];

  @Field(() => [EscalationLevelInput], { description: '1 to 10 levels' })
  levels!: EscalationLevelInput[];
}

@InputType({ description: 'Fields left out keep their value; null clears one that may be empty' })
export class EscalationPolicyUpdateInput extends EscalationPolicyFields {
  @Field({ nullable: true })
  name?: string;

  @Field(() => [String], {
    nullable: true,
    description: 'Alertmanager-style matchers; the first enabled policy (oldest first) an alert matches is the one it follows',
  })
  matchers?: string[];

  @Field(() => [EscalationLevelInput], { nullable: true, description: '1 to 10 levels' })
  levels?: EscalationLevelInput[];
}
