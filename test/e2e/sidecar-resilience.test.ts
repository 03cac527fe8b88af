import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAtomically } from '../../src/sidecar/config-sidecar';
import { startAlertmanager, type RunningAlertmanager } from '../support/alertmanager';
import { startSidecarProcess, type SidecarProcess } from '../support/cli-process';
import { waitFor } from '../support/wait';

const CONFIG = '# served by the stand-in\nroute:\n  receiver: standin\n  group_wait: 3s\nreceivers:\n  - name: standin\n';
const HASH = createHash('sha256').update(CONFIG).digest('hex');

/**
 * Stands in for AlertAgent's sidecar endpoints, so the test can make AlertAgent fail on demand:
 * answers 500 while `failing`, then serves CONFIG with its ETag, and records every request.
 */
class SidecarEndpointPeer {
  failing = true;
  readonly configRequests: number[] = [];
  readonly reports: Array<Record<string, unknown>> = [];
  private server: Server | null = null;
  baseUrl = '';

  async start(port = 0): Promise<void> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      if (req.headers.authorization !== 'Bearer aas_standin-token') return void res.writeHead(401).end();
      if (req.method === 'GET' && req.url === '/api/v1/sidecar/clusters/c1/alertmanager.yml') {
        this.configRequests.push(Date.now());
        if (this.failing)
          return void res.writeHead(500, { 'content-type': 'application/json' }).end('{"errors":[{"message":"Internal server error"}]}');
        if (req.headers['if-none-match'] === `"${HASH}"`) return void res.writeHead(304).end();
        return void res
          .writeHead(200, { 'content-type': 'application/yaml', etag: `"${HASH}"`, 'x-sync-interval-seconds': '1' })
          .end(CONFIG);
      }
      if (req.method === 'POST' && req.url === '/api/v1/sidecar/clusters/c1/sync') {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          this.reports.push(JSON.parse(body));
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        });
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

describe('the sidecar when AlertAgent fails', () => {
  const peer = new SidecarEndpointPeer();
  let alertmanager: RunningAlertmanager;
  let sidecar: SidecarProcess;

  beforeAll(async () => {
    await peer.start();
    alertmanager = await startAlertmanager('route:\n  receiver: local\nreceivers:\n  - name: local\n');
    sidecar = await startSidecarProcess(
      [
        '--server',
        peer.baseUrl,
        '--cluster',
        'c1',
        '--file',
        alertmanager.configFile,
        '--engine-url',
        alertmanager.url,
        '--backoff-base',
        '100ms',
        '--backoff-max',
        '800ms',
        '--log-level',
        'error',
      ],
      'aas_standin-token',
    );
  });

  afterAll(async () => {
    await sidecar?.stop();
    await alertmanager?.stop();
    await peer.stop();
  });

  it('backs off with growing, capped intervals while AlertAgent answers 500, then recovers by itself', async () => {
    await waitFor(() => peer.configRequests.length >= 9, 'nine polls against the failing server', 20_000);
    const times = peer.configRequests.slice(0, 9);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    console.log(`sidecar poll gaps while AlertAgent answered 500 (ms): ${gaps.join(', ')}`);
    // 100, 200, 400 ms, then capped at 800 ms; jitter takes up to 20 % off each.
    expect(gaps[0]).toBeLessThan(250);
    expect(gaps[2]).toBeGreaterThan(gaps[0]);
    expect(gaps[3]).toBeGreaterThan(gaps[1]);
    for (const gap of gaps.slice(4)) {
      expect(gap).toBeGreaterThanOrEqual(800 * 0.8 - 20);
      // Uncapped, the fifth gap would be at least 1,600 ms less 20 % jitter = 1,280 ms.
      expect(gap).toBeLessThan(1_250);
    }
    const health = await sidecar.health();
    expect(health.consecutiveFailures).toBeGreaterThanOrEqual(8);
    expect(health.lastError).toContain('AlertAgent answered HTTP 500');

    // AlertAgent gone altogether: still failures, still backing off, no crash.
    const port = Number(new URL(peer.baseUrl).port);
    await peer.stop();
    await waitFor(
      async () => (await sidecar.health()).lastError?.includes('AlertAgent unreachable'),
      'a failed poll against a stopped server',
      5_000,
    );
    await peer.start(port);

    peer.failing = false;
    await waitFor(() => peer.reports.find((r) => r.ok === true), 'a success report', 10_000);
    expect(peer.reports.at(-1)).toEqual({ instance: alertmanager.url, kind: 'alertmanager', appliedHash: HASH, ok: true, error: null });
    expect(readFileSync(alertmanager.configFile, 'utf8')).toBe(CONFIG);
    expect((await alertmanager.status()).config.original).toContain('standin');
    expect((await sidecar.health()).consecutiveFailures).toBe(0);

    // Back to the poll interval AlertAgent asks for (1 s), with 304s.
    const before = peer.configRequests.length;
    await new Promise((r) => setTimeout(r, 2_200));
    expect(peer.configRequests.length - before).toBeGreaterThanOrEqual(1);
    expect(peer.configRequests.length - before).toBeLessThanOrEqual(3);
  });

  it('exports its state as Prometheus metrics', async () => {
    const metrics = await (await fetch(`${sidecar.url}/metrics`)).text();
    expect(metrics).toMatch(/alertagent_sidecar_polls_total\{outcome="failed"\} ([89]|\d{2,})/);
    expect(metrics).toContain('alertagent_sidecar_reloads_total{outcome="applied"} 1');
    expect(metrics).toContain('alertagent_sidecar_last_reload_successful 1');
    expect(metrics).toContain('alertagent_sidecar_consecutive_failures 0');
  });
});

describe('writing the config file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'aa-atomic-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('replaces the file by rename: a reader running meanwhile never sees a partial file', async () => {
    const file = join(dir, 'alertmanager.yml');
    const a = `# A\n${'a'.repeat(2 * 1024 * 1024)}\n`;
    const b = `# B\n${'b'.repeat(3 * 1024 * 1024)}\n`;
    await writeAtomically(file, a);
    // A separate process reads the file as fast as it can while this one rewrites it.
    const reader = spawn(process.execPath, [
      '-e',
      `const fs = require('fs'); const sizes = new Set([${Buffer.byteLength(a)}, ${Buffer.byteLength(b)}]);
       let reads = 0, torn = 0; const end = Date.now() + 1500;
       while (Date.now() < end) { const t = fs.readFileSync(process.argv[1], 'utf8'); reads++;
         const whole = sizes.has(Buffer.byteLength(t)) && (/^# A\\na+\\n$/.test(t) || /^# B\\nb+\\n$/.test(t)); if (!whole) torn++; }
       console.log(JSON.stringify({ reads, torn }));`,
      file,
    ]);
    let out = '';
    reader.stdout.on('data', (c) => (out += c));
    const inodes = new Set<number>();
    const deadline = Date.now() + 1400;
    let writes = 0;
    while (Date.now() < deadline) {
      await writeAtomically(file, writes % 2 === 0 ? b : a);
      inodes.add(statSync(file).ino);
      writes += 1;
    }
    await new Promise((resolve) => reader.on('exit', resolve));
    const { reads, torn } = JSON.parse(out);
    console.log(`atomic write: ${writes} rewrites, ${reads} concurrent reads, ${torn} partial`);
    expect(writes).toBeGreaterThan(5);
    expect(reads).toBeGreaterThan(5);
    expect(torn).toBe(0);
    // Each write is a new file renamed into place (a new inode), and no temp file is left behind.
    expect(inodes.size).toBeGreaterThan(1);
    expect(readdirSync(dir)).toEqual(['alertmanager.yml']);
    expect(statSync(file).mode & 0o777).toBe(0o640);
  });
});
