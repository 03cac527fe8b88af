import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { validPayload } from '../support/alerts';
import { startServeProcess, type ServeProcess } from '../support/cli-process';

const ATTEMPTS = 25_000;
const WAVE = 2_500;
const ATTACKER = '127.0.0.2';

/**
 * An address opens 25,000 connections (idle sockets, half-sent requests, graphql-ws upgrades
 * without a token) while Alertmanager, from another address, keeps posting: every webhook is
 * answered, and the server is still ready at the end.
 */
describe('a connection flood', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'aa-flood-'));
  let server: ServeProcess;
  let port: number;
  let token: string;

  beforeAll(async () => {
    server = await startServeProcess({ DATA_DIR: dataDir });
    port = Number(new URL(server.url).port);
    token = readFileSync(join(dataDir, 'initial-admin-token'), 'utf8').trim();
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** One attempt of the flood: most are plain idle sockets; some send half a request; some ask for a WebSocket. */
  function attempt(i: number, held: Set<{ destroy(): void }>): Promise<void> {
    if (i % 10 === 0) {
      return new Promise((resolve) => {
        const socket = new WebSocket(`ws://127.0.0.1:${port}/graphql`, 'graphql-transport-ws', { localAddress: ATTACKER });
        // A WebSocket ends with terminate(), not destroy(): held as a handle that calls it.
        const handle = { destroy: () => socket.terminate() };
        held.add(handle);
        const done = () => resolve();
        socket.on('open', done);
        socket.on('error', done);
        socket.on('unexpected-response', done);
        socket.on('close', () => held.delete(handle));
      });
    }
    return new Promise((resolve) => {
      const socket: Socket = connect({ host: '127.0.0.1', port, localAddress: ATTACKER });
      held.add(socket);
      socket.on('connect', () => {
        if (i % 10 === 1) socket.write('POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n');
        resolve();
      });
      socket.on('error', () => resolve());
      socket.on('close', () => held.delete(socket));
    });
  }

  it('leaves the webhook answering every request while 25,000 connection attempts arrive from one address', async () => {
    const webhook = `http://127.0.0.1:${port}/api/v1/alerts/alertmanager`;
    const answers: number[] = [];
    let flooding = true;
    const alertmanager = (async () => {
      while (flooding) {
        const response = await fetch(webhook, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(validPayload()),
          signal: AbortSignal.timeout(10_000),
        }).catch(() => null);
        answers.push(response?.status ?? 0);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    const held = new Set<{ destroy(): void }>();
    for (let start = 0; start < ATTEMPTS; start += WAVE) {
      await Promise.all(Array.from({ length: WAVE }, (_, k) => attempt(start + k, held)));
    }
    flooding = false;
    await alertmanager;
    for (const socket of held) socket.destroy();

    expect(answers.length).toBeGreaterThan(5);
    expect(answers.filter((status) => status !== 200)).toEqual([]);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    expect(server.output()).toMatch(/refusing connections from an address over its limit/);
  });
});
