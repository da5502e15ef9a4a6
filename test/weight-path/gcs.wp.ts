/**
 * The weight path on GCS (gke-prod): the seeder Jobs and restore init containers as rendered,
 * against fake-gcs-server, with the rendered remotes' env_auth served by a GKE metadata server
 * stand-in. Command correctness only: fake-gcs-server checks neither tokens nor IAM.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { FakeGcs, startFakeGcs } from "./harness/gcs";
import { startEgress } from "./harness/egress";
import { startHub } from "./harness/hub";
import { jsonLines, PodRun, runPod } from "./harness/pod";
import { configMaps, ofKind, plan, podSpec } from "./harness/render";
import { readTree, StackRun } from "./harness/stack";
import { ensureTools, layoutImages } from "./harness/tools";

const MANIFEST = ".llm-platform-manifest.tsv";
const MARKER = ".llm-platform-complete";

describe("weight path: gke-prod stack (GCS: fake-gcs-server, Workload Identity via a metadata server)", function () {
  this.timeout(600_000);
  const run = new StackRun("gke-prod");
  let gcs: FakeGcs;
  let pods = 0;

  before(async function () {
    this.timeout(45 * 60_000);
    run.tools = ensureTools();
    run.images = layoutImages(run.tools, path.join(run.root, "images"));
    run.rendered = plan(run.stack, path.join(run.root, "plan"));
    const seed = podSpec(run.seedTargets()[0].job).containers.find((c) => c.name === "seed");
    const bucket = /^snap:([^/]+)\//.exec(seed?.env?.find((e) => e.name === "SNAPSHOT")?.value ?? "")?.[1];
    assert.ok(bucket, "the seeder names snap:<bucket>/...");
    gcs = await startFakeGcs(run.tools.fakeGcs, bucket, path.join(run.root, "fake-gcs.log"));
    run.hub = await startHub(run.hubRepos());
    run.egress = await startEgress();
  });
  after(async () => {
    await gcs?.stop();
    await run.stop();
  });

  const podRun = (node: string, only?: string[]): PodRun => ({
    dir: path.join(run.root, "pods", `${++pods}`),
    images: run.images,
    configMaps: configMaps(run.rendered),
    secrets: run.secrets(),
    hostPath: (p) => path.join(node, p),
    // What GKE gives the pod: the metadata server (Workload Identity) and, here, the store's endpoint.
    injectedEnv: { GCE_METADATA_HOST: gcs.metadataHost, RCLONE_CONFIG_SNAP_ENDPOINT: gcs.endpoint, HF_ENDPOINT: run.hub.endpoint, ...run.egress.env },
    timeoutMs: 180_000,
    ...(only ? { only } : {}),
  });

  const expected = (repo: string, revision: string) => {
    const files = run.hub.repos.get(repo)?.commits[revision];
    assert.ok(files, `hub has ${repo}@${revision}`);
    return Object.fromEntries(Object.entries(files).filter(([p]) => !p.startsWith("original/")));
  };

  it("seeds each pinned revision into the bucket: files, manifest and marker, with a token from the metadata server", async () => {
    for (const t of run.seedTargets()) {
      const pod = await runPod(podSpec(t.job), podRun(path.join(run.root, "seeder-node")));
      assert.equal(pod.phase, "Succeeded", JSON.stringify(pod.containers.map((c) => [c.name, c.code, c.stderr.slice(-800)])));
      assert.deepEqual(jsonLines(pod.get("check-seeded").stdout).map((l) => l.result), ["not-seeded"]);
      assert.equal(jsonLines(pod.get("seed").stdout)[0].result, "seeded");
      const prefix = `models/${t.repo}/${t.revision}/`;
      const names = (await gcs.list(prefix)).map((n) => n.slice(prefix.length)).sort();
      assert.deepEqual(names, [...Object.keys(expected(t.repo, t.revision)), MANIFEST, MARKER].sort());
    }
    assert.ok(gcs.tokenRequests > 0, "rclone's env_auth asked the metadata server for a token");
  });

  it("restores each served model byte for byte, and a second seed is a no-op", async () => {
    const node = path.join(run.root, "node-a");
    for (const svc of ofKind(run.rendered, "LLMInferenceService")) {
      const spec = podSpec(svc);
      const pod = await runPod(spec, podRun(node, (spec.initContainers ?? []).map((c) => c.name)));
      const r = pod.get("restore-weights");
      assert.equal(r.code, 0, r.stderr);
      assert.equal(jsonLines(r.stdout).find((l) => l.event === "restore")?.result, "restored");
      const repo = run.modelIdOf(svc);
      const t = run.seedTargets().find((x) => x.repo === repo);
      assert.ok(t, `a seeder for ${repo}`);
      const got = readTree(run.servedDir(svc.metadata.name, node));
      const want = expected(t.repo, t.revision);
      assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort());
      for (const [p, b] of Object.entries(want)) assert.ok(got[p].equals(b), `${svc.metadata.name}: ${p} differs`);
    }
    for (const t of run.seedTargets()) {
      const pod = await runPod(podSpec(t.job), podRun(path.join(run.root, "seeder-node")));
      assert.equal(pod.phase, "Succeeded", pod.containers.map((c) => c.stderr).join("\n"));
      assert.deepEqual(jsonLines(pod.get("seed").stdout).map((l) => l.result), ["already-seeded"]);
      assert.equal(fs.existsSync(path.join(pod.volumes.work, "src")), false, "nothing downloaded");
    }
  });
});
