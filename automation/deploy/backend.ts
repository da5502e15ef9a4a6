// Where state lives and how secrets are encrypted, read from the environment the way the Pulumi
// CLI reads it, so a misconfigured CI job fails with a clear message before the CLI starts.

export type Backend = { readonly kind: "pulumi-cloud"; readonly url: string } | { readonly kind: "file"; readonly url: string };

export class BackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BackendError";
  }
}

const PULUMI_CLOUD = "https://api.pulumi.com";

/**
 * The backend named by PULUMI_BACKEND_URL (Pulumi Cloud when unset). A file:// backend needs a
 * passphrase for the stack's secrets (PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE),
 * Pulumi Cloud an access token (PULUMI_ACCESS_TOKEN) unless `pulumi login` already ran here.
 */
export function backendFromEnvironment(env: NodeJS.ProcessEnv, options: { loggedIn?: boolean } = {}): Backend {
  const url = env.PULUMI_BACKEND_URL?.trim() || PULUMI_CLOUD;
  if (url.startsWith("file://")) {
    if (!env.PULUMI_CONFIG_PASSPHRASE && !env.PULUMI_CONFIG_PASSPHRASE_FILE) {
      throw new BackendError(
        `PULUMI_BACKEND_URL is ${url} but neither PULUMI_CONFIG_PASSPHRASE nor PULUMI_CONFIG_PASSPHRASE_FILE is set; a file backend encrypts the stack's secrets with that passphrase`,
      );
    }
    return { kind: "file", url };
  }
  if (/^(s3|gs|azblob):\/\//.test(url)) {
    return { kind: "file", url };
  }
  if (!/^https:\/\//.test(url)) {
    throw new BackendError(`PULUMI_BACKEND_URL "${url}" is not a backend URL (https://…, file://…, s3://…, gs://…, azblob://…)`);
  }
  if (!env.PULUMI_ACCESS_TOKEN && !options.loggedIn) {
    throw new BackendError(`the backend is ${url} but PULUMI_ACCESS_TOKEN is not set; create a token in Pulumi Cloud and export it (CI: a secret)`);
  }
  return { kind: "pulumi-cloud", url };
}
