import { Field, ID, InputType, ObjectType } from 'type-graphql';

@ObjectType('InhibitionRule', {
  description:
    "Alertmanager's inhibit rule over every cluster AlertAgent hears from: while a source alert fires, targets with equal values of `equal` are held back (flag gateway.inhibition)",
})
export class InhibitionRuleType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => [String], { description: 'Matchers of the alerts that inhibit, e.g. alertname="ClusterUnreachable"' })
  sourceMatchers!: string[];

  @Field(() => [String], { description: 'Matchers of the alerts that are inhibited' })
  targetMatchers!: string[];

  @Field(() => [String], { description: 'Labels whose values source and target must share (a label missing on both counts as equal)' })
  equal!: string[];

  @Field()
  enabled!: boolean;
}

/** An inhibition rule's optional fields (a base of the two inputs below; not in the schema itself). */
@InputType('InhibitionRuleFields')
export abstract class InhibitionRuleFields {
  @Field(() => [String], { nullable: true })
  equal?: string[];

  @Field({ nullable: true })
  enabled?: boolean;
}

@InputType()
export class InhibitionRuleInput extends InhibitionRuleFields {
  @Field()
  name!: string;

  @Field(() => [String])
  sourceMatchers!: string[];

  @Field(() => [String])
  targetMatchers!: string[];
}

@InputType({ description: 'Fields left out keep their value; null clears one that may be empty' })
export class InhibitionRuleUpdateInput extends InhibitionRuleFields {
  @Field({ nullable: true })
  name?: string;

  @Field(() => [String], { nullable: true })
  sourceMatchers?: string[];

  @Field(() => [String], { nullable: true })
  targetMatchers?: string[];
}
