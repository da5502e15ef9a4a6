import * as fs from "fs";
import * as path from "path";
import type { KubernetesObject } from "../../../automation/plan/render";
import type { TestApiServer } from "./api-server";
import { applyOrThrow } from "./kserve";
import { freePort, LocalProcess, selfSignedCert, waitForPort } from "./local-process";
import { webhooksByUrl } from "./webhooks";

// The LeaderWorkerSet controller (sigs.k8s.io/lws v0.8.0 cmd), which turns KServe's multi-node
// workloads into leader and worker StatefulSets. Run out of cluster with a configuration file
// (its cmd/main.go reads one with --config): no leader election, no internal certificate
// rotation (it would look for its in-cluster Secret and Service), its webhook server on a free
// port with a self-signed certificate. Its pod webhook labels the group's pods, which its pod
// controller needs to create the workers, so the chart's webhooks are registered by URL.

export async function startLws(api: TestApiServer, chart: readonly KubernetesObject[]): Promise<LocalProcess> {
  const dir = path.join(api.dir, "lws");
  const certDir = path.join(dir, "certs");
  const ca = await selfSignedCert(certDir);
  const port = await freePort();
  const config = [
    "apiVersion: config.lws.x-k8s.io/v1alpha1",
    "kind: Configuration",
    "leaderElection:",
    "  leaderElect: false",
    "internalCertManagement:",
    "  enable: false",
    "webhook:",
    `  port: ${port}`,
    "  host: 127.0.0.1",
    `  certDir: ${certDir}`,
    "metrics:",
    '  bindAddress: "0"',
    "health:",
    '  healthProbeBindAddress: "0"',
    "",
  ].join("\n");
  const file = path.join(dir, "config.yaml");
  fs.writeFileSync(file, config);
  const proc = LocalProcess.start(api.dir, "lws-controller", "lws-controller", [`--kubeconfig=${api.kubeconfig}`, `--config=${file}`, "--zap-log-level=info"]);
  await waitForPort("LWS controller: webhook server", port, 120_000, [proc]);
  await applyOrThrow(api, webhooksByUrl(chart, port, ca, "lws chart"), "LWS webhook configurations");
  return proc;
}
