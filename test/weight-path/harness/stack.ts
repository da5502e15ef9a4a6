/**
 * One sample stack's weight path, wired: its render, the IAM-enforcing S3 loaded with its
 * rendered store, a hub serving the repositories its seeders download, and helpers that run its
 * seeder Jobs, serving pods' restore containers and pre-warm DaemonSets as rendered.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Egress, startEgress } from "./egress";
import { generatedFiles, Hub, HubRepo, startHub } from "./hub";
import { PodResult, PodRun, runPod } from "./pod";
import { awsStore, configMaps, KubeObject, ofKind, plan, podSpec, Rendered } from "./render";
import { Creds, IamS3, startIamS3 } from "./s3";
import { ensureTools, Image, layoutImages, Tools } from "./tools";

export const HUB_TOKEN = "hf_weightpathtesttoken0123456789";

export interface SeedTarget {
  job: KubeObject;
  repo: string;
  revision: string;
}

export class StackRun {
  readonly root: string;
  rendered!: Rendered;
  tools!: Tools;
  images!: Record<string, Image>;
  s3!: IamS3;
  hub!: Hub;
  egress!: Egress;
  region = "";
  private podCount = 0;

  constructor(readonly stack: string) {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), `weight-path-${stack}-`));
    fs.chmodSync(this.root, 0o755);
  }

  async start(): Promise<void> {
    this.tools = ensureTools();
    this.images = layoutImages(this.tools, path.join(this.root, "images"));
    this.rendered = plan(this.stack, path.join(this.root, "plan"));
    this.region = this.renderedRegion();
    this.s3 = await startIamS3(this.tools, awsStore(this.rendered), this.region, path.join(this.root, "moto.log"));
    this.hub = await startHub(this.hubRepos());
    this.egress = await startEgress();
  }

  async stop(): Promise<void> {
    await Promise.all([this.s3?.stop(), this.hub?.stop(), this.egress?.stop()]);
    if (!process.env.WEIGHT_PATH_KEEP) fs.rmSync(this.root, { recursive: true, force: true });
  }

  private renderedRegion(): string {
    for (const job of ofKind(this.rendered, "Job")) {
      for (const c of podSpec(job).containers) {
        const r = c.env?.find((e) => e.name === "RCLONE_CONFIG_SNAP_REGION")?.value;
        if (r) return r;
      }
    }
    throw new Error(`${this.stack}: no seeder renders RCLONE_CONFIG_SNAP_REGION`);
  }

  /** Each seeder Job with the repository and revision its download container names. */
  seedTargets(): SeedTarget[] {
    return ofKind(this.rendered, "Job").map((job) => {
      const download = podSpec(job).initContainers?.find((c) => c.name === "download");
      const env = (n: string) => download?.env?.find((e) => e.name === n)?.value;
      const repo = env("REPO");
      const revision = env("REVISION");
      if (!repo || !revision) throw new Error(`Job ${job.metadata.name}: its download container names no REPO/REVISION`);
      return { job, repo, revision };
    });
  }

  /** The hub's repositories: one per seeded repo; a pinned commit as rendered, a ref pointing at a made-up commit. */
  hubRepos(): HubRepo[] {
    const repos = new Map<string, HubRepo>();
    for (const t of this.seedTargets()) {
      const repo = repos.get(t.repo) ?? { id: t.repo, refs: {}, commits: {}, ...(t.repo.startsWith("meta-llama/") ? { token: HUB_TOKEN } : {}) };
      const commit = /^[0-9a-f]{40}$/.test(t.revision) ? t.revision : fakeCommit(`${t.repo}@${t.revision}#1`);
      if (commit !== t.revision) repo.refs[t.revision] = commit;
      repo.commits[commit] = generatedFiles(`${t.repo}@${commit}`);
      repos.set(t.repo, repo);
    }
    return [...repos.values()];
  }

  secrets(token = HUB_TOKEN): Record<string, Record<string, string>> {
    // Secrets are redacted in plan's files; the values are the test's own.
    return Object.fromEntries(ofKind(this.rendered, "Secret").map((s): [string, Record<string, string>] => [s.metadata.name, s.metadata.name === "hf-token" ? { token } : {}]));
  }

  podRun(extra: Partial<PodRun> & { node?: string; identity: Creds }): PodRun {
    const node = extra.node ?? path.join(this.root, "node-a");
    const { identity, ...rest } = extra;
    return {
      dir: path.join(this.root, "pods", `${++this.podCount}`),
      images: this.images,
      configMaps: configMaps(this.rendered),
      secrets: this.secrets(),
      hostPath: (p) => path.join(node, p),
      injectedEnv: { ...this.s3.podEnv(identity, this.region), HF_ENDPOINT: this.hub.endpoint, ...this.egress.env },
      timeoutMs: 180_000,
      hosts: { [`${this.s3.bucket}.localhost`]: "127.0.0.1", [`${this.s3.otherBucket}.localhost`]: "127.0.0.1" },
      ...rest,
    };
  }

  /**
   * The credentials a pod running as the ServiceAccount gets: those of the role its rendered Pod
   * Identity association names. Throws for a ServiceAccount no association names (such a pod gets
   * no AWS credentials).
   */
  identityOf(serviceAccount: string | undefined): Creds {
    const creds = serviceAccount === undefined ? undefined : this.s3.identities[serviceAccount];
    if (!creds) throw new Error(`${this.stack}: no Pod Identity association for ServiceAccount ${serviceAccount ?? "(none)"} (have: ${Object.keys(this.s3.identities).join(", ")})`);
    return creds;
  }

  /** The ServiceAccount a model service's pods run as. */
  serviceAccountOf(service: string): string {
    const sa = podSpec(this.service(service)).serviceAccountName;
    if (!sa) throw new Error(`${this.stack}: ${service} names no serviceAccountName`);
    return sa;
  }

  private service(name: string): KubeObject {
    const svc = ofKind(this.rendered, "LLMInferenceService").find((o) => o.metadata.name === name);
    if (!svc) throw new Error(`${this.stack}: no LLMInferenceService ${name}`);
    return svc;
  }

  /** Runs a seeder Job's pod with the credentials of its ServiceAccount's role. */
  seed(job: KubeObject, extra: Partial<PodRun> & { identity?: Creds } = {}): Promise<PodResult> {
    const spec = podSpec(job);
    return runPod(spec, this.podRun({ identity: extra.identity ?? this.identityOf(spec.serviceAccountName), ...extra }));
  }

  /** Runs the restore init container of the model's serving pod on a node, with its ServiceAccount's role. */
  restore(service: string, node: string, extra: Partial<PodRun> & { identity?: Creds } = {}): Promise<PodResult> {
    const spec = podSpec(this.service(service));
    return runPod(spec, this.podRun({ identity: extra.identity ?? this.identityOf(spec.serviceAccountName), node, only: (spec.initContainers ?? []).map((c) => c.name), ...extra }));
  }

  /** The Hugging Face repository a serving pod restores: its restore container's MODEL_ID (spec.model.name is the served name). */
  modelIdOf(svc: KubeObject): string {
    const restore = (podSpec(svc).initContainers ?? []).find((c) => c.name === "restore-weights");
    const id = restore?.env?.find((e) => e.name === "MODEL_ID")?.value;
    if (!id) throw new Error(`${this.stack}: ${svc.metadata.name} has no restore-weights container naming MODEL_ID`);
    return id;
  }

  /** The local directory a serving pod's volume (hostPath) maps to on the node. */
  servedDir(service: string, node: string, volume = "model-weights"): string {
    const svc = ofKind(this.rendered, "LLMInferenceService").find((o) => o.metadata.name === service) as KubeObject;
    const vol = (podSpec(svc).volumes ?? []).find((v) => v.name === volume);
    if (!vol?.hostPath) throw new Error(`${service}: no hostPath volume ${volume}`);
    return path.join(node, vol.hostPath.path);
  }
}

export function fakeCommit(seed: string): string {
  return crypto.createHash("sha1").update(seed).digest("hex");
}

/** Relative path → bytes of every regular file under dir (symlinks followed), without the cache's control files. */
export function readTree(dir: string, skip = [".llm-platform-manifest.tsv", ".llm-platform-complete"]): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d)) {
      const p = path.join(d, e);
      const st = fs.statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) {
        const rel = path.relative(dir, p);
        if (!skip.includes(rel)) out[rel] = fs.readFileSync(p);
      }
    }
  };
  walk(dir);
  return out;
}
