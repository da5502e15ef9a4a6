import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { KubernetesObject } from "../../automation/plan/render";
import { kubernetesObjects } from "../../automation/plan/render";
import { runPlan } from "../../automation/plan/run";
import {
  checkConditions,
  checkPlacement,
  checkPool,
  checkRoute,
  checkWorkload,
  formatProblem,
  KSERVE,
  LWS,
  ModelExpectation,
  podView,
  Problem,
  Workload,
} from "./harness/llmisvc-checks";
import { waitFor } from "./harness/local-process";
import { liveProcesses } from "./harness/processes";
import { NodeTaint } from "./harness/nodes";
import { SimulatedCluster } from "./harness/simulated-cluster";

// The serving path on the real controllers: every sample stack (and the small test stacks for
// what the samples lack) planned, its objects applied to an API server with KServe's llmisvc
// controller (its presets, its webhooks), LWS, kube-scheduler, kube-controller-manager and kwok
// nodes shaped like the stack's node pools; then what the controllers made of each model is
// checked: the final vLLM command line, GPUs, placement on the pool, the weight restore, probes,
// the preStop hook, the route to the right InferencePool and the endpoint plan exports.

const REPO = path.resolve(__dirname, "..", "..");
const SAMPLES = path.join(REPO, "stacks");
const TEST_STACKS = path.join(REPO, "test", "fixtures", "e2e-stacks");

type Json = Record<string, unknown>;
const get = (o: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((v, k) => (typeof v === "object" && v !== null ? (v as Json)[k] : undefined), o);

/** How long KServe, LWS, the controller manager, the scheduler and kwok get to settle a stack. */
const RECONCILE_TIMEOUT_MS = 240_000;

interface Outputs {
  gpuPools: { name: string; nodeSelector: Record<string, string>; taints: NodeTaint[] }[];
  models: { model: string; cacheMode: string }[];
  endpoints: { model: string; baseUrl: string }[];
}

/** What each model asks of the controllers, from the planned LLMInferenceService and the stack outputs. */
function expectation(o: KubernetesObject, outputs: Outputs): ModelExpectation & { routing: string } {
  const name = o.metadata.name ?? "";
  const namespace = o.metadata.namespace ?? "";
  const main = ((get(o, "spec", "template", "containers") ?? []) as Json[]).find((c) => c.name === "main") ?? {};
  const pool = (get(o, "metadata", "labels") as Record<string, string> | undefined)?.["llm-platform.io/pool"];
  const poolOut = outputs.gpuPools.find((p) => p.name === pool);
  const simulator = ((main.command ?? []) as string[]).some((c) => c.includes("llm-d-inference-sim"));
  const routing = (get(o, "metadata", "annotations") as Record<string, string> | undefined)?.["llm-platform.io/routing"] ?? "llm-d";
  const externalPool = get(o, "spec", "router", "scheduler", "pool", "ref", "name");
  const endpoint = outputs.endpoints.find((e) => e.model === name);
  if (endpoint === undefined) {
    throw new Error(`plan exports no endpoint for model ${name}`);
  }
  return {
    name,
    namespace,
    simulator,
    routing,
    platformArgs: ((main.args ?? []) as string[]).map(String),
    gpus: Number(get(main, "resources", "limits", "nvidia.com/gpu") ?? 0),
    nodeSelector: poolOut?.nodeSelector ?? {},
    taintKeys: (poolOut?.taints ?? []).map((t) => t.key),
    restore: (outputs.models.find((m) => m.model === name)?.cacheMode ?? "off") !== "off",
    inferencePool: typeof externalPool === "string" ? externalPool : `${name}-inference-pool`,
    // round-robin: no scheduler, so KServe routes to the workload Service (its naming, workload.go).
    ...(routing === "round-robin" ? { backend: { kind: "Service" as const, name: `${name}-kserve-workload-svc` } } : {}),
    endpointBaseUrl: endpoint.baseUrl,
  };
}

const ownedBy = (o: unknown, uid: string) => ((get(o, "metadata", "ownerReferences") ?? []) as Json[]).some((r) => r.uid === uid);

async function listJson(cluster: SimulatedCluster, resource: string, namespace?: string): Promise<Json[]> {
  const out = await cluster.api.kubectl(["get", resource, ...(namespace ? ["-n", namespace] : ["-A"]), "-o", "json"]);
  if (out.code !== 0) {
    throw new Error(`kubectl get ${resource}: ${out.stderr}`);
  }
  return (JSON.parse(out.stdout) as { items: Json[] }).items;
}

/** KServe's workloads of one model: its Deployments and LeaderWorkerSets' pod templates (not its scheduler's). */
function workloadsOf(uid: string, deployments: readonly Json[], lwss: readonly Json[]): Workload[] {
  const isWorkload = (o: unknown) => (get(o, "metadata", "labels") as Record<string, string> | undefined)?.["kserve.io/component"] === "workload";
  const id = (kind: string, o: unknown) => `${kind} ${String(get(o, "metadata", "namespace"))}/${String(get(o, "metadata", "name"))}`;
  const role = (o: unknown) => (get(o, "metadata", "labels") as Record<string, string> | undefined)?.["llm-d.ai/role"] ?? "workload";
  return [
    ...deployments.filter((d) => ownedBy(d, uid) && isWorkload(d)).map((d) => ({ object: id("Deployment", d), templatePath: "spec.template", template: get(d, "spec", "template"), role: role(d) })),
    ...lwss
      .filter((l) => ownedBy(l, uid))
      .flatMap((l) => [
        { object: id("LeaderWorkerSet", l), templatePath: "spec.leaderWorkerTemplate.leaderTemplate", template: get(l, "spec", "leaderWorkerTemplate", "leaderTemplate"), role: `${role(l)} leader` },
        { object: id("LeaderWorkerSet", l), templatePath: "spec.leaderWorkerTemplate.workerTemplate", template: get(l, "spec", "leaderWorkerTemplate", "workerTemplate"), role: `${role(l)} worker` },
      ])
      .filter((w) => w.template !== undefined),
  ];
}

/** Running, and not a zombie waiting to be reaped. */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

interface StackCase {
  readonly stack: string;
  readonly dir: string;
}

const cases: StackCase[] = [
  ...["local", "dev", "staging", "prod", "gke-prod"].map((stack) => ({ stack, dir: SAMPLES })),
  ...(fs.existsSync(TEST_STACKS) ? fs.readdirSync(TEST_STACKS).flatMap((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1] ?? []).map((stack) => ({ stack, dir: TEST_STACKS })) : []),
];

/** What the tier covered across stacks: routing modes, TP > 1, P/D, multi-node, LoRA, simulators. */
const covered = new Set<string>();

describe("the real controllers: KServe llmisvc and LWS on kwok GPU nodes", function () {
  this.timeout(RECONCILE_TIMEOUT_MS + 300_000);
  let cluster: SimulatedCluster | undefined;
  afterEach(async () => {
    const pids = cluster?.pids ?? [];
    await cluster?.stop();
    cluster = undefined;
    // Every controller, kwok, the API server and etcd of the stack are gone.
    assert.deepStrictEqual(pids.filter(running), [], "processes of the stack still running after stop()");
  });

  it("a stack the serving path cannot run on fails naming the missing release, and leaves no process behind", async () => {
    const run = await runPlan(SAMPLES, "local");
    assert.ok(run.ok);
    const resources = run.resources.filter((r) => !String((r.inputs as { chart?: unknown }).chart ?? "").endsWith("kserve-runtime-configs"));
    await assert.rejects(
      SimulatedCluster.start({ name: "local", resources, gpuPools: [] }),
      /stack local: plans no kserve-runtime-configs release, which the serving path needs/,
    );
    assert.deepStrictEqual(
      liveProcesses().map((p) => p.spawnfile),
      [],
      "etcd, the API server, the controller manager, the scheduler, kwok and KServe were started and must be stopped",
    );
  });

  for (const { stack, dir } of cases) {
    it(`${stack}: KServe reconciles every model onto its pool, routed as plan exports it`, async () => {
      const run = await runPlan(dir, stack);
      assert.ok(run.ok, run.ok ? "" : JSON.stringify(run.issues));
      const outputs = run.outputs as unknown as Outputs;
      cluster = await SimulatedCluster.start({ name: stack, resources: run.resources, gpuPools: outputs.gpuPools });
      const c = cluster;
      const planned = kubernetesObjects(run.resources).filter((o) => o.kind === "LLMInferenceService");
      const gateway = kubernetesObjects(run.resources).find((o) => o.kind === "Gateway");
      assert.ok(planned.length > 0 && gateway !== undefined, `${stack} plans LLMInferenceServices and a Gateway`);

      // Reconciled: KServe has observed the current generation and made a workload with pods
      // that are bound (or that the scheduler reports it cannot bind), and a route.
      // A stack that does not settle in time is still checked: the problems say what is missing.
      let settledIn: string | undefined;
      const started = Date.now();
      await waitFor(
        `${stack}: every LLMInferenceService reconciled`,
        RECONCILE_TIMEOUT_MS,
        async () => {
          const stored = await listJson(c, "llminferenceservices.serving.kserve.io");
          const pods = await listJson(c, "pods");
          const done = planned.every((p) => {
            const got = stored.find((l) => get(l, "metadata", "name") === p.metadata.name && get(l, "metadata", "namespace") === p.metadata.namespace);
            const observed = get(got, "status", "observedGeneration") === get(got, "metadata", "generation");
            const mine = pods.filter((pod) => (get(pod, "metadata", "labels") as Record<string, string> | undefined)?.["app.kubernetes.io/name"] === p.metadata.name);
            const views = mine.map(podView);
            const settled = views.length > 0 && views.every((v) => v.ready || v.unschedulable !== undefined);
            // KServe has seen its pods ready, or the scheduler has said why some cannot run.
            const workloads = ((get(got, "status", "conditions") ?? []) as Json[]).find((x) => x.type === "WorkloadsReady");
            const seen = workloads?.status === "True" || views.some((v) => v.unschedulable !== undefined);
            return observed && settled && seen;
          });
          return done ? true : undefined;
        },
        c.processes,
        3_000,
      ).then(
        () => (settledIn = `${Math.round((Date.now() - started) / 1000)} s`),
        (err: Error) => {
          if (c.processes.some((p) => p.exited)) {
            throw err;
          }
        },
      );

      const [stored, deployments, lwss, pods, routes, pools, nodes] = await Promise.all([
        listJson(c, "llminferenceservices.serving.kserve.io"),
        listJson(c, "deployments.apps"),
        c.lws ? listJson(c, "leaderworkersets.leaderworkerset.x-k8s.io") : Promise.resolve([]),
        listJson(c, "pods"),
        listJson(c, "httproutes.gateway.networking.k8s.io"),
        listJson(c, "inferencepools.inference.networking.k8s.io"),
        listJson(c, "nodes"),
      ]);
      if (process.env.LLM_PLATFORM_E2E_DUMP) {
        // What the controllers made, for a look after the run (the scratch directory is removed).
        fs.mkdirSync(process.env.LLM_PLATFORM_E2E_DUMP, { recursive: true });
        fs.writeFileSync(path.join(process.env.LLM_PLATFORM_E2E_DUMP, `${stack}.json`), JSON.stringify({ stored, deployments, lwss, pods, routes, pools, nodes }, null, 1));
      }
      const nodeLabels = new Map(nodes.map((n) => [String(get(n, "metadata", "name")), (get(n, "metadata", "labels") ?? {}) as Record<string, string>]));
      const problems: Problem[] = [];
      for (const p of planned) {
        const expect = expectation(p, outputs);
        const svc = stored.find((s) => get(s, "metadata", "name") === expect.name && get(s, "metadata", "namespace") === expect.namespace);
        const uid = String(get(svc, "metadata", "uid"));
        const workloads = workloadsOf(uid, deployments, lwss);
        if (workloads.length === 0) {
          problems.push({ object: `LLMInferenceService ${expect.namespace}/${expect.name}`, field: "spec.template", component: KSERVE, message: "KServe made no workload (Deployment or LeaderWorkerSet)" });
        }
        for (const w of workloads) {
          problems.push(...checkWorkload(w, expect));
          covered.add(`role:${w.role}`);
          if (w.object.startsWith("LeaderWorkerSet")) {
            covered.add("multi-node");
          }
        }
        const mine = pods.filter((pod) => {
          const labels = (get(pod, "metadata", "labels") ?? {}) as Record<string, string>;
          return labels["app.kubernetes.io/name"] === expect.name && labels["kserve.io/component"] === "workload";
        });
        problems.push(...checkPlacement(expect.namespace, mine.map(podView), nodeLabels, expect));
        problems.push(...checkRoute(routes.filter((r) => ownedBy(r, uid)), expect, { name: String(gateway?.metadata.name), namespace: String(gateway?.metadata.namespace) }));
        if (expect.backend === undefined) {
          const pool = pools.find((x) => get(x, "metadata", "name") === expect.inferencePool && get(x, "metadata", "namespace") === expect.namespace);
          const poolMaker = pool !== undefined && ownedBy(pool, uid) ? KSERVE : "llm-d router chart";
          problems.push(...checkPool(pool, mine.map((m) => (get(m, "metadata", "labels") ?? {}) as Record<string, string>), expect, poolMaker));
        }
        problems.push(...checkConditions(svc, ["PresetsCombined", "WorkloadsReady", "Ready"]));
        covered.add(`routing:${expect.routing}`);
        covered.add(expect.simulator ? "simulator" : `tp:${String((get(p, "spec", "parallelism", "tensor") as number | undefined) ?? 1)}`);
        if (get(p, "spec", "prefill") !== undefined) {
          covered.add("prefill-decode");
        }
        if (get(p, "spec", "model", "lora") !== undefined) {
          covered.add("lora");
        }
      }
      if (problems.length > 0) {
        const refused = c.controllerErrors("llmisvc-controller");
        const detail = `${settledIn === undefined ? `not settled within ${RECONCILE_TIMEOUT_MS / 1000} s; ` : ""}${KSERVE} reported:\n${refused.join("\n") || "(no errors)"}`;
        assert.deepStrictEqual(problems.map(formatProblem), [], `${stack}: what the controllers made differs from what the platform needs (${LWS} for multi-node)\n${detail}`);
      }
      console.log(`      (${stack}: ${planned.length} models, ${c.nodes.length} kwok nodes, settled in ${settledIn ?? "?"}, ${c.presets.length} presets, ${pods.length} pods${c.skipped.length > 0 ? `; not applied, no CRD here: ${c.skipped.join(", ")}` : ""})`);
    });
  }

  it("covers single-GPU, TP=4, P/D, multi-node, simulators and every routing mode", function () {
    if (covered.size === 0) {
      this.skip();
    }
    const wanted = ["tp:1", "tp:4", "prefill-decode", "multi-node", "lora", "simulator", "routing:llm-d", "routing:kserve", "routing:precise", "routing:round-robin"];
    assert.deepStrictEqual(
      wanted.filter((w) => !covered.has(w)),
      [],
      `covered: ${[...covered].sort().join(", ")}`,
    );
  });
});
