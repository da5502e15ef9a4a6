import * as assert from "assert";
import { podIdentityTrustPolicy, snapshotReaderPolicy, snapshotWriterPolicy, tlsOnlyBucketPolicy } from "../components/cluster/aws/iam-documents";

const BUCKET = "arn:aws:s3:::llm-platform-prod-snapshots";
const KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd";

describe("EKS snapshot-store documents", () => {
  it("identity policies name only the bucket (and its key) and use no wildcard action", () => {
    for (const doc of [snapshotReaderPolicy(BUCKET, KEY), snapshotWriterPolicy(BUCKET, KEY), snapshotReaderPolicy(BUCKET)]) {
      for (const s of doc.Statement) {
        assert.ok(s.Action.every((a) => !a.includes("*")), `no wildcard in ${s.Action.join(",")}`);
        for (const r of s.Resource ?? []) {
          assert.ok(r === BUCKET || r.startsWith(`${BUCKET}/models/`) || r === KEY, `resource ${r}`);
        }
      }
    }
  });

  it("readers only read; the seeder also uploads", () => {
    const actions = (doc: ReturnType<typeof snapshotReaderPolicy>) => doc.Statement.flatMap((s) => s.Action).sort();
    assert.deepStrictEqual(actions(snapshotReaderPolicy(BUCKET, KEY)), ["kms:Decrypt", "s3:GetObject", "s3:ListBucket"]);
    assert.deepStrictEqual(actions(snapshotWriterPolicy(BUCKET, KEY)), [
      "kms:Decrypt", "kms:GenerateDataKey", "s3:AbortMultipartUpload", "s3:GetObject", "s3:ListBucket", "s3:ListBucketMultipartUploads", "s3:ListMultipartUploadParts", "s3:PutObject",
    ]);
    assert.deepStrictEqual(snapshotReaderPolicy(BUCKET).Statement[0].Condition, { StringLike: { "s3:prefix": ["models/*"] } });
  });

  it("the bucket denies plain-HTTP requests, and pods assume roles through Pod Identity", () => {
    const [deny] = tlsOnlyBucketPolicy(BUCKET).Statement;
    assert.deepStrictEqual([deny.Effect, deny.Resource, deny.Condition], ["Deny", [BUCKET, `${BUCKET}/*`], { Bool: { "aws:SecureTransport": "false" } }]);
    assert.deepStrictEqual(podIdentityTrustPolicy().Statement[0], { Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] });
  });
});
