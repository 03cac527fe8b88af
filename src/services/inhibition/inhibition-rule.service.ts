import { overStored } from '../shared/partial-update';
import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { z } from 'zod';
import { InhibitionRuleEntity } from '../../entities/gateway/inhibition.entity';
import { BadUserInputError, parseInput } from '../../errors';
import { assertSatisfiable, compileMatcher, parseMatchers, storedMatcher, type CompiledMatcher } from '../gateway/label-matcher';
import { formatMatcher } from '../gateway/route.service';
import type { Logger } from '../../shared/logger';
import type { EventBus } from '../pubsub/event-bus';
import type { Actor, AuditService } from '../security/audit.service';
import { NamedConfigStore } from '../shared/named-config-store';
import { ReloadOnChange } from '../shared/reload-on-change';

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const ruleInput = z.strictObject({
  name: z.string().trim().min(1, { message: 'must not be empty', abort: true }).max(100),
  sourceMatchers: z.array(z.string()).min(1, 'name the alerts that inhibit (at least one matcher)').max(50),
  targetMatchers: z
    .array(z.string())
    .min(1, 'name the alerts to inhibit (at least one matcher): a rule without would inhibit every alert')
    .max(50),
  equal: z
    .array(z.string().regex(LABEL_NAME, 'expected a Prometheus label name'))
    .max(20)
    .refine((names) => new Set(names).size === names.length, 'names a label twice')
    .default([]),
  enabled: z.boolean().default(true),
});

export type InhibitionRuleInput = z.input<typeof ruleInput>;

/** A stored rule in the shape of its input: what an update's omitted fields keep. */
export function inhibitionRuleInputOf(rule: InhibitionRuleEntity): InhibitionRuleInput {
  return {
    name: rule.name,
    sourceMatchers: rule.sourceMatchers.map(formatMatcher),
    targetMatchers: rule.targetMatchers.map(formatMatcher),
    equal: rule.equal,
    enabled: rule.enabled,
  };
}
type ParsedRule = z.output<typeof ruleInput>;

/** A rule as the hot path applies it. */
export interface CompiledInhibitionRule {
  id: string;
  name: string;
  source: CompiledMatcher[];
  target: CompiledMatcher[];
  equal: string[];
}

/** The `equal` labels' values of an alert under a rule, hashed; a missing label counts as empty, as in Alertmanager. */
export function equalKey(rule: Pick<CompiledInhibitionRule, 'id' | 'equal'>, labels: Record<string, string>): string {
  return createHash('sha256')
    .update(JSON.stringify([rule.id, ...rule.equal.map((name) => labels[name] ?? '')]))
    .digest('hex');
}

/** Target matchers that any alert satisfies (`=~".*"`, `!=` a value nobody uses): the rule would inhibit everything. */
function assertNotEverything(compiled: CompiledMatcher[], field: string): void {
  const probes: Array<Record<string, string>> = [
    {},
    { alertname: 'x' },
    { alertname: 'AlertAgentProbe', severity: 'critical', team: 'a', namespace: 'b' },
  ];
  if (probes.every((labels) => compiled.every((m) => m.matches(labels)))) {
    throw BadUserInputError.forField(
      field,
      'matches every alert: the rule would inhibit everything while its source fires; name what it should inhibit',
    );
  }
}

/**
 * Validates a rule as given, naming fields under `path`, and compiles it: the one check for saved
 * rules and for rules proposed to a replay.
 */
export function compileInhibitionRule(
  input: InhibitionRuleInput,
  id: string,
  path = 'input',
): { parsed: ParsedRule; compiled: CompiledInhibitionRule } {
  const parsed = parseInput(ruleInput, input, path);
  const source = parseMatchers(parsed.sourceMatchers, `${path}.sourceMatchers`);
  const target = parseMatchers(parsed.targetMatchers, `${path}.targetMatchers`);
  assertSatisfiable(source, `${path}.sourceMatchers`);
  assertSatisfiable(target, `${path}.targetMatchers`);
  assertNotEverything(target, `${path}.targetMatchers`);
  return { parsed, compiled: { id, name: parsed.name, source, target, equal: parsed.equal } };
}

export interface InhibitionRuleServiceDeps {
  em: EntityManager;
  audit: AuditService;
  events: EventBus;
  logger: Logger;
}

/**
 * Inhibition rules (flag gateway.inhibition): CRUD, and the compiled list every replica keeps in
 * memory and rebuilds on any change anywhere.
 */
export class InhibitionRuleService {
  private compiled: CompiledInhibitionRule[] = [];
  private readonly changes: ReloadOnChange;
  private readonly store: NamedConfigStore<InhibitionRuleEntity>;

  constructor(private readonly deps: InhibitionRuleServiceDeps) {
    this.changes = new ReloadOnChange(deps.events, 'inhibitions.changed', () => this.reload(), deps.logger);
    this.store = new NamedConfigStore(deps.em, deps.audit, this.changes, {
      entity: InhibitionRuleEntity,
      label: 'inhibition rule',
      auditType: 'inhibition_rule',
      auditAction: 'inhibition',
    });
  }

  start(): Promise<void> {
    return this.changes.start();
  }

  stop(): Promise<void> {
    return this.changes.stop();
  }

  rules(): readonly CompiledInhibitionRule[] {
    return this.compiled;
  }

  list(): Promise<InhibitionRuleEntity[]> {
    return this.deps.em.fork().find(InhibitionRuleEntity, {}, { orderBy: { createdAt: 'asc' } });
  }

  create(input: InhibitionRuleInput, actor: Actor): Promise<InhibitionRuleEntity> {
    const checked = compileInhibitionRule(input, '');
    return this.store.create(actor, (rule) => this.fill(rule, checked));
  }

  /** Changes what `input` names; every field it leaves out keeps its value. */
  update(id: string, input: Partial<InhibitionRuleInput>, actor: Actor): Promise<InhibitionRuleEntity> {
    return this.store.update(id, actor, (rule) =>
      this.fill(rule, compileInhibitionRule(overStored(inhibitionRuleInputOf(rule), input), id)),
    );
  }

  remove(id: string, actor: Actor): Promise<void> {
    return this.store.remove(id, actor);
  }

  private fill(
    rule: InhibitionRuleEntity,
    { parsed: input, compiled: { source, target } }: ReturnType<typeof compileInhibitionRule>,
  ): Record<string, unknown> {
    Object.assign(rule, {
      name: input.name,
      sourceMatchers: source.map(storedMatcher),
      targetMatchers: target.map(storedMatcher),
      equal: input.equal,
      enabled: input.enabled,
    });
    return { source: input.sourceMatchers, target: input.targetMatchers, equal: input.equal };
  }

  private async reload(): Promise<void> {
    this.compiled = (await this.list())
      .filter((r) => r.enabled)
      .map((r) => ({
        id: r.id,
        name: r.name,
        source: r.sourceMatchers.map((m) => compileMatcher(m)),
        target: r.targetMatchers.map((m) => compileMatcher(m)),
        equal: r.equal,
      }));
  }
}

export { formatMatcher };
