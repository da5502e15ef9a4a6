/**
 * Storage that says no, with the prod stack's rendered store: what each identity may not do, and
 * the failures users meet on the weight path (a refused gated download, a snapshot that is not
 * there, a store that refuses the pod's identity), each with the exit code and log line
 * docs/model-cache.md documents.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { jsonLines } from "./harness/pod";
import { awsStore, ofKind, podSpec } from "./harness/render";
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

  /** The s3:prefix patterns of the rendered ListBucket statement of the role the ServiceAccount is associated with. */
  const listPatterns = (serviceAccount: string): string[] => {
    const store = awsStore(run.rendered);
    const role = store.roles.find((r) => r.name === store.associations[serviceAccount]);
    assert.ok(role, `a role for ${serviceAccount}`);
    const doc = JSON.parse(role.policy) as { Statement: { Sid?: string; Condition?: { StringLike?: Record<string, string[]> } }[] };
    return doc.Statement.find((st) => st.Sid === "ListSnapshots")?.Condition?.StringLike?.["s3:prefix"] ?? [];
  };

  /** The serving pod's ServiceAccount of the model whose repository this is. */
  const readerOf = (repo: string) => {
    const svc = ofKind(run.rendered, "LLMInferenceService").find((o) => run.modelIdOf(o) === repo);
    assert.ok(svc, `a service restores ${repo}`);
    return { service: svc.metadata.name, serviceAccount: run.serviceAccountOf(svc.metadata.name) };
  };

  it("a seeder running with its model's reader identity is refused by the store: seed exits 11 with the access line", async () => {
    const t = gated();
    const pod = await run.seed(t.job, { identity: run.identityOf(readerOf(t.repo).serviceAccount) });
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

  it("each model's reader reads its own model's snapshots and is refused the other model's, by the store and in restore.sh; the pool's pre-warm reads both", async () => {
    const a = gated();
    const b = run.seedTargets().find((x) => x.repo !== a.repo);
    assert.ok(b, "prod serves a second model");
    const seeded = await run.seed(b.job);
    assert.equal(seeded.phase, "Succeeded", seeded.containers.map((c) => `${c.name}: ${c.stderr.slice(-500)}`).join("\n"));
    const readerA = readerOf(a.repo);
    const readerB = readerOf(b.repo);
    assert.notEqual(readerA.serviceAccount, readerB.serviceAccount, "one ServiceAccount per model service");
    const keyA = `models/${a.repo}/${a.revision}/config.json`;
    const keyB = `models/${b.repo}/${b.revision}/config.json`;
    const { bucket } = run.s3;
    const asA = run.identityOf(readerA.serviceAccount);
    const asB = run.identityOf(readerB.serviceAccount);
    assert.equal(run.s3.call(asA, "get_object", { Bucket: bucket, Key: keyA }).error, undefined);
    assert.equal(run.s3.call(asA, "get_object", { Bucket: bucket, Key: keyB }).error, "AccessDenied");
    assert.equal(run.s3.call(asB, "get_object", { Bucket: bucket, Key: keyB }).error, undefined);
    assert.equal(run.s3.call(asB, "get_object", { Bucket: bucket, Key: keyA }).error, "AccessDenied");
    // Outside every model's prefix too (the seeder's writes land only under models/, so this one is the test's own).
    assert.equal(run.s3.call(run.s3.admin, "put_object", { Bucket: bucket, Key: "models/elsewhere/x", Body: "x" }).error, undefined);
    assert.equal(run.s3.call(asA, "get_object", { Bucket: bucket, Key: "models/elsewhere/x" }).error, "AccessDenied");
    // B's serving pod's restore, run as A's reader, is refused: exit 11 naming the access failure; as B's own it restores.
    const refused = (await run.restore(readerB.service, path.join(run.root, "node-cross"), { identity: asA })).get("restore-weights");
    assert.equal(refused.code, 11, refused.stderr);
    assert.match(String(jsonLines(refused.stderr).find((l) => l.event === "restore-error")?.reason), /refused access/);
    const logBefore = fs.statSync(path.join(run.root, "moto.log")).size;
    const own = (await run.restore(readerB.service, path.join(run.root, "node-cross"))).get("restore-weights");
    assert.equal(own.code, 0, own.stderr);
    // moto does not evaluate the StringLike on s3:prefix (harness/s3.ts): check it here against
    // the listings B's restore sent (moto's request log), so AWS would grant every one of them,
    // and against A's prefix, which it must not match.
    const listed = listPrefixes(fs.readFileSync(path.join(run.root, "moto.log"), "utf8").slice(logBefore));
    assert.ok(listed.length > 0, "the restore listed the snapshot");
    const patterns = listPatterns(readerB.serviceAccount);
    for (const prefix of listed) assert.ok(patterns.some((p) => stringLike(p, prefix)), `s3:prefix ${prefix} is outside ${patterns.join(", ")}`);
    assert.ok(!patterns.some((p) => stringLike(p, `models/${a.repo}/${a.revision}/`)), `${patterns.join(", ")} admits A's prefix`);
    // The pool's pre-warm identity reads the snapshots of the pool's models (both are on h100), nothing else.
    const prewarm = ofKind(run.rendered, "DaemonSet").find((d) => d.metadata.name === "prewarm-h100");
    assert.ok(prewarm);
    const asPool = run.identityOf(podSpec(prewarm).serviceAccountName);
    for (const key of [keyA, keyB]) assert.equal(run.s3.call(asPool, "get_object", { Bucket: bucket, Key: key }).error, undefined, key);
    assert.equal(run.s3.call(asPool, "get_object", { Bucket: bucket, Key: "models/elsewhere/x" }).error, "AccessDenied");
  });

  it("the reader can read but not write or delete; neither role can create a bucket; the seeder cannot touch another bucket", () => {
    const t = gated();
    const key = `models/${t.repo}/${t.revision}/config.json`;
    const { seeder, bucket, otherBucket } = run.s3;
    const reader = run.identityOf(readerOf(t.repo).serviceAccount);
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

/** IAM's StringLike: `*` any run of characters, `?` any one, everything else literal. */
function stringLike(pattern: string, value: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${re}$`, "s").test(value);
}

/** The `prefix` of every ListObjects request in a slice of moto's request log (werkzeug's access lines). */
function listPrefixes(log: string): string[] {
  return [...log.matchAll(/"GET (\/[^ "]*) HTTP\/1\.1"/g)].flatMap(([, target]) => {
    const query = new URL(target, "https://store.invalid").searchParams;
    const prefix = query.get("prefix");
    return query.has("list-type") || prefix !== null ? [prefix ?? ""] : [];
  });
}
