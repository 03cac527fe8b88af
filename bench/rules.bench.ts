import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkRuleFile } from '../src/services/rules/rule-file';
import { ruleCorpus } from '../test/fixtures/rule-corpus';
import { rulePacks } from '../test/fixtures/rule-packs';

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
          `        labels: { severity: page, team: "svc-${g}" }`,
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
  console.log(
    `  AlertAgent validator       ${(RULES / (median / 1000)).toFixed(0).padStart(7)} rules/s   median ${median.toFixed(0)} ms per file`,
  );

  // The CLI against promtool on the same files, each one process over all of them (start included).
  const dir = mkdtempSync(join(tmpdir(), 'aa-bench-rules-'));
  try {
    const write = (name: string, content: string) => {
      const file = join(dir, `${name}.yml`);
      writeFileSync(file, content);
      return file;
    };
    const generated = rulePacks();
    const packs = generated.map((p) => write(p.name, p.content));
    // The community-pack shape alone (short one-line expressions, most files a handful of rules): a
    // medium corpus, where start-up weighs most.
    const community = packs.filter((_, i) => generated[i].name.startsWith('pack-'));
    const corpus = ruleCorpus().map((c) => write(`corpus-${c.name}`, c.content));
    const large = write('large', text);
    console.log('\nThe CLI against promtool, one process over all files of a set, median of 3, process start included:');
    compareWithPromtool('real-shaped packs', packs);
    compareWithPromtool('community packs only', community);
    compareWithPromtool('differential corpus', corpus);
    compareWithPromtool('packs + corpus + large file', [...packs, ...corpus, large]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function timed(command: string, args: string[]): number | null {
  const runs: number[] = [];
  for (let i = 0; i < 3; i += 1) {
    const started = performance.now();
    const run = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (run.error) return null;
    runs.push(performance.now() - started);
  }
  return runs.sort((a, b) => a - b)[1];
}

/** Both tools over the same files; rules counted as AlertAgent reads them (valid and invalid files alike). */
function compareWithPromtool(label: string, files: string[]): void {
  const rules = files.reduce((n, f) => n + checkRuleFile(readFileSync(f)).groups.reduce((m, g) => m + g.rules.length, 0), 0);
  const promtool = timed(process.env.PROMTOOL_BINARY ?? 'promtool', ['check', 'rules', ...files]);
  const cli = timed(process.execPath, [join(__dirname, '../src/cli/main.js'), 'rules', 'check', ...files]);
  console.log(`  ${label}: ${files.length} files, ${rules} rules`);
  if (promtool === null) console.log('    promtool check rules     not available');
  else
    console.log(
      `    promtool check rules     ${(rules / (promtool / 1000)).toFixed(0).padStart(7)} rules/s   ${promtool.toFixed(0).padStart(5)} ms (reference)`,
    );
  if (cli !== null)
    console.log(
      `    alertagent rules check   ${(rules / (cli / 1000)).toFixed(0).padStart(7)} rules/s   ${cli.toFixed(0).padStart(5)} ms${promtool ? `   ${(promtool / cli).toFixed(2)}× promtool's rate` : ''}`,
    );
}

if (require.main === module) {
  runRulesBench().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
