/**
 * The weight path end to end, per sample stack with the cache on (EKS: S3 with the rendered IAM):
 * the seeder Job's containers fill an empty store from the hub, the serving pod's restore init
 * container makes the node's copy, which matches the hub's files byte for byte; a second seed does
 * nothing; a wiped node restores again; the pre-warm DaemonSet restores its list and prunes what is
 * no longer listed. Containers run as rendered (see harness/pod.ts).
 */
import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { jsonLines, runPod } from "./harness/pod";
import { ofKind, podSpec } from "./harness/render";
import { readTree, StackRun } from "./harness/stack";

const MANIFEST = ".llm-platform-manifest.tsv";
const MARKER = ".llm-platform-complete";

function expectedFiles(run: StackRun, repo: string, commit: string): Record<string, Buffer> {
  const files = run.hub.repos.get(repo)?.commits[commit];
  assert.ok(files, `hub has ${repo}@${commit}`);
  return Object.fromEntries(Object.entries(files).filter(([p]) => !p.startsWith("original/")));
}

function commitOf(run: StackRun, repo: string, revision: string): string {
  const r = run.hub.repos.get(repo);
  assert.ok(r);
  return r.commits[revision] ? revision : r.refs[revision];
}

function assertSameTree(actual: Record<string, Buffer>, expected: Record<string, Buffer>, what: string): void {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${what}: file list`);
  for (const [p, b] of Object.entries(expected)) assert.ok(actual[p].equals(b), `${what}: ${p} differs`);
}

// WEIGHT_PATH_STACKS (comma-separated) narrows the run to some stacks while working on one.
const STACKS = (process.env.WEIGHT_PATH_STACKS ?? "dev,staging,prod").split(",").filter((s) => ["dev", "staging", "prod"].includes(s));

for (const stack of STACKS) {
  describe(`weight path: ${stack} stack (S3 with the rendered IAM)`, function () {
    this.timeout(600_000);
    const run = new StackRun(stack);
    const nodeA = path.join(run.root, "node-a");

    before(async function () {
      this.timeout(45 * 60_000);
      await run.start();
    });
    after(() => run.stop());

    it("seeds the empty store from the hub: check-seeded finds nothing, download, then files, manifest and marker", async () => {
      for (const t of run.seedTargets()) {
        const pod = await run.seed(t.job);
        assert.equal(pod.phase, "Succeeded", JSON.stringify(pod.containers.map((c) => [c.name, c.code, c.stderr.slice(-800)])));
        assert.deepEqual(jsonLines(pod.get("check-seeded").stdout).map((l) => l.result), ["not-seeded"]);
        const seeded = jsonLines(pod.get("seed").stdout);
        const commit = commitOf(run, t.repo, t.revision);
        const expected = expectedFiles(run, t.repo, commit);
        assert.equal(seeded.length, 1);
        assert.equal(seeded[0].result, "seeded");
        assert.equal(seeded[0].files, Object.keys(expected).length);
        assert.equal(seeded[0].bytes, Object.values(expected).reduce((s, b) => s + b.length, 0));
        const prefix = `models/${t.repo}/${commit}/`;
        const listed = run.s3.call(run.s3.admin, "list_objects_v2", { Bucket: run.s3.bucket, Prefix: prefix }) as { Contents?: { Key: string; Size: number }[] };
        const keys = (listed.Contents ?? []).map((o) => o.Key.slice(prefix.length)).sort();
        assert.deepEqual(keys, [...Object.keys(expected), MANIFEST, MARKER].sort());
        const manifest = run.s3.call(run.s3.admin, "get_object", { Bucket: run.s3.bucket, Key: `${prefix}${MANIFEST}` }).Body as string;
        const lines = manifest.trim().split("\n").map((l) => l.split("\t"));
        assert.deepEqual(lines.map((l) => l[2]), Object.keys(expected).sort());
        for (const [size, sha, file] of lines) {
          assert.equal(Number(size), expected[file].length, file);
          assert.equal(sha, crypto.createHash("sha256").update(expected[file]).digest("hex"), file);
        }
        if (commit !== t.revision) {
          const pointer = run.s3.call(run.s3.admin, "get_object", { Bucket: run.s3.bucket, Key: `models/${t.repo}/refs/${t.revision}` }).Body as string;
          assert.equal(pointer.trim(), commit);
        }
      }
    });

    it("restores each served model on a node: the served directory matches the hub's files byte for byte", async () => {
      for (const svc of ofKind(run.rendered, "LLMInferenceService")) {
        const pod = await run.restore(svc.metadata.name, nodeA);
        const r = pod.get("restore-weights");
        assert.equal(r.code, 0, r.stderr);
        const line = jsonLines(r.stdout).find((l) => l.event === "restore");
        assert.equal(line?.result, "restored");
        const repo = run.modelIdOf(svc);
        const t = run.seedTargets().find((x) => x.repo === repo);
        assert.ok(t, `a seeder for ${repo}`);
        assertSameTree(readTree(run.servedDir(svc.metadata.name, nodeA)), expectedFiles(run, t.repo, commitOf(run, t.repo, t.revision)), svc.metadata.name);
      }
    });

    it("a second seed is a no-op: found seeded by content, nothing downloaded, nothing uploaded", async () => {
      const before = run.hub.requests.length;
      for (const t of run.seedTargets()) {
        const objects = run.s3.call(run.s3.admin, "list_object_versions", { Bucket: run.s3.bucket }) as { Versions?: unknown[] };
        const pod = await run.seed(t.job);
        assert.equal(pod.phase, "Succeeded", pod.containers.map((c) => c.stderr).join("\n"));
        assert.deepEqual(jsonLines(pod.get("check-seeded").stdout).map((l) => l.result), ["already-seeded"]);
        assert.deepEqual(jsonLines(pod.get("seed").stdout).map((l) => l.result), ["already-seeded"]);
        assert.equal(fs.existsSync(path.join(pod.volumes.work, "src")), false, "nothing downloaded");
        const after = run.s3.call(run.s3.admin, "list_object_versions", { Bucket: run.s3.bucket }) as { Versions?: unknown[] };
        // A moving ref's pointer is rewritten on every run; everything else stays as it was.
        const pointerWrites = t.revision === commitOf(run, t.repo, t.revision) ? 0 : 1;
        assert.equal((after.Versions ?? []).length, (objects.Versions ?? []).length + pointerWrites);
      }
      // Only a moving ref is resolved again (one model_info call); no file is fetched.
      assert.ok(run.hub.requests.slice(before).every((r) => r.path.startsWith("/api/models/")), JSON.stringify(run.hub.requests.slice(before)));
    });

    it("a node loss (the NVMe root wiped) restores again, byte for byte", async () => {
      fs.rmSync(nodeA, { recursive: true, force: true });
      for (const svc of ofKind(run.rendered, "LLMInferenceService")) {
        const pod = await run.restore(svc.metadata.name, nodeA);
        const r = pod.get("restore-weights");
        assert.equal(r.code, 0, r.stderr);
        assert.equal(jsonLines(r.stdout).find((l) => l.event === "restore")?.result, "restored");
        const repo = run.modelIdOf(svc);
        const t = run.seedTargets().find((x) => x.repo === repo);
        assert.ok(t);
        assertSameTree(readTree(run.servedDir(svc.metadata.name, nodeA)), expectedFiles(run, t.repo, commitOf(run, t.repo, t.revision)), svc.metadata.name);
      }
      // A restart of the serving pod finds the copy: cached, nothing copied.
      const svc = ofKind(run.rendered, "LLMInferenceService")[0];
      const again = jsonLines((await run.restore(svc.metadata.name, nodeA)).get("restore-weights").stdout).find((l) => l.event === "restore");
      assert.equal(again?.result, "cached");
      assert.equal(again?.bytes, 0);
    });

    it("nothing calls out of the cluster but hf's update check: one CONNECT pypi.org:443 per download", () => {
      // huggingface_hub 1.9.0's `hf` checks PyPI for a newer version on every start (cli/hf.py main
      // -> check_cli_update) unless $HF_HOME/.check_for_update_done is under a day old; the seeder's
      // HOME is a fresh emptyDir, and no environment variable turns the check off. It times out
      // after 2 s and is ignored, so it costs a refused connection, not a failed seed. Every other
      // request (store, hub) stays inside; the proxy refuses the call, so it never leaves the machine.
      assert.deepEqual(run.egress.attempts, run.seedTargets().map(() => "pypi.org:443"));
    });

    it("the pre-warm DaemonSet restores its ConfigMap's list on a fresh node and prunes a revision no longer listed", async () => {
      const ds = ofKind(run.rendered, "DaemonSet")[0];
      const spec = podSpec(ds);
      const nodeB = path.join(run.root, "node-b");
      const rootVol = (spec.volumes ?? []).find((v) => v.name === "cache-root");
      assert.ok(rootVol?.hostPath);
      // A revision the list no longer names, last used two days ago.
      const stale = path.join(nodeB, rootVol.hostPath.path, "models", "acme", "retired", "0".repeat(40));
      fs.mkdirSync(stale, { recursive: true });
      fs.writeFileSync(path.join(stale, "weights.bin"), "old");
      fs.writeFileSync(path.join(stale, MANIFEST), `3\t${"0".repeat(64)}\tweights.bin\n`);
      fs.writeFileSync(path.join(stale, MARKER), "{}\n");
      const stamps = path.join(nodeB, rootVol.hostPath.path, "models", ".last-used");
      fs.mkdirSync(stamps, { recursive: true });
      const stamp = path.join(stamps, `acme%2Fretired@${"0".repeat(40)}`);
      fs.writeFileSync(stamp, "");
      const old = new Date(Date.now() - 48 * 3600_000);
      fs.utimesSync(stamp, old, old);
      const listed = (run.rendered.objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === spec.volumes?.find((v) => v.name === "prewarm-models")?.configMap?.name)?.data as Record<string, string>).models
        .trim()
        .split("\n");
      const result = await runPod(spec, {
        // As the pool's pre-warm ServiceAccount, whose role reads the snapshots of the pool's models only.
        ...run.podRun({ identity: run.identityOf(spec.serviceAccountName), node: nodeB }),
        // The loop runs until the pod is deleted: stop it once the first pass has pruned.
        stopWhen: (out) => out.includes('"event":"prune-summary"'),
      });
      const c = result.get("prewarm");
      const lines = jsonLines(c.stdout);
      assert.equal(c.timedOut, false, c.stderr);
      // The pod is stopped with SIGTERM to its process group; the shell reports its killed sleep.
      assert.deepEqual(c.stderr.split("\n").filter((l) => l.trim() !== "" && l.trim() !== "Terminated"), [], c.stderr);
      const restored = lines.filter((l) => l.event === "restore").map((l) => `${String(l.model)}\t${String(l.ref ?? l.revision)}`);
      assert.deepEqual(restored.sort(), listed.map((l) => l.split("\t").slice(0, 2).join("\t")).sort());
      assert.ok(lines.some((l) => l.event === "prune" && l.model === "acme/retired" && l.kind === "revision"), c.stdout);
      assert.equal(fs.existsSync(stale), false);
    });
  });
}
