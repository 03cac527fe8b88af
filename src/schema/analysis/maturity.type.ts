import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum MaturityStateName {
  TRUSTED = 'trusted',
  PROBATION = 'probation',
  DEGRADED = 'degraded',
}
registerEnumType(MaturityStateName, {
  name: 'MaturityState',
  description:
    'trusted: inside every threshold; probation: too little evidence yet; degraded: below a threshold, AI-driven features switched off',
});

@ObjectType('AiMaturity', { description: "An analysis provider's measured maturity over the window (ANALYSIS_MATURITY_*)" })
export class AiMaturityType {
  @Field(() => ID)
  providerId!: string;

  @Field()
  providerName!: string;

  @Field(() => MaturityStateName)
  state!: MaturityStateName;

  @Field(() => Date)
  since!: Date;

  @Field({ description: 'What the last evaluation found, in words' })
  reason!: string;

  @Field(() => Date)
  evaluatedAt!: Date;

  @Field(() => Int, { description: 'Analyses finished in the window (the sample size)' })
  finished!: number;

  @Field(() => Int)
  useful!: number;

  @Field(() => Int, { description: 'Rated not useful' })
  wrong!: number;

  @Field(() => Int)
  errors!: number;

  @Field(() => Int)
  timeouts!: number;

  @Field(() => Int, { description: 'Answers without a valid structured result' })
  unparsed!: number;

  @Field(() => Int, {
    description: 'Unrated analyses whose remediation ran and whose alert resolved within 30 minutes after (counted as right)',
  })
  resolvedAfterAction!: number;

  @Field(() => Int, {
    description: 'Unrated analyses whose remediation ran and whose alert did not resolve within 30 minutes (counted as wrong)',
  })
  unresolvedAfterAction!: number;

  @Field(() => Float, {
    nullable: true,
    description: '(useful + resolvedAfterAction) / (useful + wrong + resolvedAfterAction + unresolvedAfterAction); null without any',
  })
  accuracy!: number | null;

  @Field(() => Float, { nullable: true, description: '(errors + timeouts + unparsed) / finished' })
  failureRate!: number | null;

  @Field(() => Float, { nullable: true })
  p95LatencyMs!: number | null;
}

@ObjectType('AiMaturityChange', { description: 'A provider changed maturity state' })
export class AiMaturityChangeType {
  @Field(() => ID)
  providerId!: string;

  @Field()
  providerName!: string;

  @Field(() => MaturityStateName)
  state!: MaturityStateName;

  @Field(() => MaturityStateName)
  previousState!: MaturityStateName;

  @Field()
  reason!: string;

  @Field(() => Date)
  at!: Date;
}
