import { overStored } from '../shared/partial-update';
import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { z } from 'zod';
import { CorrelationPolicyEntity } from '../../entities/gateway/incident.entity';
import { parseInput } from '../../errors';
import {
  assertSatisfiable,
  compileMatcher,
  matchesAll,
  parseMatchers,
  storedMatcher,
  type CompiledMatcher,
} from '../gateway/label-matcher';
import { formatMatcher } from '../gateway/route.service';
import type { Logger } from '../../shared/logger';
import type { EventBus } from '../pubsub/event-bus';
import type { Actor, AuditService } from '../security/audit.service';
import { NamedConfigStore } from '../shared/named-config-store';
import { ReloadOnChange } from '../shared/reload-on-change';

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const policyInput = z.strictObject({
  name: z.string().trim().min(1, { message: 'must not be empty', abort: true }).max(100),
  labels: z
    .array(z.string().regex(LABEL_NAME, 'expected a Prometheus label name'))
    .min(1, 'name at least one label whose values the related alerts share')
    .max(10)
    .refine((names) => new Set(names).size === names.length, 'names a label twice'),
  matchers: z.array(z.string()).max(50).default([]),
  windowSeconds: z
    .number()
    .int()
    .min(60, 'must be at least 60')
    .max(7 * 86_400, 'must be at most 604800 (7 days)')
    .default(6 * 3600),
  updateIntervalSeconds: z.number().int().min(1, 'must be at least 1').max(86_400, 'must be at most 86400').default(300),
  reopenGraceSeconds: z.number().int().min(0, 'must not be negative').max(86_400, 'must be at most 86400').default(900),
  resolveHoldSeconds: z.number().int().min(0, 'must not be negative').max(86_400, 'must be at most 86400').default(0),
  enabled: z.boolean().default(true),
  position: z.number().int().min(0).optional(),
});

export type CorrelationPolicyInput = z.input<typeof policyInput>;

/** A stored policy in the shape of its input: what an update's omitted fields keep. */
export function correlationPolicyInputOf(policy: CorrelationPolicyEntity): CorrelationPolicyInput {
  const { name, labels, windowSeconds, updateIntervalSeconds, reopenGraceSeconds, resolveHoldSeconds, enabled, position } = policy;
  return {
    name,
    labels,
    matchers: policy.matchers.map(formatMatcher),
    windowSeconds,
    updateIntervalSeconds,
    reopenGraceSeconds,
    resolveHoldSeconds,
    enabled,
    position,
  };
}
type ParsedPolicy = z.output<typeof policyInput>;

/** A policy as the hot path applies it. */
export interface CompiledPolicy {
  id: string;
  name: string;
  labels: string[];
  matchers: CompiledMatcher[];
  windowSeconds: number;
  updateIntervalSeconds: number;
  reopenGraceSeconds: number;
  resolveHoldSeconds: number;
}

/**
 * Validates a policy as given, naming fields under `path`, and compiles it: the one check for
 * saved policies and for policies proposed to a replay.
 */
export function compilePolicy(
  input: CorrelationPolicyInput,
  id: string,
  path = 'input',
): { parsed: ParsedPolicy; compiled: CompiledPolicy } {
  const parsed = parseInput(policyInput, input, path);
  const matchers = parseMatchers(parsed.matchers, `${path}.matchers`);
  // A correlating label required empty: the policy could never take an alert.
  assertSatisfiable(matchers, `${path}.matchers`, (m) =>
    parsed.labels.includes(m.name) && m.operator === '=' && m.value === ''
      ? `requires "${m.name}" to be empty, but the policy correlates on "${m.name}": it could never apply`
      : null,
  );
  const { name, labels, windowSeconds, updateIntervalSeconds, reopenGraceSeconds, resolveHoldSeconds } = parsed;
  return {
    parsed,
    compiled: { id, name, labels, matchers, windowSeconds, updateIntervalSeconds, reopenGraceSeconds, resolveHoldSeconds },
  };
}

/** Whether a policy takes an alert: every matcher matches and every correlating label has a value. */
export function policyApplies(policy: CompiledPolicy, labels: Record<string, string>): boolean {
  return policy.labels.every((name) => (labels[name] ?? '') !== '') && matchesAll(policy.matchers, labels);
}

/** One open incident per policy and correlating values. */
export function correlationKey(policy: CompiledPolicy, labels: Record<string, string>): string {
  return createHash('sha256')
    .update(JSON.stringify([policy.id, ...policy.labels.map((name) => labels[name])]))
    .digest('hex');
}

export interface CorrelationPolicyServiceDeps {
  em: EntityManager;
  audit: AuditService;
  events: EventBus;
  logger: Logger;
}

/**
 * Correlation policies (flag gateway.grouping): CRUD, and the compiled list every replica keeps
 * in memory and rebuilds on any change anywhere.
 */
export class CorrelationPolicyService {
  private compiled: CompiledPolicy[] = [];
  private readonly changes: ReloadOnChange;
  private readonly store: NamedConfigStore<CorrelationPolicyEntity>;

  constructor(private readonly deps: CorrelationPolicyServiceDeps) {
    this.changes = new ReloadOnChange(deps.events, 'policies.changed', () => this.reload(), deps.logger);
    this.store = new NamedConfigStore(deps.em, deps.audit, this.changes, {
      entity: CorrelationPolicyEntity,
      label: 'correlation policy',
      auditType: 'correlation_policy',
      auditAction: 'policy',
    });
  }

  start(): Promise<void> {
    return this.changes.start();
  }

  stop(): Promise<void> {
    return this.changes.stop();
  }

  /** The enabled policies in the order they are tried. */
  policies(): readonly CompiledPolicy[] {
    return this.compiled;
  }

  /** The first policy that takes an alert, or null. */
  policyFor(labels: Record<string, string>): CompiledPolicy | null {
    return this.compiled.find((p) => policyApplies(p, labels)) ?? null;
  }

  list(): Promise<CorrelationPolicyEntity[]> {
    return this.deps.em.fork().find(CorrelationPolicyEntity, {}, { orderBy: { position: 'asc', createdAt: 'asc' } });
  }

  create(input: CorrelationPolicyInput, actor: Actor): Promise<CorrelationPolicyEntity> {
    const checked = compilePolicy(input, '');
    return this.store.create(actor, (policy) => this.fill(policy, checked));
  }

  /** Changes what `input` names; every field it leaves out keeps its value. */
  update(id: string, input: Partial<CorrelationPolicyInput>, actor: Actor): Promise<CorrelationPolicyEntity> {
    return this.store.update(id, actor, (policy) =>
      this.fill(policy, compilePolicy(overStored(correlationPolicyInputOf(policy), input), id)),
    );
  }

  remove(id: string, actor: Actor): Promise<void> {
    return this.store.remove(id, actor);
  }

  private async fill(
    policy: CorrelationPolicyEntity,
    { parsed: input, compiled }: ReturnType<typeof compilePolicy>,
  ): Promise<Record<string, unknown>> {
    const matchers = compiled.matchers.map(storedMatcher);
    const position = input.position ?? policy.position ?? (await this.deps.em.count(CorrelationPolicyEntity, {}));
    Object.assign(policy, {
      name: input.name,
      labels: input.labels,
      matchers,
      windowSeconds: input.windowSeconds,
      updateIntervalSeconds: input.updateIntervalSeconds,
      reopenGraceSeconds: input.reopenGraceSeconds,
      resolveHoldSeconds: input.resolveHoldSeconds,
      enabled: input.enabled,
      position,
    });
    return { labels: input.labels, matchers: matchers.map(formatMatcher) };
  }

  private async reload(): Promise<void> {
    const rows = await this.list();
    this.compiled = rows
      .filter((p) => p.enabled)
      .map((p) => ({
        id: p.id,
        name: p.name,
        labels: p.labels,
        matchers: p.matchers.map((m) => compileMatcher(m)),
        windowSeconds: p.windowSeconds,
        updateIntervalSeconds: p.updateIntervalSeconds,
        reopenGraceSeconds: p.reopenGraceSeconds,
        resolveHoldSeconds: p.resolveHoldSeconds,
      }));
  }
}
