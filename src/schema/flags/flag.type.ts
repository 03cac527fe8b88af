import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum FlagSourceName {
  UNLEASH = 'unleash',
  BOOTSTRAP = 'bootstrap',
  DEFAULT = 'default',
}
registerEnumType(FlagSourceName, {
  name: 'FlagSource',
  description: 'Where a flag value came from: the Unleash server, the local bootstrap file, or the built-in default',
});

@ObjectType('Flag', { description: 'A feature flag and its current value' })
export class FlagType {
  @Field()
  name!: string;

  @Field()
  enabled!: boolean;

  @Field(() => FlagSourceName)
  source!: FlagSourceName;

  @Field(() => Int, { description: '1 = timeliness features, 2 = intelligent features (off by default)' })
  phase!: number;

  @Field()
  description!: string;
}
