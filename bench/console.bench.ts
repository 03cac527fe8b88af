import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { postGraphQL } from '../test/support/cli-process';
import { stormPayload } from '../test/support/alerts';
import { openBrowser, startFrameClock, takeFrames } from '../test/support/browser';
import { CHANNEL_PEER, percentile, spawnScript, startBenchServer } from './support';

// Functions passed to page.evaluate run in the browser; these are its globals, as far as this file uses them.
declare const document: any;
declare const window: any;
declare const requestAnimationFrame: (callback: (now: number) => void) => number;

const BOOTSTRAP = 'bench-console-bootstrap-token-0123456789';
const PROBES = Number(process.env.BENCH_CONSOLE_PROBES ?? 40);
const STORM_ALERTS = Number(process.env.BENCH_CONSOLE_STORM_ALERTS ?? 10_000);
const STORM_SECONDS = Number(process.env.BENCH_CONSOLE_STORM_SECONDS ?? 60);

/** Rows the Now page keeps (MAX_ROWS in web/src/pages/now.tsx); older ones leave the page, not AlertAgent. */
const PAGE_KEEPS = 20_000;

const line = (label: string, values: number[], unit = 'ms') => {
  const sorted = [...values].sort((a, b) => a - b);
  return `  ${label.padEnd(44)} p50 ${percentile(sorted, 50).toFixed(1)} ${unit}   p95 ${percentile(sorted, 95).toFixed(1)} ${unit}   max ${sorted[sorted.length - 1].toFixed(1)} ${unit}`;
};

/**
 * The console in headless Chromium against a production-mode server (PostgreSQL, Redis):
 * 1. webhook → row visible on "Now", against the same event reaching a bare graphql-ws client in
 *    Node (the reference: what the server and socket cost before any page work);
 * 2. frame times while 10,000 alerts arrive within a minute, and 10,000 more at once; then while
 *    scrolling the 20,000 listed rows, and how long a filter change takes with them loaded.
 */
export async function runConsoleBench(): Promise<void> {
  const bench = await startBenchServer(BOOTSTRAP);
  const peer = await spawnScript(CHANNEL_PEER);
  const base = bench.server.url.replace('/graphql', '');
  const session = await openBrowser(base);
  const reference = createClient({
    url: bench.server.url.replace('http', 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${BOOTSTRAP}` },
  });
  try {
    const channel = await postGraphQL(
      bench.server.url,
      `mutation { createChannel(input: { name: "peer", type: "webhook", config: { url: "${peer.url}" } }) { id } }`,
      BOOTSTRAP,
    );
    await postGraphQL(
      bench.server.url,
      `mutation { createRoute(input: { name: "all", isDefault: true, channelIds: ["${channel.data.createChannel.id}"] }) { id } }`,
      BOOTSTRAP,
    );
    const post = async (payload: unknown) => {
      const response = await fetch(`${base}/api/v1/alerts/alertmanager`, {
        method: 'POST',
        headers: { authorization: `Bearer ${BOOTSTRAP}`, 'content-type': 'application/json' },
        body: JSON.stringify(payload),
      });
      if (response.status !== 200) throw new Error(`webhook answered ${response.status}`);
    };

    const { page } = session;
    await page.goto(`${base}/`);
    await page.getByLabel('API token').fill(BOOTSTRAP);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid="live"]')?.classList.contains('up'));
    // The page notes (with the same wall clock as this process) when each probe's row appears.
    await page.evaluate(() => {
      window.seen_ = {};
      new (window as any).MutationObserver(() => {
        for (const row of document.querySelectorAll('[data-alertname^="Probe"]')) window.seen_[row.dataset.alertname] ??= Date.now();
      }).observe(document.body, { childList: true, subtree: true });
    });
    const referenceSeen = new Map<string, number>();
    const unsubscribe = reference.subscribe(
      { query: 'subscription { gatewayEvents(status: "firing") { type alertname } }' },
      {
        next: ({ data }: any) => {
          if (data?.gatewayEvents.type === 'received' && !referenceSeen.has(data.gatewayEvents.alertname))
            referenceSeen.set(data.gatewayEvents.alertname, Date.now());
        },
        error: () => {},
        complete: () => {},
      },
    );
    await new Promise((r) => setTimeout(r, 500));

    const toRow: number[] = [];
    const toSocket: number[] = [];
    for (let i = 0; i < PROBES; i++) {
      const name = `Probe${i}`;
      const posted = Date.now();
      await post(stormPayload(name, 1));
      await page.waitForFunction((n) => window.seen_[n] !== undefined, name, { timeout: 10_000 });
      toRow.push((await page.evaluate((n) => window.seen_[n], name)) - posted);
      toSocket.push(referenceSeen.get(name)! - posted);
      await new Promise((r) => setTimeout(r, 100));
    }
    unsubscribe();
    console.log(
      `\nConsole (headless Chromium ${session.browser.version()}, production mode, ${PROBES} probes, ${STORM_ALERTS} storm alerts over ${STORM_SECONDS} s)`,
    );
    console.log(line('webhook → event at a bare graphql-ws client', toSocket));
    console.log(line('webhook → row visible on Now', toRow));
    const median = (v: number[]) =>
      percentile(
        [...v].sort((a, b) => a - b),
        50,
      );
    console.log(`  row visible / bare client (p50)             ${(median(toRow) / Math.max(0.1, median(toSocket))).toFixed(2)}×`);

    // 10,000 alerts within a minute (50 per webhook, evenly spread), then 10,000 more at once.
    let expected = PROBES;
    for (const seconds of [STORM_SECONDS, 0]) {
      await startFrameClock(page);
      const requests = Math.ceil(STORM_ALERTS / 50);
      const started = Date.now();
      const inFlight: Array<Promise<void>> = [];
      for (let r = 0; r < requests; r++) {
        const due = started + (r * seconds * 1000) / requests;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
        inFlight.push(post(stormPayload('Storm', 50)));
        if (inFlight.length >= 10) await inFlight.shift();
      }
      await Promise.all(inFlight);
      const posted = Date.now();
      expected = Math.min(PAGE_KEEPS, expected + requests * 50);
      await page
        .waitForFunction((n) => Number(document.querySelector('[data-testid="row-count"]')?.textContent?.split(' ')[0]) >= n, expected, {
          timeout: 180_000,
        })
        .catch(async (err) => {
          const shown = await page.evaluate(() => document.querySelector('[data-testid="row-count"]')?.textContent);
          const dropped = (await (await fetch(`${base}/metrics`)).text())
            .split('\n')
            .find((l) => l.startsWith('alertagent_subscription_events_dropped_total'));
          throw new Error(`the page shows ${shown} of ${expected} alerts (${dropped ?? 'no drop metric'}): ${(err as Error).message}`);
        });
      const caughtUp = Date.now() - posted;
      const { frames, longTasks } = await takeFrames(page);
      const how = seconds ? `over ${seconds} s` : `at once (in ${((posted - started) / 1000).toFixed(1)} s)`;
      console.log(line(`frame time, ${STORM_ALERTS} alerts ${how}`, frames));
      console.log(
        `    frames over 50 ms ${frames.filter((f) => f > 50).length} of ${frames.length}; long tasks ${longTasks}; every row shown ${caughtUp} ms after the last webhook`,
      );
    }

    // Scrolling the full list: only the rows on screen exist, whatever the list's length.
    await startFrameClock(page);
    await page.evaluate(async () => {
      const list = document.querySelector('[data-testid="alert-list"]');
      for (let i = 0; i < 180; i++) {
        list.scrollTop = (list.scrollHeight * i) / 180;
        await new Promise((r) => requestAnimationFrame(() => r(null)));
      }
    });
    const scrolled = await takeFrames(page);
    console.log(line(`frame time scrolling ${expected} listed alerts`, scrolled.frames));
    const filterStarted = Date.now();
    await page.getByLabel('state filter').selectOption('unrouted');
    await page.waitForFunction(() => document.querySelector('[data-testid="row-count"]')?.textContent === '0 alerts');
    console.log(`  a filter change with ${expected} alerts loaded        ${Date.now() - filterStarted} ms`);
    const heap = await page.evaluate(() => (performance as any).memory?.usedJSHeapSize ?? 0);
    if (heap) console.log(`  page JS heap                                     ${(heap / 1024 / 1024).toFixed(0)} MB`);
  } finally {
    await reference.dispose();
    await session.close();
    peer.child.kill();
    await bench.stop();
  }
}

if (require.main === module) {
  runConsoleBench().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
