// Where a pod's volumes really live: pod volume → PVC → PV → StorageClass, generic ephemeral
// volumes and StatefulSet volumeClaimTemplates, resolved over every object of a stack.
import type { PolicyResource } from "@pulumi/policy";
import { claimTemplatesOf, isKind, Json, k8sObjects, K8sObject, volumesOf } from "./kubernetes";

export const NETWORK_FS_DRIVERS = ["efs.csi.aws.com", "fsx.csi.aws.com", "filestore.csi.storage.gke.io", "nfs.csi.k8s.io", "gcsfuse.csi.storage.gke.io", "s3.csi.aws.com", "file.csi.azure.com", "cephfs.csi.ceph.com"];
export const NETWORK_FS_PROVISIONERS = [...NETWORK_FS_DRIVERS, "kubernetes.io/nfs", "nfs.csi.k8s.io", "cluster.local/nfs-subdir-external-provisioner", "k8s-sigs.io/nfs-subdir-external-provisioner", "kubernetes.io/azure-file", "kubernetes.io/glusterfs", "kubernetes.io/cephfs"];
/** Provisioners whose volumes live on one node's disks. */
export const NODE_LOCAL_PROVISIONERS = ["kubernetes.io/no-provisioner", "rancher.io/local-path", "openebs.io/local", "topolvm.io", "local.csi.openebs.io", "lvm.csi.metal-stack.io", "local.csi.aliyun.com"];

/** In-tree volume sources that are network filesystems. */
const NETWORK_VOLUME_KEYS = ["nfs", "cephfs", "glusterfs", "azureFile", "quobyte"];

export interface StorageConfig {
  readonly networkDrivers: readonly string[];
  readonly networkProvisioners: readonly string[];
  readonly allowNfs: boolean;
}

export interface VolumeFinding {
  /** The pod volume (or claim template) that leads there. */
  readonly volume: string;
  /** The chain followed, e.g. `claim weights → class efs-sc (efs.csi.aws.com)`. */
  readonly chain: string;
  readonly network?: string;
  readonly nodePinned?: string;
  /** A claim this stack does not declare. */
  readonly unknownClaim?: string;
}

const nameOf = (o: K8sObject, fallback: string) => String(o.props?.metadata?.name ?? fallback);

/** The stack's claims, volumes and classes by name, built once per stack. */
export class StorageIndex {
  private readonly claims = new Map<string, Json>();
  private readonly volumes = new Map<string, Json>();
  private readonly classes = new Map<string, Json>();
  private defaultClass: string | undefined;

  constructor(resources: readonly PolicyResource[], private readonly config: StorageConfig) {
    for (const r of resources) {
      for (const o of k8sObjects(r.type, r.props)) {
        if (isKind(o.type, "core", "PersistentVolumeClaim")) {
          const name = nameOf(o, r.name);
          this.claims.set(`${o.props?.metadata?.namespace ?? ""}/${name}`, o.props?.spec ?? {});
          this.claims.set(name, o.props?.spec ?? {});
        } else if (isKind(o.type, "core", "PersistentVolume")) {
          this.volumes.set(nameOf(o, r.name), o.props);
        } else if (isKind(o.type, "storage.k8s.io", "StorageClass")) {
          const name = nameOf(o, r.name);
          this.classes.set(name, o.props);
          const a = o.props?.metadata?.annotations ?? {};
          if (a["storageclass.kubernetes.io/is-default-class"] === "true" || a["storageclass.beta.kubernetes.io/is-default-class"] === "true") {
            this.defaultClass = name;
          }
        }
      }
    }
  }

  /** Persistent volumes as declared (for checks on the volumes themselves). */
  persistentVolumes(): [string, Json][] {
    return [...this.volumes.entries()];
  }

  /** Whether a PersistentVolume is tied to one node: local, hostPath or affinity to a hostname. */
  static pinnedVolume(pv: Json): string | undefined {
    const spec = pv?.spec ?? {};
    if (spec.local) {
      return `local ${spec.local.path}`;
    }
    if (spec.hostPath) {
      return `hostPath ${spec.hostPath.path}`;
    }
    const terms = (spec.nodeAffinity?.required?.nodeSelectorTerms ?? []) as Json[];
    const hostKey = terms.flatMap((t) => (t?.matchExpressions ?? []) as Json[]).find((e) => /hostname/.test(String(e?.key)));
    return hostKey ? `nodeAffinity ${hostKey.key} ${(hostKey.values ?? []).join(",")}` : undefined;
  }

  private networkVolumeSource(source: Json): string | undefined {
    for (const key of NETWORK_VOLUME_KEYS) {
      if (source?.[key] && !(key === "nfs" && this.config.allowNfs)) {
        return key === "nfs" ? `NFS ${source.nfs.server}:${source.nfs.path}` : key;
      }
    }
    const driver = source?.csi?.driver;
    return driver !== undefined && this.config.networkDrivers.includes(String(driver)) ? `CSI driver ${driver}` : undefined;
  }

  private byClass(className: string | undefined, chain: string[]): Omit<VolumeFinding, "volume"> {
    const cls = className === undefined ? undefined : this.classes.get(className);
    if (cls === undefined) {
      return { chain: chain.join(" → ") };
    }
    const provisioner = String(cls.provisioner ?? "");
    const link = [...chain, `class ${className} (${provisioner})`].join(" → ");
    if (this.config.networkProvisioners.includes(provisioner) && !(provisioner.includes("nfs") && this.config.allowNfs)) {
      return { chain: link, network: `provisioner ${provisioner}` };
    }
    if (NODE_LOCAL_PROVISIONERS.includes(provisioner)) {
      return { chain: link, nodePinned: `node-local provisioner ${provisioner}` };
    }
    return { chain: link };
  }

  private byVolume(pvName: string, pv: Json, chain: string[]): Omit<VolumeFinding, "volume"> {
    const link = [...chain, `volume ${pvName}`];
    const network = this.networkVolumeSource(pv?.spec);
    const pinned = StorageIndex.pinnedVolume(pv);
    const viaClass = this.byClass(pv?.spec?.storageClassName, link);
    return { chain: viaClass.chain, network: network ?? viaClass.network, nodePinned: pinned ?? viaClass.nodePinned };
  }

  /** Follows a claim spec to its volume and class. */
  claimSpec(spec: Json, chain: string[]): Omit<VolumeFinding, "volume"> {
    if (spec?.volumeName && this.volumes.has(String(spec.volumeName))) {
      return this.byVolume(String(spec.volumeName), this.volumes.get(String(spec.volumeName)), chain);
    }
    // An unset class takes the default one; "" asks for a pre-bound volume without class.
    const className = spec?.storageClassName ?? this.defaultClass;
    const viaClass = this.byClass(className === "" ? undefined : className, chain);
    if (viaClass.network || viaClass.nodePinned) {
      return viaClass;
    }
    // Static volumes of that class (or of no class) are what the claim binds to.
    for (const [pvName, pv] of this.volumes) {
      if ((pv?.spec?.storageClassName ?? "") === (className ?? "")) {
        const found = this.byVolume(pvName, pv, chain);
        if (found.network || found.nodePinned) {
          return found;
        }
      }
    }
    return viaClass;
  }

  /** Every storage a pod spec (of an object in `namespace`) reaches, with what makes it a problem. */
  podVolumes(type: string, props: Json, podSpec: Json): VolumeFinding[] {
    const namespace = props?.metadata?.namespace ?? "";
    const found: VolumeFinding[] = [];
    for (const v of volumesOf(podSpec)) {
      const volume = String(v?.name);
      const network = this.networkVolumeSource(v);
      if (network) {
        found.push({ volume, chain: network, network });
      }
      const claimName = v?.persistentVolumeClaim?.claimName;
      if (claimName !== undefined) {
        const spec = this.claims.get(`${namespace}/${claimName}`) ?? this.claims.get(String(claimName));
        found.push(spec === undefined ? { volume, chain: `claim ${claimName}`, unknownClaim: String(claimName) } : { volume, ...this.claimSpec(spec, [`claim ${claimName}`]) });
      }
      const ephemeral = v?.ephemeral?.volumeClaimTemplate?.spec;
      if (ephemeral !== undefined) {
        found.push({ volume, ...this.claimSpec(ephemeral, ["ephemeral claim"]) });
      }
    }
    for (const t of claimTemplatesOf(type, props)) {
      const volume = String(t?.metadata?.name);
      found.push({ volume, ...this.claimSpec(t?.spec, [`volumeClaimTemplate ${volume}`]) });
    }
    return found;
  }
}
