import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { difyConfigSchema } from '../../src/services/analysis/providers/dify.provider';
import { n8nConfigSchema } from '../../src/services/analysis/providers/n8n.provider';

const read = (path: string) => readFileSync(join(__dirname, '../../examples', path), 'utf8');

describe('examples/n8n/alert-analysis.workflow.json', () => {
  it('is an n8n workflow whose webhook and callback nodes use what AlertAgent sends', () => {
    const workflow = JSON.parse(read('n8n/alert-analysis.workflow.json'));
    const webhook = workflow.nodes.find((n: { type: string }) => n.type === 'n8n-nodes-base.webhook');
    expect(webhook.parameters).toMatchObject({
      httpMethod: 'POST',
      path: 'alert-analysis',
      authentication: 'headerAuth',
      responseMode: 'onReceived',
    });
    const callbacks = workflow.nodes.filter((n: { parameters: { url?: string } }) => n.parameters.url?.includes('body.callbackUrl'));
    expect(callbacks).toHaveLength(2);
    for (const node of callbacks) {
      expect(JSON.stringify(node.parameters.headerParameters)).toContain('body.callbackToken');
      expect(node.parameters.jsonBody).toMatch(/status: '(success|error)'/);
    }
    const names = new Set(workflow.nodes.map((n: { name: string }) => n.name));
    for (const [from, out] of Object.entries<{ main: Array<Array<{ node: string }>> }>(workflow.connections)) {
      expect(names.has(from)).toBe(true);
      for (const branch of out.main) for (const link of branch) expect(names.has(link.node)).toBe(true);
    }
    // The matching AlertAgent provider config is valid.
    expect(n8nConfigSchema.safeParse({ webhookUrl: 'https://n8n.example.com/webhook/alert-analysis', mode: 'callback' }).success).toBe(
      true,
    );
  });
});

describe('examples/dify/alert-analysis.dsl.yml', () => {
  it('is a Dify workflow DSL taking alert_context and instructions and returning "text"', () => {
    const dsl = parse(read('dify/alert-analysis.dsl.yml'));
    expect(dsl).toMatchObject({ kind: 'app', app: { mode: 'workflow' } });
    const nodes = dsl.workflow.graph.nodes;
    const start = nodes.find((n: { data: { type: string } }) => n.data.type === 'start');
    expect(start.data.variables.map((v: { variable: string }) => v.variable)).toEqual(['alert_context', 'instructions']);
    const end = nodes.find((n: { data: { type: string } }) => n.data.type === 'end');
    expect(end.data.outputs.map((o: { variable: string }) => o.variable)).toEqual([
      difyConfigSchema.parse({ baseUrl: 'https://dify.example.com/v1' }).outputKey,
    ]);
    const ids = new Set(nodes.map((n: { id: string }) => n.id));
    for (const edge of dsl.workflow.graph.edges) expect(ids.has(edge.source) && ids.has(edge.target)).toBe(true);
  });
});

describe('examples/n8n/remediation-restart-pod.workflow.json', () => {
  it('is an n8n workflow answering AlertAgent from what a remediation call sends, with a status AlertAgent judges', () => {
    const workflow = JSON.parse(read('n8n/remediation-restart-pod.workflow.json'));
    const webhook = workflow.nodes.find((n: { type: string }) => n.type === 'n8n-nodes-base.webhook');
    // AlertAgent waits for the answer: the workflow must answer from a Respond node, with header auth.
    expect(webhook.parameters).toMatchObject({ httpMethod: 'POST', authentication: 'headerAuth', responseMode: 'responseNode' });
    const responds = workflow.nodes.filter((n: { type: string }) => n.type === 'n8n-nodes-base.respondToWebhook');
    expect(responds.map((n: { parameters: { options: { responseCode: number } } }) => n.parameters.options.responseCode).sort()).toEqual([
      200, 502,
    ]);
    // It reads the fields AlertAgent sends: alert labels and its execution id.
    const text = JSON.stringify(workflow);
    for (const field of ['body.alert.labels.namespace', 'body.alert.labels.pod', 'body.executionId']) expect(text).toContain(field);
    const names = new Set(workflow.nodes.map((n: { name: string }) => n.name));
    for (const [from, out] of Object.entries<{ main: Array<Array<{ node: string }>> }>(workflow.connections)) {
      expect(names.has(from)).toBe(true);
      for (const branch of out.main) for (const link of branch) expect(names.has(link.node)).toBe(true);
    }
  });
});
