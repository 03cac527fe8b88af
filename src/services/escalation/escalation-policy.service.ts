import { formatMatcher } from '../gateway/route.service';
import { overStored } from '../shared/partial-update';
import type { EntityManager } from '@mikro-orm/core';
import { z } from 'zod';
import { assertChannelsExist } from '../channels/channel-refs';
import { EscalationPolicyEntity, type EscalationLevel } from '../../entities/escalation/escalation.entity';
import { parseInput } from '../../errors';
import {
  assertSatisfiable,
  compileMatcher,
  matchesAll,
  parseMatchers,
  storedMatcher,
  type CompiledMatcher,
} from '../gateway/label-matcher';
import type { Logger } from '../../shared/logger';
import type { EventBus } from '../pubsub/event-bus';
import type { Actor, AuditService } from '../security/audit.service';
import { NamedConfigStore } from '../shared/named-config-store';
import { ReloadOnChange } from '../shared/reload-on-change';

const policyInput = z.strictObject({
  name: z.string().trim().min(1, { message: 'must not be empty', abort: true }).max(100),
  matchers: z.array(z.string()).min(1, 'name the alerts this policy escalates (at least one matcher)').max(50),
  levels: z
    .array(
      z.strictObject({
        delaySeconds: z
          .number()
          .int()
          .min(1, 'must be at least 1')
          .max(7 * 86_400, 'must be at most 604800 (7 days)'),
        channelIds: z.array(z.uuid('expected a channel id')).min(1, 'name at least one channel').max(20),
      }),
    )
    .min(1, 'give at least one level')
    .max(10, 'at most 10 levels'),
  enabled: z.boolean().default(true),
});

export type EscalationPolicyInput = z.input<typeof policyInput>;

/** A stored policy in the shape of its input: what an update's omitted fields keep. */
export function escalationPolicyInputOf(policy: EscalationPolicyEntity): EscalationPolicyInput {
  return { name: policy.name, matchers: policy.matchers.map(formatMatcher), levels: policy.levels, enabled: policy.enabled };
}

/** A policy as the alert path checks it. */
export interface CompiledEscalationPolicy {
  id: string;
  name: string;
  matchers: CompiledMatcher[];
  levels: EscalationLevel[];
}

export interface EscalationPolicyServiceDeps {
  em: EntityManager;
  audit: AuditService;
  events: EventBus;
  logger: Logger;
}

/**
 * Escalation policies (flag analysis.escalation): CRUD, audited; the compiled list every replica
 * keeps in memory, rebuilt on any change anywhere. The first policy (by creation) whose matchers
 * an alert meets is the one it follows.
 */
export class EscalationPolicyService {
  private compiled: CompiledEscalationPolicy[] = [];
  private readonly changes: ReloadOnChange;
  private readonly store: NamedConfigStore<EscalationPolicyEntity>;

  constructor(private readonly deps: EscalationPolicyServiceDeps) {
    this.changes = new ReloadOnChange(deps.events, 'escalations.changed', () => this.reload(), deps.logger);
    this.store = new NamedConfigStore(deps.em, deps.audit, this.changes, {
      entity: EscalationPolicyEntity,
      label: 'escalation policy',
      auditType: 'escalation_policy',
      auditAction: 'escalation-policy',
    });
  }

  start(): Promise<void> {
    return this.changes.start();
  }

  stop(): Promise<void> {
    return this.changes.stop();
  }

  /** The policy an alert follows, if any. */
  policyFor(labels: Record<string, string>): CompiledEscalationPolicy | null {
    return this.compiled.find((p) => matchesAll(p.matchers, labels)) ?? null;
  }

  byId(id: string): CompiledEscalationPolicy | null {
    return this.compiled.find((p) => p.id === id) ?? null;
  }

  list(): Promise<EscalationPolicyEntity[]> {
    return this.deps.em.fork().find(EscalationPolicyEntity, {}, { orderBy: { createdAt: 'asc' } });
  }

  async create(input: EscalationPolicyInput, actor: Actor): Promise<EscalationPolicyEntity> {
    const checked = await this.check(input);
    return this.store.create(actor, (policy) => this.fill(policy, checked));
  }

  /** Changes what `input` names; every field it leaves out keeps its value. */
  update(id: string, input: Partial<EscalationPolicyInput>, actor: Actor): Promise<EscalationPolicyEntity> {
    return this.store.update(id, actor, async (policy) =>
      this.fill(policy, await this.check(overStored(escalationPolicyInputOf(policy), input))),
    );
  }

  remove(id: string, actor: Actor): Promise<void> {
    return this.store.remove(id, actor);
  }

  private async check(input: EscalationPolicyInput) {
    const parsed = parseInput(policyInput, input, 'input');
    const matchers = parseMatchers(parsed.matchers, 'input.matchers');
    assertSatisfiable(matchers, 'input.matchers');
    await assertChannelsExist(
      this.deps.em,
      parsed.levels.map((level, index) => ({ field: `input.levels.${index}.channelIds`, ids: level.channelIds })),
    );
    return { parsed, matchers };
  }

  private fill(
    policy: EscalationPolicyEntity,
    { parsed, matchers }: Awaited<ReturnType<EscalationPolicyService['check']>>,
  ): Record<string, unknown> {
    Object.assign(policy, { name: parsed.name, matchers: matchers.map(storedMatcher), levels: parsed.levels, enabled: parsed.enabled });
    return { matchers: parsed.matchers, levels: parsed.levels.length };
  }

  private async reload(): Promise<void> {
    this.compiled = (await this.list())
      .filter((p) => p.enabled)
      .map((p) => ({ id: p.id, name: p.name, matchers: p.matchers.map((m) => compileMatcher(m)), levels: p.levels }));
  }
}
