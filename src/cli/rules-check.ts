import { readFileSync } from 'node:fs';
import { checkRuleFile, formatRuleProblem } from '../services/rules/rule-file';

/**
 * `alertagent rules check FILE...`: per file, SUCCESS with the rule count or FAILED with every
 * problem, in promtool's layout, so a pipeline can swap one for the other. Returns the exit code.
 */
export function checkRuleFiles(files: string[]): number {
  let failed = 0;
  // One write per file and stream: over many small files, console.log's per-call cost shows.
  const out = (text: string) => process.stdout.write(text);
  const err = (text: string) => process.stderr.write(text);
  for (const file of files) {
    let bytes: Buffer;
    try {
      // Bytes, not text: invalid UTF-8 is refused as Prometheus refuses it, not silently replaced.
      bytes = readFileSync(file);
    } catch (error) {
      failed += 1;
      out(`Checking ${file}\n`);
      err(`  FAILED:\n${file}: ${(error as Error).message}\n`);
      continue;
    }
    const { groups, problems } = checkRuleFile(bytes);
    if (problems.length === 0) {
      out(`Checking ${file}\n  SUCCESS: ${groups.reduce((n, g) => n + g.rules.length, 0)} rules found\n\n`);
      continue;
    }
    failed += 1;
    out(`Checking ${file}\n`);
    err(`  FAILED:\n${problems.map((p) => formatRuleProblem(file, p)).join('\n')}\n\n`);
  }
  return failed > 0 ? 1 : 0;
}
