import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { SealedSecret } from '../../domain/sealed-secret';

export const PROVIDER_TYPES = ['n8n', 'dify', 'openai'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

/** Where analyses are done: an n8n workflow, a Dify app, or an OpenAI-compatible model. */
@Entity({ tableName: 'analysis_provider' })
export class AnalysisProviderEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'string', length: 100, unique: true })
  name!: string;

  @Property({ type: 'string', length: 16 })
  type!: ProviderType;

  /** Type-specific settings without the secret (URL, app kind, response mode, model …). */
  @Property({ type: 'json' })
  config!: Record<string, unknown>;

  /** The API key or auth header value, sealed; null when the provider needs none (e.g. a local Ollama). */
  @Property({ type: 'json', nullable: true })
  secret?: SealedSecret | null;

  /** Settings that are secrets of their own (an n8n webhook URL), sealed by name; `config` holds the rest. */
  @Property({ type: 'json' })
  secrets: Record<string, SealedSecret> = {};

  /** Calls per minute this provider may receive from one worker process. */
  @Property({ type: 'integer' })
  rateLimitPerMinute: number = 60;

  @Property({ type: 'integer' })
  timeoutMs: number = 60_000;

  @Property({ type: 'boolean' })
  enabled: boolean = true;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime' })
  updatedAt: Date = new Date();
}
