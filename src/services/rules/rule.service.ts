import type { AuditAction } from '../security/audit-actions';
import { createHash } from 'node:crypto';
import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import { z } from 'zod';
import type { ClusterEntity } from '../../entities/clusters/cluster.entity';
import { RuleGroupVersionEntity } from '../../entities/rules/rule-group-version.entity';
import { RuleGroupEntity } from '../../entities/rules/rule-group.entity';
import { BadUserInputError, ConflictError, NotFoundError, parseInput, type FieldIssue } from '../../errors';
import { compileMatcher, matchesAll, parseMatcher, type CompiledMatcher } from '../gateway/label-matcher';
import type { Actor, AuditService } from '../security/audit.service';
import type { RuleGroupRepository } from './rule-group.repository';
import { checkRuleFile, formatRuleProblem, ruleGroupsToYaml, type RuleGroupDefinition } from './rule-file';

/** Rule files as large as rendered mixins get (kube-prometheus renders several MB). */
const YAML_MAX = 5 * 1024 * 1024;
const targets = z.array(z.string()).max(20, 'at most 20 target matchers');
const message = z.string().trim().min(1, 'say what the change is for').max(2000);

const createInput = z.strictObject({ yaml: z.string().min(1, 'must not be empty').max(YAML_MAX), targets: targets.default([]), message });
const updateInput = z.strictObject({ yaml: z.string().min(1).max(YAML_MAX).optional(), targets: targets.optional(), message });
const importInput = z.strictObject({ yaml: z.string().min(1, 'must not be empty').max(YAML_MAX), targets: targets.default([]), message });

export type RuleGroupCreateInput = z.input<typeof createInput>;
export type RuleGroupUpdateInput = z.input<typeof updateInput>;

/** What one cluster's Prometheus gets: every group that targets it, as one rule file. */
export interface ClusterRuleFile {
  content: string;
  hash: string;
  groups: string[];
}

interface Candidate {
  id: string;
  definition: RuleGroupDefinition;
  targets: string[];
}

/** The labels a target selector sees: the cluster's labels and its name as `cluster`. */
const clusterLabels = (cluster: Pick<ClusterEntity, 'name' | 'labels'>) => ({ ...cluster.labels, cluster: cluster.name });

// Sidecars poll often and every poll matches every group against the cluster: compile each target once.
const compiledTargets = new Map<string, CompiledMatcher>();

function compileTargets(targetList: string[], field = 'input.targets'): CompiledMatcher[] {
  return targetList.map((text, i) => {
    let compiled = compiledTargets.get(text);
    if (!compiled) {
      compiled = compileMatcher(parseMatcher(text, `${field}.${i}`), `${field}.${i}`);
      if (compiledTargets.size > 10_000) compiledTargets.clear();
      compiledTargets.set(text, compiled);
    }
    return compiled;
  });
}

const landsOn = (candidate: Candidate, cluster: Pick<ClusterEntity, 'name' | 'labels'>) =>
  matchesAll(compileTargets(candidate.targets), clusterLabels(cluster));

/** One group as the YAML a user writes and reads. */
export function groupYaml(definition: RuleGroupDefinition): string {
  const [group] = ruleGroupsToYaml([definition]).groups as unknown[];
  return stringify(group, { lineWidth: 0 });
}

/**
 * Prometheus rule groups: validated as promtool judges them, versioned (every change, with author
 * and message; rollback writes a new version equal to an old one), targeted at clusters by label
 * matchers, and checked for conflicts on every cluster they would land on before anything is
 * stored. Each cluster's sidecar gets exactly the groups that target it.
 */
export class RuleService {
  constructor(
    private readonly groups: RuleGroupRepository,
    private readonly audit: AuditService,
  ) {}

  /** Groups that land on this cluster (its labels and name), in stored order. */
  async listFor(cluster: Pick<ClusterEntity, 'name' | 'labels'>): Promise<RuleGroupEntity[]> {
    return (await this.list()).filter((g) => landsOn(g, cluster));
  }

  list(): Promise<RuleGroupEntity[]> {
    return this.groups.all();
  }

  async get(id: string): Promise<RuleGroupEntity> {
    return NotFoundError.assert(await this.groups.findById(id), 'rule group', id);
  }

  async create(input: RuleGroupCreateInput, actor: Actor): Promise<RuleGroupEntity> {
    const parsed = parseInput(createInput, input, 'input');
    const definition = parseSingleGroup(parsed.yaml);
    compileTargets(parsed.targets);
    const group = Object.assign(new RuleGroupEntity(), { name: definition.name, definition, targets: parsed.targets, version: 1 });
    await this.refuseConflicts([{ id: group.id, definition, targets: parsed.targets }]);
    await this.audit.change(actor, async (record) => {
      this.groups.add(group);
      this.addVersion(group, actor, parsed.message);
      record('rule-group.created', 'rule-group', group.id, { name: group.name, targets: group.targets, message: parsed.message });
    });
    return group;
  }

  async update(id: string, input: RuleGroupUpdateInput, actor: Actor): Promise<RuleGroupEntity> {
    const parsed = parseInput(updateInput, input, 'input');
    const group = await this.get(id);
    const definition = parsed.yaml !== undefined ? parseSingleGroup(parsed.yaml) : group.definition;
    const newTargets = parsed.targets ?? group.targets;
    compileTargets(newTargets);
    return this.write(group, definition, newTargets, actor, parsed.message, 'rule-group.updated');
  }

  /** Writes a new version equal to `version` (validated and conflict-checked again, as any change). */
  async rollback(id: string, version: number, note: string, actor: Actor): Promise<RuleGroupEntity> {
    const text = parseInput(message, note, 'message');
    const group = await this.get(id);
    const old = NotFoundError.assert(await this.groups.findVersion(id, version), `version ${version} of rule group`, id);
    return this.write(group, old.definition, old.targets, actor, text, 'rule-group.rolled-back', { toVersion: version });
  }

  async remove(id: string, note: string, actor: Actor): Promise<void> {
    const text = parseInput(message, note, 'message');
    const group = await this.get(id);
    await this.audit.change(actor, async (record) => {
      await this.groups.removeWithHistory(group);
      record('rule-group.deleted', 'rule-group', id, { name: group.name, message: text });
    });
  }

  /**
   * Imports a rule file: each group updates the group of that name with the same targets, or is
   * created. All or nothing: one invalid group or one conflict refuses the whole file.
   */
  async importFile(input: z.input<typeof importInput>, actor: Actor): Promise<RuleGroupEntity[]> {
    const parsed = parseInput(importInput, input, 'input');
    compileTargets(parsed.targets);
    const { groups, problems } = checkRuleFile(parsed.yaml);
    if (problems.length > 0) throw ruleFileRefusal(problems, 0, 0);
    if (groups.length === 0) throw BadUserInputError.forField('input.yaml', 'the file holds no rule groups');
    const existing = await this.list();
    const sameTargets = (g: RuleGroupEntity) => JSON.stringify(g.targets) === JSON.stringify(parsed.targets);
    const plan = groups.map((definition) => ({
      definition,
      group: existing.find((g) => g.name === definition.name && sameTargets(g)) ?? null,
    }));
    const staged = plan.map(
      ({ definition, group }) =>
        group ?? Object.assign(new RuleGroupEntity(), { name: definition.name, definition, targets: parsed.targets, version: 0 }),
    );
    await this.refuseConflicts(staged.map((g, i) => ({ id: g.id, definition: plan[i].definition, targets: parsed.targets })));
    await this.audit.change(actor, async (record) => {
      staged.forEach((group, i) => {
        const isNew = group.version === 0;
        Object.assign(group, {
          definition: plan[i].definition,
          name: plan[i].definition.name,
          version: group.version + 1,
          updatedAt: new Date(),
        });
        if (isNew) this.groups.add(group);
        this.addVersion(group, actor, parsed.message);
        record(isNew ? 'rule-group.created' : 'rule-group.updated', 'rule-group', group.id, {
          name: group.name,
          imported: true,
          message: parsed.message,
        });
      });
    });
    return staged;
  }

  async versions(id: string): Promise<RuleGroupVersionEntity[]> {
    await this.get(id);
    return this.groups.history(id);
  }

  /** A unified diff of two versions' YAML (targets included as a comment line). */
  async diff(id: string, from: number, to: number): Promise<string> {
    const versions = await this.groups.findVersions(id, [from, to]);
    const pick = (n: number) =>
      NotFoundError.assert(
        versions.find((v) => v.version === n),
        `version ${n} of rule group`,
        id,
      );
    const text = (v: RuleGroupVersionEntity) =>
      `# targets: ${v.targets.length ? v.targets.join(', ') : 'every cluster'}\n${groupYaml(v.definition)}`;
    return createTwoFilesPatch(`version ${from}`, `version ${to}`, text(pick(from)), text(pick(to)), undefined, undefined, { context: 3 });
  }

  /** Groups as one Prometheus rule file, in the order asked (every group when no ids are given). */
  async exportYaml(ids?: readonly string[] | null): Promise<string> {
    const groups = ids ? await Promise.all(ids.map((id) => this.get(id))) : await this.list();
    return stringify(ruleGroupsToYaml(groups.map((g) => g.definition)), { lineWidth: 0 });
  }

  /** The rule file of one cluster: its groups ordered by name, and the hash its sidecars compare. */
  async ruleFileFor(cluster: Pick<ClusterEntity, 'name' | 'labels'>): Promise<ClusterRuleFile> {
    const groups = await this.listFor(cluster);
    const content = `# Rendered by AlertAgent for cluster ${cluster.name}. Edit the groups in AlertAgent: the sidecar replaces local changes.\n${stringify(ruleGroupsToYaml(groups.map((g) => g.definition)), { lineWidth: 0 })}`;
    return { content, hash: createHash('sha256').update(content).digest('hex'), groups: groups.map((g) => g.name) };
  }

  /** Conflicts a cluster with these labels would get from the stored groups (for cluster changes). */
  async conflictsForCluster(cluster: Pick<ClusterEntity, 'name' | 'labels'>): Promise<string[]> {
    const groups = await this.listFor(cluster);
    return conflictsOn(`cluster ${cluster.name}`, groups).problems.map((p) => p.message);
  }

  /**
   * What promtool only lints (duplicate rules: the same rule twice where the group lands), on
   * every cluster the group lands on, or on any cluster while none exists. Accepted, reported.
   */
  async warningsFor(groupId: string): Promise<string[]> {
    const groups = await this.list();
    const group = groups.find((g) => g.id === groupId);
    if (!group) return [];
    const warnings = new Set<string>();
    for (const [where, landing] of this.landings([group], groups, await this.groups.clusters())) {
      for (const w of conflictsOn(where, landing).warnings) if (w.groupId === groupId) warnings.add(w.message);
    }
    return [...warnings];
  }

  /**
   * Where changed groups land together with others: on every cluster they target and, since a
   * cluster may come later, on any cluster their targets select (with the groups that land on
   * every cluster and those with the very same targets), so what would refuse a later
   * createCluster is refused now.
   */
  private landings(
    changed: Candidate[],
    all: Candidate[],
    clusters: Array<Pick<ClusterEntity, 'name' | 'labels'>>,
  ): Array<[string, Candidate[]]> {
    const changedIds = new Set(changed.map((c) => c.id));
    const result: Array<[string, Candidate[]]> = [];
    for (const cluster of clusters) {
      const landing = all.filter((g) => landsOn(g, cluster));
      // Only conflicts the change takes part in: old ones elsewhere are not this change's to answer for.
      if (landing.some((g) => changedIds.has(g.id))) result.push([`cluster ${cluster.name}`, landing]);
    }
    // Once per distinct target set the change uses (an import of a thousand groups usually has one).
    const targetKey = (c: Candidate) => JSON.stringify([...c.targets].sort());
    const keys = new Map(changed.map((c) => [targetKey(c), c.targets]));
    const allKeys = all.map(targetKey);
    const everywhere = JSON.stringify([]);
    for (const [key, targets] of keys) {
      const together = all.filter((_, i) => allKeys[i] === everywhere || allKeys[i] === key);
      result.push([targets.length === 0 ? 'every cluster' : `any cluster matching ${targets.join(', ')}`, together]);
    }
    return result;
  }

  private async write(
    group: RuleGroupEntity,
    definition: RuleGroupDefinition,
    newTargets: string[],
    actor: Actor,
    note: string,
    action: AuditAction,
    extra: Record<string, unknown> = {},
  ): Promise<RuleGroupEntity> {
    await this.refuseConflicts([{ id: group.id, definition, targets: newTargets }]);
    await this.audit.change(actor, async (record) => {
      Object.assign(group, { name: definition.name, definition, targets: newTargets, version: group.version + 1, updatedAt: new Date() });
      this.addVersion(group, actor, note);
      record(action, 'rule-group', group.id, { name: group.name, version: group.version, message: note, ...extra });
    });
    return group;
  }

  private addVersion(group: RuleGroupEntity, actor: Actor, note: string): void {
    this.groups.addVersion(
      Object.assign(new RuleGroupVersionEntity(), {
        groupId: group.id,
        version: group.version,
        definition: group.definition,
        targets: group.targets,
        author: actor.principal.name,
        message: note,
      }),
    );
  }

  /** Refuses a change when, with it, any cluster would get conflicting rules. */
  private async refuseConflicts(changed: Candidate[]): Promise<void> {
    const changedIds = new Set(changed.map((c) => c.id));
    const others: Candidate[] = (await this.list()).filter((g) => !changedIds.has(g.id));
    const all = [...others, ...changed];
    const clusters = await this.groups.clusters();
    const problems = new Set<string>();
    for (const [where, landing] of this.landings(changed, all, clusters)) {
      for (const problem of conflictsOn(where, landing).problems)
        if (problem.groupIds.some((id) => changedIds.has(id))) problems.add(problem.message);
    }
    if (problems.size > 0) {
      const list = [...problems];
      throw new ConflictError(
        `refused before deployment: ${list.slice(0, 10).join('; ')}${list.length > 10 ? ` (and ${list.length - 10} more)` : ''}`,
      );
    }
  }
}

/**
 * What one target must not get (problems): two groups of one name; two alerts of one name and the
 * same labels with different expressions; one recorded series (name and rule labels) written by
 * two different expressions. One alert name at several severities (different labels, different
 * thresholds) is normal. The same rule twice is what promtool only lints: a warning.
 */
function conflictsOn(
  where: string,
  groups: Array<{ id: string; definition: RuleGroupDefinition }>,
): { problems: Array<{ groupIds: string[]; message: string }>; warnings: Array<{ groupId: string; message: string }> } {
  const problems: Array<{ groupIds: string[]; message: string }> = [];
  const warnings: Array<{ groupId: string; message: string }> = [];
  const byName = new Map<string, string>();
  const rules = new Map<string, { expr: string; group: string; groupId: string }>();
  for (const { id, definition } of groups) {
    const twin = byName.get(definition.name);
    if (twin !== undefined && twin !== id)
      problems.push({ groupIds: [twin, id], message: `two rule groups named "${definition.name}" would land on ${where}` });
    byName.set(definition.name, id);
    for (const rule of definition.rules) {
      const labels = Object.keys(rule.labels).length
        ? ` with labels ${JSON.stringify(Object.fromEntries(Object.entries(rule.labels).sort()))}`
        : '';
      const key = `${rule.kind}\u0000${rule.name}\u0000${JSON.stringify(Object.entries(rule.labels).sort())}`;
      const seen = rules.get(key);
      if (!seen) {
        rules.set(key, { expr: rule.expr, group: definition.name, groupId: id });
        continue;
      }
      const what = `${rule.kind === 'alert' ? 'alert' : 'recording rule'} "${rule.name}"${labels}`;
      if (seen.expr.trim() === rule.expr.trim()) {
        const message = `duplicate rule: ${what} appears in group "${seen.group}" and in group "${definition.name}" on ${where}`;
        warnings.push({ groupId: id, message }, ...(seen.groupId !== id ? [{ groupId: seen.groupId, message }] : []));
      } else if (rule.kind === 'alert') {
        problems.push({
          groupIds: [seen.groupId, id],
          message: `${what} would have two different expressions on ${where} (group "${seen.group}": "${seen.expr}", group "${definition.name}": "${rule.expr}")`,
        });
      } else {
        problems.push({
          groupIds: [seen.groupId, id],
          message: `${what} would be written by two different expressions on ${where} (groups "${seen.group}" and "${definition.name}")`,
        });
      }
    }
  }
  return { problems, warnings };
}

/** One group, given as a group mapping (name, interval, rules) or as a file holding exactly one group. */
function parseSingleGroup(text: string): RuleGroupDefinition {
  const isFile = /^groups\s*:/m.test(text);
  // A bare group is checked as the file it becomes; positions are mapped back to the text given.
  const file = isFile
    ? text
    : `groups:\n${text
        .split('\n')
        .map((line, i) => (i === 0 ? `  - ${line}` : `    ${line}`))
        .join('\n')}`;
  const { groups, problems } = checkRuleFile(file);
  if (problems.length > 0) throw ruleFileRefusal(problems, isFile ? 0 : 1, isFile ? 0 : 4);
  if (groups.length !== 1) throw BadUserInputError.forField('input.yaml', `expected one rule group, got ${groups.length}`);
  return groups[0];
}

function ruleFileRefusal(
  problems: ReturnType<typeof checkRuleFile>['problems'],
  lineShift: number,
  columnShift: number,
): BadUserInputError {
  const shifted = problems.map((p) => ({
    ...p,
    line: p.line > 0 ? p.line - lineShift : 0,
    column: p.column > 0 ? Math.max(1, p.column - columnShift) : 0,
  }));
  const issues: FieldIssue[] = shifted.map((p) => ({ field: 'input.yaml', message: formatRuleProblem('yaml', p).replace(/^yaml: /, '') }));
  return new BadUserInputError(
    `the rules would be refused by Prometheus: ${issues
      .slice(0, 10)
      .map((i) => i.message)
      .join('; ')}`,
    issues,
  );
}
