import { Field, InputType } from 'type-graphql';

@InputType()
export class CreateRuleGroupInput {
  @Field({ description: 'One group in Prometheus rule-file YAML (name, interval, limit, rules), or a file with one group' })
  yaml!: string;

  @Field(() => [String], { nullable: true, description: 'Cluster label matchers, e.g. env="prod"; empty = every cluster' })
  targets?: string[];

  @Field({ description: 'What the change is for (kept with the version)' })
  message!: string;
}

@InputType()
export class UpdateRuleGroupInput {
  @Field({ nullable: true })
  yaml?: string;

  @Field(() => [String], { nullable: true })
  targets?: string[];

  @Field()
  message!: string;
}

@InputType()
export class ImportRuleFileInput {
  @Field({ description: 'A Prometheus rule file (many groups)' })
  yaml!: string;

  @Field(() => [String], { nullable: true })
  targets?: string[];

  @Field()
  message!: string;
}
