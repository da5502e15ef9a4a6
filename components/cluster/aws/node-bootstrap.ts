import { dump } from "js-yaml";
import { stringify as toToml } from "smol-toml";
import type { ResolvedPool } from "../../config";

// Node bootstrap settings that assemble a GPU node's instance-store NVMe into one array at boot.
// They go into the user data of the pool's own launch template; EKS keeps managing the AMI and
// merges its own cluster settings into what is given here (MIME parts on AL2023, TOML on
// Bottlerocket).

/** Where AL2023's nodeadm mounts the RAID0 array (amazon-eks-ami setup-local-disks: /mnt/k8s-disks/0). */
export const AL2023_NVME_MOUNT = "/mnt/k8s-disks/0";
/** Where Bottlerocket mounts its ephemeral-storage array (core-kit apiserver ephemeral_storage.rs). */
export const BOTTLEROCKET_NVME_MOUNT = "/mnt/.ephemeral";

export interface UserDataPart {
  readonly contentType: string;
  readonly content: string;
}

/**
 * The part of nodeadm's NodeConfig the platform sets: amazon-eks-ami v20260724
 * nodeadm/api/v1alpha1/nodeconfig_types.go (NodeConfigSpec.Instance, InstanceOptions.LocalStorage,
 * LocalStorageOptions.Strategy with its RAID0/RAID10/Mount enum). EKS merges its cluster settings in.
 */
export interface NodeadmNodeConfig {
  readonly apiVersion: "node.eks.aws/v1alpha1";
  readonly kind: "NodeConfig";
  readonly spec: {
    readonly instance: { readonly localStorage: { readonly strategy: "RAID0" | "RAID10" | "Mount" } };
  };
}

/** nodeadm NodeConfig part (node.eks.aws/v1alpha1) asking for instance-store RAID0. */
export function nodeadmRaid0Part(): UserDataPart {
  const nodeConfig: NodeadmNodeConfig = {
    apiVersion: "node.eks.aws/v1alpha1",
    kind: "NodeConfig",
    spec: { instance: { localStorage: { strategy: "RAID0" } } },
  };
  return { contentType: "application/node.eks.aws", content: `---\n${dump(nodeConfig, { lineWidth: -1 })}` };
}

/** Boundary of the MIME document; fixed so the user data (and the launch template) only changes with its parts. */
export const MIME_BOUNDARY = "LLMPLATFORM==";

/** A MIME multi-part document, the user-data format EKS merges for AL2023 managed node groups. */
export function mimeMultipart(parts: readonly UserDataPart[]): string {
  const body = parts.map((p) => `--${MIME_BOUNDARY}\nContent-Type: ${p.contentType}\n\n${p.content.endsWith("\n") ? p.content : `${p.content}\n`}\n`).join("");
  return `MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="${MIME_BOUNDARY}"\n\n${body}--${MIME_BOUNDARY}--\n`;
}

/**
 * Bottlerocket settings: bootstrap commands that build the ephemeral-storage array (RAID0 over the
 * instance store) and bind containerd, kubelet and pod logs onto it, before kubelet starts.
 */
/**
 * The Bottlerocket settings the platform sets: bootstrap commands, as bottlerocket-core-kit v3.1.1
 * sources/bootstrap-commands/src/main.rs reads them (`settings.bootstrap-commands.<name>` with
 * `commands`, a list of apiclient argument lists, `essential` and `mode`: always, once or off,
 * as main.rs handles them).
 */
export interface BottlerocketSettings {
  readonly settings: {
    readonly "bootstrap-commands": Readonly<
      Record<string, { readonly commands: readonly (readonly string[])[]; readonly essential: boolean; readonly mode: "always" | "once" | "off" }>
    >;
  };
}

export function bottlerocketEphemeralStorageSettings(): BottlerocketSettings {
  return {
    settings: {
      "bootstrap-commands": {
        "k8s-ephemeral-storage": {
          commands: [
            ["apiclient", "ephemeral-storage", "init"],
            ["apiclient", "ephemeral-storage", "bind", "--dirs", "/var/lib/containerd", "/var/lib/kubelet", "/var/log/pods"],
          ],
          essential: true,
          mode: "always",
        },
      },
    },
  };
}

/**
 * The user data of a GPU pool's launch template, or undefined when the pool needs none (no NVMe
 * array): AL2023 gets a MIME document with the nodeadm part, Bottlerocket a TOML settings document.
 */
export function gpuNodeUserData(pool: Pick<ResolvedPool, "nodeImage" | "nvme">): string | undefined {
  if (pool.nvme !== "raid0") {
    return undefined;
  }
  if (pool.nodeImage === "bottlerocket-nvidia") {
    return toToml(bottlerocketEphemeralStorageSettings());
  }
  return mimeMultipart([nodeadmRaid0Part()]);
}
