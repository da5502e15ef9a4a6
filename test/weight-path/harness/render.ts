/**
 * A sample stack as `plan` renders it: the manifests and the cloud resources, and the parts of
 * them the weight path runs (seeder pods, restore init containers, pre-warm pods, the store's
 * identities). Pure lookups over the rendered files; they throw naming what is not there.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { REPO } from "./tools";

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // Rendered manifests are arbitrary JSON below the metadata.
  [key: string]: unknown;
}

export interface CloudResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

export interface Rendered {
  stack: string;
  dir: string;
  objects: KubeObject[];
  cloud: CloudResource[];
}

/** Runs `plan` for the stack into dir (exit 0 required) and reads what it wrote. */
export function plan(stack: string, dir: string): Rendered {
  const r = spawnSync(process.execPath, [path.join(REPO, "node_modules", "tsx", "dist", "cli.mjs"), "automation/plan/cli.ts", stack, "--out", dir, "--quiet"], {
    cwd: REPO,
    encoding: "utf8",
    timeout: 180_000,
  });
  if (r.status !== 0) throw new Error(`plan ${stack} exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return readRendered(stack, dir);
}

export function readRendered(stack: string, dir: string): Rendered {
  const objects = (yaml.loadAll(fs.readFileSync(path.join(dir, "manifests.yaml"), "utf8")) as (KubeObject | null)[]).filter((o): o is KubeObject => o !== null);
  const cloudFile = path.join(dir, "cloud.yaml");
  const cloud = fs.existsSync(cloudFile) ? ((yaml.load(fs.readFileSync(cloudFile, "utf8")) as CloudResource[] | null) ?? []) : [];
  return { stack, dir, objects, cloud };
}

export function find(r: Rendered, kind: string, name: string): KubeObject {
  const o = r.objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`${r.stack}: no ${kind} ${name} rendered (have: ${r.objects.map((x) => `${x.kind}/${x.metadata.name}`).join(", ")})`);
  return o;
}

export function ofKind(r: Rendered, kind: string): KubeObject[] {
  return r.objects.filter((x) => x.kind === kind);
}

/** The pod spec of a Job, CronJob (its jobTemplate), DaemonSet or an LLMInferenceService's template. */
export function podSpec(o: KubeObject): PodSpec {
  const spec = o.spec as Record<string, unknown>;
  switch (o.kind) {
    case "Job":
    case "DaemonSet":
      return (spec.template as { spec: PodSpec }).spec;
    case "CronJob":
      return (spec.jobTemplate as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
    case "LLMInferenceService":
      return spec.template as PodSpec;
    default:
      throw new Error(`${o.kind} ${o.metadata.name} has no pod template`);
  }
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; configMapKeyRef?: { name: string; key: string; optional?: boolean } };
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: EnvVar[];
  envFrom?: { secretRef?: { name: string }; configMapRef?: { name: string } }[];
  securityContext?: { runAsUser?: number; runAsGroup?: number; allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[] } };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[];
}

export interface Volume {
  name: string;
  emptyDir?: { sizeLimit?: string; medium?: string };
  hostPath?: { path: string; type?: string };
  configMap?: { name: string; defaultMode?: number; items?: { key: string; path: string }[] };
  secret?: { secretName: string; defaultMode?: number };
}

export interface PodSpec {
  initContainers?: Container[];
  containers: Container[];
  volumes?: Volume[];
  securityContext?: { runAsUser?: number; runAsGroup?: number; fsGroup?: number };
  serviceAccountName?: string;
}

/** ConfigMap data by name, as rendered. */
export function configMaps(r: Rendered): Record<string, Record<string, string>> {
  return Object.fromEntries(ofKind(r, "ConfigMap").map((c) => [c.metadata.name, (c.data as Record<string, string> | undefined) ?? {}]));
}

function cloudOne(r: Rendered, type: string, nameSuffix: string): CloudResource {
  const hits = r.cloud.filter((c) => c.type === type && c.name.endsWith(nameSuffix));
  if (hits.length !== 1) throw new Error(`${r.stack}: expected one ${type} named *${nameSuffix} in cloud.yaml, found ${hits.length}`);
  return hits[0];
}

/** One rendered IAM role of the store: its resource name, trust and permission documents. */
export interface AwsRole {
  name: string;
  trust: string;
  policy: string;
}

/**
 * The EKS snapshot store as rendered: bucket name, bucket policy, every role of the store (the
 * seeder's and each reader's) and which ServiceAccount each is associated with through Pod
 * Identity. A role, its policy and its association share one resource name.
 */
export interface AwsStore {
  bucket: string;
  bucketPolicy: string;
  roles: AwsRole[];
  /** ServiceAccount → role resource name. */
  associations: Record<string, string>;
}

export function awsStore(r: Rendered): AwsStore {
  const bucket = cloudOne(r, "aws:s3/bucket:Bucket", "-store-snapshots").inputs.bucket as string;
  const of = (type: string) => r.cloud.filter((c) => c.type === type && /-store-(seeder|reader-.+|prewarm-.+)$/.test(c.name));
  const policies = new Map(of("aws:iam/rolePolicy:RolePolicy").map((p) => [p.name, p.inputs.policy as string]));
  const roles = of("aws:iam/role:Role").map((role) => {
    const policy = policies.get(role.name);
    if (policy === undefined) throw new Error(`${r.stack}: role ${role.name} has no RolePolicy of the same name`);
    return { name: role.name, trust: role.inputs.assumeRolePolicy as string, policy };
  });
  const associations = Object.fromEntries(of("aws:eks/podIdentityAssociation:PodIdentityAssociation").map((a) => [a.inputs.serviceAccount as string, a.name]));
  if (!roles.some((x) => x.name.endsWith("-store-seeder"))) throw new Error(`${r.stack}: no seeder role in cloud.yaml`);
  return { bucket, bucketPolicy: cloudOne(r, "aws:s3/bucketPolicy:BucketPolicy", "-store-snapshots").inputs.policy as string, roles, associations };
}
