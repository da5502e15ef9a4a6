import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { cloudMockCall, cloudMockState } from "./cloud-mocks";
import type { MockState, RecordedResource } from "./recorded-resource";

export type { MockState, RecordedResource } from "./recorded-resource";

/** The parts of the protobuf RegisterResourceRequest the recorder reads. */
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProvider(): string;
  getCustom(): boolean;
  getDependenciesList(): string[];
}

type Callback = (err: unknown, response: { getUrn(): string } | undefined) => void;

/**
 * Records every registration (type, name, inputs, parent, provider, dependencies) while the real
 * program runs under Pulumi's mock runtime. The stock mock monitor drops parent and dependencies,
 * so this monitor reads them off the request before handing it on.
 */
export class ResourceRecorder {
  readonly resources: RecordedResource[] = [];
  // Inputs as the mock saw them, until the registration's response names its URN.
  private readonly inputs = new Map<string, Record<string, unknown>>();

  constructor(private readonly state: MockState = cloudMockState) {}

  /** Installs the recorder as the runtime's monitor. Call before the program registers anything. */
  async install(project: string, stack: string, preview = false): Promise<void> {
    const mocks: pulumi.runtime.Mocks = {
      newResource: (args) => {
        const inputs = args.inputs as Record<string, unknown>;
        this.inputs.set(`${args.type}::${args.name}`, inputs);
        const state = this.state({
          type: args.type,
          name: args.name,
          custom: args.custom ?? false,
          provider: args.provider || undefined,
          dependencies: [],
          inputs,
        });
        return { id: args.custom ? `${args.name}-id` : undefined, state };
      },
      call: (args) => cloudMockCall(args.token, args.inputs as Record<string, unknown>),
    };
    // setMocks switches on the runtime features mocks support; the recording monitor then
    // replaces its monitor.
    await pulumi.runtime.setMocks(mocks, project, stack, preview);
    pulumi.runtime.setMockOptions(new RecordingMonitor(mocks, (r) => this.record(r)), project, stack, preview);
    allowTransforms();
  }

  private record(entry: Omit<RecordedResource, "inputs">): void {
    const key = `${entry.type}::${entry.name}`;
    this.resources.push({ ...entry, inputs: this.inputs.get(key) ?? {} });
    this.inputs.delete(key);
  }

  /** Resources of one type, in registration order. */
  ofType(type: string): RecordedResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  /** The single resource with this type and name; throws when there is not exactly one. */
  get(type: string, name: string): RecordedResource {
    const found = this.resources.filter((r) => r.type === type && r.name === name);
    if (found.length !== 1) {
      throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
    }
    return found[0];
  }

  byUrn(urn: string): RecordedResource | undefined {
    return this.resources.find((r) => r.urn === urn);
  }
}

/**
 * The stock mock monitor drops a registration's parent and dependencies; this one reads them off
 * the request and reports them with the URN the mock assigned.
 */
class RecordingMonitor extends MockMonitor {
  constructor(
    mocks: pulumi.runtime.Mocks,
    private readonly onRegistered: (entry: Omit<RecordedResource, "inputs">) => void,
  ) {
    super(mocks);
  }

  override async registerResource(req: RegisterRequest, callback: Callback): Promise<void> {
    return super.registerResource(req, (err, response) => {
      if (!err && response !== undefined) {
        this.onRegistered({
          urn: response.getUrn(),
          type: req.getType(),
          name: req.getName(),
          custom: req.getCustom(),
          parent: req.getParent() || undefined,
          provider: req.getProvider() || undefined,
          dependencies: req.getDependenciesList(),
        });
      }
      callback(err, response);
    });
  }
}

/**
 * setMockOptions (a monitor of one's own after setMocks) also resets the runtime feature flags
 * setMocks turned on; without this one a resource with `transforms` (EksCluster's pulumi-eks
 * component) is refused. Call after setMockOptions.
 */
export function allowTransforms(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the runtime's store lives in an internal module without type declarations
  (require("@pulumi/pulumi/runtime/state") as { getStore(): { supportsTransforms: boolean } }).getStore().supportsTransforms = true;
}

/** Waits until every registration the program started has been answered. */
export async function settle(): Promise<void> {
  // The runtime exposes no public "wait for RPCs" outside disconnect; disconnect without shutdown
  // only drains the queue, which is what a finished mock run needs.
  await pulumi.runtime.disconnect();
}

/** The value of an Output (or plain value) once the mock runtime has resolved it. */
export function resolved<T>(value: pulumi.Input<T>): Promise<pulumi.Unwrap<T>> {
  return new Promise((resolve) => {
    pulumi.output(value).apply((v) => {
      resolve(v);
      return v;
    });
  });
}
