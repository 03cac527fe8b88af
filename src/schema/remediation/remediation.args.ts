import { ArgsType, Field } from 'type-graphql';
import { PageArgs } from '../common/page.args';

@ArgsType()
export class AutomationExecutionsArgs extends PageArgs {
  @Field(() => String, { nullable: true })
  status?: string | null;

  @Field(() => String, { nullable: true })
  actionName?: string | null;
}
