import * as fs from "fs";
import * as path from "path";
import type { KubernetesObject } from "../../../automation/plan/render";
import { manifestStream, type TestApiServer } from "./api-server";
import { LocalProcess, freePort, selfSignedCert, waitFor, waitForPort } from "./local-process";
import { webhooksByUrl } from "./webhooks";

// KServe v0.20.0's LLMInferenceService controller (cmd/llmisvc), run out of cluster against the
// test API server. What it needs, read in its source: the `inferenceservice-config` ConfigMap in
// namespace `kserve` (llmisvc.LoadConfig), the well-known LLMInferenceServiceConfig presets in
// `kserve` (kserve-runtime-configs), the Gateway API and Inference Extension CRDs, and its
// webhook server's certificate in <TMPDIR>/k8s-webhook-server/serving-certs (controller-runtime's
// default). Its webhooks are those kserve-llmisvc-resources registers, pointed at it by URL.

export const KSERVE_NAMESPACE = "kserve";


export interface KserveController {
  readonly process: LocalProcess;
  readonly webhookPort: number;
}

/**
 * Applies the controller's ConfigMap from the rendered kserve-llmisvc-resources release, starts
 * the controller, and registers its webhooks once its webhook server listens.
 * `resources` is that release as Helm renders it with the platform's values.
 */
export async function startKserve(api: TestApiServer, resources: readonly KubernetesObject[]): Promise<KserveController> {
  const configMaps = resources.filter((o) => o.kind === "ConfigMap" && o.metadata.name === "inferenceservice-config");
  if (configMaps.length !== 1) {
    throw new Error("kserve-llmisvc-resources renders no inferenceservice-config ConfigMap, which the llmisvc controller loads");
  }
  await applyOrThrow(api, [{ apiVersion: "v1", kind: "Namespace", metadata: { name: KSERVE_NAMESPACE } }, ...configMaps], "kserve-llmisvc-resources ConfigMap");
  const dir = path.join(api.dir, "kserve");
  const tmp = path.join(dir, "tmp");
  const ca = await selfSignedCert(path.join(tmp, "k8s-webhook-server", "serving-certs"));
  const webhookPort = await freePort();
  const proc = LocalProcess.start(
    api.dir,
    "llmisvc-controller",
    "llmisvc-controller",
    [`--kubeconfig=${api.kubeconfig}`, `--webhook-port=${webhookPort}`, "--metrics-addr=0", "--health-probe-addr=0", "--zap-log-level=info"],
    { TMPDIR: tmp, POD_NAMESPACE: KSERVE_NAMESPACE },
  );
  await waitForPort("KServe llmisvc controller: webhook server", webhookPort, 120_000, [proc]);
  const hooks = webhooksByUrl(resources, webhookPort, ca, "kserve-llmisvc-resources");
  await applyOrThrow(api, hooks, "KServe webhook configurations");
  return { process: proc, webhookPort };
}

/**
 * Applies the LLMInferenceServiceConfig presets (the rendered kserve-runtime-configs release).
 * Each goes through KServe's validating webhook; until the controller's cache has synced that
 * webhook may refuse, so this retries for a bounded time and then reports KServe's last answer.
 */
export async function applyPresets(api: TestApiServer, presets: readonly KubernetesObject[], controller: KserveController): Promise<string[]> {
  const configs = presets.filter((o) => o.kind === "LLMInferenceServiceConfig");
  if (configs.length === 0) {
    throw new Error("kserve-runtime-configs renders no LLMInferenceServiceConfig: are llmisvc configs enabled in its values?");
  }
  let last = "";
  await waitFor(
    "KServe presets (LLMInferenceServiceConfig) accepted",
    90_000,
    async () => {
      const out = await api.kubectl(["apply", "--server-side", "--force-conflicts", "--field-manager=kserve-runtime-configs", "-f", "-"], manifestStream(configs));
      last = out.stderr;
      return out.code === 0 ? true : undefined;
    },
    [controller.process],
    2_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; KServe's webhook answered:\n${last}`);
  });
  return configs.map((c) => c.metadata.name ?? "");
}

export async function applyOrThrow(api: TestApiServer, objects: readonly object[], what: string, manager = "llm-platform-e2e"): Promise<void> {
  const out = await api.kubectl(["apply", "--server-side", "--force-conflicts", `--field-manager=${manager}`, "-f", "-"], manifestStream(objects));
  if (out.code !== 0) {
    throw new Error(`${what}: the API server (or a webhook) refused:\n${out.stderr}`);
  }
}

/** Writes a file under the API server's scratch directory; returns its path. */
export function scratchFile(api: TestApiServer, name: string, text: string): string {
  const file = path.join(api.dir, name);
  fs.writeFileSync(file, text);
  return file;
}
