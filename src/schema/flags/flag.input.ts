import { Field, InputType } from 'type-graphql';

@InputType()
export class FlagOverrideInput {
  @Field({ description: 'A flag name from the `flags` query' })
  name!: string;

  @Field()
  enabled!: boolean;

  @Field({ description: 'Why (1–500 characters); audited and sent to the flag notification channel' })
  reason!: string;

  @Field(() => Date, { nullable: true, description: 'When the override lapses (at most a year ahead); none = until cleared' })
  expiresAt?: Date | null;
}
