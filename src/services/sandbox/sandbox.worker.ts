// Runs in a sandbox worker thread: work whose CPU time a user controls, kept off the event loop.
import type { ChannelMessage } from '../channels/message';
import { renderTemplates as render, type ChannelTemplates, type RenderedMessage } from '../channels/template-engine';
import { compileTable, decideRouteIndexes, type RouteTableSpec, type RoutingTable } from '../gateway/route-table';

export function renderTemplates(task: { templates: ChannelTemplates; message: ChannelMessage }): Promise<RenderedMessage> {
  return render(task.templates, task.message);
}

// Compiled once per version of the routes, not once per task.
let table: RoutingTable | null = null;

export function routeAlerts(task: { table: RouteTableSpec; labelSets: Array<Record<string, string>> }): number[][] {
  if (table?.version !== task.table.version) table = compileTable(task.table);
  return decideRouteIndexes(table, task.labelSets);
}
