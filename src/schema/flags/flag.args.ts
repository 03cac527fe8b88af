import { ArgsType, Field } from 'type-graphql';

@ArgsType()
export class FlagContextArgs {
  @Field({ nullable: true, description: 'Evaluate Unleash strategies for this cluster' })
  cluster?: string;

  @Field({ nullable: true, description: 'Evaluate Unleash strategies for this team' })
  team?: string;

  @Field({ nullable: true, description: 'Evaluate Unleash strategies for this severity' })
  severity?: string;
}
