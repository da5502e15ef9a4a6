import * as assert from "assert";
import type { RecordedResource } from "../../automation/plan/recorder";
import type { KubernetesObject } from "../../automation/plan/render";
import {
  checkConditions,
  checkPlacement,
  checkPool,
  checkRoute,
  checkWorkload,
  commandLine,
  formatProblem,
  ModelExpectation,
  resolvePath,
  startupBudgetSeconds,
  Workload,
} from "./harness/llmisvc-checks";
import { kubernetesTaints, nodePools, simulatedNodes } from "./harness/nodes";
import { webhooksByUrl } from "./harness/webhooks";

// The pure parts of the controller tier (test/e2e/controllers.e2e.ts): the simulated nodes, the
// webhook registration by URL, and the checks of what KServe made, on hand-made objects.

const rec = (type: string, name: string, inputs: Record<string, unknown>): RecordedResource => ({ type, name, inputs }) as unknown as RecordedResource;
const platform = (pools: object[]) => rec("llm-platform:index:LlmPlatform", "p", { facts: { pools } });
const h100 = { name: "h100", gpuModel: "H100-80GB", gpusPerNode: 8, minNodes: 2, maxNodes: 4, nvmeBytes: 6e12, nodeLabels: { "llm-platform.io/pool": "h100" } };

describe("controller tier: simulated nodes", () => {
  it("GKE: a GPU pool's nodes carry its labels, GKE's labels and GPU taint, GPU capacity and the NVMe as ephemeral storage", () => {
    const pools = nodePools([
      platform([h100]),
      rec("gcp:container/nodePool:NodePool", "sys", { name: "system", initialNodeCount: 1, autoscaling: { totalMinNodeCount: 1, totalMaxNodeCount: 3 }, nodeConfig: { labels: { "llm-platform.io/system": "true" }, taints: [] } }),
      rec("gcp:container/nodePool:NodePool", "gpu", {
        name: "gpu-h100",
        autoscaling: { totalMinNodeCount: 2, totalMaxNodeCount: 4 },
        nodeConfig: { labels: { "llm-platform.io/pool": "h100" }, guestAccelerators: [{ type: "nvidia-h100-80gb", count: 8 }], taints: [] },
      }),
    ]);
    const nodes = simulatedNodes(pools);
    const gpu = nodes.filter((n) => n.metadata.labels["llm-platform.io/pool"] === "h100");
    assert.strictEqual(gpu.length, 4, "the pool's maximum");
    assert.deepStrictEqual(gpu[0].spec.taints, [{ key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" }]);
    assert.strictEqual(gpu[0].metadata.labels["nvidia.com/gpu.product"], "NVIDIA-H100-80GB-HBM3");
    assert.strictEqual(gpu[0].metadata.labels["cloud.google.com/gke-accelerator"], "nvidia-h100-80gb");
    assert.strictEqual(gpu[0].metadata.labels["cloud.google.com/gke-nodepool"], "gpu-h100");
    assert.strictEqual(gpu[0].status.allocatable["nvidia.com/gpu"], "8");
    assert.strictEqual(gpu[0].status.capacity["ephemeral-storage"], "6000000000000");
    assert.strictEqual(gpu[0].metadata.annotations["kwok.x-k8s.io/node"], "fake");
    const system = nodes.filter((n) => n.metadata.labels["llm-platform.io/system"] === "true");
    assert.deepStrictEqual([system.length, system[0].spec.taints, system[0].status.allocatable["nvidia.com/gpu"]], [1, [], undefined]);
  });

  it("EKS: a node group's taints in the EKS spelling become Kubernetes taints; the node group label is added", () => {
    const pools = nodePools([
      platform([{ ...h100, name: "l4", gpuModel: "L4", gpusPerNode: 1, minNodes: 1, maxNodes: 2, nvmeBytes: 0, nodeLabels: { "llm-platform.io/pool": "l4" } }]),
      rec("eks:index:ManagedNodeGroup", "l4", { nodeGroupName: "gpu-l4", labels: { "llm-platform.io/pool": "l4" }, taints: [{ key: "nvidia.com/gpu", value: "true", effect: "NO_SCHEDULE" }], scalingConfig: { minSize: 1, maxSize: 2 } }),
    ]);
    const [gpu] = simulatedNodes(pools);
    assert.deepStrictEqual(gpu.spec.taints, [{ key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" }]);
    assert.strictEqual(gpu.metadata.labels["eks.amazonaws.com/nodegroup"], "gpu-l4");
    assert.strictEqual(gpu.status.capacity["ephemeral-storage"], "200000000000", "the root disk when the pool has no NVMe for weights");
    assert.ok(simulatedNodes(pools).some((n) => n.metadata.name.startsWith("system")), "CPU nodes for the controllers and simulators");
  });

  it("an existing cluster: GPU pools from the platform's facts with the configured taints, plus CPU nodes", () => {
    const nodes = simulatedNodes(nodePools([platform([h100])], { h100: [{ key: "nvidia.com/gpu", effect: "NoSchedule" }] }));
    assert.deepStrictEqual(
      nodes.map((n) => [n.metadata.name, n.spec.taints.length]),
      [["h100-0", 1], ["h100-1", 1], ["h100-2", 1], ["h100-3", 1], ["system-0", 0], ["system-1", 0]],
    );
  });

  it("refuses a GPU pool no cloud pool selects, a taint with an unknown effect, and a plan without the platform's facts", () => {
    assert.throws(
      () => nodePools([platform([h100]), rec("gcp:container/nodePool:NodePool", "x", { name: "other", nodeConfig: { labels: { "llm-platform.io/pool": "a100" } } })]),
      /GPU pool h100: no node group or node pool of the plan carries its labels/,
    );
    assert.throws(() => kubernetesTaints([{ key: "k", effect: "SOMETIMES" }], "pool x"), /pool x\.taints\[0\]: not a taint a node can carry/);
    assert.throws(() => nodePools([platform([h100])]), /GPU pool h100: no configured taints given/);
    assert.throws(() => nodePools([]), /no llm-platform:index:LlmPlatform with facts/);
  });
});

describe("controller tier: webhooks by URL", () => {
  const chart: KubernetesObject[] = [
    { apiVersion: "v1", kind: "Service", metadata: { name: "svc" } },
    {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingWebhookConfiguration",
      metadata: { name: "v", annotations: { "cert-manager.io/inject-ca-from": "kserve/cert", keep: "me" } },
      webhooks: [{ name: "a", clientConfig: { service: { name: "svc", namespace: "kserve", path: "/validate-x" } } }],
    },
  ];

  it("points each webhook at the local server with the CA and drops the CA-injection annotation", () => {
    const [hook] = webhooksByUrl(chart, 9443, "PEM", "chart x") as unknown as { metadata: { annotations: object }; webhooks: { clientConfig: object }[] }[];
    assert.deepStrictEqual(hook.webhooks[0].clientConfig, { url: "https://127.0.0.1:9443/validate-x", caBundle: Buffer.from("PEM").toString("base64") });
    assert.deepStrictEqual(hook.metadata.annotations, { keep: "me" });
  });

  it("refuses a chart without webhooks and a webhook without a service path", () => {
    assert.throws(() => webhooksByUrl([chart[0]], 1, "", "chart x"), /chart x: renders no webhook configuration/);
    const noPath = { ...chart[1], webhooks: [{ name: "a", clientConfig: { url: "https://elsewhere" } }] };
    assert.throws(() => webhooksByUrl([noPath], 1, "", "chart x"), /webhook a has no service path/);
  });
});

// KServe v0.20.0's preset main container, abridged to its exec line.
const PRESET_COMMAND = ["/bin/bash", "-c", 'ACCESS_LOG_ARGS="--x"\neval "exec vllm serve /mnt/models \\\n  --served-model-name "m" "publishers/ns/models/m" \\\n  --port 8000 \\\n  ${ACCESS_LOG_ARGS} \\\n  --tensor-parallel-size 4 \\\n  ${VLLM_ADDITIONAL_ARGS} \\\n  $@"', "--"];

const expectation: ModelExpectation = {
  name: "m",
  namespace: "ns",
  simulator: false,
  platformArgs: ["--max-model-len=4096", "--block-size=64"],
  gpus: 4,
  nodeSelector: { "llm-platform.io/pool": "h100" },
  taintKeys: ["nvidia.com/gpu"],
  restore: true,
  inferencePool: "m-router",
  endpointBaseUrl: "http://<gateway-address>/ns/m/v1",
};

function template(overrides: { args?: string[]; command?: string[]; lifecycle?: object; startupProbe?: object; gpus?: string; readOnly?: boolean; nodeSelector?: object } = {}) {
  return {
    spec: {
      nodeSelector: overrides.nodeSelector ?? { "llm-platform.io/pool": "h100" },
      tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
      initContainers: [{ name: "restore-weights" }],
      volumes: [{ name: "w", hostPath: { path: "/nvme/m" } }],
      containers: [
        {
          name: "main",
          command: overrides.command ?? PRESET_COMMAND,
          args: overrides.args ?? ["--max-model-len=4096", "--block-size=64"],
          resources: { limits: { "nvidia.com/gpu": overrides.gpus ?? "4" } },
          startupProbe: overrides.startupProbe ?? { failureThreshold: 60, periodSeconds: 10 },
          volumeMounts: [{ name: "w", mountPath: "/mnt/models", readOnly: overrides.readOnly ?? true }],
          ...(overrides.lifecycle ? { lifecycle: overrides.lifecycle } : {}),
        },
      ],
    },
  };
}
const workload = (t: unknown): Workload => ({ object: "Deployment ns/m-kserve", templatePath: "spec.template", template: t, role: "both" });

describe("controller tier: checks of KServe's workloads", () => {
  it("reads the final command line of KServe's preset: the exec line's flags, then the args", () => {
    const line = commandLine(template().spec.containers[0]);
    assert.strictEqual(line.program, "vllm serve");
    assert.strictEqual(line.model, "/mnt/models");
    assert.deepStrictEqual(line.flags, ["--served-model-name=m publishers/ns/models/m", "--port=8000", "--tensor-parallel-size=4", "--max-model-len=4096", "--block-size=64"]);
    assert.deepStrictEqual(commandLine({ command: ["/app/sim"], args: ["--port=8000", "--model", "x"] }), { program: "/app/sim", flags: ["--port=8000", "--model=x"] });
  });

  it("passes a workload that has everything", () => {
    assert.deepStrictEqual(checkWorkload(workload(template()), expectation).map(formatProblem), []);
  });

  it("reports a flag given twice, a lost platform flag, wrong GPUs, a missing selector, a short startup budget and a writable mount", () => {
    const problems = checkWorkload(
      workload(template({ args: ["--max-model-len=4096", "--port=8001"], gpus: "2", nodeSelector: {}, startupProbe: { failureThreshold: 30, periodSeconds: 10 }, readOnly: false })),
      expectation,
    ).map(formatProblem);
    assert.deepStrictEqual(problems, [
      "Deployment ns/m-kserve spec.template.spec.containers[0].args: --port appears 2 times on the final command line (vllm serve --served-model-name=m publishers/ns/models/m --port=8000 --tensor-parallel-size=4 --max-model-len=4096 --port=8001) [KServe llmisvc controller v0.20.0]",
      "Deployment ns/m-kserve spec.template.spec.containers[0].args: the platform's --block-size=64 did not reach the command line (--served-model-name=m publishers/ns/models/m --port=8000 --tensor-parallel-size=4 --max-model-len=4096 --port=8001) [KServe llmisvc controller v0.20.0]",
      'Deployment ns/m-kserve spec.template.spec.containers[0].resources.limits["nvidia.com/gpu"]: is 2, the model needs 4 [KServe llmisvc controller v0.20.0]',
      'Deployment ns/m-kserve spec.template.spec.nodeSelector["llm-platform.io/pool"]: is unset, the pool\'s nodes carry h100 [KServe llmisvc controller v0.20.0]',
      "Deployment ns/m-kserve spec.template.spec.containers[0].startupProbe: allows 300 s before a restart; KServe's preset allows 600 s and vLLM needs at least that [KServe llmisvc controller v0.20.0]",
      'Deployment ns/m-kserve spec.template.spec.containers[0].volumeMounts: /mnt/models is not a read-only mount of a host path (mount {"name":"w","mountPath":"/mnt/models","readOnly":false}, volume {"name":"w","hostPath":{"path":"/nvme/m"}}) [KServe llmisvc controller v0.20.0]',
    ]);
  });

  it("reports a simulator's preStop hook that execs a binary its image lacks, and a model path other than /mnt/models", () => {
    const sim = { ...expectation, simulator: true, gpus: 0, restore: false, nodeSelector: {}, taintKeys: [], platformArgs: [] };
    const t = template({ command: ["/app/llm-d-inference-sim"], args: [], gpus: undefined, lifecycle: { preStop: { exec: { command: ["/bin/sleep", "15"] } } } });
    delete (t.spec.containers[0].resources.limits as Record<string, string>)["nvidia.com/gpu"];
    assert.deepStrictEqual(checkWorkload(workload(t), sim).map((p) => p.field), ["spec.template.spec.containers[0].lifecycle.preStop.exec.command"]);
    const own = template({ command: ["/app/llm-d-inference-sim"], args: [], lifecycle: { preStop: { exec: { command: ["/app/llm-d-inference-sim", "--help"] } } } });
    delete (own.spec.containers[0].resources.limits as Record<string, string>)["nvidia.com/gpu"];
    assert.deepStrictEqual(checkWorkload(workload(own), sim), []);
    const elsewhere = template({ command: ["/bin/bash", "-c", 'exec vllm serve /models/x --port 8000 $@', "--"] });
    assert.match(formatProblem(checkWorkload(workload(elsewhere), expectation)[0]), /vLLM serves \/models\/x, not \/mnt\/models/);
  });

  it("budgets the startup probe as initial delay + failures x period", () => {
    assert.strictEqual(startupBudgetSeconds({ initialDelaySeconds: 30, failureThreshold: 60, periodSeconds: 10 }), 630);
    assert.strictEqual(startupBudgetSeconds({}), 30, "Kubernetes defaults: 3 x 10 s");
    assert.strictEqual(startupBudgetSeconds(undefined), undefined);
  });
});

describe("controller tier: checks of placement, routes, pools and conditions", () => {
  const labels = new Map<string, Record<string, string>>([
    ["h100-0", { "llm-platform.io/pool": "h100", "nvidia.com/gpu.present": "true" }],
    ["system-0", {}],
  ]);

  it("reports a pod off its pool, a Pending pod with the scheduler's reason, a pod not Ready, and a model without pods", () => {
    const problems = checkPlacement(
      "ns",
      [
        { name: "a", nodeName: "h100-0", ready: true },
        { name: "b", nodeName: "system-0", ready: true },
        { name: "c", ready: false, unschedulable: "Unschedulable: 0/3 nodes are available: 3 Insufficient nvidia.com/gpu." },
        { name: "d", nodeName: "h100-0", ready: false, phase: "Pending" },
      ],
      labels,
      expectation,
    ).map(formatProblem);
    assert.deepStrictEqual(problems, [
      "Pod ns/b spec.nodeName: bound to system-0, which is not in the pool (llm-platform.io/pool=unset) [kube-scheduler v1.33.13]",
      "Pod ns/c spec.nodeName: Pending, not scheduled: Unschedulable: 0/3 nodes are available: 3 Insufficient nvidia.com/gpu. [kube-scheduler v1.33.13]",
      "Pod ns/d status.conditions[Ready]: bound to h100-0 but not Ready (phase Pending) [kwok]",
    ]);
    assert.match(formatProblem(checkPlacement("ns", [], labels, expectation)[0]), /no pod of the model exists/);
    const sim = { ...expectation, gpus: 0, nodeSelector: {} };
    assert.match(formatProblem(checkPlacement("ns", [{ name: "s", nodeName: "h100-0", ready: true }], labels, sim)[0]), /a simulator landed on GPU node h100-0/);
  });

  const route = (prefix: string, replace: string, backend = { group: "inference.networking.k8s.io", kind: "InferencePool", name: "m-router" }) => ({
    metadata: { name: "m-kserve-route", namespace: "ns" },
    spec: {
      parentRefs: [{ name: "gw", namespace: "gwns" }],
      rules: [
        { name: "chat", matches: [{ path: { type: "PathPrefix", value: `${prefix}/v1/chat/completions` } }], filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: `${replace}/chat/completions` } } }], backendRefs: [backend] },
        { name: "completions", matches: [{ path: { type: "PathPrefix", value: `${prefix}/v1/completions` } }], filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: `${replace}/completions` } } }], backendRefs: [backend] },
        { name: "catch-all", matches: [{ path: { type: "PathPrefix", value: prefix } }], filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/" } } }], backendRefs: [{ kind: "Service", name: "m-kserve-workload-svc" }] },
      ],
    },
  });
  const gw = { name: "gw", namespace: "gwns" };

  it("resolves a path by the longest prefix and applies its rewrite", () => {
    assert.deepStrictEqual(resolvePath(route("/ns/m", "/v1"), "/ns/m/v1/chat/completions"), { rule: "chat", rewrittenPath: "/v1/chat/completions", backend: { kind: "InferencePool", name: "m-router" } });
    assert.deepStrictEqual(resolvePath(route("/ns/m", "/v1"), "/ns/m/health"), { rule: "catch-all", rewrittenPath: "/health", backend: { kind: "Service", name: "m-kserve-workload-svc" } });
    assert.strictEqual(resolvePath(route("/ns/m", "/v1"), "/ns/other/v1"), undefined);
  });

  it("passes the route to the right pool with the /<namespace>/<model>/v1 rewrite, and reports a wrong rewrite, pool, gateway or path", () => {
    assert.deepStrictEqual(checkRoute([route("/ns/m", "/v1")], expectation, gw), []);
    const wrong = checkRoute([route("/ns/m", "/v2", { group: "", kind: "Service", name: "x" })], expectation, { name: "other", namespace: "gwns" }).map(formatProblem);
    assert.ok(wrong.some((p) => /\/ns\/m\/v1\/chat\/completions is rewritten to \/v2\/chat\/completions, not \/v1\/chat\/completions/.test(p)), wrong.join("\n"));
    assert.ok(wrong.some((p) => /goes to Service x, not InferencePool m-router/.test(p)), wrong.join("\n"));
    assert.ok(wrong.some((p) => /spec.parentRefs: not attached to Gateway gwns\/other/.test(p)), wrong.join("\n"));
    assert.match(checkRoute([route("/other/m", "/v1")], expectation, gw).map(formatProblem).join("\n"), /no rule matches \/ns\/m\/v1\/chat\/completions, the path of the endpoint plan exports/);
    assert.match(formatProblem(checkRoute([], expectation, gw)[0]), /KServe made no HTTPRoute/);
    const roundRobin = { ...expectation, backend: { kind: "Service" as const, name: "m-kserve-workload-svc" } };
    assert.deepStrictEqual(checkRoute([route("/ns/m", "/v1", { group: "", kind: "Service", name: "m-kserve-workload-svc" })], roundRobin, gw), []);
    assert.match(checkRoute([route("/ns/m", "/v1")], roundRobin, gw).map(formatProblem).join("\n"), /goes to InferencePool m-router, not Service m-kserve-workload-svc/);
  });

  it("reports a pool that selects none of the model's pods, misses port 8000, or does not exist", () => {
    const pool = { spec: { selector: { matchLabels: { "app.kubernetes.io/name": "m" } }, targetPorts: [{ number: 8000 }] } };
    assert.deepStrictEqual(checkPool(pool, [{ "app.kubernetes.io/name": "m" }], expectation, "c"), []);
    assert.deepStrictEqual(
      checkPool({ spec: { selector: { matchLabels: { "app.kubernetes.io/name": "x" } }, targetPorts: [{ number: 8080 }] } }, [{ "app.kubernetes.io/name": "m" }], expectation, "c").map((p) => p.field),
      ["spec.selector.matchLabels", "spec.targetPorts"],
    );
    assert.match(formatProblem(checkPool(undefined, [], expectation, "llm-d router chart")[0]), /InferencePool ns\/m-router \(object\): does not exist \[llm-d router chart\]/);
  });

  it("reports conditions that are missing or not True, with KServe's reason, except those waiting for a gateway controller", () => {
    const svc = {
      metadata: { name: "m", namespace: "ns" },
      status: {
        conditions: [
          { type: "PresetsCombined", status: "True" },
          { type: "WorkloadsReady", status: "False", reason: "MinimumReplicasUnavailable", message: "0/2" },
          { type: "GatewaysReady", status: "False", reason: "GatewaysNotReady" },
          { type: "HTTPRoutesReady", status: "False", reason: "HTTPRouteReconcileError", message: "GatewayClass x not found" },
        ],
      },
    };
    assert.deepStrictEqual(checkConditions(svc, ["PresetsCombined", "WorkloadsReady", "Ready"]).map(formatProblem), [
      "LLMInferenceService ns/m status.conditions[Ready]: missing [KServe llmisvc controller v0.20.0]",
      "LLMInferenceService ns/m status.conditions[WorkloadsReady]: False: MinimumReplicasUnavailable 0/2 [KServe llmisvc controller v0.20.0]",
      "LLMInferenceService ns/m status.conditions[HTTPRoutesReady]: False: HTTPRouteReconcileError GatewayClass x not found [KServe llmisvc controller v0.20.0]",
    ]);
  });
});
