/**
 * moto's S3 + IAM + STS server on loopback, loaded with a stack's rendered snapshot store: the
 * bucket with its rendered bucket policy and versioning, every role of the store (the seeder's,
 * each model's and each pre-warmed pool's reader) with its rendered trust and permission
 * documents, and a second bucket no role names. Each role is
 * assumed once (before enforcement starts, since the trust names the EKS Pod Identity service),
 * and its temporary credentials are what the pods get — as Pod Identity hands a pod its role's.
 * Then moto's IAM enforcement is switched on: every S3 call is signed-checked and allowed only by
 * the caller's identity policies.
 *
 * What moto 5.2.5 evaluates (moto/iam/access_control.py, policy_conditions.py, s3/responses.py
 * _key_response): identity policies' actions and resources on every call; the bucket policy only
 * on object calls, never on bucket calls (ListBucket, CreateBucket); of conditions only
 * StringEquals — every other operator (StringLike, Bool, ...) counts as met. So the rendered
 * `s3:prefix` StringLike on ListBucket is not checked, and the bucket policy's TLS-only statement
 * (Deny s3:* to everyone when aws:SecureTransport is false) would deny every object call, TLS or
 * not: the store is loaded with the bucket policy minus the statements whose conditions moto
 * cannot evaluate (bucketPolicyForMoto), and those are reported, not silently dropped.
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as https from "https";
import { freePort } from "../../harness/free-port";
import * as path from "path";
import type { AwsStore } from "./render";
import type { Tools } from "./tools";

export interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface IamS3 {
  endpoint: string;
  bucket: string;
  otherBucket: string;
  /** Sids of the rendered bucket policy's statements moto could not enforce, so not loaded. */
  bucketPolicyLeftOut: string[];
  /** Each Pod Identity association's credentials, by ServiceAccount: what a pod running as it gets. */
  identities: Record<string, Creds>;
  /** The seeder role's. */
  seeder: Creds;
  /** A user allowed s3:* everywhere, for the test's own inspection. */
  admin: Creds;
  /** What a pod of the role gets injected (credentials, the store's endpoint, no instance metadata). */
  podEnv(role: Creds, region: string): Record<string, string>;
  /** Runs a boto3 S3 call as creds; returns its JSON result or {error: code}. */
  call(creds: Creds, op: string, params: Record<string, unknown>): Record<string, unknown>;
  stop(): Promise<void>;
}

/** Condition operators moto 5.2.5 evaluates (policy_conditions.py CONDITION_OPERATIONS). */
const MOTO_CONDITIONS = new Set(["StringEquals"]);

interface Statement {
  Sid?: string;
  Effect: string;
  Condition?: Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * The bucket policy moto can enforce as written: the rendered one minus each statement with a
 * condition operator moto treats as always met (it would apply unconditionally). Returns the
 * policy to load and the Sids left out.
 */
export function bucketPolicyForMoto(policy: string): { policy: string; leftOut: string[] } {
  const doc = JSON.parse(policy) as { Version: string; Statement: Statement | Statement[] };
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  const evaluable = (st: Statement) => Object.keys(st.Condition ?? {}).every((op) => MOTO_CONDITIONS.has(op));
  const kept = statements.filter(evaluable);
  const leftOut = statements.filter((st) => !evaluable(st)).map((st, i) => st.Sid ?? `statement ${i}`);
  return { policy: JSON.stringify({ ...doc, Statement: kept }), leftOut };
}

export { freePort };

function request(url: string, ca: Buffer, method: string, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, ca }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.setTimeout(5000, () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    req.end(body);
  });
}

/**
 * A CA and a server certificate for the store's host names (openssl, valid one day). The store
 * is served over TLS as S3 is: the rendered bucket policy's TLS-only rule is about it, and
 * rclone's AWS provider signs PutObject with an unsigned payload and trailing checksum only over
 * TLS (over plain HTTP the SDK must hash a body it cannot seek: "request stream is not seekable").
 */
function makeTls(dir: string, hosts: string[]): { ca: string; cert: string; key: string } {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const f = (n: string) => path.join(dir, n);
  const ossl = (args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"], timeout: 30_000 });
  ossl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=weight-path test CA", "-keyout", f("ca.key"), "-out", f("ca.pem")]);
  ossl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", f("server.key"), "-out", f("server.csr")]);
  fs.writeFileSync(f("san.ext"), `subjectAltName=${["localhost", ...hosts].map((h) => `DNS:${h}`).join(",")},IP:127.0.0.1\n`);
  ossl(["x509", "-req", "-in", f("server.csr"), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-CAcreateserial", "-days", "1", "-extfile", f("san.ext"), "-out", f("server.pem")]);
  // The CA is what the containers trust (SSL_CERT_FILE), as an image's bundle trusts Amazon's.
  fs.chmodSync(f("ca.pem"), 0o644);
  return { ca: f("ca.pem"), cert: f("server.pem"), key: f("server.key") };
}

const SETUP = `
import json, sys
import boto3
cfg = json.loads(sys.argv[2])
ep = sys.argv[1]
kw = dict(endpoint_url=ep, region_name=cfg["region"], aws_access_key_id="setup", aws_secret_access_key="setup", verify=cfg["ca"])
s3 = boto3.client("s3", **kw)
iam = boto3.client("iam", **kw)
sts = boto3.client("sts", **kw)
for b in (cfg["bucket"], cfg["other"]):
    if cfg["region"] == "us-east-1":
        s3.create_bucket(Bucket=b)
    else:
        s3.create_bucket(Bucket=b, CreateBucketConfiguration={"LocationConstraint": cfg["region"]})
s3.put_bucket_versioning(Bucket=cfg["bucket"], VersioningConfiguration={"Status": "Enabled"})
if json.loads(cfg["bucketPolicy"])["Statement"]:
    s3.put_bucket_policy(Bucket=cfg["bucket"], Policy=cfg["bucketPolicy"])
out = {"roles": {}}
for i, role in enumerate(cfg["roles"]):
    name = "store-%d" % i
    r = iam.create_role(RoleName=name, AssumeRolePolicyDocument=role["trust"])
    iam.put_role_policy(RoleName=name, PolicyName=name, PolicyDocument=role["policy"])
    c = sts.assume_role(RoleArn=r["Role"]["Arn"], RoleSessionName="weight-path-%d" % i)["Credentials"]
    out["roles"][role["name"]] = {"accessKeyId": c["AccessKeyId"], "secretAccessKey": c["SecretAccessKey"], "sessionToken": c["SessionToken"]}
iam.create_user(UserName="weight-path-admin")
iam.put_user_policy(UserName="weight-path-admin", PolicyName="s3", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
k = iam.create_access_key(UserName="weight-path-admin")["AccessKey"]
out["admin"] = {"accessKeyId": k["AccessKeyId"], "secretAccessKey": k["SecretAccessKey"]}
print(json.dumps(out))
`;

// One S3 call as given credentials: prints the result, or {"error": <code>} for a client error.
const CALL = `
import json, sys
import boto3, botocore
ep, region, creds, op, params, ca = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4], json.loads(sys.argv[5]), sys.argv[6]
s3 = boto3.client("s3", endpoint_url=ep, region_name=region, verify=ca, aws_access_key_id=creds["accessKeyId"], aws_secret_access_key=creds["secretAccessKey"], aws_session_token=creds.get("sessionToken"))
try:
    r = getattr(s3, op)(**params)
    r.pop("ResponseMetadata", None)
    if "Body" in r:
        r["Body"] = r["Body"].read().decode("utf-8", "replace")
    print(json.dumps(r, default=str))
except botocore.exceptions.ClientError as e:
    print(json.dumps({"error": e.response["Error"]["Code"]}))
`;

export async function startIamS3(tools: Tools, store: AwsStore, region: string, logFile: string): Promise<IamS3> {
  const port = await freePort();
  const otherBucket = `${store.bucket}-other`;
  const tls = makeTls(path.join(path.dirname(logFile), "tls"), [`${store.bucket}.localhost`, `${otherBucket}.localhost`]);
  const ca = fs.readFileSync(tls.ca);
  const endpoint = `https://localhost:${port}`;
  const log = fs.openSync(logFile, "a");
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, MOTO_CALL_RESET_API: "false" };
  const proc: ChildProcess = spawn(tools.moto, ["-H", "127.0.0.1", "-p", String(port), "-c", tls.cert, "-k", tls.key], { env, stdio: ["ignore", log, log] });
  fs.closeSync(log);
  let exited = false;
  proc.on("exit", () => (exited = true));
  const stop = async (): Promise<void> => {
    if (exited) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => proc.kill("SIGKILL"), 5000);
      proc.once("exit", () => {
        clearTimeout(t);
        resolve();
      });
      proc.kill("SIGTERM");
    });
  };
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (exited) throw new Error(`moto_server exited at start (see ${logFile})`);
      if ((await request(`${endpoint}/moto-api/data.json`, ca, "GET").catch(() => 0)) === 200) break;
      if (Date.now() > deadline) throw new Error("moto_server did not answer within 30 s");
      await new Promise((r) => setTimeout(r, 100));
    }
    const bucketPolicy = bucketPolicyForMoto(store.bucketPolicy);
    const cfg = { ca: tls.ca, region, bucket: store.bucket, other: otherBucket, bucketPolicy: bucketPolicy.policy, roles: store.roles };
    const keys = JSON.parse(execFileSync(tools.motoPython, ["-c", SETUP, endpoint, JSON.stringify(cfg)], { encoding: "utf8", env, timeout: 60_000 })) as { roles: Record<string, Creds>; admin: Creds };
    const identities = Object.fromEntries(Object.entries(store.associations).map(([sa, role]) => [sa, keys.roles[role]]));
    const seederRole = store.roles.find((r) => r.name.endsWith("-store-seeder"))?.name ?? "";
    const status = await request(`${endpoint}/moto-api/reset-auth`, ca, "POST", "0");
    if (status !== 200) throw new Error(`moto reset-auth answered ${status}`);
    return {
      endpoint,
      bucket: store.bucket,
      otherBucket,
      bucketPolicyLeftOut: bucketPolicy.leftOut,
      identities,
      seeder: keys.roles[seederRole],
      admin: keys.admin,
      podEnv: (c, r) => ({
        AWS_ACCESS_KEY_ID: c.accessKeyId,
        AWS_SECRET_ACCESS_KEY: c.secretAccessKey,
        ...(c.sessionToken ? { AWS_SESSION_TOKEN: c.sessionToken } : {}),
        AWS_REGION: r,
        AWS_EC2_METADATA_DISABLED: "true",
        // The store's endpoint in place of https://s3.<region>.amazonaws.com: rclone addresses AWS
        // virtual-host style whatever force_path_style says (backend/s3 setQuirks), so the host is
        // localhost and <bucket>.localhost resolves to loopback too (moto reads the bucket from it).
        RCLONE_CONFIG_SNAP_ENDPOINT: endpoint,
        SSL_CERT_FILE: tls.ca,
      }),
      call: (c, op, params) => JSON.parse(execFileSync(tools.motoPython, ["-c", CALL, endpoint, region, JSON.stringify(c), op, JSON.stringify(params), tls.ca], { encoding: "utf8", env, timeout: 60_000 })) as Record<string, unknown>,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
