import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IDeploymentSpec } from "kubernetes-models/apps/v1/DeploymentSpec";
import type { IService } from "kubernetes-models/v1/Service";
import type { Named } from "../named-object";
import { imageRef, images } from "../versions";
import type { PodTemplateSpec } from "../workload-kinds";

// The Redis that Envoy Gateway's global rate limit keeps its counters in. Envoy Gateway runs the
// rate-limit service itself once `config.envoyGateway.rateLimit.backend` names a Redis
// (envoyproxy/gateway v1.8.1 api/v1alpha1/envoygateway_types.go RateLimit); Envoy AI Gateway's
// token limits use the same service (ai-gateway v1.0.0 examples/token_ratelimit/redis.yaml and
// envoy-gateway-values-addon.yaml, which this follows). The counters are windows of at most a day,
// so the store keeps them in memory only: a restart forgets the current windows.

export const RATE_LIMIT_STORE_NAME = "llm-ratelimit-redis";
export const RATE_LIMIT_STORE_PORT = 6379;

/** The `host:port` Envoy Gateway's rate-limit service dials. */
export function rateLimitStoreUrl(namespace: string): string {
  return `${RATE_LIMIT_STORE_NAME}.${namespace}.svc.cluster.local:${RATE_LIMIT_STORE_PORT}`;
}

export type Deployment = Named<Omit<IDeployment, "spec"> & { readonly spec: Omit<IDeploymentSpec, "template"> & { readonly template: PodTemplateSpec } }>;

const selector = { "app.kubernetes.io/name": RATE_LIMIT_STORE_NAME };

export function rateLimitStoreDeployment(namespace: string, labels: Readonly<Record<string, string>>): Deployment {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: RATE_LIMIT_STORE_NAME, namespace, labels: { ...labels, ...selector } },
    spec: {
      replicas: 1,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: { ...labels, ...selector } },
        spec: {
          automountServiceAccountToken: false,
          // The image's redis user; starting as it skips the entrypoint's switch from root.
          securityContext: { runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: "redis",
              image: imageRef(images.redis),
              // Counters only: no snapshots, no append-only file.
              args: ["--save", "", "--appendonly", "no", "--protected-mode", "no"],
              ports: [{ name: "redis", containerPort: RATE_LIMIT_STORE_PORT }],
              resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } },
              readinessProbe: { tcpSocket: { port: RATE_LIMIT_STORE_PORT }, periodSeconds: 5 },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
              volumeMounts: [{ name: "data", mountPath: "/data" }],
            },
          ],
          volumes: [{ name: "data", emptyDir: {} }],
        },
      },
    },
  };
}

export function rateLimitStoreService(namespace: string, labels: Readonly<Record<string, string>>): Named<IService> {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: RATE_LIMIT_STORE_NAME, namespace, labels: { ...labels, ...selector } },
    spec: { selector, ports: [{ name: "redis", port: RATE_LIMIT_STORE_PORT, targetPort: RATE_LIMIT_STORE_PORT }] },
  };
}
