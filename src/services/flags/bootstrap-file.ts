import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../../config';
import { isFlagName, type FlagName } from './flag-definitions';

export interface BootstrapValues {
  values: Partial<Record<FlagName, boolean>>;
  /** Names in the file that AlertAgent does not know; reported, not fatal, so files can lead releases. */
  unknown: string[];
}

/** Reads the local flag file: a YAML or JSON mapping of flag name to true/false. */
export function readBootstrapFile(file: string): BootstrapValues {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError([`flags.bootstrapFile (${file}): ${(err as Error).message.split('\n')[0]}`]);
  }
  if (parsed === null || parsed === undefined) return { values: {}, unknown: [] };
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError([`flags.bootstrapFile (${file}): expected a mapping of flag name to true or false`]);
  }
  const values: Partial<Record<FlagName, boolean>> = {};
  const unknown: string[] = [];
  const problems: string[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (!isFlagName(name)) {
      unknown.push(name);
      continue;
    }
    if (typeof value !== 'boolean') {
      problems.push(`flags.bootstrapFile (${file}) key ${name}: expected true or false (got ${JSON.stringify(value)})`);
      continue;
    }
    values[name] = value;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { values, unknown };
}
