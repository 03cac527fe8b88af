import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, InputType, Int } from 'type-graphql';

/** An analysis provider's optional fields (a base of the two inputs below; not in the schema itself). */
@InputType('AnalysisProviderFields')
export abstract class AnalysisProviderFields {
  @Field({ nullable: true, description: 'API key (Dify, OpenAI) or auth header value (n8n); omitted on update = unchanged, "" = removed' })
  secret?: string;

  @Field(() => Int, { nullable: true })
  rateLimitPerMinute?: number;

  @Field(() => Int, { nullable: true })
  timeoutMs?: number;

  @Field({ nullable: true })
  enabled?: boolean;
}

@InputType()
export class AnalysisProviderInput extends AnalysisProviderFields {
  @Field()
  name!: string;

  @Field({ description: 'n8n, dify or openai' })
  type!: string;

  @Field(() => GraphQLJSONObject, {
    description:
      'n8n: webhookUrl, authHeaderName, mode (respond|callback). dify: baseUrl, app (workflow|chat), responseMode (blocking|streaming), outputKey, user. openai: baseUrl, model, temperature, jsonMode',
  })
  config!: Record<string, unknown>;
}

@InputType({ description: 'Fields left out keep their value; null clears one that may be empty' })
export class AnalysisProviderUpdateInput extends AnalysisProviderFields {
  @Field({ nullable: true })
  name?: string;

  @Field({ nullable: true, description: 'n8n, dify or openai' })
  type?: string;

  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description:
      'Settings to change: keys given replace the stored ones, keys left out are kept, null removes one, a masked secret sent back keeps it',
  })
  config?: Record<string, unknown>;
}
