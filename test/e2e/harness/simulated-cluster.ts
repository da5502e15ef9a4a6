import * as fs from "fs";
import * as path from "path";
import type { KubernetesObject } from "../../../automation/plan/render";
import { kubernetesObjects } from "../../../automation/plan/render";
import type { RecordedResource } from "../../../automation/plan/recorder";
import { manifestStream, TestApiServer } from "./api-server";
import { describeRelease, PlannedRelease, plannedReleases } from "./charts";
import { chartDir, helmTemplate } from "./helm";
import { applyPresets, KserveController, startKserve } from "./kserve";
import { createNodes, startKubeControllers, startKwok } from "./kwok";
import { LocalProcess } from "./local-process";
import { startLws } from "./lws";
import { NodeTaint, nodePools, simulatedNodes, SimulatedNode } from "./nodes";
import { GKE_CRDS_DIR } from "../../harness/schema";

// One planned stack on a cluster that behaves like the real one as far as the serving path goes:
// the API server with the upstream CRDs, the core controllers and scheduler, kwok nodes shaped
// like the stack's node pools, KServe's llmisvc controller with the platform's presets and
// webhooks, LWS when a model spans nodes, the router releases, then the platform's own objects.

const REPO = path.resolve(__dirname, "..", "..", "..");
const CRDS = process.env.LLM_PLATFORM_CRDS_DIR ?? path.resolve(REPO, "..", "shared", "crds");

/** Kinds the plan renders whose CRDs are not among the upstream CRDs loaded here. */
export const NO_CRD_HERE = new Set(["cert-manager.io/v1 Certificate", "monitoring.coreos.com/v1 ServiceMonitor", "monitoring.coreos.com/v1 PodMonitor"]);
const kindOf = (o: { apiVersion: string; kind: string }) => `${o.apiVersion} ${o.kind}`;

/** Charts whose CRDs (templates, not ../shared/crds) the platform's own objects are instances of. */
const CRD_CHARTS: readonly string[] = ["keda", "karpenter-crd", "gateway-crds-helm", "ai-gateway-crds-helm", "kube-prometheus-stack"];

/** The Helm chart a release installs, by chart name; undefined when the stack has none. */
export function releaseOf(releases: readonly PlannedRelease[], chart: string): PlannedRelease | undefined {
  return releases.find((r) => r.chart === chart);
}

/**
 * GatewayClasses the cloud provides with the cluster. GKE with gatewayApiConfig installs its own
 * classes (controller networking.gke.io/gateway); KServe looks up the class of every Gateway its
 * routes attach to, so the simulated GKE cluster has them as the real one does.
 */
export function cloudGatewayClasses(resources: readonly RecordedResource[]): KubernetesObject[] {
  const gke = resources.some((r) => r.type === "gcp:container/cluster:Cluster" && ![undefined, "CHANNEL_DISABLED"].includes((r.inputs as { gatewayApiConfig?: { channel?: string } }).gatewayApiConfig?.channel));
  if (!gke) {
    return [];
  }
  return ["gke-l7-global-external-managed", "gke-l7-regional-external-managed", "gke-l7-rilb", "gke-l7-gxlb"].map((name) => ({
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "GatewayClass",
    metadata: { name },
    spec: { controllerName: "networking.gke.io/gateway" },
  }));
}

export interface PlannedStack {
  readonly name: string;
  readonly resources: readonly RecordedResource[];
  /** The platform's GPU pools as the stack outputs them (for an existing cluster's taints). */
  readonly gpuPools: readonly { readonly name: string; readonly taints: readonly NodeTaint[] }[];
}

export class SimulatedCluster {
  readonly processes: LocalProcess[] = [];
  nodes: SimulatedNode[] = [];
  kserve?: KserveController;
  lws?: LocalProcess;
  /** Objects of the platform applied (after CRD-less kinds are left out). */
  applied: KubernetesObject[] = [];
  /** Objects the router releases rendered and the tier applied. */
  routerObjects: KubernetesObject[] = [];
  presets: string[] = [];
  /** Rendered objects left out because no CRD of theirs is served here. */
  skipped: string[] = [];
  kubeVersion = "";

  private constructor(readonly api: TestApiServer) {}

  static async start(stack: PlannedStack): Promise<SimulatedCluster> {
    const cluster = new SimulatedCluster(await TestApiServer.start());
    try {
      await cluster.boot(stack);
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  private async kubectlOrThrow(args: string[], what: string, input?: string): Promise<string> {
    const out = await this.api.kubectl(args, input);
    if (out.code !== 0) {
      throw new Error(`${what}:\n${out.stderr}`);
    }
    return out.stdout;
  }

  private async render(release: PlannedRelease): Promise<KubernetesObject[]> {
    const work = path.join(this.api.dir, "helm");
    fs.mkdirSync(work, { recursive: true });
    const out = await helmTemplate(release, chartDir(release), this.kubeVersion, work);
    if (!out.ok) {
      throw new Error(`${describeRelease(release)}: helm template failed:\n${out.error}`);
    }
    return out.objects;
  }

  private async boot(stack: PlannedStack): Promise<void> {
    // With the ComputeClass schema GKE serves (transcribed, test/fixtures/gke-crds): GKE stacks' GPU pools create ComputeClasses.
    const crds = [CRDS, GKE_CRDS_DIR].flatMap((dir) => fs.readdirSync(dir).filter((f) => f.endsWith(".yaml")).map((f) => path.join(dir, f)));
    await this.kubectlOrThrow(["apply", "--server-side", "--field-manager=llm-platform-e2e", ...crds.flatMap((f) => ["-f", f])], "upstream CRDs");
    await this.api.waitForCrds();
    const version = JSON.parse(await this.kubectlOrThrow(["version", "-o", "json"], "kubectl version")) as { serverVersion: { gitVersion: string } };
    this.kubeVersion = version.serverVersion.gitVersion;
    // The CRDs of KEDA, Karpenter, Envoy Gateway, the AI Gateway and the Prometheus operator as
    // their charts render them, when the stack installs them: the autoscaled models'
    // ScaledObjects, the GPU pools' NodePools/EC2NodeClasses, the tenants' policies and AI routes
    // and the monitoring add-on's PrometheusRule are of those kinds.
    for (const release of plannedReleases(stack.resources).filter((r) => CRD_CHARTS.includes(r.chart))) {
      const crds = (await this.render(release)).filter((o) => o.kind === "CustomResourceDefinition");
      await this.kubectlOrThrow(["apply", "--server-side", "--field-manager=llm-platform-e2e", "-f", "-"], `${describeRelease(release)}: its CRDs`, manifestStream(crds));
      await this.api.waitForCrds();
    }

    this.processes.push(...startKubeControllers(this.api), startKwok(this.api));
    const taints = Object.fromEntries(stack.gpuPools.map((p) => [p.name, p.taints]));
    this.nodes = simulatedNodes(nodePools(stack.resources, taints));
    await createNodes(this.api, this.nodes, this.processes);

    const releases = plannedReleases(stack.resources);
    const need = (chart: string) => {
      const r = releaseOf(releases, chart);
      if (r === undefined) {
        throw new Error(`stack ${stack.name}: plans no ${chart} release, which the serving path needs`);
      }
      return r;
    };
    this.kserve = await startKserve(this.api, await this.render(need("kserve-llmisvc-resources")));
    this.processes.push(this.kserve.process);
    this.presets = await applyPresets(this.api, await this.render(need("kserve-runtime-configs")), this.kserve);

    const provided = cloudGatewayClasses(stack.resources);
    if (provided.length > 0) {
      await this.kubectlOrThrow(["apply", "--server-side", "--field-manager=cloud", "-f", "-"], "the cloud's GatewayClasses", manifestStream(provided));
    }
    const lwsRelease = releaseOf(releases, "lws");
    if (lwsRelease !== undefined) {
      await this.kubectlOrThrow(["create", "namespace", lwsRelease.namespace], `namespace ${lwsRelease.namespace}`);
      this.lws = await startLws(this.api, await this.render(lwsRelease));
      this.processes.push(this.lws);
    }
    this.applied = await this.applyStack(stack, lwsRelease?.namespace);
  }

  /**
   * What `up` creates of a stack's Kubernetes objects once the cluster's controllers run: the
   * namespaces first (the charts' own, then the platform's), as the charts run before the objects,
   * then each model's router release as rendered, then the rest. Also for a second stack on the
   * same cluster (a project made from the model template). Returns the platform's objects applied.
   */
  async applyStack(stack: Pick<PlannedStack, "name" | "resources">, skipNamespace?: string): Promise<KubernetesObject[]> {
    const releases = plannedReleases(stack.resources);
    const objects = kubernetesObjects(stack.resources).filter((o) => !NO_CRD_HERE.has(kindOf(o)));
    const declared = new Set(objects.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name));
    const routers = releases.filter((r) => r.chart === "llm-d-router-gateway");
    const needed = [...new Set([...objects.flatMap((o) => (o.metadata.namespace ? [o.metadata.namespace] : [])), ...routers.map((r) => r.namespace)])].filter(
      (n) => !declared.has(n) && n !== "kserve" && n !== skipNamespace,
    );
    const namespaces = [...needed.map((name) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } })), ...objects.filter((o) => o.kind === "Namespace")];
    const apply = ["apply", "--server-side", "--force-conflicts", `--field-manager=llm-platform-${stack.name}`, "-f", "-"];
    await this.kubectlOrThrow(apply, `stack ${stack.name}: namespaces`, manifestStream(namespaces));
    // Kinds of other controllers the tier does not run (GKE's policies, Google's PodMonitoring)
    // have no CRD here: those objects are left out and listed in skipped.
    const served = new Set((await this.kubectlOrThrow(["api-versions"], "kubectl api-versions")).split("\n").map((l) => l.trim()));
    for (const router of routers) {
      const all = (await this.render(router)).map((o) => ({ ...o, metadata: { ...o.metadata, namespace: o.metadata.namespace ?? router.namespace } }));
      const rendered = all.filter((o) => served.has(o.apiVersion));
      this.skipped.push(...all.filter((o) => !served.has(o.apiVersion)).map((o) => `${o.kind} ${o.metadata.name ?? ""}`));
      this.routerObjects.push(...rendered);
      await this.kubectlOrThrow(apply, `${describeRelease(router)}: its rendered objects`, manifestStream(rendered));
    }
    const rest = objects.filter((o) => o.kind !== "Namespace");
    const out = await this.api.kubectl(apply, manifestStream(rest));
    if (out.code !== 0) {
      throw new Error(`stack ${stack.name}: the platform's objects were refused (KServe's webhooks validate every LLMInferenceService):\n${out.stderr}`);
    }
    return rest;
  }

  /** Every live process of the tier for this stack (controllers, kwok, etcd, API server). */
  get pids(): number[] {
    return [...this.processes.flatMap((p) => (p.child.pid === undefined ? [] : [p.child.pid])), ...this.api.pids];
  }

  /** Controllers first, then kwok, then the API server and etcd; removes the scratch directory. */
  async stop(): Promise<void> {
    for (const p of [...this.processes].reverse()) {
      await p.stop();
    }
    await this.api.stop();
  }

  /**
   * The distinct errors a controller logged (controller-runtime's JSON lines): the object it names
   * and the error, without stack traces, so a failure says which component refused what.
   */
  controllerErrors(component: string, max = 10): string[] {
    const lines = this.processes.find((p) => p.name === component)?.grep(/"level":"error"/, 500) ?? [];
    const seen = new Set<string>();
    for (const line of lines) {
      try {
        const entry = JSON.parse(line) as { msg?: string; error?: string; namespace?: string; name?: string };
        seen.add(`${entry.namespace ?? ""}/${entry.name ?? ""}: ${entry.error ?? entry.msg ?? ""}`);
      } catch {
        seen.add(line.slice(0, 500));
      }
    }
    return [...seen].slice(-max);
  }
}
