import { dump } from "js-yaml";

// Node bootstrap settings that assemble a GPU node's instance-store NVMe into one array at boot,
// in the shapes @pulumi/eks v4's ManagedNodeGroup takes (nodeadmExtraOptions, bottlerocketSettings).

/** Where AL2023's nodeadm mounts the RAID0 array (amazon-eks-ami setup-local-disks: /mnt/k8s-disks/0). */
export const AL2023_NVME_MOUNT = "/mnt/k8s-disks/0";
/** Where Bottlerocket mounts its ephemeral-storage array (core-kit apiserver ephemeral_storage.rs). */
export const BOTTLEROCKET_NVME_MOUNT = "/mnt/.ephemeral";

/**
 * nodeadm NodeConfig part (node.eks.aws/v1alpha1) asking for instance-store RAID0; pulumi-eks wraps
 * it in the MIME document itself, so this is only the part body and its content type.
 */
export function nodeadmRaid0Part(): { contentType: string; content: string } {
  const nodeConfig = {
    apiVersion: "node.eks.aws/v1alpha1",
    kind: "NodeConfig",
    spec: { instance: { localStorage: { strategy: "RAID0" } } },
  };
  return { contentType: "application/node.eks.aws", content: `---\n${dump(nodeConfig, { lineWidth: -1 })}` };
}

/**
 * Bottlerocket settings: bootstrap commands that build the ephemeral-storage array (RAID0 over the
 * instance store) and bind containerd, kubelet and pod logs onto it, before kubelet starts.
 * pulumi-eks expects the top-level `settings` key.
 */
export function bottlerocketEphemeralStorageSettings(): { settings: Record<string, unknown> } {
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
