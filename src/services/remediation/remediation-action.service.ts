import { formatMatcher } from '../gateway/route.service';
import { overStored } from '../shared/partial-update';
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import { z } from 'zod';
import { REMEDIATION_MODES, RemediationActionEntity } from '../../entities/remediation/remediation.entity';
import { BadUserInputError, ConflictError, NotFoundError, parseInput } from '../../errors';
import { httpBaseUrl } from '../../config';
import {
  assertSatisfiable,
  compileMatcher,
  matchesAll,
  parseMatchers,
  storedMatcher,
  type CompiledMatcher,
} from '../gateway/label-matcher';
import type { EgressPolicy } from '../security/egress-policy';
import type { Actor, AuditService } from '../security/audit.service';
import type { SecretBox } from '../security/secret-box';

const ACTION_NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/;

/** A stored action in the shape of its input, without its secrets (kept when left out): what a change's omitted fields keep. */
function actionInputOf(action: RemediationActionEntity): RemediationActionInput {
  const { name, description, authHeaderName, minConfidence, mode, cooldownSeconds, dryRun, timeoutMs, enabled } = action;
  return {
    name,
    description,
    authHeaderName,
    matchers: action.matchers.map(formatMatcher),
    minConfidence,
    mode,
    cooldownSeconds,
    dryRun,
    timeoutMs,
    enabled,
  };
}

const actionInput = z.strictObject({
  name: z
    .string()
    .trim()
    .regex(
      ACTION_NAME,
      'lower-case letters, digits, ".", "_" and "-", starting with a letter or digit (the analysis proposes actions by this name)',
    ),
  description: z.string().trim().max(500).default(''),
  /** Omitted on update = unchanged. */
  webhookUrl: httpBaseUrl.optional(),
  authHeaderName: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,100}$/, 'a header name')
    .default('X-N8N-Auth'),
  /** Omitted on update = unchanged; an empty string removes it. */
  authValue: z.string().max(4096).optional(),
  matchers: z.array(z.string()).min(1, 'name the alerts this action may fix (at least one matcher)').max(50),
  minConfidence: z.number().min(0, 'must be from 0 to 1').max(1, 'must be from 0 to 1').default(0.8),
  mode: z.enum(REMEDIATION_MODES),
  cooldownSeconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 86_400, 'must be at most 604800 (7 days)')
    .default(900),
  dryRun: z.boolean().default(false),
  timeoutMs: z
    .number()
    .int()
    .min(100)
    .max(10 * 60_000)
    .default(30_000),
  enabled: z.boolean().default(true),
});

export type RemediationActionInput = z.input<typeof actionInput>;

const owner = (action: RemediationActionEntity) => `remediation-action:${action.id}`;

export interface RemediationActionServiceDeps {
  em: EntityManager;
  audit: AuditService;
  secrets: SecretBox;
  egress: Pick<EgressPolicy, 'assertUrl'>;
}

/**
 * The allowlist of remediation actions (n8n workflows): only what is here can ever run. Admin
 * only; webhook URL and auth value sealed at rest and never answered.
 */
export class RemediationActionService {
  constructor(private readonly deps: RemediationActionServiceDeps) {}

  list(): Promise<RemediationActionEntity[]> {
    return this.deps.em.find(RemediationActionEntity, {}, { orderBy: { name: 'asc' } });
  }

  async get(id: string): Promise<RemediationActionEntity> {
    return NotFoundError.assert(await this.deps.em.findOne(RemediationActionEntity, { id }), 'remediation action', id);
  }

  findByName(name: string): Promise<RemediationActionEntity | null> {
    return this.deps.em.findOne(RemediationActionEntity, { name });
  }

  /** Enabled actions whose matchers this alert meets. */
  async allowedFor(labels: Record<string, string>): Promise<RemediationActionEntity[]> {
    return (await this.deps.em.find(RemediationActionEntity, { enabled: true }, { orderBy: { name: 'asc' } })).filter((a) =>
      matchesAll(compiled(a), labels),
    );
  }

  /** Creates (id null) or changes an action; on a change, every field left out keeps its value. */
  async save(id: string | null, input: Partial<RemediationActionInput>, actor: Actor): Promise<RemediationActionEntity> {
    const existing = id ? await this.get(id) : null;
    const parsed = parseInput(actionInput, existing ? overStored(actionInputOf(existing), input) : input, 'input');
    const matchers = parseMatchers(parsed.matchers, 'input.matchers');
    assertSatisfiable(matchers, 'input.matchers');
    const action = existing ?? new RemediationActionEntity();
    if (!id && !parsed.webhookUrl) throw BadUserInputError.forField('input.webhookUrl', 'the n8n webhook URL of the workflow is required');
    if (parsed.webhookUrl) {
      this.deps.egress.assertUrl(parsed.webhookUrl, 'input.webhookUrl');
      action.webhookUrl = this.deps.secrets.seal(parsed.webhookUrl, `${owner(action)}:webhookUrl`);
    }
    if (parsed.authValue !== undefined)
      action.authValue = parsed.authValue === '' ? null : this.deps.secrets.seal(parsed.authValue, `${owner(action)}:authValue`);
    Object.assign(action, {
      name: parsed.name,
      description: parsed.description,
      authHeaderName: parsed.authHeaderName,
      matchers: matchers.map(storedMatcher),
      minConfidence: parsed.minConfidence,
      mode: parsed.mode,
      cooldownSeconds: parsed.cooldownSeconds,
      dryRun: parsed.dryRun,
      timeoutMs: parsed.timeoutMs,
      enabled: parsed.enabled,
      updatedAt: new Date(),
    });
    try {
      await this.deps.audit.change(actor, async (record) => {
        this.deps.em.persist(action);
        record(id ? 'remediation-action.updated' : 'remediation-action.created', 'remediation_action', action.id, {
          name: action.name,
          mode: action.mode,
          dryRun: action.dryRun,
          minConfidence: action.minConfidence,
          cooldownSeconds: action.cooldownSeconds,
        });
      });
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException)
        throw new ConflictError(`a remediation action named "${parsed.name}" already exists`);
      throw err;
    }
    return action;
  }

  async remove(id: string, actor: Actor): Promise<void> {
    const action = await this.get(id);
    await this.deps.audit.change(actor, async (record) => {
      this.deps.em.remove(action);
      record('remediation-action.deleted', 'remediation_action', id, { name: action.name });
    });
  }

  /** Where to call and with what credential, in clear, for the one call. */
  target(action: RemediationActionEntity): { url: string; headers: Record<string, string> } {
    const url = this.deps.secrets.open(action.webhookUrl, `${owner(action)}:webhookUrl`);
    const value = action.authValue ? this.deps.secrets.open(action.authValue, `${owner(action)}:authValue`) : null;
    return { url, headers: value ? { [action.authHeaderName]: value } : {} };
  }

  matches(action: RemediationActionEntity, labels: Record<string, string>): boolean {
    return matchesAll(compiled(action), labels);
  }
}

const cache = new WeakMap<RemediationActionEntity, CompiledMatcher[]>();
function compiled(action: RemediationActionEntity): CompiledMatcher[] {
  let matchers = cache.get(action);
  if (!matchers) cache.set(action, (matchers = action.matchers.map((m) => compileMatcher(m))));
  return matchers;
}
