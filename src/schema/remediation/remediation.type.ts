import { ArgsType, Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { PageArgs } from '../common/page.args';

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

/** A remediation action's optional fields (a base of the two inputs below; not in the schema itself). */
@InputType('RemediationActionFields')
export abstract class RemediationActionFields {
  @Field({ nullable: true })
  description?: string;

  @Field({ nullable: true, description: "The workflow's n8n production webhook URL; required on create, kept when left out on update" })
  webhookUrl?: string;

  @Field({ nullable: true, description: "The header n8n's Header Auth credential checks (default X-N8N-Auth)" })
  authHeaderName?: string;

  @Field({ nullable: true, description: 'Its value; kept when left out, removed when empty' })
  authValue?: string;

  @Field(() => Float, { nullable: true, description: 'The least confidence of the analysis, 0 to 1 (default 0.8)' })
  minConfidence?: number;

  @Field(() => Int, {
    nullable: true,
    description: 'After a run (or a pending approval), proposals of this action are refused this long (default 900 s)',
  })
  cooldownSeconds?: number;

  @Field({ nullable: true })
  dryRun?: boolean;

  @Field(() => Int, { nullable: true })
  timeoutMs?: number;

  @Field({ nullable: true })
  enabled?: boolean;
}

@InputType()
export class RemediationActionInput extends RemediationActionFields {
  @Field({ description: 'Lower-case letters, digits, ".", "_", "-"' })
  name!: string;

  @Field(() => [String], { description: 'The alerts it may fix; at least one matcher' })
  matchers!: string[];

  @Field({ description: 'suggest, approval or automatic' })
  mode!: string;
}

@InputType({ description: 'Fields left out keep their value; null clears one that may be empty' })
export class RemediationActionUpdateInput extends RemediationActionFields {
  @Field({ nullable: true, description: 'Lower-case letters, digits, ".", "_", "-"' })
  name?: string;

  @Field(() => [String], { nullable: true, description: 'The alerts it may fix; at least one matcher' })
  matchers?: string[];

  @Field({ nullable: true, description: 'suggest, approval or automatic' })
  mode?: string;
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

@ArgsType()
export class AutomationExecutionsArgs extends PageArgs {
  @Field(() => String, { nullable: true })
  status?: string | null;

  @Field(() => String, { nullable: true })
  actionName?: string | null;
}
