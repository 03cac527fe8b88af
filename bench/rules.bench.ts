import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkRuleFile } from '../src/services/rules/rule-file';

const RULES = Number(process.env.BENCH_RULES ?? 5_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

/** A large, realistic rule file: groups of 10, recording rules with aggregations, alerts with templates. */
function largeRuleFile(rules: number): string {
  const lines = ['groups:'];
  for (let g = 0; g < rules / 10; g += 1) {
    lines.push(`  - name: service-${g}`, '    interval: 30s', '    rules:');
    for (let r = 0; r < 10; r += 1) {
      const n = g * 10 + r;
      if (r % 2 === 0) {
        lines.push(
          `      - record: job:http_requests:rate5m_${n}`,
          `        expr: sum by (job, instance) (rate(http_requests_total{service="svc-${g}", code=~"5.."}[5m])) / ignoring(code) group_left sum by (job, instance) (rate(http_requests_total{service="svc-${g}"}[5m]))`,
        );
      } else {
        lines.push(
          `      - alert: HighErrorRate${n}`,
          `        expr: job:http_requests:rate5m_${n - 1} > 0.05 and on(job) (histogram_quantile(0.99, sum by (le, job) (rate(http_request_duration_seconds_bucket[10m]))) > 0.5)`,
          '        for: 10m',
          '        labels: { severity: page, team: "svc-' + g + '" }',
          '        annotations:',
          '          summary: "{{ $labels.job }} on {{ $labels.instance }}: {{ $value | humanizePercentage }} errors"',
          '          description: "{{ if gt $value 0.1 }}critical{{ else }}elevated{{ end }} error rate for {{ $labels.job }}"',
        );
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

export async function runRulesBench(): Promise<void> {
  const text = largeRuleFile(RULES);
  // Warm-up, then timed rounds.
  const warm = checkRuleFile(text);
  if (warm.problems.length > 0) throw new Error(`the benchmark file should be valid: ${warm.problems[0].message}`);
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i += 1) {
    const started = performance.now();
    checkRuleFile(text);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(`\nRule validation: one file of ${RULES} rules (${(text.length / 1024).toFixed(0)} KiB), ${ROUNDS} rounds:`);
  console.log(`  AlertAgent validator       ${(RULES / (median / 1000)).toFixed(0).padStart(7)} rules/s   median ${median.toFixed(0)} ms per file`);

  // The same file through promtool, the reference, for scale (process start included).
  const dir = mkdtempSync(join(tmpdir(), 'aa-bench-rules-'));
  try {
    const file = join(dir, 'rules.yml');
    writeFileSync(file, text);
    const started = performance.now();
    const run = spawnSync(process.env.PROMTOOL_BINARY ?? 'promtool', ['check', 'rules', file], { encoding: 'utf8' });
    const ms = performance.now() - started;
    if (run.error) console.log(`  promtool                   not available (${run.error.message})`);
    else console.log(`  promtool check rules       ${(RULES / (ms / 1000)).toFixed(0).padStart(7)} rules/s   ${ms.toFixed(0)} ms per file (one run, process start included)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runRulesBench().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
