import { Field, Float, ID, Int, ObjectType } from 'type-graphql';

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
