import { ArgsType, Field } from 'type-graphql';
import { PageArgs } from '../common/page.args';

@ArgsType()
export class AuditEventsArgs extends PageArgs {
  @Field(() => String, { nullable: true })
  action?: string | null;

  @Field(() => String, { nullable: true })
  actor?: string | null;

  @Field(() => String, { nullable: true })
  targetType?: string | null;

  @Field(() => Date, { nullable: true, description: 'Only events at or after this time' })
  since?: Date | null;
}
