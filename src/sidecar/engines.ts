import { createHash } from 'node:crypto';
import { callPeer, describeNetworkError, excerpt } from '../services/shared/http-post';

const ENGINE_TIMEOUT_MS = 10_000;

/** What the sidecar needs to know about the engine beside it. */
export interface EngineAdapter {
  kind: 'alertmanager';
  /** Where AlertAgent serves this engine's file for a cluster. */
  configPath(cluster: string): string;
  /** Asks the engine to reload and checks it now runs `content`; the problem, or null when it does. */
  reloadAndVerify(content: string): Promise<string | null>;
  /** Whether the engine already runs `content` (so a restarted sidecar knows what is applied). */
  runs(content: string): Promise<boolean>;
}

/**
 * Alertmanager reports the md5 of the file it loaded, cut to 6 bytes and read as a
 * little-endian integer, as the `alertmanager_config_hash` metric; this computes the same.
 */
export function alertmanagerConfigHash(content: string): number {
  const digest = createHash('md5').update(content, 'utf8').digest();
  const value = Buffer.alloc(8);
  digest.copy(value, 0, 0, 6);
  return Number(value.readBigUInt64LE());
}

function metricValue(metrics: string, name: string): number | null {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1).trim()) : null;
}

export class AlertmanagerEngine implements EngineAdapter {
  readonly kind = 'alertmanager' as const;

  constructor(private readonly url: string) {}

  configPath(cluster: string): string {
    return `/api/v1/sidecar/clusters/${encodeURIComponent(cluster)}/alertmanager.yml`;
  }

  async reloadAndVerify(content: string): Promise<string | null> {
    try {
      // Alertmanager reloads inside the request: 200 = loaded, 500 = refused (the old config stays).
      const reload = await callPeer('POST', `${this.url}/-/reload`, { timeoutMs: ENGINE_TIMEOUT_MS });
      if (reload.status !== 200) return `reload answered HTTP ${reload.status}: ${excerpt(reload.text, 1000)}`;
    } catch (err) {
      return `reload failed: ${describeNetworkError(err, ENGINE_TIMEOUT_MS)}`;
    }
    return (await this.runs(content)) ? null : 'Alertmanager reloaded but does not report the written config as loaded';
  }

  async runs(content: string): Promise<boolean> {
    try {
      const metrics = await callPeer('GET', `${this.url}/metrics`, { timeoutMs: ENGINE_TIMEOUT_MS, maxAnswerBytes: 4 * 1024 * 1024 });
      if (metrics.status !== 200) return false;
      return metricValue(metrics.text, 'alertmanager_config_last_reload_successful') === 1 && metricValue(metrics.text, 'alertmanager_config_hash') === alertmanagerConfigHash(content);
    } catch {
      return false;
    }
  }
}
