import packageJson from '../../../package.json';
import type { StorageMode } from '../storage/orm';

export type ComponentStatus = 'up' | 'down' | 'disabled';

export interface ComponentHealth {
  name: string;
  status: ComponentStatus;
  latencyMs: number | null;
  error: string | null;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  mode: StorageMode;
  uptimeSeconds: number;
  components: ComponentHealth[];
}

export interface VersionInfo {
  version: string;
  node: string;
}

type Probe = (() => Promise<void>) | null;

const packageVersion = packageJson.version;

/** Reports whether this process and what it depends on can serve. */
export class SystemService {
  private readonly startedAt = Date.now();

  constructor(
    private readonly mode: StorageMode,
    private readonly probes: { database: Probe; redis: Probe },
  ) {}

  version(): VersionInfo {
    return { version: packageVersion, node: process.version };
  }

  async health(): Promise<HealthReport> {
    const components = await Promise.all([check('database', this.probes.database), check('redis', this.probes.redis)]);
    return {
      status: components.some((c) => c.status === 'down') ? 'degraded' : 'ok',
      mode: this.mode,
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      components,
    };
  }
}

async function check(name: string, probe: Probe): Promise<ComponentHealth> {
  if (!probe) return { name, status: 'disabled', latencyMs: null, error: null };
  const started = performance.now();
  try {
    await probe();
    return { name, status: 'up', latencyMs: Math.round((performance.now() - started) * 100) / 100, error: null };
  } catch (err) {
    return { name, status: 'down', latencyMs: null, error: err instanceof Error ? err.message : String(err) };
  }
}
