import * as fs from "fs";
import { load, loadAll } from "js-yaml";
import * as path from "path";
import type { KubernetesObject } from "../../../automation/plan/render";
import { E2E_BIN } from "./api-server";
import { ChartFiles, describeRelease, PlannedRelease, SchemaNode, TemplateFile } from "./charts";
import { runTool } from "./processes";

// The real Helm (built by test/e2e/install-tools.sh) rendering the pinned charts in
// ../shared/charts, which stand in for the OCI and HTTP repositories this machine cannot reach.

const REPO = path.resolve(__dirname, "..", "..", "..");
export const CHARTS = process.env.LLM_PLATFORM_CHARTS_DIR ?? path.resolve(REPO, "..", "shared", "charts");
export const HELM = path.join(E2E_BIN, "helm");
const HELM_TIMEOUT_MS = 120_000;

/** The local copy of a release's chart; an error naming the release when there is none. */
export function chartDir(release: PlannedRelease, charts = CHARTS): string {
  const dir = path.join(charts, release.chart);
  if (!fs.existsSync(path.join(dir, "Chart.yaml"))) {
    throw new Error(`${describeRelease(release)}: no chart ${release.chart} in ${charts}`);
  }
  const meta = load(fs.readFileSync(path.join(dir, "Chart.yaml"), "utf8")) as { version?: unknown };
  if (String(meta.version) !== release.version) {
    throw new Error(`${describeRelease(release)}: ${dir} holds version ${String(meta.version)}, not the pinned ${release.version}`);
  }
  return dir;
}

function templatesUnder(dir: string): TemplateFile[] {
  if (!fs.existsSync(dir)) {
    return [];
  }
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const file = path.join(dir, e.name);
    return e.isDirectory() ? templatesUnder(file) : [{ file, text: fs.readFileSync(file, "utf8") }];
  });
}

/** values.yaml, values.schema.json, templates and subcharts (under charts/, keyed by alias) of a chart. */
export function readChartFiles(dir: string): ChartFiles {
  const meta = load(fs.readFileSync(path.join(dir, "Chart.yaml"), "utf8")) as { type?: string; dependencies?: { name: string; alias?: string }[] };
  const valuesFile = path.join(dir, "values.yaml");
  const schemaFile = path.join(dir, "values.schema.json");
  const subcharts: Record<string, ChartFiles> = {};
  for (const dep of meta.dependencies ?? []) {
    const sub = path.join(dir, "charts", dep.name);
    if (!fs.existsSync(path.join(sub, "Chart.yaml"))) {
      throw new Error(`${dir}: dependency ${dep.name} is not under charts/`);
    }
    subcharts[dep.alias ?? dep.name] = readChartFiles(sub);
  }
  return {
    values: fs.existsSync(valuesFile) ? load(fs.readFileSync(valuesFile, "utf8")) : {},
    schema: fs.existsSync(schemaFile) ? (JSON.parse(fs.readFileSync(schemaFile, "utf8")) as SchemaNode) : undefined,
    subcharts,
    templates: templatesUnder(path.join(dir, "templates")),
    library: meta.type === "library",
  };
}

export type RenderResult = { ok: true; objects: KubernetesObject[] } | { ok: false; error: string };

/**
 * `helm template` of one release as the provider would install it: its name, namespace and values,
 * its CRDs unless the release skips them, no test hooks, for the given Kubernetes version.
 * Helm itself checks the values against the chart's values.schema.json.
 */
export async function helmTemplate(release: PlannedRelease, dir: string, kubeVersion: string, workDir: string): Promise<RenderResult> {
  const valuesFile = path.join(workDir, `${release.name}.values.json`);
  fs.writeFileSync(valuesFile, JSON.stringify(release.values));
  const home = path.join(workDir, "helm-home");
  const env = { HELM_CACHE_HOME: path.join(home, "cache"), HELM_CONFIG_HOME: path.join(home, "config"), HELM_DATA_HOME: path.join(home, "data") };
  const args = [
    "template",
    release.name,
    dir,
    "--namespace",
    release.namespace,
    "--kube-version",
    kubeVersion,
    "--values",
    valuesFile,
    "--skip-tests",
    ...(release.skipCrds ? ["--skip-crds"] : ["--include-crds"]),
  ];
  const out = await runTool(HELM, args, HELM_TIMEOUT_MS, env);
  if (out.code !== 0) {
    return { ok: false, error: out.stderr.trim() };
  }
  const objects = (loadAll(out.stdout) as unknown[]).filter((d): d is KubernetesObject => typeof d === "object" && d !== null && "kind" in d);
  return { ok: true, objects };
}
