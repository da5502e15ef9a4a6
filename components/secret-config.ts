import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import { ConfigIssue, HF_TOKEN_CONFIG_KEY, KUBECONFIG_CONFIG_KEY } from "./config";

// Stack-config keys that hold credentials. Pulumi encrypts a value only when it is set with
// `--secret`; a plain value is read as it is and lands in clear in the state, in previews and in
// every file `plan` writes, so both the program and `plan` refuse one.

/** The credential keys, fully qualified. */
export const SECRET_CONFIG_KEYS: readonly string[] = [KUBECONFIG_CONFIG_KEY, HF_TOKEN_CONFIG_KEY].map((k) => `llm-platform:${k}`);

/** How to store a key as a secret, for error messages. */
export function setSecretHint(key: string): string {
  const value = key.endsWith(`:${KUBECONFIG_CONFIG_KEY}`) ? `-- "$(cat <kubeconfig file>)"` : "<value>";
  return `pulumi config set --secret ${key} ${value}`;
}

/** One issue per credential key that is set but not stored as a secret. */
export function plainTextSecretIssues(isSet: (key: string) => boolean, isSecret: (key: string) => boolean, where = "in the stack config"): ConfigIssue[] {
  return SECRET_CONFIG_KEYS.filter((key) => isSet(key) && !isSecret(key)).map((key) => ({
    path: key,
    message: `is stored in plain text ${where}; remove it there and store it encrypted: ${setSecretHint(key)}`,
  }));
}

/**
 * Whether the running program received `key` as a secret: the language host lists secret keys in
 * PULUMI_CONFIG_SECRET_KEYS, which the SDK reads through `isConfigSecret`. `Config.getSecret` wraps
 * any value as a secret and so cannot tell.
 */
export function receivedAsSecret(key: string): boolean {
  // isConfigSecret is exported by the SDK's runtime module but marked internal, so its type is not published.
  const { isConfigSecret } = runtimeConfig as unknown as { isConfigSecret?: (k: string) => boolean };
  if (typeof isConfigSecret !== "function") {
    throw new Error("@pulumi/pulumi no longer exposes runtime/config isConfigSecret; cannot check that credentials are stored as secrets");
  }
  return isConfigSecret(key);
}
