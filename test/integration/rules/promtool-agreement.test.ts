import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkRuleFile } from '../../../src/services/rules/rule-file';
import { ruleCorpus } from '../../fixtures/rule-corpus';
import { rulePacks } from '../../fixtures/rule-packs';
import { CLI, runCli } from '../../support/cli-process';

const PROMTOOL = process.env.PROMTOOL_BINARY ?? 'promtool';

describe('rule validation agrees with promtool check rules', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'aa-rules-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the verdict promtool gives on every corpus file', () => {
    const corpus = ruleCorpus();
    expect(corpus.length).toBeGreaterThanOrEqual(200);
    const paths = corpus.map(({ name, content }) => {
      const path = join(dir, `${name}.yml`);
      writeFileSync(path, content);
      return path;
    });
    // One promtool run over every file: it says SUCCESS on stdout under each "Checking" line.
    const run = spawnSync(PROMTOOL, ['check', 'rules', ...paths], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (run.error) throw run.error;
    const verdicts = new Map<string, boolean>();
    let current = '';
    for (const line of run.stdout.split('\n')) {
      if (line.startsWith('Checking ')) {
        current = line.slice('Checking '.length).trim();
        verdicts.set(current, false);
      } else if (line.includes('SUCCESS')) verdicts.set(current, true);
    }
    const disagreements: string[] = [];
    let invalid = 0;
    corpus.forEach(({ name, content }, i) => {
      const theirs = verdicts.get(paths[i]);
      expect(theirs).toBeDefined();
      const ours = checkRuleFile(content).problems;
      if (!theirs) invalid += 1;
      if ((ours.length === 0) !== theirs)
        disagreements.push(
          `${name}: promtool ${theirs ? 'accepts' : 'refuses'}, we ${ours.length === 0 ? 'accept' : `refuse (${ours[0].message})`}\n${content}`,
        );
    });
    console.log(
      `promtool agreement: ${corpus.length - disagreements.length}/${corpus.length} rule files (${invalid} invalid, ${corpus.length - invalid} valid)`,
    );
    expect(disagreements).toEqual([]);
  });

  it('accepts every file of the real-shaped packs with the rule count promtool reports', () => {
    const packs = rulePacks();
    const paths = packs.map(({ name, content }) => {
      const path = join(dir, `pack-${name}.yml`);
      writeFileSync(path, content);
      return path;
    });
    const run = spawnSync(PROMTOOL, ['check', 'rules', ...paths], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (run.error) throw run.error;
    const theirs = [...run.stdout.matchAll(/SUCCESS: (\d+) rules found/g)].map((m) => Number(m[1]));
    const ours = packs.map(({ content }) => {
      const { groups, problems } = checkRuleFile(content);
      return problems.length === 0 ? groups.reduce((n, g) => n + g.rules.length, 0) : `refused: ${problems[0].message}`;
    });
    expect(run.status).toBe(0);
    expect(ours).toEqual(theirs);
    expect(ours).toEqual(packs.map((p) => p.rules));
  });
});

describe('rule files as bytes: encodings judged as promtool judges them', () => {
  it('refuses invalid UTF-8 and accepts what is valid, with the same verdict as promtool', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aa-rules-bytes-'));
    try {
      const rule = (labelValue: Buffer) =>
        Buffer.concat([
          Buffer.from('groups:\n  - name: g\n    rules:\n      - record: r:x\n        expr: up\n        labels:\n          a: "'),
          labelValue,
          Buffer.from('"\n'),
        ]);
      const files: Array<[string, Buffer]> = [
        ['invalid-leading', rule(Buffer.from([0xff, 0xfe]))],
        ['invalid-trailing', rule(Buffer.from([0xc3, 0x28]))],
        ['truncated-at-end', Buffer.concat([rule(Buffer.from('x')), Buffer.from([0xe2, 0x82])])],
        ['overlong', rule(Buffer.from([0xc0, 0xaf]))],
        ['valid-multibyte', rule(Buffer.from('café ✓ 𝄞'))],
        ['byte-order-mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), rule(Buffer.from('x'))])],
      ];
      for (const [name, bytes] of files) {
        const path = join(dir, `${name}.yml`);
        writeFileSync(path, bytes);
        const theirs = spawnSync(PROMTOOL, ['check', 'rules', path], { encoding: 'utf8' }).status === 0;
        const ours = checkRuleFile(bytes).problems;
        expect([name, ours.length === 0, ours[0]?.message]).toEqual([
          name,
          theirs,
          theirs ? undefined : expect.stringMatching(/^yaml: invalid (leading|trailing) UTF-8 octet$/),
        ]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('alertagent rules check', () => {
  it('prints SUCCESS with the rule count or FAILED with each error, and exits 1 when any file fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aa-rules-cli-'));
    try {
      const good = join(dir, 'good.yml');
      const bad = join(dir, 'bad.yml');
      writeFileSync(
        good,
        'groups:\n  - name: g\n    rules:\n      - record: job:up:sum\n        expr: sum by (job) (up)\n      - alert: Down\n        expr: job:up:sum == 0\n',
      );
      writeFileSync(
        bad,
        'groups:\n  - name: g\n    rules:\n      - alert: Slow\n        expr: rate(http_seconds)\n      - record: 1bad\n        expr: up\n',
      );
      const ok = await runCli(['rules', 'check', good], {});
      expect(ok.code).toBe(0);
      expect(ok.stdout).toBe(`Checking ${good}\n  SUCCESS: 2 rules found\n\n`);
      const failed = await runCli(['rules', 'check', good, bad], {});
      expect(failed.code).toBe(1);
      expect(failed.stdout).toContain('SUCCESS: 2 rules found');
      expect(failed.stderr).toContain(
        `${bad}: 5:15: group "g", rule 1, "Slow": could not parse expression: 1:6: parse error: expected type range vector in call to function "rate", got instant vector`,
      );
      expect(failed.stderr).toContain(`${bad}: 6:17: group "g", rule 2, "1bad": invalid recording rule name: 1bad`);
      const missing = await runCli(['rules', 'check', join(dir, 'nope.yml')], {});
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('ENOENT');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('alertagent rules check on a 100 MB file', () => {
  it('checks every rule in bounded memory (a heap capped at 1 GB; promtool takes about 4.7 GB) and says SUCCESS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aa-rules-huge-'));
    try {
      const file = join(dir, 'huge.yml');
      const fd = openSync(file, 'w');
      writeSync(fd, 'groups:\n');
      let size = 0;
      let groups = 0;
      while (size < 100 * 1024 * 1024) {
        const rules = Array.from(
          { length: 10 },
          (_, r) =>
            `      - alert: Huge${groups}_${r}\n        expr: rate(requests_total{job="j${groups}"}[5m]) > ${r}\n        labels: { severity: warning }\n        annotations: { summary: "{{ $labels.job }} high" }\n`,
        );
        const chunk = `  - name: g${groups}\n    rules:\n${rules.join('')}`;
        writeSync(fd, chunk);
        size += chunk.length;
        groups += 1;
      }
      closeSync(fd);
      const child = spawn(process.execPath, ['--max-old-space-size=1024', CLI, 'rules', 'check', file]);
      let stdout = '';
      child.stdout.on('data', (c) => (stdout += c));
      const code = await new Promise((resolve) => child.on('exit', resolve));
      expect({ code, stdout }).toEqual({ code: 0, stdout: `Checking ${file}\n  SUCCESS: ${groups * 10} rules found\n\n` });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});

describe('examples/rules/api.rules.yml', () => {
  it('passes both alertagent rules check and promtool', async () => {
    const file = join(__dirname, '../../../examples/rules/api.rules.yml');
    const ours = await runCli(['rules', 'check', file], {});
    expect(ours.code).toBe(0);
    expect(ours.stdout).toContain('SUCCESS: 4 rules found');
    expect(spawnSync(PROMTOOL, ['check', 'rules', file], { encoding: 'utf8' }).status).toBe(0);
  });
});
