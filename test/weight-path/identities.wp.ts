/**
 * Storage that says no, with the prod stack's rendered store: what each identity may not do, and
 * the failures users meet on the weight path (a refused gated download, a snapshot that is not
 * there, a store that refuses the pod's identity), each with the exit code and log line
 * docs/model-cache.md documents.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { jsonLines } from "./harness/pod";
import { ofKind } from "./harness/render";
import { StackRun } from "./harness/stack";

describe("weight path: identities and failures (prod stack, S3 with the rendered IAM)", function () {
  this.timeout(600_000);
  const run = new StackRun("prod");

  before(async function () {
    this.timeout(45 * 60_000);
    await run.start();
  });
  after(() => run.stop());

  const gated = () => {
    const t = run.seedTargets().find((x) => x.repo.startsWith("meta-llama/"));
    assert.ok(t, "prod seeds a gated meta-llama repository");
    return t;
  };

  it("a restore before the snapshot exists exits 10 naming the snapshot", async () => {
    const svc = ofKind(run.rendered, "LLMInferenceService")[0];
    const pod = await run.restore(svc.metadata.name, path.join(run.root, "node-empty"));
    const r = pod.get("restore-weights");
    assert.equal(r.code, 10, r.stderr);
    const err = jsonLines(r.stderr).find((l) => l.event === "restore-error");
    assert.equal(err?.code, 10);
    assert.match(String(err?.reason), /snap:acme-llm-platform-prod-snapshots\/models\//);
  });

  it("a gated repository with a token the hub refuses: download fails (401 GatedRepo), nothing is uploaded", async () => {
    const t = gated();
    const pod = await run.seed(t.job, { secrets: run.secrets("hf_not_the_right_token") });
    assert.equal(pod.phase, "Failed");
    const d = pod.get("download");
    assert.notEqual(d.code, 0);
    assert.match(d.stderr, /Access denied\. Model .meta-llama\/.* requires approval/, d.stderr);
    assert.equal(pod.containers.some((c) => c.name === "seed"), false, "the seed container never starts");
    const listed = run.s3.call(run.s3.admin, "list_objects_v2", { Bucket: run.s3.bucket, Prefix: `models/${t.repo}/` });
    assert.equal(listed.KeyCount, 0);
    // The hub answered 401 to the unauthenticated metadata call.
    assert.ok(run.hub.requests.some((q) => q.status === 401 && q.path.includes(t.repo)));
  });

  it("a seeder running with the reader's identity is refused by the store: seed exits 11 with the access line", async () => {
    const t = gated();
    const pod = await run.seed(t.job, { identity: run.s3.reader });
    const s = pod.get("seed");
    assert.equal(s.code, 11, s.stderr);
    const err = jsonLines(s.stderr).find((l) => l.event === "seed-error");
    assert.equal(err?.code, 11);
    assert.match(String(err?.reason), /the snapshot store refused access while uploading to snap:/);
    assert.match(String(err?.reason), /AccessDenied/);
    // No marker: a restore still finds no snapshot.
    const listed = run.s3.call(run.s3.admin, "list_objects_v2", { Bucket: run.s3.bucket, Prefix: `models/${t.repo}/` }) as { Contents?: { Key: string }[] };
    assert.equal((listed.Contents ?? []).some((o) => o.Key.endsWith(".llm-platform-complete")), false);
  });

  it("with the seeder's identity and the right token the gated model seeds, and the reader restores it", async () => {
    const t = gated();
    const pod = await run.seed(t.job);
    assert.equal(pod.phase, "Succeeded", pod.containers.map((c) => `${c.name}: ${c.stderr.slice(-500)}`).join("\n"));
    assert.equal(jsonLines(pod.get("seed").stdout)[0].result, "seeded");
    const svc = ofKind(run.rendered, "LLMInferenceService").find((o) => run.modelIdOf(o) === t.repo);
    assert.ok(svc);
    const r = (await run.restore(svc.metadata.name, path.join(run.root, "node-a"))).get("restore-weights");
    assert.equal(r.code, 0, r.stderr);
  });

  it("the reader can read but not write or delete; neither role can create a bucket; the seeder cannot touch another bucket", () => {
    const t = gated();
    const key = `models/${t.repo}/${t.revision}/config.json`;
    const { reader, seeder, bucket, otherBucket } = run.s3;
    assert.equal(run.s3.call(reader, "get_object", { Bucket: bucket, Key: key }).error, undefined);
    assert.equal(run.s3.call(reader, "put_object", { Bucket: bucket, Key: key, Body: "x" }).error, "AccessDenied");
    assert.equal(run.s3.call(reader, "put_object", { Bucket: bucket, Key: "models/new/object", Body: "x" }).error, "AccessDenied");
    assert.equal(run.s3.call(reader, "delete_object", { Bucket: bucket, Key: key }).error, "AccessDenied");
    assert.equal(run.s3.call(seeder, "delete_object", { Bucket: bucket, Key: key }).error, "AccessDenied");
    for (const who of [reader, seeder]) {
      assert.equal(run.s3.call(who, "create_bucket", { Bucket: `${bucket}-made-by-a-pod` }).error, "AccessDenied");
    }
    assert.equal(run.s3.call(seeder, "put_object", { Bucket: otherBucket, Key: "models/x", Body: "x" }).error, "AccessDenied");
    assert.equal(run.s3.call(seeder, "get_object", { Bucket: otherBucket, Key: "models/x" }).error, "AccessDenied");
    assert.equal(run.s3.call(seeder, "list_objects_v2", { Bucket: otherBucket }).error, "AccessDenied");
    // Writes the seeder may do land only under models/.
    assert.equal(run.s3.call(seeder, "put_object", { Bucket: bucket, Key: "elsewhere/x", Body: "x" }).error, "AccessDenied");
    // The object the reader tried to overwrite is untouched.
    const body = run.s3.call(run.s3.admin, "get_object", { Bucket: bucket, Key: key }).Body;
    assert.notEqual(body, "x");
  });
});
