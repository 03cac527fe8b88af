import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import type { MaturityState } from '../../domain/ai-maturity';
import type { ProviderRecord } from '../../domain/ai-maturity';

/** Where an analysis provider stands: trusted, on probation or degraded, since when and why. */
@Entity({ tableName: 'ai_maturity' })
export class AiMaturityEntity {
  @PrimaryKey({ type: 'uuid' })
  providerId!: string;

  @Property({ type: 'string', length: 16 })
  state: MaturityState = 'probation';

  @Property({ type: 'datetime' })
  since: Date = new Date();

  /** What the last evaluation found, in words. */
  @Property({ type: 'text' })
  reason: string = 'not evaluated yet';

  @Property({ type: 'json' })
  record!: ProviderRecord;

  @Property({ type: 'datetime' })
  evaluatedAt: Date = new Date();
}

/** Whether the maturity evaluator holds an AI-driven feature off, since when and why (changed by compare-and-set, once across replicas). */
@Entity({ tableName: 'ai_feature_state' })
export class AiFeatureStateEntity {
  @PrimaryKey({ type: 'string', length: 100 })
  flag!: string;

  @Property({ type: 'boolean' })
  blocked: boolean = false;

  @Property({ type: 'datetime' })
  since: Date = new Date();

  @Property({ type: 'text' })
  reason: string = '';
}
