import * as pulumi from "@pulumi/pulumi";
import { ResourceRecorder, resolved, settle } from "../../automation/plan/recorder";
import { encodeConfig } from "../../automation/plan/stack-file";

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
  pulumi.runtime.setAllConfig(encodeConfig(options.config ?? {}), options.secretKeys ?? []);
  const result = program();
  await settle();
  return { recorder, result };
}

/**
 * Runs a program that is expected to throw before registering anything; returns the error and
 * what was registered all the same.
 */
export async function runMockedExpectingError(
  program: () => unknown,
  options: Parameters<typeof runMocked>[1] = {},
): Promise<{ recorder: ResourceRecorder; error: unknown }> {
  let error: unknown;
  const { recorder } = await runMocked(() => {
    try {
      program();
    } catch (err) {
      error = err;
    }
  }, options);
  return { recorder, error };
}
