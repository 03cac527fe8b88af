import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { AutomationExecutionEntity, RemediationActionEntity } from '../entities/remediation/remediation.entity';
import { actorFrom, type GraphQLContext } from '../graphql/context';
import { toPageRequest } from '../schema/common/page.args';
import { AutomationExecutionPageType, AutomationExecutionType, RemediationActionType } from '../schema/remediation/remediation.type';
import { AutomationExecutionsArgs } from '../schema/remediation/remediation.args';
import { RemediationActionInput, RemediationActionUpdateInput } from '../schema/remediation/remediation.input';
import { formatMatcher } from '../services/gateway/route.service';
import type { RemediationActionInput as ActionInput, RemediationActionService } from '../services/remediation/remediation-action.service';
import type { Remediator } from '../services/remediation/remediator';

function toActionType(a: RemediationActionEntity): RemediationActionType {
  return {
    id: a.id,
    name: a.name,
    description: a.description,
    authValueSet: Boolean(a.authValue),
    authHeaderName: a.authHeaderName,
    matchers: a.matchers.map(formatMatcher),
    minConfidence: a.minConfidence,
    mode: a.mode,
    cooldownSeconds: a.cooldownSeconds,
    dryRun: a.dryRun,
    timeoutMs: a.timeoutMs,
    enabled: a.enabled,
  };
}

function toExecutionType(e: AutomationExecutionEntity): AutomationExecutionType {
  return {
    ...e,
    n8nExecutionId: e.n8nExecutionId ?? null,
    output: e.output ?? null,
    error: e.error ?? null,
    finishedAt: e.finishedAt ?? null,
  };
}

/** The remediation allowlist, executions, and approvals. */
@Resolver()
export class RemediationResolver {
  constructor(
    private readonly actions: RemediationActionService,
    private readonly remediator: Remediator,
  ) {}

  @Authorized('remediation:admin')
  @Query(() => [RemediationActionType])
  async remediationActions(): Promise<RemediationActionType[]> {
    return (await this.actions.list()).map(toActionType);
  }

  @Authorized('remediation:admin')
  @Mutation(() => RemediationActionType, { description: 'Puts an n8n workflow on the allowlist' })
  async createRemediationAction(
    @Arg('input') input: RemediationActionInput,
    @Ctx() context: GraphQLContext,
  ): Promise<RemediationActionType> {
    return toActionType(await this.actions.save(null, { ...input } as ActionInput, actorFrom(context)));
  }

  @Authorized('remediation:admin')
  @Mutation(() => RemediationActionType)
  async updateRemediationAction(
    @Arg('id', () => ID) id: string,
    @Arg('input') input: RemediationActionUpdateInput,
    @Ctx() context: GraphQLContext,
  ): Promise<RemediationActionType> {
    return toActionType(await this.actions.save(id, { ...input } as Partial<ActionInput>, actorFrom(context)));
  }

  @Authorized('remediation:admin')
  @Mutation(() => Boolean, { description: 'Takes it off the allowlist: proposals of it are refused from now on' })
  async deleteRemediationAction(@Arg('id', () => ID) id: string, @Ctx() context: GraphQLContext): Promise<boolean> {
    await this.actions.remove(id, actorFrom(context));
    return true;
  }

  @Authorized('analysis:read')
  @Query(() => AutomationExecutionPageType, { description: 'Remediation proposals and runs, newest first by default' })
  async automationExecutions(@Args() args: AutomationExecutionsArgs): Promise<AutomationExecutionPageType> {
    const { items, total } = await this.remediator.executionsPage(args, toPageRequest(args));
    return { items: items.map(toExecutionType), total };
  }

  @Authorized('remediation:approve')
  @Mutation(() => AutomationExecutionType, {
    description: 'Approves an execution awaiting approval: it runs now (or is stopped if remediation was switched off meanwhile)',
  })
  async approveRemediation(
    @Arg('executionId', () => ID) executionId: string,
    @Ctx() context: GraphQLContext,
  ): Promise<AutomationExecutionType> {
    return toExecutionType(await this.remediator.approve(executionId, actorFrom(context)));
  }
}
