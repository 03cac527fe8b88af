import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAlertmanager, type RunningAlertmanager } from '../support/alertmanager';
import { startTestServer, type TestServer } from '../support/app';
import { CuttableRelay, openBrowser, startFrameClock, takeFrames, type BrowserSession } from '../support/browser';
import { stormPayload } from '../support/alerts';
import { WebhookPeer } from '../support/peers/webhook-peer';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { waitFor } from '../support/wait';

// Functions passed to page.evaluate run in the browser; these are its globals, as far as this file uses them.
declare const document: any;
declare const sessionStorage: { length: number; clear(): void };

/** Screenshots go to docs/screenshots with UPDATE_SCREENSHOTS=1 (for the README), elsewhere to a temporary directory. */
const SHOTS =
  process.env.UPDATE_SCREENSHOTS === '1' ? join(__dirname, '../../docs/screenshots') : mkdtempSync(join(tmpdir(), 'aa-console-'));

/** The console in a real Chromium: sign in, live alerts, detail, channels, clusters, rules, flags, reconnects, a storm, sign out. */
describe('web console', () => {
  let db: TestDatabase;
  let server: TestServer;
  let relay: CuttableRelay;
  let alertmanager: RunningAlertmanager;
  let browser: BrowserSession;
  let admin: string;
  let viewer: string;
  let origin: string;
  const peer = new WebhookPeer();

  const gql = async (query: string, variables: Record<string, unknown> = {}) => {
    const answer = await server.gql(query, variables, admin);
    expect(answer.errors).toBeUndefined();
    return answer.data as Record<string, any>;
  };
  const post = (payload: unknown) =>
    fetch(`${server.baseUrl}/api/v1/alerts/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
  const shot = (name: string) => browser.page.screenshot({ path: join(SHOTS, `${name}.png`) });
  /** Signs in from a fresh start, whatever the page showed before (a failed test leaves no trace). */
  const signIn = async (token: string) => {
    const { page } = browser;
    await page.goto(`${origin}/`);
    await page.evaluate(() => sessionStorage.clear());
    await page.reload();
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await peer.start();
    alertmanager = await startAlertmanager('route:\n  receiver: none\nreceivers:\n  - name: none\n');
    server = await startTestServer({ DATABASE_URL: db.url, CLUSTER_HEALTH_INTERVAL_MS: '1000' });
    admin = await server.issueToken('admin', 'console-admin');
    viewer = await server.issueToken('viewer', 'console-viewer');
    const channel = (
      await gql('mutation($i: CreateChannelInput!) { createChannel(input: $i) { id } }', {
        i: { name: 'oncall', type: 'webhook', config: { url: `${peer.baseUrl}/oncall` } },
      })
    ).createChannel.id;
    await gql('mutation($i: RouteInput!) { createRoute(input: $i) { id } }', {
      i: { name: 'everything', matchers: [], channelIds: [channel], isDefault: true },
    });
    await gql('mutation($i: CreateClusterInput!) { createCluster(input: $i) { cluster { id } } }', {
      i: { name: 'prod-eu', labels: { env: 'prod' }, alertmanagerUrls: [alertmanager.url] },
    });
    const group = (expr: string) =>
      `name: node\nrules:\n  - alert: NodeDown\n    expr: ${expr}\n    for: 5m\n    labels:\n      severity: critical\n`;
    const { id } = (
      await gql('mutation($i: CreateRuleGroupInput!) { createRuleGroup(input: $i) { id } }', {
        i: { yaml: group('up == 0'), targets: ['env="prod"'], message: 'first' },
      })
    ).createRuleGroup;
    await gql('mutation($id: ID!, $i: UpdateRuleGroupInput!) { updateRuleGroup(id: $id, input: $i) { id } }', {
      id,
      i: { yaml: group('up{job="node"} == 0'), message: 'only node exporters' },
    });
    relay = new CuttableRelay(server.handle.server.port);
    await relay.start();
    origin = `http://127.0.0.1:${relay.port}`;
    browser = await openBrowser(origin);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await relay?.stop();
    await server?.stop();
    await alertmanager?.stop();
    await peer.stop();
    await db?.drop();
  });

  it('refuses a wrong token with the reason, and signs in with a right one', async () => {
    await signIn('not-a-real-token-0123456789');
    await browser.page.getByRole('alert').waitFor();
    expect(await browser.page.getByRole('alert').textContent()).toMatch(/token/i);
    await shot('sign-in');
    await signIn(admin);
    await browser.page.getByTestId('who').waitFor();
    expect(await browser.page.getByTestId('who').textContent()).toBe('console-admin (admin)');
    await browser.page.waitForFunction(() => document.querySelector('[data-testid="live"]')?.classList.contains('up'));
  });

  it('shows a posted alert on Now within a second, and its delivery on the detail page', async () => {
    const { page } = browser;
    const posted = Date.now();
    expect((await post(stormPayload('ConsoleProbe', 1, { severity: 'critical' }))).status).toBe(200);
    await page.locator('[data-alertname="ConsoleProbe"]').waitFor({ timeout: 5_000 });
    const visibleAfterMs = Date.now() - posted;
    expect(visibleAfterMs).toBeLessThan(1_000);
    await page.locator('[data-alertname="ConsoleProbe"]').getByText('delivered').waitFor();
    await shot('now');
    await page.locator('[data-alertname="ConsoleProbe"] a').click();
    const attempt = page.getByTestId('delivery-attempt').first();
    await attempt.waitFor();
    expect(await attempt.textContent()).toMatch(/oncall: attempt 1 delivered \(HTTP 200\)/);
    expect(await attempt.textContent()).toContain('peer answered: {"ok":true}');
    await shot('alert-detail');
  });

  it('test-sends a channel and shows what the peer answered', async () => {
    const { page } = browser;
    await page.goto(`${origin}/#/channels`);
    const before = peer.accepted.length;
    await page.locator('[data-channel="oncall"]').getByRole('button', { name: 'Test send' }).click();
    const result = page.locator('[data-channel="oncall"]').getByTestId('test-result');
    await result.waitFor();
    expect(await result.textContent()).toMatch(/HTTP 200 in .* ms: \{"ok":true\}/);
    expect(peer.accepted.length).toBe(before + 1);
    await shot('channels');
  });

  it('shows replica health over time and the difference between config versions on Clusters', async () => {
    const { page } = browser;
    await waitFor(
      async () => (await gql('{ clusters { items { healthHistory(limit: 5) { up } } } }')).clusters.items[0].healthHistory.length >= 3,
      'three health checks',
    );
    await page.goto(`${origin}/#/clusters`);
    await page.getByTestId('health-chart').waitFor();
    expect(await page.locator('[data-cluster="prod-eu"] h2').textContent()).toContain('healthy');
    await page.getByTestId('diff').first().waitFor();
    await shot('clusters');
  });

  it('shows a rule validation error at the line it points to, and diffs versions', async () => {
    const { page } = browser;
    await page.goto(`${origin}/#/rules`);
    await page.locator('[data-group="node"]').getByRole('button', { name: 'Versions' }).click();
    await page.getByRole('button', { name: 'Diff with 1' }).click();
    expect(await page.getByTestId('diff').textContent()).toContain('+    expr: up{job="node"} == 0');
    await page.getByRole('button', { name: 'Roll back to this' }).click();
    await page
      .locator('[data-group="node"]')
      .getByText(/^version 3 ·/)
      .waitFor();
    expect((await gql('{ ruleGroups(search: "node") { items { version yaml } } }')).ruleGroups.items[0]).toMatchObject({
      version: 3,
      yaml: expect.stringContaining('expr: up == 0'),
    });
    await page.getByLabel('rule group YAML').fill('name: broken\nrules:\n  - alert: Slow\n    expr: rate(http_seconds)\n');
    await page.getByRole('button', { name: 'Validate and save' }).click();
    const problem = page.locator('[data-problem-line]');
    await problem.waitFor();
    expect(await problem.getAttribute('data-problem-line')).toBe('4');
    expect(await problem.textContent()).toContain('expected type range vector in call to function "rate"');
    await problem.evaluate((element) => element.scrollIntoView({ block: 'center' }));
    await shot('rules');
  });

  it('lists flags with their source and phase', async () => {
    const { page } = browser;
    await page.goto(`${origin}/#/flags`);
    await page.locator('[data-flag="gateway.convergence"]').waitFor();
    const row = page.locator('[data-flag="gateway.convergence"]');
    expect(await row.textContent()).toMatch(/default/);
    page.once('dialog', (dialog) => void dialog.accept('storm expected tonight'));
    await row.getByRole('button', { name: 'Turn on' }).click();
    await row.getByText(/^on by .*console-admin: storm expected tonight/).waitFor();
    expect(await row.textContent()).toMatch(/override/);
    await shot('flags');
    await row.getByRole('button', { name: 'Clear override' }).click();
    await row.getByRole('button', { name: 'Turn on' }).waitFor();
  });

  it('reconnects after the connection is lost and catches up without duplicates', async () => {
    const { page } = browser;
    await page.goto(`${origin}/#/now`);
    await page.locator('[data-alertname="ConsoleProbe"]').waitFor();
    relay.cut();
    await page.waitForFunction(() => !document.querySelector('[data-testid="live"]')?.classList.contains('up'));
    for (let i = 0; i < 3; i++) expect((await post(stormPayload('WhileAway', 1))).status).toBe(200);
    relay.restore();
    await page.waitForFunction(() => document.querySelectorAll('[data-alertname="WhileAway"]').length === 3, undefined, {
      timeout: 20_000,
    });
    await page.waitForTimeout(1_500); // late events and the catch-up query both land: still one row each
    expect(await page.locator('[data-alertname="WhileAway"]').count()).toBe(3);
    expect(await page.locator('[data-alertname="ConsoleProbe"]').count()).toBe(1);
  });

  it('stays responsive while 10,000 alerts arrive', async () => {
    const { page } = browser;
    await startFrameClock(page);
    for (let batch = 0; batch < 200; batch += 10) {
      await Promise.all(Array.from({ length: 10 }, () => post(stormPayload('Storm', 50)).then((r) => expect(r.status).toBe(200))));
    }
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid="row-count"]')?.textContent?.split(' ')[0]) >= 10_004,
      undefined,
      { timeout: 60_000 },
    );
    const started = Date.now();
    await page.getByLabel('state filter').selectOption('unrouted');
    await page.waitForFunction(() => document.querySelector('[data-testid="row-count"]')?.textContent === '0 alerts');
    expect(Date.now() - started).toBeLessThan(2_000);
    await page.getByLabel('state filter').selectOption('');
    await shot('now-storm');
    const { frames } = await takeFrames(page);
    expect(frames.length).toBeGreaterThan(10);
    expect(await page.locator('.vrow[data-record]').count()).toBeLessThan(100); // only the rows on screen exist
  });

  it('serves the GraphQL explorer at /graphql to browsers, with queries and subscriptions, from this server alone', async () => {
    const { page } = browser;
    const api = await fetch(`${origin}/graphql`, { headers: { accept: 'application/json' } });
    expect(api.status).toBe(400); // a GraphQL client's GET without a query is still the API's
    await page.goto(`${origin}/graphql`);
    await page.locator('.graphiql-container').waitFor();
    expect(await page.evaluate(() => document.title)).toBe('AlertAgent GraphQL explorer');
    const result = () => page.evaluate(() => document.querySelector('.result-window')?.textContent ?? '');
    // GraphiQL may still be loading the schema when the page appears: run the query until it answers.
    await waitFor(
      async () => {
        if (!(await result()).includes('"data"')) await page.locator('.graphiql-execute-button').click();
        return (await result()).includes('"roleName": "admin"');
      },
      'the explorer to answer the first query',
      20_000,
      1_000,
    ).catch(async (err) => {
      throw new Error(`${(err as Error).message}; the result pane shows: ${(await result()).slice(0, 500)}`);
    });
    await shot('explorer');
    const editor = page.locator('.graphiql-query-editor .CodeMirror');
    await editor.evaluate(
      (element: any, text) => element.CodeMirror.setValue(text),
      'subscription { gatewayEvents(alertname: "ExplorerProbe") { type alertname } }',
    );
    await page.waitForTimeout(500); // the editor hands its text to GraphiQL after a short debounce
    // Listening from the socket's first moment: the subscribe frame can leave before a later listener is added.
    const subscribed = new Promise<void>((resolve) =>
      page.once('websocket', (socket) =>
        socket.on('framesent', (frame) => String(frame.payload).includes('"type":"subscribe"') && resolve()),
      ),
    );
    await page.locator('.graphiql-execute-button').click();
    await subscribed;
    // The server registers the subscription a moment after the frame leaves: probe until one is seen.
    await waitFor(
      async () => {
        expect((await post(stormPayload('ExplorerProbe', 1))).status).toBe(200);
        return (await result()).includes('"alertname": "ExplorerProbe"');
      },
      'a live event in the explorer',
      20_000,
      500,
    );
    await page.goto(`${origin}/#/now`);
  });

  it('shows a viewer only what a viewer may, and signs out', async () => {
    const { page } = browser;
    await signIn(viewer);
    await page.getByTestId('who').waitFor();
    await page.goto(`${origin}/#/channels`);
    await page.locator('[data-channel="oncall"]').waitFor();
    expect(await page.getByRole('button', { name: 'Test send' }).count()).toBe(0);
    await page.goto(`${origin}/#/rules`);
    await page.locator('[data-group="node"]').waitFor();
    expect(await page.getByLabel('rule group YAML').count()).toBe(0);
    await page.goto(`${origin}/#/flags`);
    await page.locator('[data-flag="gateway.convergence"]').waitFor();
    expect(await page.getByRole('button', { name: /^Turn / }).count()).toBe(0);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  });

  it('tells a role without a page permission what it lacks instead of showing errors', async () => {
    const { page } = browser;
    await gql(
      'mutation { createAccessRole(input: { name: "alerts-only", description: "reads alerts", permissions: ["alerts:read"] }) { name } }',
    );
    const made = await gql('mutation { createApiToken(input: { name: "alerts-reader", customRole: "alerts-only" }) { token } }');
    await signIn(made.createApiToken.token);
    await page.getByTestId('who').waitFor();
    expect(await page.locator('header nav a').allTextContents()).toEqual(['Now', 'API explorer']);
    await page.goto(`${origin}/#/channels`);
    expect(await page.getByTestId('forbidden').textContent()).toBe(
      'Your role (alerts-only) may not open Channels: it needs the permission channels:read.',
    );
  });

  it('signs out with the reason when the token is revoked while the console is open', async () => {
    const { page } = browser;
    const made = await gql('mutation { createApiToken(input: { name: "soon-revoked", role: VIEWER }) { token apiToken { id } } }');
    await signIn(made.createApiToken.token);
    await page.getByTestId('who').waitFor();
    await gql('mutation($id: ID!) { revokeApiToken(id: $id) { id } }', { id: made.createApiToken.apiToken.id });
    await page.goto(`${origin}/#/channels`);
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/^Signed out: .*revoked/);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  });

  it('loaded nothing from another origin and broke no policy', () => {
    expect(browser.foreignRequests).toEqual([]);
    expect(browser.pageErrors).toEqual([]);
  });
});
