import type { KubernetesObject } from "../../../automation/plan/render";

// The controllers run as local processes, not behind their in-cluster Services: their charts'
// webhook configurations are registered by URL against the local webhook servers, with a
// self-signed certificate (local-process.ts makes it), so every object still goes through the
// controllers' own admission. Pure.

const WEBHOOK_KINDS = new Set(["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]);

interface ClientConfig {
  service?: { name?: string; namespace?: string; path?: string; port?: number };
  url?: string;
  caBundle?: string;
}

/**
 * The chart's webhook configurations, pointed at https://127.0.0.1:<port><path> with the given CA.
 * The cert-manager CA-injection annotation goes (nothing would inject). A webhook without a
 * service path is an error: the local server would answer it on a guessed path.
 */
export function webhooksByUrl(objects: readonly KubernetesObject[], port: number, caBundlePem: string, where: string): KubernetesObject[] {
  const caBundle = Buffer.from(caBundlePem).toString("base64");
  const found = objects.filter((o) => WEBHOOK_KINDS.has(o.kind));
  if (found.length === 0) {
    throw new Error(`${where}: renders no webhook configuration`);
  }
  return found.map((o) => {
    const copy = JSON.parse(JSON.stringify(o)) as { metadata: { annotations?: Record<string, string> }; webhooks?: { name: string; clientConfig?: ClientConfig }[] };
    delete copy.metadata.annotations?.["cert-manager.io/inject-ca-from"];
    for (const hook of copy.webhooks ?? []) {
      const servicePath = hook.clientConfig?.service?.path;
      if (servicePath === undefined) {
        throw new Error(`${where}: ${o.kind} ${o.metadata.name} webhook ${hook.name} has no service path`);
      }
      hook.clientConfig = { url: `https://127.0.0.1:${port}${servicePath}`, caBundle };
    }
    return copy as unknown as KubernetesObject;
  });
}
