import { Field, Float, InputType, Int } from 'type-graphql';

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
