import * as fs from "fs";
import { dump, load, loadAll } from "js-yaml";
import * as os from "os";
import * as path from "path";
import type { KubernetesObject } from "../../../automation/plan/render";
import { E2E_BIN } from "./api-server";
import { ChartFiles, describeRelease, PlannedRelease, SchemaNode, TemplateFile } from "./charts";
import { runTool, trackDir } from "./processes";

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
  const missing = missingSubcharts(dir);
  if (missing.length === 0) {
    return dir;
  }
  const allowed = KNOWN_MISSING_SUBCHARTS[release.chart] ?? [];
  const unexpected = missing.filter((d) => !allowed.includes(d.name));
  if (unexpected.length > 0) {
    throw new Error(`${describeRelease(release)}: ${dir}: dependency ${unexpected.map((d) => d.name).join(", ")} is not under charts/`);
  }
  return chartWithoutDependencies(dir, missing.map((d) => d.name));
}

/**
 * Sub-charts that ../shared/charts' copy of a chart lacks although its Chart.yaml lists them: the
 * shared kube-prometheus-stack 88.5.3 holds only its `crds` sub-chart (its README says the other
 * four are there too), and this machine reaches no chart repository to fetch them. Only these may
 * be missing. The release is then rendered without them (`helm template` refuses a chart whose
 * listed dependencies are absent) with their conditions set false, since the parent's templates
 * read their values, and the values under their keys go unchecked; the chart test says so in its
 * notes. Once the shared copy holds them they are rendered and checked again.
 */
export const KNOWN_MISSING_SUBCHARTS: Readonly<Record<string, readonly string[]>> = {
  "kube-prometheus-stack": ["kube-state-metrics", "prometheus-node-exporter", "grafana", "prometheus-windows-exporter"],
};

interface Dependency {
  readonly name: string;
  readonly alias?: string;
  /** Value paths that switch the sub-chart on, comma-separated (Helm takes the first that is set). */
  readonly condition?: string;
}

function chartMeta(dir: string): { name?: string; type?: string; dependencies?: Dependency[] } {
  return load(fs.readFileSync(path.join(dir, "Chart.yaml"), "utf8")) as { name?: string; type?: string; dependencies?: Dependency[] };
}

/** Dependencies a chart lists that are not under its charts/ directory. */
export function missingSubcharts(dir: string): Dependency[] {
  return (chartMeta(dir).dependencies ?? []).filter((dep) => !fs.existsSync(path.join(dir, "charts", dep.name, "Chart.yaml")));
}

let trimmedRoot: string | undefined;
const trimmed = new Map<string, string>();
/** Per trimmed copy, the conditions of the sub-charts it dropped: set false when rendering. */
const droppedConditions = new Map<string, string[]>();

/** A copy of the chart with the named dependencies dropped from its Chart.yaml, removed at exit. */
function chartWithoutDependencies(dir: string, drop: readonly string[]): string {
  const cached = trimmed.get(dir);
  if (cached !== undefined) {
    return cached;
  }
  if (trimmedRoot === undefined) {
    trimmedRoot = trackDir(fs.mkdtempSync(path.join(os.tmpdir(), "llm-platform-charts-trimmed-")));
  }
  const copy = path.join(trimmedRoot, path.basename(dir));
  fs.cpSync(dir, copy, { recursive: true });
  // The shared tree is read-only and cpSync keeps modes: make the copy writable before editing it.
  for (const entry of fs.readdirSync(copy, { recursive: true, withFileTypes: true })) {
    fs.chmodSync(path.join(entry.parentPath, entry.name), entry.isDirectory() ? 0o755 : 0o644);
  }
  fs.chmodSync(copy, 0o755);
  const meta = chartMeta(copy);
  const dropped = (meta.dependencies ?? []).filter((dep) => drop.includes(dep.name));
  meta.dependencies = (meta.dependencies ?? []).filter((dep) => !drop.includes(dep.name));
  fs.writeFileSync(path.join(copy, "Chart.yaml"), dump(meta));
  // The parent's own templates read a sub-chart's values when its condition holds (as
  // kube-prometheus-stack's Prometheus ClusterRole does for node-exporter): switch them off.
  droppedConditions.set(
    copy,
    dropped.flatMap((dep) => (dep.condition ?? "").split(",").map((c) => c.trim()).filter((c) => c !== "")),
  );
  trimmed.set(dir, copy);
  return copy;
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
  const meta = chartMeta(dir);
  const valuesFile = path.join(dir, "values.yaml");
  const schemaFile = path.join(dir, "values.schema.json");
  const subcharts: Record<string, ChartFiles> = {};
  const allowedMissing = KNOWN_MISSING_SUBCHARTS[meta.name ?? ""] ?? [];
  for (const dep of meta.dependencies ?? []) {
    const sub = path.join(dir, "charts", dep.name);
    if (!fs.existsSync(path.join(sub, "Chart.yaml"))) {
      throw new Error(`${dir}: dependency ${dep.name} is not under charts/`);
    }
    subcharts[dep.alias ?? dep.name] = readChartFiles(sub);
  }
  // Dropped from a trimmed copy's Chart.yaml: their values cannot be checked, so say which.
  const uncheckedSubcharts = allowedMissing.filter((name) => subcharts[name] === undefined);
  return {
    uncheckedSubcharts,
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
    ...(droppedConditions.get(dir) ?? []).flatMap((condition) => ["--set", `${condition}=false`]),
  ];
  const out = await runTool(HELM, args, HELM_TIMEOUT_MS, env);
  if (out.code !== 0) {
    return { ok: false, error: out.stderr.trim() };
  }
  const objects = (loadAll(out.stdout) as unknown[]).filter((d): d is KubernetesObject => typeof d === "object" && d !== null && "kind" in d);
  return { ok: true, objects };
}
