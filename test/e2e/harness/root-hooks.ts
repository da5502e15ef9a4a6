import { armDeadline, killEverything, tierTimeoutMs } from "./processes";

// Root hooks of the e2e tier (loaded through .mocharc.e2e.json): one overall timeout for the
// whole tier on top of mocha's per-test one, and nothing the tier started outlives it.

let disarm: (() => void) | undefined;

export const mochaHooks = {
  beforeAll(): void {
    disarm = armDeadline(tierTimeoutMs(process.env.LLM_PLATFORM_E2E_TIMEOUT), "the e2e tier");
  },
  afterAll(): void {
    disarm?.();
    killEverything();
  },
};
