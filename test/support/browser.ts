import { existsSync } from 'node:fs';
import { createServer, Socket, type Server } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';

// Functions passed to page.evaluate run in the browser; this is its global, as far as this file uses it.
declare const window: any;

/** Debian's chromium, or CHROMIUM_PATH. */
export const CHROMIUM =
  process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p)) ?? 'chromium';

export interface BrowserSession {
  browser: Browser;
  page: Page;
  /** Requests the page made to any other origin than `origin` (there must be none: the console works offline). */
  foreignRequests: string[];
  /** Errors the page logged (CSP violations, uncaught exceptions). */
  pageErrors: string[];
  close(): Promise<void>;
}

/** A headless Chromium with one page that records where it goes and what goes wrong. */
export async function openBrowser(origin: string, viewport = { width: 1400, height: 900 }): Promise<BrowserSession> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  const page = await browser.newPage({ viewport });
  const foreignRequests: string[] = [];
  const pageErrors: string[] = [];
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(origin) && !url.startsWith(origin.replace('http', 'ws')) && !url.startsWith('data:')) foreignRequests.push(url);
  });
  page.on('pageerror', (error) =>
    pageErrors.push(`${page.url()}: ${error.message}${error.stack ? ` at ${error.stack.split('\n')[1]?.trim()}` : ''}`),
  );
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/.test(message.text())) pageErrors.push(message.text());
  });
  return { browser, page, foreignRequests, pageErrors, close: () => browser.close() };
}

/** A TCP relay in front of a server whose connections can be cut and held off, as a flaky network would. */
export class CuttableRelay {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private down = false;
  port = 0;

  constructor(private readonly targetPort: number) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      if (this.down) return void client.destroy();
      const upstream = new Socket();
      upstream.connect(this.targetPort, '127.0.0.1');
      for (const [a, b] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        this.sockets.add(a);
        a.on('error', () => b.destroy());
        a.on('close', () => (this.sockets.delete(a), b.destroy()));
        a.pipe(b);
      }
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server!.address() as { port: number }).port;
  }

  /** Drops every open connection and refuses new ones until `restore`. */
  cut(): void {
    this.down = true;
    for (const socket of this.sockets) socket.destroy();
  }

  restore(): void {
    this.down = false;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/**
 * Starts recording each animation frame's duration (and long tasks) in the page, or, when it
 * records already, starts over: one loop per page whatever the number of calls.
 */
export function startFrameClock(page: Page): Promise<void> {
  return page.evaluate(() => {
    window.frames_ = [];
    window.longTasks_ = 0;
    if (window.frameClock_) return;
    window.frameClock_ = true;
    new window.PerformanceObserver((list: any) => (window.longTasks_ += list.getEntries().length)).observe({ entryTypes: ['longtask'] });
    let last = window.performance.now();
    const tick = (now: number) => {
      window.frames_.push(now - last);
      last = now;
      window.requestAnimationFrame(tick);
    };
    window.requestAnimationFrame(tick);
  });
}

/** The frame durations (ms) and long tasks since the clock (re)started; the record starts over. */
export function takeFrames(page: Page): Promise<{ frames: number[]; longTasks: number }> {
  return page.evaluate(() => ({ frames: window.frames_.splice(0), longTasks: window.longTasks_ }));
}
