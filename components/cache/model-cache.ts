import * as fs from "fs";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { GpuPoolDescriptor } from "../cluster/pool-descriptor";
import type { ResolvedModel } from "../config";
import { seededModels, seedScratchBytes } from "./seeding";
import { cacheReaders, modelReaderServiceAccount, prewarmedModelsByPool, prewarmServiceAccount } from "./identities";
import { SEEDER_SERVICE_ACCOUNT } from "./snapshot";
import { CacheSettings, isMovingRef, prewarmConfigMap, prewarmDaemonSet, seederCronJob, seederJob, SeederOptions } from "./workloads";

export { SEEDER_SERVICE_ACCOUNT };

// common.sh holds the helpers the others source from their own directory; prewarm.sh runs
// restore.sh and prune.sh beside it.
export const SCRIPTS = ["common.sh", "restore.sh", "seed.sh", "prune.sh", "prewarm.sh"] as const;
export const HF_TOKEN_SECRET = "hf-token";

/** The cache scripts as shipped in this package, for the ConfigMap. */
export function scriptFiles(): Record<string, string> {
  return Object.fromEntries(SCRIPTS.map((f) => [f, fs.readFileSync(path.join(__dirname, "scripts", f), "utf8")]));
}

export interface ModelCacheArgs {
  /** Models whose weights the cache provides (nvme or stream mode). Required. */
  readonly models: readonly ResolvedModel[];
  /** GPU pools by name. Required. */
  readonly pools: ReadonlyMap<string, GpuPoolDescriptor>;
  /** Store, credentials and transfer settings. Required. */
  readonly settings: Omit<CacheSettings, "scriptsConfigMap">;
  /** Namespace of the model services. Required. */
  readonly namespace: string;
  readonly provider: k8s.Provider;
  /** Hugging Face token for gated models, kept secret. Default: none. */
  readonly hfToken?: pulumi.Input<string>;
  /**
   * Annotations for the readers' ServiceAccounts (by name) and the seeder's (e.g. the GKE Workload
   * Identity binding). Default: none; EKS Pod Identity associates roles without annotations.
   */
  readonly serviceAccountAnnotations?: { readonly readers?: Record<string, Record<string, string>>; readonly seeder?: Record<string, string> };
  /** Resources everything here waits for (the namespace). Default: none. */
  readonly dependsOn?: pulumi.Resource[];
  readonly labels?: Record<string, string>;
}

/**
 * The snapshot-restore cache: the scripts ConfigMap, a reader ServiceAccount per model service and
 * per pre-warmed pool (each bound by the cluster to a cloud identity that reads only its models'
 * prefixes, see identities.ts) and the seeder's, one seeder Job per model revision (plus an hourly
 * CronJob for a moving ref in dev), and per NVMe pool a pre-warm DaemonSet with the ConfigMap
 * listing its revisions. No PersistentVolume or claim.
 */
export class ModelCache extends pulumi.ComponentResource {
  public readonly settings: CacheSettings;
  /** What serving pods must wait for (scripts, identities). */
  public readonly servingDependencies: pulumi.Resource[];

  constructor(name: string, args: ModelCacheArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:index:ModelCache", name, {}, opts);
    const labels = { ...(args.labels ?? {}), "app.kubernetes.io/component": "model-cache" };
    const childOpts = (dependsOn: pulumi.Resource[] = []): pulumi.CustomResourceOptions => ({
      parent: this,
      provider: args.provider,
      dependsOn: [...(args.dependsOn ?? []), ...dependsOn],
    });
    const scriptsName = "llm-model-cache-scripts";
    const scripts = new k8s.core.v1.ConfigMap(
      `${name}-scripts`,
      { metadata: { name: scriptsName, namespace: args.namespace, labels }, data: scriptFiles() },
      childOpts(),
    );
    this.settings = { ...args.settings, scriptsConfigMap: scriptsName };
    const account = (key: string, saName: string, annotations?: Record<string, string>) =>
      new k8s.core.v1.ServiceAccount(
        `${name}-${key}`,
        { metadata: { name: saName, namespace: args.namespace, labels, ...(annotations ? { annotations } : {}) } },
        childOpts(),
      );
    const readerAccounts = new Map(
      cacheReaders(args.models).map((r) => [
        r.serviceAccount,
        account(r.kind === "model" ? `reader-${r.name}` : `prewarm-reader-${r.name}`, r.serviceAccount, args.serviceAccountAnnotations?.readers?.[r.serviceAccount]),
      ]),
    );
    const readers = [...readerAccounts.values()];
    const seeder = account("seeder", SEEDER_SERVICE_ACCOUNT, args.serviceAccountAnnotations?.seeder);
    const token =
      args.hfToken !== undefined
        ? new k8s.core.v1.Secret(
            `${name}-hf-token`,
            { metadata: { name: HF_TOKEN_SECRET, namespace: args.namespace, labels }, type: "Opaque", stringData: { token: pulumi.secret(args.hfToken) } },
            childOpts(),
          )
        : undefined;

    for (const { model } of seededModels(args.models)) {
      const options: SeederOptions = {
        namespace: args.namespace,
        serviceAccount: SEEDER_SERVICE_ACCOUNT,
        hfTokenSecret: token ? HF_TOKEN_SECRET : undefined,
        labels,
        pool: model.pool === undefined ? undefined : args.pools.get(model.pool),
        scratchBytes: seedScratchBytes(model.architecture),
      };
      const seederOpts = childOpts([scripts, seeder, ...(token ? [token] : [])]);
      const job = seederJob(model, this.settings, options);
      new k8s.batch.v1.Job(`${name}-seed-${model.name}`, job, {
        ...seederOpts,
        // A new revision is a new Job; a finished Job's spec cannot change in place.
        deleteBeforeReplace: true,
      });
      if (isMovingRef(model)) {
        new k8s.batch.v1.CronJob(`${name}-reseed-${model.name}`, seederCronJob(model, this.settings, options), seederOpts);
      }
    }

    for (const [poolName, models] of prewarmedModelsByPool(args.models)) {
      const pool = args.pools.get(poolName) as GpuPoolDescriptor;
      const list = new k8s.core.v1.ConfigMap(
        `${name}-prewarm-${poolName}-models`,
        prewarmConfigMap(pool, models, { namespace: args.namespace, labels }),
        childOpts(),
      );
      new k8s.apps.v1.DaemonSet(
        `${name}-prewarm-${poolName}`,
        prewarmDaemonSet(pool, this.settings, { namespace: args.namespace, serviceAccount: prewarmServiceAccount(poolName), labels }),
        // Its own ServiceAccount only: a model added elsewhere changes nothing of this DaemonSet.
        childOpts([scripts, readerAccounts.get(prewarmServiceAccount(poolName)) as k8s.core.v1.ServiceAccount, list]),
      );
    }
    this.servingDependencies = [scripts, ...readers];
    this.registerOutputs({ settings: this.settings });
  }

  /** The ServiceAccount a model service's pods run as: its own reader, which reads only that model's snapshots. */
  readerServiceAccountOf(model: string): string {
    return modelReaderServiceAccount(model);
  }
}
