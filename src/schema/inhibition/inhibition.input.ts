import { Field, InputType } from 'type-graphql';

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
