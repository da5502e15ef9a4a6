import * as fs from "fs";
import * as path from "path";
import {
  helmReleases,
  kubernetesObjects,
  renderHelmValues,
  renderManifests,
  renderMermaid,
  renderSummaryMarkdown,
  renderTree,
  summarize,
  PlanSummary,
  redactSecrets,
  toYaml,
  REDACTED,
} from "./render";
import type { PolicyReport } from "../policy/evaluate";
import { PlanRun } from "./run";
import type { PlanCost } from "./cost";

type SuccessfulRun = Extract<PlanRun, { ok: true }>;

/** Every file a plan writes, relative to its output directory, with its content. */
export function planFiles(run: SuccessfulRun, policies?: PolicyReport, cost?: PlanCost): { files: Map<string, string>; summary: PlanSummary } {
  const summary = summarize(run.stack.stack, run.resources, run.outputs, cost);
  const files = new Map<string, string>();
  // Every structured value goes through redactSecrets before it is written.
  files.set("tree.txt", renderTree(run.resources));
  files.set("manifests.yaml", renderManifests(redactSecrets(kubernetesObjects(run.resources))));
  for (const release of helmReleases(run.resources)) {
    files.set(path.join("helm", `${release.resourceName}.values.yaml`), renderHelmValues({ ...release, values: redactSecrets(release.values) }));
  }
  files.set("graph.mmd", renderMermaid(run.resources));
  files.set("summary.md", renderSummaryMarkdown(redactSecrets(summary)));
  // Tenants' keys are secret outputs; resolved offline they lose the mark, so they are blanked by name.
  const tenantKeys = Object.fromEntries(Object.keys(run.outputs.tenantKeys ?? {}).map((k) => [k, REDACTED]));
  files.set("summary.json", `${JSON.stringify(redactSecrets({ ...summary, outputs: { ...run.outputs, tenantKeys }, policies }), null, 2)}\n`);
  if (policies !== undefined) {
    files.set("policy.json", `${JSON.stringify(redactSecrets(policies), null, 2)}\n`);
  }
  files.set("resources.yaml", toYaml(redactSecrets(run.resources.map(({ urn, type, name, parent, dependencies }) => ({ urn, type, name, parent, dependencies })))));
  const cloud = cloudResources(run.resources);
  if (cloud.length > 0) {
    files.set("cloud.yaml", toYaml(redactSecrets(cloud.map(({ type, name, inputs }) => ({ type, name, inputs })))));
  }
  return { files, summary };
}

/** The cloud resources (AWS, GCP, and pulumi-eks components) with their inputs: everything not in Kubernetes. */
export function cloudResources(resources: readonly PlanResource[]): PlanResource[] {
  return resources.filter((r) => /^(aws|gcp|eks):/.test(r.type));
}

type PlanResource = SuccessfulRun["resources"][number];

/** Replaces `outDir` with the plan's files, so nothing from an earlier plan lingers. */
export function writePlan(outDir: string, files: ReadonlyMap<string, string>): void {
  fs.rmSync(outDir, { recursive: true, force: true });
  for (const [file, content] of files) {
    const target = path.join(outDir, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, content);
  }
}
