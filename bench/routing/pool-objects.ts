// The objects the EPP (pool mode) reads from the API server: one InferencePool and one Pod per
// simulator. Every simulator listens on its own loopback port (the simulator binds all addresses,
// so they cannot share a port on distinct 127.0.0.x addresses). The EPP v1.5.0 makes one endpoint
// per pod × pool targetPort (pkg/epp/datastore/datastore.go), narrowed to the ports a pod lists in
// its inference.networking.k8s.io/active-ports annotation, so each Pod names its own port and gets
// exactly one endpoint <podIP>:<port>; with several target ports, metrics are read on that port.

export const POOL_NAME = "bench-pool";
export const NAMESPACE = "default";
const SELECTOR = { "app.kubernetes.io/name": "bench-sim" };
/** The InferencePool CRD allows at most this many target ports. */
export const MAX_SIMS = 8;

export function simPodName(index: number): string {
  return `sim-${index}`;
}

export function inferencePool(simPorts: readonly number[], eppPort: number): object {
  if (simPorts.length === 0 || simPorts.length > MAX_SIMS) {
    throw new Error(`simPorts: the pool takes 1 to ${MAX_SIMS} simulators (InferencePool targetPorts maxItems), got ${simPorts.length}`);
  }
  return {
    apiVersion: "inference.networking.k8s.io/v1",
    kind: "InferencePool",
    metadata: { name: POOL_NAME, namespace: NAMESPACE },
    spec: {
      selector: { matchLabels: SELECTOR },
      targetPorts: simPorts.map((number) => ({ number })),
      endpointPickerRef: { name: "bench-epp", port: { number: eppPort } },
    },
  };
}

/**
 * The namespace's default ServiceAccount: without a controller manager nobody creates it, and
 * the ServiceAccount admission plugin refuses pods until it exists.
 */
export function defaultServiceAccount(): object {
  return { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace: NAMESPACE } };
}

/** A Pod object for simulator `index` (spec only; status is set through the status subresource). */
export function simPod(index: number, port: number): object {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: simPodName(index),
      namespace: NAMESPACE,
      labels: SELECTOR,
      annotations: { "inference.networking.k8s.io/active-ports": String(port) },
    },
    spec: { automountServiceAccountToken: false, containers: [{ name: "sim", image: "ghcr.io/llm-d/llm-d-inference-sim:v0.10.2", ports: [{ containerPort: port }] }] },
  };
}

/** The status that makes the EPP count a pod: Ready, with the loopback address as its IP. */
export function simPodStatus(): object {
  return {
    status: {
      phase: "Running",
      podIP: "127.0.0.1",
      podIPs: [{ ip: "127.0.0.1" }],
      conditions: [{ type: "Ready", status: "True", lastTransitionTime: "2026-01-01T00:00:00Z" }],
    },
  };
}
