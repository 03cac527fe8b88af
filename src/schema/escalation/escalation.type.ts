import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';

@ObjectType('EscalationLevel')
export class EscalationLevelType {
  @Field(() => Int, { description: 'Seconds after the level before (the first: after the first notice) with no acknowledgement' })
  delaySeconds!: number;

  @Field(() => [ID])
  channelIds!: string[];
}

@ObjectType('EscalationPolicy', {
  description: 'Firing alerts matching every matcher that nobody acknowledges in time go up the levels (flag analysis.escalation)',
})
export class EscalationPolicyType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => [String])
  matchers!: string[];

  @Field(() => [EscalationLevelType])
  levels!: EscalationLevelType[];

  @Field()
  enabled!: boolean;
}

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

@ObjectType('Acknowledgement', {
  description: 'When a firing episode of an alert (its fingerprint and startsAt) was acknowledged and resolved',
})
export class AcknowledgementType {
  @Field(() => Date, { nullable: true })
  acknowledgedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'A principal, or link:channel:<id> for an ack link from a message' })
  acknowledgedBy!: string | null;

  @Field(() => String, { nullable: true, description: 'api or link' })
  via!: string | null;

  @Field(() => String, { nullable: true })
  note!: string | null;

  @Field(() => Float, { nullable: true, description: 'From the first notice to the acknowledgement' })
  timeToAckSeconds!: number | null;

  @Field(() => Float, { nullable: true, description: 'From the first notice to the resolution Alertmanager reported' })
  timeToResolveSeconds!: number | null;
}
