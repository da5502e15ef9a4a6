import * as assert from "assert";
import * as path from "path";
import { kubernetesObjects, KubernetesObject } from "../../automation/plan/render";
import { runPlan } from "../../automation/plan/run";
import { manifestStream, TestApiServer } from "./harness/api-server";
import { LocalProcess, waitFor } from "./harness/local-process";

// The models namespace's admission policy (components/security.ts) as the prod stack renders it,
// on a real API server with kube-controller-manager creating the pods: a serving workload (a
// Deployment, whose ReplicaSet creates the pods) cannot run as the seeder's ServiceAccount, which
// can write the snapshot store, while the seeder's Job can; hostPath goes only to the cache's
// readers. Nothing schedules or runs the pods: admission is what is under test.

const STACKS = path.resolve(__dirname, "..", "..", "stacks");
const NAMESPACE = "llm-models";
const SEEDER = "llm-model-cache-seeder";
const PAUSE = "registry.k8s.io/pause:3.10";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- kubectl's JSON

describe("the models namespace's admission policy with real controllers (prod stack)", function () {
  this.timeout(300_000);
  let api: TestApiServer | undefined;
  let manager: LocalProcess | undefined;
  let cacheRoot = "";
  let reader = "";

  before(async function () {
    this.timeout(600_000);
    const run = await runPlan(STACKS, "prod");
    assert.ok(run.ok, run.ok ? "" : JSON.stringify(run.issues));
    const objects = kubernetesObjects(run.resources);
    const wanted = (o: KubernetesObject) =>
      (o.kind === "Namespace" && o.metadata.name === NAMESPACE) ||
      (o.kind === "ServiceAccount" && o.metadata.namespace === NAMESPACE) ||
      o.kind === "ValidatingAdmissionPolicy" ||
      o.kind === "ValidatingAdmissionPolicyBinding";
    const applied = objects.filter(wanted);
    assert.deepStrictEqual([...new Set(applied.map((o) => o.kind))].sort(), ["Namespace", "ServiceAccount", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"]);
    const prewarm = objects.find((o) => o.kind === "DaemonSet" && String(o.metadata.name).startsWith("prewarm-")) as unknown as Json;
    cacheRoot = prewarm.spec.template.spec.volumes.find((v: Json) => v.hostPath !== undefined).hostPath.path;
    const service = objects.find((o) => o.kind === "LLMInferenceService") as unknown as Json;
    reader = service.spec.template.serviceAccountName;
    assert.match(reader, /^llm-cache-reader-/);

    api = await TestApiServer.start();
    const namespaces = await api.kubectl(["apply", "--server-side", "-f", "-"], manifestStream(applied.filter((o) => o.kind === "Namespace")));
    assert.strictEqual(namespaces.code, 0, namespaces.stderr);
    const rest = await api.kubectl(["apply", "--server-side", "-f", "-"], manifestStream(applied.filter((o) => o.kind !== "Namespace")));
    assert.strictEqual(rest.code, 0, rest.stderr);
    // The API server starts enforcing a new binding a moment after it is stored: wait until a
    // seeder pod without a Job is refused.
    await waitFor("the admission policy to be enforced", 60_000, async () => {
      const r = await api?.kubectl(["create", "--dry-run=server", "-f", "-"], manifestStream([pod("probe", SEEDER)]));
      return r !== undefined && r.code !== 0 && /only the seeders' Job pods may run as/.test(r.stderr) ? true : undefined;
    });
    manager = LocalProcess.start(api.dir, "kube-controller-manager", "kube-controller-manager", [
      `--kubeconfig=${api.kubeconfig}`,
      "--leader-elect=false",
      "--secure-port=0",
      "--controllers=deployment,replicaset,job,serviceaccount",
    ]);
  });

  after(async () => {
    await manager?.stop();
    await api?.stop();
  });

  function pod(name: string, serviceAccountName: string, extra: Json = {}): KubernetesObject {
    return {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, namespace: NAMESPACE },
      spec: { serviceAccountName, containers: [{ name: "c", image: PAUSE }], ...extra },
    } as unknown as KubernetesObject;
  }

  function deployment(name: string, serviceAccountName: string, extra: Json = {}): KubernetesObject {
    const labels = { app: name };
    return {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, namespace: NAMESPACE },
      spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { serviceAccountName, containers: [{ name: "c", image: PAUSE }], ...extra } } },
    } as unknown as KubernetesObject;
  }

  async function create(objects: KubernetesObject[]): Promise<void> {
    const r = await (api as TestApiServer).kubectl(["create", "-f", "-"], manifestStream(objects));
    assert.strictEqual(r.code, 0, r.stderr);
  }

  async function podsOf(selector: string): Promise<Json[]> {
    const r = await (api as TestApiServer).kubectl(["get", "pods", "-n", NAMESPACE, "-l", selector, "-o", "json"]);
    assert.strictEqual(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { items: Json[] }).items;
  }

  /**
   * The ReplicaSet controller's refusal of the Deployment's pods (its ReplicaFailure condition),
   * once it matches: an earlier refusal may be another's (a ServiceAccount not yet created).
   */
  async function refusal(app: string, expected: RegExp): Promise<string> {
    let last = "(none)";
    return waitFor(`the ReplicaSet of ${app} to report its pods refused with ${String(expected)}`, 90_000, async () => {
      const r = await (api as TestApiServer).kubectl(["get", "replicasets", "-n", NAMESPACE, "-l", `app=${app}`, "-o", "json"]);
      const items = r.code === 0 ? (JSON.parse(r.stdout) as { items: Json[] }).items : [];
      const failure = items.flatMap((rs) => rs.status?.conditions ?? []).find((c: Json) => c.type === "ReplicaFailure" && c.status === "True");
      last = String(failure?.message ?? last);
      return expected.test(last) ? last : undefined;
    }, [manager as LocalProcess]).catch((err: Error) => {
      throw new Error(`${err.message}; last refusal: ${last}`);
    });
  }

  async function running(selector: string, what: string): Promise<Json> {
    return waitFor(what, 90_000, async () => (await podsOf(selector))[0], [manager as LocalProcess]);
  }

  it("a Deployment running as the seeder's ServiceAccount gets no pod: the policy refuses what its ReplicaSet creates", async () => {
    await create([deployment("serve-as-seeder", SEEDER)]);
    const message = await refusal("serve-as-seeder", /only the seeders' Job pods may run as llm-model-cache-seeder/);
    assert.match(message, /ValidatingAdmissionPolicy 'llm-platform-pods-llm-models'/);
    assert.deepStrictEqual(await podsOf("app=serve-as-seeder"), []);
  });

  it("a Job running as the seeder's ServiceAccount gets its pod, owned by the Job", async () => {
    const job = {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "seed-as-seeder", namespace: NAMESPACE },
      spec: { backoffLimit: 0, template: { metadata: { labels: { app: "seed-as-seeder" } }, spec: { restartPolicy: "Never", serviceAccountName: SEEDER, containers: [{ name: "c", image: PAUSE }] } } },
    } as unknown as KubernetesObject;
    await create([job]);
    const created = await running("app=seed-as-seeder", "the job controller to create the seeder's pod");
    assert.strictEqual(created.spec.serviceAccountName, SEEDER);
    assert.deepStrictEqual(created.metadata.ownerReferences.map((o: Json) => [o.apiVersion, o.kind, o.name]), [["batch/v1", "Job", "seed-as-seeder"]]);
  });

  it("a pod naming a Job owner by hand is still a pod the API server admits: the rule keys on ownerReferences, which whoever may create pods can write", async () => {
    // What the rule does not stop, shown rather than claimed: creating pods directly needs the
    // same right as creating a Job, so it stops serving workloads, not a namespace's own users.
    const forged = pod("forged-owner", SEEDER);
    (forged.metadata as Json).ownerReferences = [{ apiVersion: "batch/v1", kind: "Job", name: "x", uid: "00000000-0000-0000-0000-000000000000" }];
    const r = await (api as TestApiServer).kubectl(["create", "--dry-run=server", "-f", "-"], manifestStream([forged]));
    assert.strictEqual(r.code, 0, r.stderr);
  });

  it("hostPath under the cache root: a model's reader gets its pod, any other ServiceAccount is refused", async () => {
    const volume = { volumes: [{ name: "cache", hostPath: { path: cacheRoot, type: "DirectoryOrCreate" } }] };
    await create([deployment("reader-hostpath", reader, volume), deployment("default-hostpath", "default", volume)]);
    const created = await running("app=reader-hostpath", "the reader's pod");
    assert.strictEqual(created.spec.serviceAccountName, reader);
    await refusal("default-hostpath", /only the model cache's readers \(.*llm-cache-reader-.*\) may mount hostPath volumes/);
  });
});
