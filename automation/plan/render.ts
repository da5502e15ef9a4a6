import { dump } from "js-yaml";
import type { PolicyReport } from "../policy/evaluate";
import type { PlanCost } from "./cost";
import { costTables } from "./render-cost";
import { RecordedResource } from "./recorder";
import type { GpuPoolDescriptor } from "../../components/cluster/pool-descriptor";
import { ResolvedOutputs } from "./run";
import { monitoringLine } from "../../components/monitoring/summary";

// Pure renderers from a recorded plan to the files `plan` writes. No I/O here.

const HELM_RELEASE = "kubernetes:helm.sh/v3:Release";
/** Kubernetes provider types that register objects but are not objects themselves. */
const NOT_AN_OBJECT = /^kubernetes:(helm\.sh\/|kustomize:|yaml(\/v2)?:)/;

/** Shown wherever a value only exists once the stack has been deployed. */
export const AFTER_DEPLOY = "(known after deploy)";

/** Stands in for every value of a Secret's `data` and `stringData` in the files `plan` writes. */
export const REDACTED = "[redacted]";

/**
 * A copy of `value` in which every Kubernetes Secret (at any depth: an object, Helm values that
 * embed manifests, resource inputs) has the values of its `data` and `stringData` replaced by
 * REDACTED, keys kept. Plan files are shared (CI artifacts, pull-request comments); no credential
 * that reaches a Secret may be in them, whatever route it took there.
 */
export function redactSecrets<T>(value: T): T {
  if (Array.isArray(value)) {
    return value.map((v) => redactSecrets(v)) as T;
  }
  if (typeof value !== "object" || value === null) {
    return value;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  const isSecret = (value as Record<string, unknown>).kind === "Secret";
  return Object.fromEntries(
    entries.map(([k, v]) =>
      isSecret && (k === "data" || k === "stringData") && typeof v === "object" && v !== null
        ? [k, Object.fromEntries(Object.keys(v).map((key) => [key, REDACTED]))]
        : [k, redactSecrets(v)],
    ),
  ) as T;
}

/** A Kubernetes object as the provider would send it to the API server. */
export interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name?: string; readonly namespace?: string; readonly [k: string]: unknown };
  readonly [field: string]: unknown;
}

export function isKubernetesObject(resource: RecordedResource): boolean {
  return resource.custom && resource.type.startsWith("kubernetes:") && !NOT_AN_OBJECT.test(resource.type);
}

/** Every Kubernetes object the plan would apply, in a stable order (kind, namespace, name). */
export function kubernetesObjects(resources: readonly RecordedResource[]): KubernetesObject[] {
  return resources
    .filter(isKubernetesObject)
    .map((r) => r.inputs as unknown as KubernetesObject)
    .sort((a, b) => objectKey(a).localeCompare(objectKey(b)));
}

function objectKey(o: KubernetesObject): string {
  return `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`;
}

/** One multi-document YAML stream of all objects, ready for `kubectl apply --server-side -f`. */
export function renderManifests(objects: readonly KubernetesObject[]): string {
  // js-yaml: several times faster than the `yaml` package on thousands of objects.
  return objects.map((o) => toYaml(o)).join("---\n");
}

/** Block-style YAML with no anchors or folded lines, in the objects' own key order. */
export function toYaml(value: unknown): string {
  return dump(value, { noRefs: true, lineWidth: -1 });
}

export interface HelmReleaseView {
  readonly resourceName: string;
  /** The Helm release name (what the chart's templates see as .Release.Name). */
  readonly name: string;
  readonly chart: string;
  readonly version?: string;
  readonly repository?: string;
  readonly namespace?: string;
  readonly values: Record<string, unknown>;
}

export function helmReleases(resources: readonly RecordedResource[]): HelmReleaseView[] {
  return resources
    .filter((r) => r.type === HELM_RELEASE)
    .map((r) => {
      const inputs = r.inputs as {
        name?: string;
        chart?: string;
        version?: string;
        namespace?: string;
        repositoryOpts?: { repo?: string };
        values?: Record<string, unknown>;
      };
      return {
        resourceName: r.name,
        name: inputs.name ?? r.name,
        chart: inputs.chart ?? "",
        version: inputs.version,
        repository: inputs.repositoryOpts?.repo,
        namespace: inputs.namespace,
        values: inputs.values ?? {},
      };
    })
    .sort((a, b) => a.resourceName.localeCompare(b.resourceName));
}

export function renderHelmValues(release: HelmReleaseView): string {
  const header = [
    `# Helm release ${release.resourceName}`,
    `# chart: ${release.chart}${release.version ? `@${release.version}` : ""}`,
    ...(release.repository ? [`# repository: ${release.repository}`] : []),
    ...(release.namespace ? [`# namespace: ${release.namespace}`] : []),
  ];
  return `${header.join("\n")}\n${toYaml(release.values)}`;
}

/** The resource tree, one resource per line, children indented under their parent. */
export function renderTree(resources: readonly RecordedResource[]): string {
  const children = new Map<string | undefined, RecordedResource[]>();
  const urns = new Set(resources.map((r) => r.urn));
  for (const r of resources) {
    const parent = r.parent !== undefined && urns.has(r.parent) ? r.parent : undefined;
    children.set(parent, [...(children.get(parent) ?? []), r]);
  }
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    for (const r of children.get(parent) ?? []) {
      lines.push(`${"  ".repeat(depth)}${r.type} ${r.name}`);
      walk(r.urn, depth + 1);
    }
  };
  walk(undefined, 0);
  return `${lines.join("\n")}\n`;
}

/** Dependency edges between recorded resources (provider references included). */
export function dependencyEdges(resources: readonly RecordedResource[]): [from: string, to: string][] {
  const urns = new Set(resources.map((r) => r.urn));
  const edges: [string, string][] = [];
  for (const r of resources) {
    const providerUrn = r.provider?.split("::").slice(0, -1).join("::");
    const deps = new Set([...r.dependencies, ...(providerUrn ? [providerUrn] : [])]);
    for (const d of deps) {
      if (urns.has(d)) {
        edges.push([d, r.urn]);
      }
    }
  }
  return edges;
}

/**
 * Length of the longest chain of resources that must be created one after another. Parents do not
 * order creation; dependencies and providers do.
 */
export function dependencyDepth(resources: readonly RecordedResource[]): number {
  const incoming = new Map<string, string[]>();
  for (const [from, to] of dependencyEdges(resources)) {
    incoming.set(to, [...(incoming.get(to) ?? []), from]);
  }
  const memo = new Map<string, number>();
  const depth = (urn: string, visiting: Set<string>): number => {
    const known = memo.get(urn);
    if (known !== undefined) {
      return known;
    }
    if (visiting.has(urn)) {
      throw new Error(`dependency cycle through ${urn}`);
    }
    visiting.add(urn);
    const d = 1 + Math.max(0, ...(incoming.get(urn) ?? []).map((u) => depth(u, visiting)));
    visiting.delete(urn);
    memo.set(urn, d);
    return d;
  };
  return Math.max(0, ...resources.filter((r) => r.custom).map((r) => depth(r.urn, new Set())));
}

/** A Mermaid flowchart: solid arrows for dependencies, dotted ones from parent to child. */
export function renderMermaid(resources: readonly RecordedResource[]): string {
  const ids = new Map(resources.map((r, i) => [r.urn, `r${i}`]));
  const lines = ["flowchart TD"];
  for (const r of resources) {
    const label = `${r.type.replace(/"/g, "'")}<br/>${r.name.replace(/"/g, "'")}`;
    lines.push(r.custom ? `  ${ids.get(r.urn)}["${label}"]` : `  ${ids.get(r.urn)}(["${label}"])`);
  }
  for (const r of resources) {
    if (r.parent !== undefined && ids.has(r.parent)) {
      lines.push(`  ${ids.get(r.parent)} -.-> ${ids.get(r.urn)}`);
    }
  }
  for (const [from, to] of dependencyEdges(resources)) {
    lines.push(`  ${ids.get(from)} --> ${ids.get(to)}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Left-aligned columns; the first row is the header. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd()).join("\n");
}

function markdownTable(rows: readonly (readonly string[])[]): string {
  const [head, ...body] = rows;
  return [head, head.map(() => "---"), ...body].map((r) => `| ${r.join(" | ")} |`).join("\n");
}

export interface PlanSummary {
  readonly stack: string;
  readonly environment: string;
  readonly tier: string;
  readonly cluster: string;
  readonly modelsNamespace: string;
  readonly resourceCount: number;
  readonly kubernetesObjectCount: number;
  readonly helmReleaseCount: number;
  readonly dependencyDepth: number;
  readonly pools: readonly (readonly string[])[];
  readonly models: readonly (readonly string[])[];
  readonly totalGpusAtMaxScale: number;
  readonly addons: readonly (readonly string[])[];
  /** The monitoring stack, where Prometheus is queried, the dashboards and alerts shipped. */
  readonly monitoring: string;
  readonly endpoints: readonly (readonly string[])[];
  readonly curls: readonly string[];
  /** Who may call the gateway: tenant, credential, models, limits; only the header row without tenants. */
  readonly tenants: readonly (readonly string[])[];
  /** Base URL and header the tenants use; undefined without tenants. */
  readonly tenantAccess?: { readonly baseUrl: string; readonly header: string };
  readonly gatewayAddress: string;
  /** Prices, quotas and (with --compare) the monthly delta; absent when not computed. */
  readonly cost?: PlanCost;
}

const orAfterDeploy = (v: unknown): string => (v === undefined || v === null || v === "" ? AFTER_DEPLOY : String(v));
const fmt = (n: number, digits = 1) => n.toFixed(digits);

/** A pool's provisioner and fallback, e.g. `karpenter: reservation ≤2 → on-demand ≤4 → spot ≤2`. */
export function capacityOrder(capacity: GpuPoolDescriptor["capacity"]): string {
  return `${capacity.provisioner}: ${capacity.steps.map((s) => `${s.type} ≤${s.maxNodes}`).join(" → ")}`;
}

/** The figures of a plan, as rows ready for a terminal or a Markdown file. */
export function summarize(stack: string, resources: readonly RecordedResource[], outputs: ResolvedOutputs, cost?: PlanCost): PlanSummary {
  const pools = [
    ["pool", "GPU", "GPUs/node", "nodes", "capacity (in order, max nodes)", "GPU limit", "NVMe (GB)", "network (Gbps)"],
    ...outputs.gpuPools.map((p) => [
      p.name,
      p.gpuModel,
      String(p.gpusPerNode),
      `${p.minNodes}..${p.capacity.reachableNodes}`,
      capacityOrder(p.capacity),
      String(p.capacity.reachableNodes * p.gpusPerNode),
      p.nvme ? String(p.nvme.capacityGB) : "none",
      String(p.networkGbps),
    ]),
  ];
  const models = [
    ["model", "pool", "replicas", "scales on", "GPUs/replica", "GPUs", "weights (GiB)", "KV tokens/replica", "max-len seqs/replica", "weights from", "restore"],
    ...outputs.models.map((m) => [
      m.model,
      m.pool ?? "(simulator)",
      m.scaling.signal === "fixed" ? String(m.replicas) : `${m.scaling.minReplicas}..${m.scaling.maxReplicas}`,
      m.scaling.signal === "fixed" ? "fixed" : `${m.scaling.signal}; down after ${m.scaling.scaleDownAfterSeconds ?? 0} s`,
      String(m.gpusPerReplica),
      String(m.totalGpus),
      fmt(m.weightGiB),
      String(m.kvCacheTokensPerReplica),
      String(m.maxLengthSequencesPerReplica),
      m.cacheMode === "off" ? (m.pool ? "source (KServe download)" : "-") : `${m.cacheMode}: ${m.snapshot ?? ""}`,
      m.restore ? `${fmt(m.restore.seconds, 0)} s at ${fmt(m.restore.gbPerSecond, 2)} GB/s (${m.restore.target}, ${m.restore.bottleneck}-bound)` : "-",
    ]),
  ];
  const totalGpusAtMaxScale = outputs.gpuPools.reduce((sum, p) => sum + p.capacity.reachableNodes * p.gpusPerNode, 0);
  const addons = [["add-on", "chart", "version", "namespace"], ...outputs.addons.map((a) => [a.name, a.chart, a.version, a.namespace || "(cluster)"])];
  const endpoints = [
    ["model", "served as", "base URL", "from"],
    ...outputs.endpoints.map((e) => [e.model, e.servedModelName, e.baseUrl, e.source]),
  ];
  const tenants = [
    ["tenant", "credential", "models", "limits", "priority"],
    ...outputs.tenants.map((t) => [t.tenant, t.credential === "apiKey" ? `API key (${t.keyOutput ?? ""})` : "JWT", t.models.join(", "), t.limits, t.priority ?? "default (0)"]),
  ];
  const first = outputs.tenants[0];
  return {
    stack,
    environment: outputs.environment,
    tier: outputs.tier,
    cluster: orAfterDeploy(outputs.cluster),
    modelsNamespace: orAfterDeploy(outputs.modelsNamespace),
    resourceCount: resources.length,
    kubernetesObjectCount: resources.filter(isKubernetesObject).length,
    helmReleaseCount: resources.filter((r) => r.type === HELM_RELEASE).length,
    dependencyDepth: dependencyDepth(resources),
    pools,
    models,
    totalGpusAtMaxScale,
    addons,
    monitoring: monitoringLine(outputs.monitoring),
    endpoints,
    curls: outputs.endpoints.map((e) => e.curl),
    tenants,
    ...(first !== undefined ? { tenantAccess: { baseUrl: first.baseUrl, header: "Authorization: Bearer <API key or JWT>" } } : {}),
    gatewayAddress: orAfterDeploy(outputs.gatewayAddress),
    ...(cost !== undefined ? { cost } : {}),
  };
}

export function renderSummaryText(s: PlanSummary): string {
  return [
    `Plan for stack ${s.stack}: environment ${s.environment} (${s.tier}), cluster ${s.cluster}, models namespace ${s.modelsNamespace}`,
    `${s.resourceCount} resources, ${s.kubernetesObjectCount} Kubernetes objects, ${s.helmReleaseCount} Helm releases, dependency depth ${s.dependencyDepth}`,
    "",
    `GPU pools (${s.totalGpusAtMaxScale} GPUs at max scale):`,
    indent(table(s.pools)),
    "",
    "Models:",
    s.models.length > 1 ? indent(table(s.models)) : "  none",
    "",
    `Add-ons (dependency depth ${s.dependencyDepth}):`,
    s.addons.length > 1 ? indent(table(s.addons)) : "  none",
    "",
    `Monitoring: ${s.monitoring}`,
    "",
    `Endpoints (gateway address ${s.gatewayAddress}):`,
    s.endpoints.length > 1 ? indent(table(s.endpoints)) : "  none",
    ...s.curls.map((c) => `  ${c}`),
    "",
    ...tenantsText(s),
    ...(s.cost !== undefined ? costText(s.cost) : []),
  ].join("\n");
}

/** Tenants: with them the per-model paths refuse every request (401, or 403 with a credential) and tenants call one base URL with the model in the body. */
function tenantsText(s: PlanSummary): string[] {
  if (s.tenantAccess === undefined) {
    return ["Tenants: none (the gateway authenticates nobody)", ""];
  }
  return [
    `Tenants (${s.tenantAccess.baseUrl}, header ${s.tenantAccess.header}; the per-model paths above refuse requests: 401, 403 with a credential):`,
    indent(table(s.tenants)),
    "",
  ];
}

function costText(cost: PlanCost): string[] {
  const t = costTables(cost);
  return [
    `Cost: ${t.headline}`,
    ...t.diff.map((l) => `  ${l}`),
    indent(table(t.pools)),
    ...(t.models.length > 1 ? ["", indent(table(t.models))] : []),
    ...(t.fixed.length > 1 ? ["", indent(table(t.fixed))] : []),
    ...t.notes.map((n) => `  note: ${n}`),
    ...t.sources.map((src) => `  source: ${src}`),
    "",
    "Quotas needed at max scale:",
    t.quotas.length > 1 ? indent(table(t.quotas)) : "  none",
    "",
  ];
}

function costMarkdown(cost: PlanCost): string[] {
  const t = costTables(cost);
  return [
    "## Cost",
    "",
    t.headline,
    "",
    ...(t.diff.length > 0 ? [`**${t.diff[1]}**`, "", ...t.diff.slice(2).map((l) => `- ${l.trim()}`), "", `(${t.diff[0].replace(/:$/, "")})`, ""] : []),
    markdownTable(t.pools),
    "",
    ...(t.models.length > 1 ? [markdownTable(t.models), ""] : []),
    ...(t.fixed.length > 1 ? [markdownTable(t.fixed), ""] : []),
    ...t.notes.map((n) => `- note: ${n}`),
    ...t.sources.map((src) => `- source: ${src}`),
    "",
    "## Quotas needed at max scale",
    "",
    t.quotas.length > 1 ? markdownTable(t.quotas) : "none",
    "",
  ];
}

export function renderSummaryMarkdown(s: PlanSummary): string {
  return [
    `# Plan: ${s.stack}`,
    "",
    `Environment **${s.environment}** (${s.tier}), cluster ${s.cluster}, models namespace \`${s.modelsNamespace}\`.`,
    "",
    `${s.resourceCount} resources, ${s.kubernetesObjectCount} Kubernetes objects, ${s.helmReleaseCount} Helm releases; dependency depth ${s.dependencyDepth}.`,
    "",
    `## GPU pools (${s.totalGpusAtMaxScale} GPUs at max scale)`,
    "",
    markdownTable(s.pools),
    "",
    "## Models",
    "",
    s.models.length > 1 ? markdownTable(s.models) : "none",
    "",
    `## Add-ons (dependency depth ${s.dependencyDepth})`,
    "",
    s.addons.length > 1 ? markdownTable(s.addons) : "none",
    "",
    `Monitoring: ${s.monitoring}.`,
    "",
    `## Endpoints (gateway address ${s.gatewayAddress})`,
    "",
    s.endpoints.length > 1 ? markdownTable(s.endpoints) : "none",
    "",
    ...(s.curls.length > 0 ? ["```sh", ...s.curls, "```", ""] : []),
    "## Tenants",
    "",
    ...(s.tenantAccess === undefined
      ? ["none (the gateway authenticates nobody)", ""]
      : [`Base URL \`${s.tenantAccess.baseUrl}\`, header \`${s.tenantAccess.header}\`; the per-model paths above refuse requests: 401, 403 with a credential.`, "", markdownTable(s.tenants), ""]),
    ...(s.cost !== undefined ? costMarkdown(s.cost) : []),
  ].join("\n");
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => `  ${l}`)
    .join("\n");
}

/** Policy verdicts for the terminal: one line per violation, mandatory first. */
export function renderPolicyReport(report: PolicyReport, packFile: string): string {
  const order = { mandatory: 0, remediate: 1, advisory: 2, disabled: 3 } as const;
  const lines = [...report.violations]
    .sort((a, b) => order[a.enforcementLevel] - order[b.enforcementLevel] || a.policy.localeCompare(b.policy))
    .map((v) => `  [${v.enforcementLevel}] ${v.policy}${v.resource ? ` (${v.resource})` : ""}: ${v.message}`);
  const head = `Policies (${report.evaluated.length} evaluated with ${packFile}): ${report.mandatoryViolations} mandatory, ${report.violations.length - report.mandatoryViolations} other violation(s)`;
  return `${[head, ...lines].join("\n")}\n`;
}
