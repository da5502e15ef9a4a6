import * as assert from "assert";
import { podIdentityTrustPolicy, snapshotReaderPolicy, snapshotWriterPolicy, tlsOnlyBucketPolicy } from "../components/cluster/aws/iam-documents";

const BUCKET = "arn:aws:s3:::llm-platform-prod-snapshots";
const KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd";
const SNAPSHOT_KEY = { keyArn: KEY, region: "us-east-1" };

describe("EKS snapshot-store documents", () => {
  it("identity policies name only the bucket (and its key) and use no wildcard action", () => {
    for (const doc of [snapshotReaderPolicy(BUCKET, SNAPSHOT_KEY), snapshotWriterPolicy(BUCKET, SNAPSHOT_KEY), snapshotReaderPolicy(BUCKET)]) {
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
    assert.deepStrictEqual(actions(snapshotReaderPolicy(BUCKET, SNAPSHOT_KEY)), ["kms:Decrypt", "s3:GetObject", "s3:ListBucket"]);
    assert.deepStrictEqual(actions(snapshotWriterPolicy(BUCKET, SNAPSHOT_KEY)), [
      "kms:Decrypt", "kms:GenerateDataKey", "s3:AbortMultipartUpload", "s3:GetObject", "s3:ListBucket", "s3:ListBucketMultipartUploads", "s3:ListMultipartUploadParts", "s3:PutObject",
    ]);
    assert.deepStrictEqual(snapshotReaderPolicy(BUCKET).Statement[0].Condition, { StringLike: { "s3:prefix": ["models/*"] } });
  });

  it("the reader's decrypt and the seeder's encrypt hold only through S3 in the bucket's region, for this bucket's objects", () => {
    const via = {
      StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" },
      StringLike: { "kms:EncryptionContext:aws:s3:arn": [BUCKET, `${BUCKET}/models/*`] },
    };
    const kmsStatements = (doc: ReturnType<typeof snapshotReaderPolicy>) => doc.Statement.filter((st) => st.Action.some((a) => a.startsWith("kms:")));
    assert.deepStrictEqual(kmsStatements(snapshotReaderPolicy(BUCKET, SNAPSHOT_KEY)).map((st) => st.Condition), [via]);
    assert.deepStrictEqual(kmsStatements(snapshotWriterPolicy(BUCKET, SNAPSHOT_KEY)).map((st) => st.Condition), [via]);
    const china = kmsStatements(snapshotReaderPolicy("arn:aws-cn:s3:::b", { keyArn: "arn:aws-cn:kms:cn-north-1:1:key/k", region: "cn-north-1" }))[0];
    assert.deepStrictEqual(china.Condition?.StringEquals, { "kms:ViaService": "s3.cn-north-1.amazonaws.com.cn" });
    assert.ok(!snapshotWriterPolicy(BUCKET, SNAPSHOT_KEY).Statement.some((st) => st.Action.includes("s3:DeleteObject") || st.Action.includes("s3:DeleteObjectVersion")), "the seeder never deletes");
  });

  it("the bucket denies plain-HTTP requests, and pods assume roles through Pod Identity", () => {
    const [deny] = tlsOnlyBucketPolicy(BUCKET).Statement;
    assert.deepStrictEqual([deny.Effect, deny.Resource, deny.Condition], ["Deny", [BUCKET, `${BUCKET}/*`], { Bool: { "aws:SecureTransport": "false" } }]);
    assert.deepStrictEqual(podIdentityTrustPolicy().Statement[0], { Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] });
  });
});
