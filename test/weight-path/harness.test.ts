/**
 * The weight-path harness's pure parts (fast tier): which of a rendered bucket policy's statements
 * moto can enforce, and how container paths map to the local directories of a pod's volumes.
 */
import { strict as assert } from "assert";
import { mapPaths } from "./harness/pod";
import { bucketPolicyForMoto } from "./harness/s3";

describe("weight-path harness: bucket policy loaded into moto", () => {
  const tlsOnly = {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: ["s3:*"],
    Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };

  it("leaves out a statement whose condition operator moto treats as met (Bool), and names it", () => {
    const out = bucketPolicyForMoto(JSON.stringify({ Version: "2012-10-17", Statement: [tlsOnly] }));
    assert.deepEqual(out.leftOut, ["DenyInsecureTransport"]);
    assert.deepEqual(JSON.parse(out.policy), { Version: "2012-10-17", Statement: [] });
  });

  it("keeps statements without conditions and with StringEquals, in order; a single statement object too", () => {
    const plain = { Sid: "DenyOther", Effect: "Deny", Principal: "*", Action: "s3:DeleteObject", Resource: "arn:aws:s3:::b/*" };
    const eq = { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*", Condition: { StringEquals: { "aws:PrincipalAccount": "1" } } };
    const like = { Effect: "Allow", Principal: "*", Action: "s3:ListBucket", Resource: "arn:aws:s3:::b", Condition: { StringLike: { "s3:prefix": ["models/*"] } } };
    const out = bucketPolicyForMoto(JSON.stringify({ Version: "2012-10-17", Statement: [plain, tlsOnly, eq, like] }));
    assert.deepEqual(JSON.parse(out.policy).Statement, [plain, eq]);
    assert.deepEqual(out.leftOut, ["DenyInsecureTransport", "statement 1"]);
    const single = bucketPolicyForMoto(JSON.stringify({ Version: "2012-10-17", Statement: plain }));
    assert.deepEqual(JSON.parse(single.policy).Statement, [plain]);
    assert.deepEqual(single.leftOut, []);
  });
});

describe("weight-path harness: container paths mapped to volumes", () => {
  const mounts: [string, string][] = [
    ["/work", "/tmp/p/work"],
    ["/scripts", "/tmp/p/scripts"],
    ["/mnt/models", "/tmp/node/models"],
  ];

  it("rewrites a mount path at a path boundary, in commands, quoted and after separators", () => {
    assert.equal(mapPaths("sh /scripts/seed.sh", mounts), "sh /tmp/p/scripts/seed.sh");
    assert.equal(mapPaths('[ -f /work/.seeded ] || hf download --local-dir /work/src "x"', mounts), '[ -f /tmp/p/work/.seeded ] || hf download --local-dir /tmp/p/work/src "x"');
    assert.equal(mapPaths("/work", mounts), "/tmp/p/work");
    assert.equal(mapPaths('"/work/commit"', mounts), '"/tmp/p/work/commit"');
  });

  it("leaves paths that only share a prefix, and relative paths, alone", () => {
    assert.equal(mapPaths("/workspace/x", mounts), "/workspace/x");
    assert.equal(mapPaths("a/work/b", mounts), "a/work/b");
    assert.equal(mapPaths("/mnt/models-old", mounts), "/mnt/models-old");
  });
});
