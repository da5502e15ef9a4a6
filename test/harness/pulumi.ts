import * as pulumi from "@pulumi/pulumi";
import { ResourceRecorder, resolved, settle } from "../../automation/plan/recorder";

export { resolved, ResourceRecorder };
export type { RecordedResource } from "../../automation/plan/recorder";

/**
 * Runs `program` under the mock runtime with the given stack config and returns what it
 * registered, once every registration has been answered.
 */
export async function runMocked<T>(
  program: () => T,
  options: { config?: Record<string, unknown>; secretKeys?: string[]; stack?: string } = {},
): Promise<{ recorder: ResourceRecorder; result: T }> {
  const recorder = new ResourceRecorder();
  await recorder.install("llm-platform", options.stack ?? "test");
  pulumi.runtime.setAllConfig(
    Object.fromEntries(Object.entries(options.config ?? {}).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])),
    options.secretKeys ?? [],
  );
  const result = program();
  await settle();
  return { recorder, result };
}

/** Whether an Output carries the secret bit. */
export function isSecretOutput(value: pulumi.Output<unknown>): Promise<boolean> {
  return pulumi.isSecret(value);
}
