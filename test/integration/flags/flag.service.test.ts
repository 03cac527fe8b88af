import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, ConfigError, type Config } from '../../../src/config';
import { FlagService, type FlagChange } from '../../../src/services/flags/flag.service';
import { createLogger } from '../../../src/shared/logger';
import { InProcessEventBus } from '../../../src/services/pubsub/in-process-event-bus';
import { UnleashPeer } from '../../support/peers/unleash-peer';
import { waitFor } from '../../support/wait';

const logger = createLogger('silent');

function flagsConfig(overrides: Partial<Config['flags']>): Config['flags'] {
  return { ...configSchema.parse({}).flags, refreshIntervalMs: 100, ...overrides };
}

function bootstrapFile(content: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'aa-flags-')), 'flags.yaml');
  writeFileSync(file, content);
  return file;
}

function watchChanges(flags: FlagService): FlagChange[] {
  const seen: FlagChange[] = [];
  flags.onObserve((_states, changes) => void seen.push(...changes));
  return seen;
}

describe('FlagService', () => {
  const services: FlagService[] = [];
  const make = (config: Config['flags'], events = new InProcessEventBus()) => {
    const service = new FlagService(config, events, logger, { watchIntervalMs: 50, observeIntervalMs: 50 });
    services.push(service);
    service.start();
    return service;
  };

  afterEach(async () => {
    await Promise.all(services.splice(0).map((s) => s.stop()));
  });

  it('uses the built-in defaults when neither Unleash nor a file is configured: phase 2 is off', () => {
    const flags = make(flagsConfig({}));
    const phaseTwo = flags.list().filter((f) => f.phase === 2);
    expect(phaseTwo.length).toBeGreaterThan(0);
    expect(phaseTwo.every((f) => !f.enabled && f.source === 'default')).toBe(true);
  });

  it('takes values from the bootstrap file and ignores names it does not know', () => {
    const flags = make(flagsConfig({ bootstrapFile: bootstrapFile('gateway.convergence: true\nnot.a.flag: true\n') }));
    expect(flags.list().find((f) => f.name === 'gateway.convergence')).toMatchObject({ enabled: true, source: 'bootstrap' });
    expect(flags.list().find((f) => f.name === 'gateway.inhibition')).toMatchObject({ enabled: false, source: 'default' });
  });

  it('refuses to start with a bootstrap value that is not a boolean, naming the key', () => {
    const file = bootstrapFile('gateway.inhibition: "yes please"\n');
    const flags = new FlagService(flagsConfig({ bootstrapFile: file }), new InProcessEventBus(), logger);
    expect(() => flags.start()).toThrow(ConfigError);
    expect(() => flags.start()).toThrow(/key gateway\.inhibition: expected true or false \(got "yes please"\)/);
  });

  it('reloads the bootstrap file when it changes, announces it, and keeps old values on a bad edit', async () => {
    const file = bootstrapFile('gateway.grouping: false\n');
    const flags = make(flagsConfig({ bootstrapFile: file }));
    const changes = watchChanges(flags);
    await flags.observe();
    expect(flags.isEnabled('gateway.grouping')).toBe(false);

    writeFileSync(file, 'gateway.grouping: true\n');
    await waitFor(() => changes.some((c) => c.name === 'gateway.grouping' && c.enabled), 'the file change to be seen');
    expect(changes.find((c) => c.name === 'gateway.grouping' && c.enabled)).toMatchObject({
      source: 'bootstrap',
      previous: { enabled: false, source: 'bootstrap' },
    });

    writeFileSync(file, 'gateway.grouping: [broken\n');
    await new Promise((r) => setTimeout(r, 300));
    expect(flags.isEnabled('gateway.grouping')).toBe(true);
  });

  describe('with an Unleash server', () => {
    const peer = new UnleashPeer('default:development.client-token');
    let url: string;

    beforeEach(async () => {
      peer.setToggles([{ name: 'gateway.inhibition', enabled: true }]);
      url = await peer.start();
    });
    afterEach(() => peer.stop());

    it('prefers Unleash for flags it knows and falls back for the rest, sending the client token', async () => {
      const flags = make(
        flagsConfig({ unleashUrl: url, unleashToken: peer.token, bootstrapFile: bootstrapFile('gateway.grouping: true\n') }),
      );
      await waitFor(() => flags.unleashSynchronized, 'unleash to answer');
      expect(flags.list().find((f) => f.name === 'gateway.inhibition')).toMatchObject({ enabled: true, source: 'unleash' });
      expect(flags.list().find((f) => f.name === 'gateway.grouping')).toMatchObject({ enabled: true, source: 'bootstrap' });
      expect(flags.list().find((f) => f.name === 'gateway.advanced-convergence')).toMatchObject({ enabled: false, source: 'default' });
      expect(peer.featureRequests[0]).toEqual({ authorization: peer.token, appName: 'alertagent' });
    });

    it('follows a change made in Unleash and announces it', async () => {
      const flags = make(flagsConfig({ unleashUrl: url, unleashToken: peer.token }));
      const changes = watchChanges(flags);
      await waitFor(() => flags.isEnabled('gateway.inhibition'), 'the first sync');
      peer.setToggles([{ name: 'gateway.inhibition', enabled: false }]);
      await waitFor(
        () => changes.some((c) => c.name === 'gateway.inhibition' && !c.enabled && c.previous?.enabled),
        'the change to be seen',
      );
      expect(changes.filter((c) => c.name === 'gateway.inhibition').at(-1)).toMatchObject({ enabled: false, source: 'unleash' });
    });

    it('falls back to the bootstrap file when the token is refused', async () => {
      const flags = make(
        flagsConfig({ unleashUrl: url, unleashToken: 'wrong', bootstrapFile: bootstrapFile('gateway.inhibition: false\n') }),
      );
      await waitFor(() => peer.featureRequests.length > 0, 'the client to ask');
      await new Promise((r) => setTimeout(r, 100));
      expect(flags.list().find((f) => f.name === 'gateway.inhibition')).toMatchObject({ enabled: false, source: 'bootstrap' });
    });
  });

  it('answers from the bootstrap file when Unleash cannot be reached at all', async () => {
    const flags = make(flagsConfig({ unleashUrl: 'http://127.0.0.1:9/api', bootstrapFile: bootstrapFile('analysis.enabled: true\n') }));
    await new Promise((r) => setTimeout(r, 200));
    expect(flags.list().find((f) => f.name === 'analysis.enabled')).toMatchObject({ enabled: true, source: 'bootstrap' });
  });
});
