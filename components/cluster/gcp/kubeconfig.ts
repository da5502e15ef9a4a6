// kubeconfig of a GKE cluster that authenticates through the gke-gcloud-auth-plugin, as
// `gcloud container clusters get-credentials` writes it; no credential is stored in it.

export interface GkeKubeconfigInput {
  readonly name: string;
  /** Control-plane IP or DNS name (without scheme). */
  readonly endpoint: string;
  /** Base64 cluster CA certificate (masterAuth.clusterCaCertificate). */
  readonly caData: string;
}

export function gkeKubeconfig(input: GkeKubeconfigInput): string {
  const context = input.name;
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: context, cluster: { server: `https://${input.endpoint}`, "certificate-authority-data": input.caData } }],
    contexts: [{ name: context, context: { cluster: context, user: context } }],
    "current-context": context,
    users: [
      {
        name: context,
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "gke-gcloud-auth-plugin",
            installHint: "Install gke-gcloud-auth-plugin: gcloud components install gke-gcloud-auth-plugin",
            provideClusterInfo: true,
            interactiveMode: "Never",
          },
        },
      },
    ],
  });
}
