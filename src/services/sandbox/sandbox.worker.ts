// Runs in a sandbox worker thread: work whose CPU time a user controls, kept off the event loop.
import type { ChannelMessage } from '../channels/message';
import { renderTemplates as render, type ChannelTemplates, type RenderedMessage } from '../channels/template-engine';

export function renderTemplates(task: { templates: ChannelTemplates; message: ChannelMessage }): Promise<RenderedMessage> {
  return render(task.templates, task.message);
}
