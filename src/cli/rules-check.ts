import { readFileSync } from 'node:fs';
import { checkRuleFile, formatRuleProblem } from '../services/rules/rule-file';

/**
 * `alertagent rules check FILE...`: per file, SUCCESS with the rule count or FAILED with every
 * problem, in promtool's layout, so a pipeline can swap one for the other. Returns the exit code.
 */
export function checkRuleFiles(files: string[]): number {
  let failed = 0;
  for (const file of files) {
    console.log(`Checking ${file}`);
    let bytes: Buffer;
    try {
      // Bytes, not text: invalid UTF-8 is refused as Prometheus refuses it, not silently replaced.
      bytes = readFileSync(file);
    } catch (err) {
      failed += 1;
      console.error(`  FAILED:\n${file}: ${(err as Error).message}`);
      continue;
    }
    const { groups, problems } = checkRuleFile(bytes);
    if (problems.length === 0) {
      console.log(`  SUCCESS: ${groups.reduce((n, g) => n + g.rules.length, 0)} rules found\n`);
      continue;
    }
    failed += 1;
    console.error(`  FAILED:\n${problems.map((p) => formatRuleProblem(file, p)).join('\n')}\n`);
  }
  return failed > 0 ? 1 : 0;
}
