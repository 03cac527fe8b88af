import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum FlagSourceName {
  OVERRIDE = 'override',
  UNLEASH = 'unleash',
  BOOTSTRAP = 'bootstrap',
  DEFAULT = 'default',
}
registerEnumType(FlagSourceName, {
  name: 'FlagSource',
  description:
    'Where a flag value came from, highest first: an override (setFlagOverride or the AI maturity evaluator), the Unleash server, the local bootstrap file, the built-in default',
});

@ObjectType('FlagOverride', { description: 'An override in force: it outranks Unleash and the bootstrap file until cleared or expired' })
export class FlagOverrideType {
  @Field()
  enabled!: boolean;

  @Field()
  reason!: string;

  @Field({ description: 'Who set it, as the audit trail names them (system:maturity-evaluator when AI maturity switched a feature off)' })
  actor!: string;

  @Field(() => Date, { nullable: true })
  expiresAt!: Date | null;

  @Field(() => Date)
  createdAt!: Date;
}

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

  @Field(() => FlagOverrideType, { nullable: true })
  override!: FlagOverrideType | null;
}

@ObjectType('FlagChange', { description: 'A flag changed value or deciding source (recorded once across replicas)' })
export class FlagChangeType {
  @Field()
  name!: string;

  @Field()
  enabled!: boolean;

  @Field(() => FlagSourceName)
  source!: FlagSourceName;

  @Field(() => Boolean, { nullable: true })
  previousEnabled!: boolean | null;

  @Field(() => FlagSourceName, { nullable: true })
  previousSource!: FlagSourceName | null;

  @Field({ description: 'Who or what made the change: a principal, system:unleash, system:bootstrap-file, system:maturity-evaluator …' })
  actor!: string;

  @Field()
  reason!: string;

  @Field(() => Date)
  at!: Date;
}
