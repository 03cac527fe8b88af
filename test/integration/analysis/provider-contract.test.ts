import {
  createProvider,
  type AnalysisProvider,
  type ProviderCall,
  type ProviderResult,
} from '../../../src/services/analysis/providers/provider';
import { PROVIDER_PLUGINS, providerPlugin } from '../../../src/services/analysis/providers/registry';
import { EgressPolicy } from '../../../src/services/security/egress-policy';
import { PeerClient } from '../../../src/shared/http-post';
import { DifyPeer } from '../../support/peers/dify-peer';
import { N8nPeer } from '../../support/peers/n8n-peer';
import { OpenAIPeer } from '../../support/peers/openai-peer';

const peers = new PeerClient(new EgressPolicy({ denyLoopback: false, denyPrivate: false, allow: [], deny: [] }));
const ANSWER = { rootCause: 'disk full on db-1', confidence: 0.8, suggestedActions: ['grow the volume'], severityAssessment: 'critical' };

const call = (timeoutMs = 2_000): ProviderCall => ({
  analysisId: '00000000-0000-4000-8000-000000000001',
  context: { alert: { labels: { alertname: 'DiskFull' } } } as unknown as ProviderCall['context'],
  prompt: 'Analyse this alert',
  callback: { url: 'http://127.0.0.1:9/callback', token: 'aac_test' },
  conversationId: null,
  timeoutMs,
});

function make(type: string, config: Record<string, unknown>, secret: string | null): AnalysisProvider {
  const plugin = providerPlugin(type);
  return createProvider(plugin, plugin.schema.parse(config), secret, { peers });
}

/** What every provider owes the runner, whatever its protocol: failures come back as values, classified. */
interface Contract {
  type: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  provider(secret?: string): AnalysisProvider;
  answer(): void;
  refuse5xx(): void;
  /** Makes the peer accept and never answer; the n8n peer answers its webhook at once in both modes. */
  hang?(): void;
  reset(): void;
}

const n8n = new N8nPeer('alert-analysis', 'X-N8N-Auth', 'n8n-secret');
const dify = new DifyPeer('app-dify-key');
const openai = new OpenAIPeer('sk-test');

const contracts: Contract[] = [
  {
    type: 'n8n',
    start: () => n8n.start().then(() => undefined),
    stop: () => n8n.stop(),
    provider: (secret = 'n8n-secret') => make('n8n', { webhookUrl: n8n.webhookUrl }, secret),
    answer: () => (n8n.answer = ANSWER),
    refuse5xx: () => (n8n.workflowError = 'boom'),
    reset: () => ((n8n.workflowError = null), (n8n.active = true)),
  },
  {
    type: 'dify',
    start: () => dify.start().then(() => undefined),
    stop: () => dify.stop(),
    provider: (secret = 'app-dify-key') => make('dify', { baseUrl: dify.apiUrl, responseMode: 'blocking' }, secret),
    answer: () => (dify.behaviour = { kind: 'answer', text: JSON.stringify(ANSWER) }),
    refuse5xx: () => (dify.behaviour = { kind: 'error', status: 500, code: 'internal_server_error', message: 'Internal Server Error' }),
    hang: () => (dify.behaviour = { kind: 'hang' }),
    reset: () => (dify.behaviour = { kind: 'answer', text: '{}' }),
  },
  {
    type: 'openai',
    start: () => openai.start().then(() => undefined),
    stop: () => openai.stop(),
    provider: (secret = 'sk-test') => make('openai', { baseUrl: openai.apiUrl, model: 'gpt-test' }, secret),
    answer: () => (openai.content = JSON.stringify(ANSWER)),
    refuse5xx: () => (openai.failWith = { status: 503, message: 'overloaded' }),
    hang: () => (openai.hang = true),
    reset: () => ((openai.failWith = null), (openai.hang = false)),
  },
];

describe('analysis provider contract', () => {
  it('registers one plugin per provider type, each with a schema and its secret fields', () => {
    expect(PROVIDER_PLUGINS.map((p) => p.type).sort()).toEqual(['dify', 'n8n', 'openai']);
    expect(providerPlugin('n8n').secretFields).toContain('webhookUrl');
    expect(() => providerPlugin('bard')).toThrow(/unknown analysis provider type "bard"; known types: n8n, dify, openai/);
  });

  describe.each(contracts)('$type', (contract) => {
    beforeAll(() => contract.start());
    afterAll(() => contract.stop());
    afterEach(() => contract.reset());

    const run = (provider: AnalysisProvider, timeoutMs?: number): Promise<ProviderResult> => provider.run(call(timeoutMs));

    it('returns the answer', async () => {
      contract.answer();
      const result = await run(contract.provider());
      expect(result.kind).toBe('answer');
      const answer = (result as { answer: unknown }).answer;
      expect(typeof answer === 'string' ? JSON.parse(answer) : answer).toEqual(ANSWER);
    });

    it('returns refused credentials as a failure that no retry can pass', async () => {
      const result = await run(contract.provider('wrong-secret'));
      expect(result).toMatchObject({ kind: 'failed', retryable: false, timedOut: false });
    });

    it('returns a server error as a failure worth retrying', async () => {
      contract.refuse5xx();
      const result = await run(contract.provider());
      expect(result).toMatchObject({ kind: 'failed', retryable: true });
    });

    it('returns an unreachable peer as a failure worth retrying', async () => {
      const plugin = providerPlugin(contract.type);
      const config =
        contract.type === 'n8n'
          ? { webhookUrl: 'http://127.0.0.1:9/webhook/x' }
          : { baseUrl: 'http://127.0.0.1:9/v1', ...(contract.type === 'openai' ? { model: 'm' } : {}) };
      const result = await createProvider(plugin, plugin.schema.parse(config), 'k', { peers }).run(call());
      expect(result).toMatchObject({ kind: 'failed', retryable: true });
    });

    if (contract.hang) {
      const hang = contract.hang;
      it('returns no answer in time as a timed-out failure', async () => {
        hang();
        const result = await run(contract.provider(), 300);
        expect(result).toMatchObject({ kind: 'failed', retryable: true, timedOut: true });
      });
    }
  });
});
