import { Field, ID, ObjectType } from 'type-graphql';

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
