import { configSchema, ENVIRONMENT_VARIABLES } from '../config';

/** The README's configuration table, made from the config schema so the two cannot drift. */
export function configTableMarkdown(): string {
  const defaults = configSchema.parse({}) as unknown as Record<string, Record<string, unknown>>;
  const rows = ENVIRONMENT_VARIABLES.map(({ env, path, description }) => {
    const [section, key] = path.split('.');
    const value = defaults[section]?.[key];
    // Values parsed from `key:value` lists are shown as they are written.
    const text =
      value !== null && typeof value === 'object'
        ? Object.entries(value)
            .map(([k, v]) => `${k}:${String(v)}`)
            .join(',')
        : String(value);
    const shown = value === undefined ? '—' : `\`${text}\``;
    return `| \`${env}\` | \`${path}\` | ${shown} | ${description} |`;
  });
  return ['| Variable | YAML key | Default | Meaning |', '|---|---|---|---|', ...rows].join('\n');
}
