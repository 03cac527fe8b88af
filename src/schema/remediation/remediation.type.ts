import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';

@ObjectType('RemediationAction', {
  description: 'An n8n workflow on the remediation allowlist (flag analysis.remediation); its webhook URL and credential are never shown',
})
export class RemediationActionType {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'The name analyses propose it by' })
  name!: string;

  @Field({ description: 'Told to the analysis, so it knows what the action does' })
  description!: string;

  @Field({ description: 'Whether a credential for the header is stored' })
  authValueSet!: boolean;

  @Field()
  authHeaderName!: string;

  @Field(() => [String])
  matchers!: string[];

  @Field(() => Float)
  minConfidence!: number;

  @Field({
    description: 'suggest: recorded only; approval: runs once approved (remediationApprove or the signed link); automatic: runs at once',
  })
  mode!: string;

  @Field(() => Int)
  cooldownSeconds!: number;

  @Field({ description: 'Records what would run and calls nothing' })
  dryRun!: boolean;

  @Field(() => Int)
  timeoutMs!: number;

  @Field()
  enabled!: boolean;
}

@ObjectType('AutomationExecution', {
  description: 'One proposal of a remediation action for one firing episode of an alert, and what became of it',
})
export class AutomationExecutionType {
  @Field(() => ID)
  id!: string;

  @Field()
  actionName!: string;

  @Field(() => ID)
  analysisId!: string;

  @Field(() => ID)
  recordId!: string;

  @Field()
  fingerprint!: string;

  @Field()
  mode!: string;

  @Field()
  dryRun!: boolean;

  @Field({ description: 'suggested, awaiting_approval, running, succeeded, failed, dry_run, refused, cooldown or stopped' })
  status!: string;

  @Field({ description: 'system:analysis, or who approved it (a principal, link:channel:<id>)' })
  triggeredBy!: string;

  @Field(() => GraphQLJSON)
  inputs!: unknown;

  @Field(() => String, { nullable: true })
  n8nExecutionId!: string | null;

  @Field(() => GraphQLJSON, { nullable: true })
  output!: unknown;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  finishedAt!: Date | null;
}

@ObjectType('AutomationExecutionPage')
export class AutomationExecutionPageType {
  @Field(() => [AutomationExecutionType])
  items!: AutomationExecutionType[];

  @Field(() => Int)
  total!: number;
}
