import { BadUserInputError } from '../../errors';
import type { ChannelPlugin } from './channel-plugin';
import { dingTalkPlugin } from './plugins/dingtalk.plugin';
import { emailPlugin } from './plugins/email.plugin';
import { feishuPlugin } from './plugins/feishu.plugin';
import { pagerDutyPlugin } from './plugins/pagerduty.plugin';
import { slackPlugin } from './plugins/slack.plugin';
import { teamsPlugin } from './plugins/teams.plugin';
import { telegramPlugin } from './plugins/telegram.plugin';
import { webhookPlugin } from './plugins/webhook.plugin';
import { weComPlugin } from './plugins/wecom.plugin';

/** Every channel type AlertAgent ships. A new type is one plugin module plus one entry here. */
export const CHANNEL_PLUGINS: readonly ChannelPlugin[] = [
  dingTalkPlugin as unknown as ChannelPlugin,
  weComPlugin as unknown as ChannelPlugin,
  emailPlugin as unknown as ChannelPlugin,
  webhookPlugin as unknown as ChannelPlugin,
  slackPlugin as unknown as ChannelPlugin,
  feishuPlugin as unknown as ChannelPlugin,
  teamsPlugin as unknown as ChannelPlugin,
  telegramPlugin as unknown as ChannelPlugin,
  pagerDutyPlugin as unknown as ChannelPlugin,
];

const byType = new Map(CHANNEL_PLUGINS.map((p) => [p.type, p]));

export function channelPlugin(type: string): ChannelPlugin {
  const plugin = byType.get(type);
  if (!plugin) throw BadUserInputError.forField('type', `unknown channel type "${type}"; known types: ${[...byType.keys()].join(', ')}`);
  return plugin;
}
