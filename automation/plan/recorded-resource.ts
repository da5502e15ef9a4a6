// What the plan recorder captures per registration; a leaf shared by the recorder and the cloud mocks.

/** One resource registration as the engine would have received it. */
export interface RecordedResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** True for resources a provider manages; false for components. */
  readonly custom: boolean;
  /** URN of the parent resource, if any. */
  readonly parent?: string;
  /** Provider reference (`<urn>::<id>`) the resource is managed through, if explicit. */
  readonly provider?: string;
  /** URNs this resource depends on: explicit `dependsOn` plus those its inputs came from. */
  readonly dependencies: readonly string[];
  /** Inputs with secrets unwrapped (rendering decides whether to show them). */
  readonly inputs: Record<string, unknown>;
}

/** What a registered resource "returns" under the mock runtime. */
export type MockState = (resource: Omit<RecordedResource, "urn">) => Record<string, unknown>;
