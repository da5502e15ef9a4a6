import * as os from "os";
import * as path from "path";
import { manifestStream, type TestApiServer } from "./api-server";
import { LocalProcess, waitFor } from "./local-process";
import { KWOK_NODE_ANNOTATION, SimulatedNode } from "./nodes";

// The rest of a cluster around the test API server: kube-controller-manager (Deployments,
// ReplicaSets and StatefulSets become pods; namespaces get their default ServiceAccount),
// kube-scheduler (binds pods to nodes by resources, selectors and taints) and kwok (plays the
// kubelet of every simulated node: nodes turn Ready, bound pods run and report Ready).
// Built by test/e2e/install-controllers.sh.

const CACHE = process.env.LLM_PLATFORM_E2E_CACHE ?? path.join(os.homedir(), ".cache", "llm-platform", "e2e");
export const KWOK_STAGES = path.join(CACHE, "kwok-stages.yaml");

/**
 * Controllers of kube-controller-manager the tier needs; the rest (cloud, IPAM, tokens) stay off.
 * nodelifecycle lifts the node.kubernetes.io/not-ready taint the API server puts on every new
 * node once kwok reports it Ready, as it does in a real cluster.
 */
const CONTROLLERS = ["deployment", "replicaset", "statefulset", "serviceaccount", "garbagecollector", "endpointslice", "endpoint", "nodelifecycle"];

export function startKubeControllers(api: TestApiServer): LocalProcess[] {
  const kubeconfig = api.kubeconfig;
  const manager = LocalProcess.start(api.dir, "kube-controller-manager", "kube-controller-manager", [
    `--kubeconfig=${kubeconfig}`,
    "--leader-elect=false",
    "--secure-port=0",
    `--controllers=${CONTROLLERS.join(",")}`,
    "--concurrent-deployment-syncs=10",
    // kwok renews the nodes' heartbeats; on a busy machine it can fall behind the default 50 s
    // grace, and the node lifecycle controller then marks every Pod NotReady, which kwok never
    // undoes. No test here fails a node through missed heartbeats.
    "--node-monitor-grace-period=1h",
  ]);
  const scheduler = LocalProcess.start(api.dir, "kube-scheduler", "kube-scheduler", [`--kubeconfig=${kubeconfig}`, "--leader-elect=false", "--secure-port=0"]);
  return [manager, scheduler];
}

export function startKwok(api: TestApiServer): LocalProcess {
  return LocalProcess.start(api.dir, "kwok", "kwok", [
    `--kubeconfig=${api.kubeconfig}`,
    `--config=${KWOK_STAGES}`,
    "--manage-all-nodes=false",
    `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
    "--cidr=10.244.0.0/16",
    "--node-ip=10.0.0.1",
  ]);
}

/**
 * Creates the nodes (POST keeps their status: capacity and allocatable; server-side apply would
 * drop it) and waits until kwok reports every one Ready.
 */
export async function createNodes(api: TestApiServer, nodes: readonly SimulatedNode[], watched: readonly LocalProcess[]): Promise<void> {
  const created = await api.kubectl(["create", "-f", "-"], manifestStream(nodes));
  if (created.code !== 0) {
    throw new Error(`the API server refused the simulated nodes:\n${created.stderr}`);
  }
  const names = nodes.map((n) => n.metadata.name);
  let notReady: string[] = names;
  await waitFor(
    `kwok and the node lifecycle controller: nodes Ready and schedulable (${names.length})`,
    60_000,
    async () => {
      const got = await api.kubectl(["get", "nodes", "-o", "json"]);
      if (got.code !== 0) {
        return undefined;
      }
      type Node = { metadata: { name: string }; spec?: { taints?: { key: string }[] }; status?: { conditions?: { type: string; status: string }[] } };
      const items = (JSON.parse(got.stdout) as { items: Node[] }).items;
      const schedulable = (n: Node) => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") && !n.spec?.taints?.some((t) => t.key.startsWith("node.kubernetes.io/"));
      const ready = new Set(items.filter(schedulable).map((n) => n.metadata.name));
      notReady = names.filter((n) => !ready.has(n));
      return notReady.length === 0 ? true : undefined;
    },
    watched,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; not Ready: ${notReady.join(", ")}`);
  });
}
