import * as assert from "assert";
import * as path from "path";
import { kubernetesObjects, KubernetesObject } from "../automation/plan/render";
import { runPlan } from "../automation/plan/run";
import { images, imageRef } from "../components/versions";

// Every pod the platform renders itself with host access (a hostPath volume, a privileged
// container, a host namespace) names its images by digest. Containers that name no image take
// theirs from elsewhere (an LLMInferenceService's main container from KServe's preset): they are
// listed, not passed over in silence.

const STACKS = path.resolve(__dirname, "..", "stacks");
const DIGEST = /@sha256:[0-9a-f]{64}$/;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- walks rendered Kubernetes JSON

function podSpecOf(o: KubernetesObject): Json | undefined {
  const spec = (o as unknown as Json).spec;
  switch (o.kind) {
    case "Pod":
      return spec;
    case "Job":
    case "DaemonSet":
    case "Deployment":
    case "StatefulSet":
      return spec?.template?.spec;
    case "CronJob":
      return spec?.jobTemplate?.spec?.template?.spec;
    case "LLMInferenceService":
      return spec?.template;
    default:
      return undefined;
  }
}

function hostAccess(pod: Json): boolean {
  const containers: Json[] = [...(pod.containers ?? []), ...(pod.initContainers ?? [])];
  return (
    (pod.volumes ?? []).some((v: Json) => v.hostPath !== undefined) ||
    pod.hostNetwork === true ||
    pod.hostPID === true ||
    pod.hostIPC === true ||
    containers.some((c) => c.securityContext?.privileged === true)
  );
}

describe("images of host-access pods are pinned by digest", function () {
  this.timeout(300_000);

  it("the pins of host-access images carry a sha256 digest and say where it was read", () => {
    assert.match(imageRef(images.rclone), DIGEST);
    assert.ok((images.rclone.digestSource ?? "").length > 0);
    assert.strictEqual(imageRef({ image: "r/x", tag: "1" }), "r/x:1");
  });

  for (const stack of ["local", "dev", "staging", "prod", "gke-prod"]) {
    it(`${stack}: every image a host-access pod names is by digest; containers naming none are only LLMInferenceService main containers`, async () => {
      const run = await runPlan(STACKS, stack);
      assert.ok(run.ok, run.ok ? "" : JSON.stringify(run.issues));
      const pods = kubernetesObjects(run.resources).flatMap((o) => {
        const pod = podSpecOf(o);
        return pod !== undefined && hostAccess(pod) ? [{ o, pod }] : [];
      });
      const named: string[] = [];
      const unnamed: string[] = [];
      for (const { o, pod } of pods) {
        for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])] as Json[]) {
          const where = `${o.kind}/${o.metadata.name} container ${String(c.name)}`;
          if (typeof c.image === "string") {
            assert.match(c.image, DIGEST, `${where}: image ${c.image}`);
            named.push(where);
          } else {
            unnamed.push(`${o.kind}:${String(c.name)}`);
          }
        }
      }
      // The NVMe-cached stacks have restore containers and pre-warm DaemonSets.
      if (["staging", "prod", "gke-prod"].includes(stack)) {
        assert.ok(named.some((w) => w.startsWith("DaemonSet/prewarm-")), named.join("\n"));
        assert.ok(named.some((w) => w.endsWith("container restore-weights")), named.join("\n"));
      }
      // KServe's preset supplies the vLLM image of these; no digest of it could be cited (components/versions.ts).
      assert.deepStrictEqual([...new Set(unnamed)], unnamed.length === 0 ? [] : ["LLMInferenceService:main"]);
    });
  }
});
