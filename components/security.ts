import type { IValidatingAdmissionPolicy } from "kubernetes-models/admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy";
import type { IValidatingAdmissionPolicyBinding } from "kubernetes-models/admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding";
import type { Named } from "./named-object";

// Pod Security Admission levels of the namespaces the platform creates, and the admission policy
// that keeps the models namespace's one exemption (hostPath for the snapshot-restore cache) narrow.

export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

/**
 * Pod Security labels: `enforce` at the level the namespace's pods need, `warn` and `audit` at
 * restricted so anything short of it shows up in kubectl and the audit log.
 */
export function podSecurityLabels(enforce: PodSecurityLevel): Record<string, string> {
  return {
    "pod-security.kubernetes.io/enforce": enforce,
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/warn-version": "latest",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/audit-version": "latest",
  };
}

/**
 * The level the models namespace enforces. Baseline forbids hostPath volumes, which the NVMe cache's
 * restore init containers and pre-warm DaemonSets mount, and capabilities beyond its short list,
 * which KServe v0.20's multi-node presets add (IPC_LOCK, SYS_RAWIO, NET_RAW for RDMA:
 * kserve-config-llm-*-worker-data-parallel). Those need privileged; the admission policy below
 * then takes back everything but the cache's hostPath.
 */
export function modelsNamespaceLevel(models: readonly { cacheMode: string; multiNode: boolean }[]): PodSecurityLevel {
  return models.some((m) => m.cacheMode === "nvme" || m.multiNode) ? "privileged" : "baseline";
}

export interface HostPathPolicyOptions {
  /** The models namespace. */
  readonly namespace: string;
  /** Cache roots on the nodes (one per NVMe mount path); hostPath volumes may name these or below. */
  readonly roots: readonly string[];
  /** Service accounts of the pods that mount the cache: each NVMe model's reader, each pool's pre-warm. */
  readonly hostPathServiceAccounts: readonly string[];
  /** Service account of the seeders, which only their Jobs' pods may run as. */
  readonly seederServiceAccount: string;
  readonly labels: Record<string, string>;
}

/** A CEL string literal; the values are paths and Kubernetes names (JSON's escaping is CEL's). */
const cel = (s: string): string => JSON.stringify(s);

function checkRoots(roots: readonly string[]): void {
  for (const root of roots) {
    if (!/^\/[A-Za-z0-9._\-/]*[A-Za-z0-9_-]$/.test(root) || root.split("/").some((s) => s === "." || s === "..")) {
      throw new Error(`cache root "${root}" must be an absolute path of A-Z a-z 0-9 . _ - without '.' or '..' segments and without a trailing '/'`);
    }
  }
}

/** Name of the cluster-wide policy (and binding) guarding one models namespace. */
export function hostPathPolicyName(namespace: string): string {
  return `llm-platform-pods-${namespace}`;
}

/**
 * A ValidatingAdmissionPolicy and its binding (admissionregistration.k8s.io/v1, GA in Kubernetes
 * 1.30) for the pods of the models namespace: hostPath volumes only at or under a cache root and
 * only for the cache readers' service accounts; no privileged containers or host namespaces (what
 * baseline would forbid and a privileged namespace lets through); the seeder's write identity only
 * for pods a Job owns, so no serving workload can run as it.
 */
export function hostPathAdmissionPolicy(options: HostPathPolicyOptions): [Named<IValidatingAdmissionPolicy>, Named<IValidatingAdmissionPolicyBinding>] {
  checkRoots(options.roots);
  const name = hostPathPolicyName(options.namespace);
  const roots = `[${options.roots.map(cel).join(", ")}]`;
  const sa = "(has(object.spec.serviceAccountName) ? object.spec.serviceAccountName : 'default')";
  const volumes = (body: string) => `!has(object.spec.volumes) || object.spec.volumes.all(v, !has(v.hostPath) || (${body}))`;
  const containers = (field: string) =>
    `!has(object.spec.${field}) || object.spec.${field}.all(c, !has(c.securityContext) || !has(c.securityContext.privileged) || !c.securityContext.privileged)`;
  const policy: Named<IValidatingAdmissionPolicy> = {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicy",
    metadata: { name, labels: options.labels },
    spec: {
      failurePolicy: "Fail",
      // A pod's volumes, host namespaces and service account are fixed at creation.
      matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] }] },
      validations: [
        {
          expression: volumes(`${roots}.exists(r, v.hostPath.path == r || v.hostPath.path.startsWith(r + '/')) && !v.hostPath.path.contains('/..')`),
          message: `hostPath volumes may only name the model cache (${options.roots.join(", ")}) or a path below it`,
          reason: "Forbidden",
        },
        {
          expression: `${volumes("false")} || ${sa} in [${options.hostPathServiceAccounts.map(cel).join(", ")}]`,
          message: `only the model cache's readers (${options.hostPathServiceAccounts.join(", ") || "none here"}) may mount hostPath volumes`,
          reason: "Forbidden",
        },
        {
          expression: `!(has(object.spec.hostNetwork) && object.spec.hostNetwork) && !(has(object.spec.hostPID) && object.spec.hostPID) && !(has(object.spec.hostIPC) && object.spec.hostIPC)`,
          message: "pods may not share the node's network, PID or IPC namespace",
          reason: "Forbidden",
        },
        {
          expression: `(${containers("containers")}) && (${containers("initContainers")})`,
          message: "containers may not run privileged",
          reason: "Forbidden",
        },
        {
          expression: `${sa} != ${cel(options.seederServiceAccount)} || (has(object.metadata.ownerReferences) && object.metadata.ownerReferences.exists(o, o.apiVersion == 'batch/v1' && o.kind == 'Job'))`,
          message: `only the seeders' Job pods may run as ${options.seederServiceAccount} (it can write the snapshot store)`,
          reason: "Forbidden",
        },
      ],
    },
  };
  const binding: Named<IValidatingAdmissionPolicyBinding> = {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicyBinding",
    metadata: { name, labels: options.labels },
    spec: {
      policyName: name,
      validationActions: ["Deny"],
      matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": options.namespace } } },
    },
  };
  return [policy, binding];
}
