import * as assert from "assert";
import { cacheReaders, hostPathServiceAccounts, modelKeyPrefix } from "../components/cache/identities";
import { boundedIamName, snapshotReaderPolicy } from "../components/cluster/aws/iam-documents";
import { readerAccountId, readerBindings } from "../components/cluster/gcp/snapshot-store";
import { parsePlatformConfig } from "../components/config";
import { hostPathAdmissionPolicy } from "../components/security";
import { baseConfig } from "./harness/fixtures";

const BUCKET = "arn:aws:s3:::llm-snapshots";

function models() {
  const raw = baseConfig();
  raw.modelCache = { mode: "nvme", store: { provider: "s3", bucket: "llm-snapshots", region: "us-east-1" } };
  raw.models[1].source.revision = "c1899de289a04d12100db370d81485cdf75e47ca";
  // A second service of the first model's repository on the same pool, and one with the cache off
  // (a simulator's, resolved so; here set on the resolved model).
  raw.models.push({ ...raw.models[0], name: "llama-70b-b" }, { ...raw.models[1], name: "qwen-off" });
  return parsePlatformConfig(raw).models.map((m) => (m.name === "qwen-off" ? { ...m, cacheMode: "off" as const } : m));
}

describe("cache readers: one identity per model service and per pre-warmed pool (pure)", () => {
  it("each model service reads its own model's prefix; a pool's pre-warm reads its models'; a model with the cache off reads nothing", () => {
    assert.deepStrictEqual(
      cacheReaders(models()).map((r) => [r.kind, r.name, r.serviceAccount, r.modelIds]),
      [
        ["model", "llama-70b", "llm-cache-reader-llama-70b", ["meta-llama/Llama-3.1-70B-Instruct"]],
        ["model", "qwen3-8b", "llm-cache-reader-qwen3-8b", ["Qwen/Qwen3-8B"]],
        ["model", "llama-70b-b", "llm-cache-reader-llama-70b-b", ["meta-llama/Llama-3.1-70B-Instruct"]],
        ["prewarm", "h100", "llm-cache-prewarm-h100", ["meta-llama/Llama-3.1-70B-Instruct"]],
        ["prewarm", "l4", "llm-cache-prewarm-l4", ["Qwen/Qwen3-8B"]],
      ],
    );
    assert.deepStrictEqual(hostPathServiceAccounts(models()), [
      "llm-cache-prewarm-h100",
      "llm-cache-prewarm-l4",
      "llm-cache-reader-llama-70b",
      "llm-cache-reader-llama-70b-b",
      "llm-cache-reader-qwen3-8b",
    ]);
    // The trailing '/' keeps org/name from matching org/name-2.
    assert.strictEqual(modelKeyPrefix("Qwen/Qwen3-8B"), "models/Qwen/Qwen3-8B/");
  });

  it("AWS: a reader's policy lists and reads only under its prefixes; decrypt stays confined to S3", () => {
    const doc = snapshotReaderPolicy(BUCKET, { keyArn: "arn:aws:kms:us-east-1:1:key/k", region: "us-east-1" }, ["models/a/b/", "models/c/d/"]);
    const sid = (s: string) => doc.Statement.find((st) => st.Sid === s);
    assert.deepStrictEqual(sid("ListSnapshots")?.Condition, { StringLike: { "s3:prefix": ["models/a/b/*", "models/c/d/*"] } });
    assert.deepStrictEqual(sid("ListSnapshots")?.Resource, [BUCKET]);
    assert.deepStrictEqual(sid("ReadSnapshots")?.Resource, [`${BUCKET}/models/a/b/*`, `${BUCKET}/models/c/d/*`]);
    assert.deepStrictEqual(sid("DecryptSnapshots")?.Condition?.StringEquals, { "kms:ViaService": "s3.us-east-1.amazonaws.com" });
    assert.deepStrictEqual(
      doc.Statement.flatMap((s) => s.Action),
      ["s3:ListBucket", "s3:GetObject", "kms:Decrypt"],
    );
  });

  it("AWS: a prefix outside models/, without a trailing '/', with a wildcard or '..' is refused, as is none at all", () => {
    for (const prefix of ["other/a/", "models/a", "models/*/", "models/a/../b/", "models/a?/"]) {
      assert.throws(() => snapshotReaderPolicy(BUCKET, undefined, [prefix]), new RegExp(`prefix "${prefix.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}" must start with "models/"`), prefix);
    }
    assert.throws(() => snapshotReaderPolicy(BUCKET, undefined, []), /prefixes must name at least one key prefix/);
  });

  it("AWS: a role name that would pass 64 characters is cut and ended with a hash of the whole", () => {
    assert.strictEqual(boundedIamName("prod-cluster-store-reader-llama"), "prod-cluster-store-reader-llama");
    const long = `prod-cluster-store-reader-${"m".repeat(42)}`;
    const a = boundedIamName(long);
    const b = boundedIamName(`${long.slice(0, -1)}n`);
    assert.strictEqual(a.length, 64);
    assert.match(a, /^prod-cluster-store-reader-m+-[0-9a-f]{8}$/);
    assert.notStrictEqual(a, b, "two long names with the same head stay apart");
  });

  it("GCS: object reads conditioned on each model's prefix; listing conditioned on the bucket, which is all GCS allows", () => {
    const bindings = readerBindings("llm-snapshots", ["a/b", "c/d"]);
    assert.deepStrictEqual(
      bindings.map((b) => [b.role, b.condition.title, b.condition.expression]),
      [
        ["roles/storage.objectViewer", "list-snapshots", 'resource.name == "projects/_/buckets/llm-snapshots"'],
        ["roles/storage.objectViewer", "read-model-1", 'resource.name.startsWith("projects/_/buckets/llm-snapshots/objects/models/a/b/")'],
        ["roles/storage.objectViewer", "read-model-2", 'resource.name.startsWith("projects/_/buckets/llm-snapshots/objects/models/c/d/")'],
      ],
    );
    assert.throws(() => readerBindings("b", []), /a reader must read at least one model/);
  });

  it("GCS: reader account ids fit 30 characters and differ by model and by kind", () => {
    const ids = [
      readerAccountId("a-very-long-cluster-name-indeed", { kind: "model", name: "x".repeat(42) }),
      readerAccountId("a-very-long-cluster-name-indeed", { kind: "model", name: "y".repeat(42) }),
      readerAccountId("a-very-long-cluster-name-indeed", { kind: "prewarm", name: "x".repeat(42) }),
    ];
    for (const id of ids) {
      assert.match(id, /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, id);
    }
    assert.strictEqual(new Set(ids).size, 3);
  });

  it("admission: hostPath only for the listed readers, and none when there is no cache", () => {
    const options = { namespace: "llm-models", roots: ["/mnt/llm-platform"], seederServiceAccount: "s", labels: {} };
    const [policy] = hostPathAdmissionPolicy({ ...options, hostPathServiceAccounts: ["llm-cache-reader-a", "llm-cache-prewarm-p"] });
    const [none] = hostPathAdmissionPolicy({ ...options, hostPathServiceAccounts: [] });
    const expression = (p: typeof policy) => String(p.spec?.validations?.[1].expression);
    assert.ok(expression(policy).endsWith(`in ["llm-cache-reader-a", "llm-cache-prewarm-p"]`), expression(policy));
    assert.ok(expression(none).endsWith(" in []"), expression(none));
  });
});
