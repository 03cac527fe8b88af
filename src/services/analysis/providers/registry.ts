import { BadUserInputError } from '../../../errors';
import { difyPlugin } from './dify.provider';
import { n8nPlugin } from './n8n.provider';
import { openaiPlugin } from './openai.provider';
import type { AnalysisProviderPlugin } from './provider';

/** Every analysis provider type AlertAgent ships. A new type is one plugin module plus one entry here. */
export const PROVIDER_PLUGINS: readonly AnalysisProviderPlugin[] = [
  n8nPlugin as unknown as AnalysisProviderPlugin,
  difyPlugin as unknown as AnalysisProviderPlugin,
  openaiPlugin as unknown as AnalysisProviderPlugin,
];

const byType = new Map(PROVIDER_PLUGINS.map((p) => [p.type, p]));

export function providerPlugin(type: string): AnalysisProviderPlugin {
  const plugin = byType.get(type);
  if (!plugin)
    throw BadUserInputError.forField('type', `unknown analysis provider type "${type}"; known types: ${[...byType.keys()].join(', ')}`);
  return plugin;
}
