import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validPayload } from '../test/support/alerts';
import { cpuSeconds } from './support';

/**
 * Closed-loop saturation driven by wrk (Debian's `wrk`, C and LuaJIT): the load generator is not
 * the limit, as a Node one would be. Each request carries fresh alerts (the gateway drops copies).
 */
const SCRIPT = `
local template = os.getenv("WRK_TEMPLATE")
local token = os.getenv("WRK_TOKEN")
local threads = 0
function setup(thread) thread:set("tid", threads); threads = threads + 1 end
local counter = 0
request = function()
  counter = counter + 1
  local id = string.format("%02x%08x", tid, counter)
  local body = string.gsub(template, "__ID__", id)
  local headers = { ["content-type"] = "application/json" }
  if token and token ~= "" then headers["authorization"] = "Bearer " .. token end
  return wrk.format("POST", nil, headers, body)
end
`;

export interface WrkResult {
  requestsPerSecond: number;
  /** Requests answered other than 2xx/3xx (e.g. 503 while overloaded). */
  refused: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** wrk's own CPU, as a share of one core over the run. */
  generatorCpu: number;
}

/** A webhook body whose alerts carry `__ID__`-based unique identities; `run` keeps runs apart. */
export function wrkTemplate(alertsPerRequest: number, run: string): string {
  const payload = validPayload();
  const template = payload.alerts[0];
  payload.groupKey = `{}:{run="${run}",batch="__ID__"}`;
  payload.alerts = Array.from({ length: alertsPerRequest }, (_, i) => ({
    ...template,
    labels: { ...template.labels, instance: `${run}-__ID__-${i}` },
    annotations: { ...template.annotations, sentAt: '0' },
    fingerprint: `${run}__ID__${i.toString(16).padStart(4, '0')}`,
  }));
  return JSON.stringify(payload);
}

function milliseconds(value: string, unit: string): number {
  const factor = unit === 'us' ? 0.001 : unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : NaN;
  return Number(value) * factor;
}

/** Runs wrk against `url` for `seconds` with `connections`, posting `template`. */
export async function runWrk(url: string, template: string, seconds: number, connections: number, token?: string): Promise<WrkResult> {
  const dir = mkdtempSync(join(tmpdir(), 'aa-wrk-'));
  const script = join(dir, 'post.lua');
  writeFileSync(script, SCRIPT);
  try {
    const child = spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, url], {
      env: { ...process.env, WRK_TEMPLATE: template, WRK_TOKEN: token ?? '' },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const started = Date.now();
    let cpu = 0;
    const sampler = setInterval(() => (cpu = cpuSeconds(child.pid) ?? cpu), 200);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    clearInterval(sampler);
    if (code !== 0) throw new Error(`wrk exited ${code}: ${out}`);
    const percentile = (p: string) => {
      const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)`, 'm').exec(out);
      return m ? milliseconds(m[1], m[2]) : NaN;
    };
    const max = /^\s+Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s|m)/m.exec(out);
    return {
      requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
      requests: Number(/(\d+) requests in/.exec(out)?.[1]),
      refused: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
      p50Ms: percentile('50'),
      p99Ms: percentile('99'),
      maxMs: max ? milliseconds(max[1], max[2]) : NaN,
      generatorCpu: cpu / ((Date.now() - started) / 1000),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
