import type { ParsedCapacity, ParsedCapacityStep } from "./capacity-schema";
import type { Report } from "./report";
import type { ParsedPlatform, ParsedPool } from "./schema";

// Cross-field rules of a pool's `capacity` section, and its resolved form: the fallback steps
// with their bounds, and the disruption window with the blocking budget that is its complement.

export type CapacityStepType = ParsedCapacityStep["type"];

export interface ResolvedCapacityStep {
  readonly type: CapacityStepType;
  /** EC2 capacity reservation IDs (aws) or GKE reservation names (gcp) of a reservation step. */
  readonly reservationIds: readonly string[];
  /** Tags selecting EC2 capacity reservations (aws). */
  readonly reservationTags?: Readonly<Record<string, string>>;
  readonly maxNodes: number;
}

/**
 * A daily or weekly window, and its complement: the span in which consolidation and drift are
 * blocked. Karpenter's budgets apply while their schedule is active, so "allowed only inside the
 * window" is a zero-node budget active from the window's close until it next opens.
 */
export interface ResolvedDisruptionWindow {
  readonly schedule: string;
  readonly duration: string;
  readonly blockSchedule: string;
  readonly blockDuration: string;
}

export interface ResolvedCapacity {
  readonly provisioner: ParsedCapacity["provisioner"];
  /** In the order tried; `[on-demand]` when none is configured. Managed pools keep `capacityType`. */
  readonly steps: readonly ResolvedCapacityStep[];
  readonly consolidateAfter: string;
  readonly disruptionWindow?: ResolvedDisruptionWindow;
}

/** Node label (and taint key) that ties pods and manually created GKE node pools to a ComputeClass. */
export const COMPUTE_CLASS_LABEL = "cloud.google.com/compute-class";

/** The ComputeClass of a pool: its name never starts with `gke` or `autopilot`, which GKE reserves. */
export function computeClassName(pool: string): string {
  return `llm-${pool}`;
}

const EC2_RESERVATION = /^cr-[0-9a-f]{8,17}$/;
/** Compute Engine resource names: lowercase, a letter first, up to 63 characters. */
const GCE_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Minutes of a `NhMm`/`Nh`/`Nm` duration, or undefined when it is not one. */
export function windowMinutes(duration: string): number | undefined {
  const m = /^(?:([1-9][0-9]*)h)?(?:([1-9][0-9]*)m)?$/.exec(duration);
  if (m === null || (m[1] === undefined && m[2] === undefined)) {
    return undefined;
  }
  return Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0);
}

function formatMinutes(total: number): string {
  const h = Math.floor(total / 60);
  const m = total % 60;
  return `${h > 0 ? `${h}h` : ""}${m > 0 ? `${m}m` : ""}`;
}

/**
 * The blocking budget of a window: it opens when the window closes and lasts until the window
 * opens again. Returns a problem instead when the schedule or duration is not one this handles.
 */
export function disruptionWindowBudget(schedule: string, duration: string): { blockSchedule: string; blockDuration: string } | { problem: string; field: "schedule" | "duration" } {
  const cron = /^([0-9]{1,2}) ([0-9]{1,2}) \* \* (\*|[0-6])$/.exec(schedule.trim());
  if (cron === null || Number(cron[1]) > 59 || Number(cron[2]) > 23) {
    return { field: "schedule", problem: `"${schedule}" is not "<minute> <hour> * * <day-of-week or *>" (a daily or weekly window, e.g. "0 2 * * 6")` };
  }
  const weekly = cron[3] !== "*";
  const period = weekly ? 7 * 24 * 60 : 24 * 60;
  const open = windowMinutes(duration);
  if (open === undefined) {
    return { field: "duration", problem: `"${duration}" is not a duration in hours and minutes such as 4h, 90m or 1h30m` };
  }
  if (open >= period) {
    return { field: "duration", problem: `${duration} is not shorter than the ${weekly ? "week" : "day"} the schedule repeats over, so the window never closes` };
  }
  const start = Number(cron[2]) * 60 + Number(cron[1]) + (weekly ? Number(cron[3]) * 24 * 60 : 0);
  const close = (start + open) % period;
  const day = Math.floor(close / (24 * 60));
  const inDay = close % (24 * 60);
  return {
    blockSchedule: `${inDay % 60} ${Math.floor(inDay / 60)} * * ${weekly ? String(day) : "*"}`,
    blockDuration: formatMinutes(period - open),
  };
}

const STEP_ORDER_REASON = "a reservation is paid for whether used or not, so it must be tried before on-demand or spot";

/**
 * The pool's capacity, resolved and checked: the provisioner fits the cloud, pool-level
 * `capacityType`/`reservation` stay with managed pools, each step is well formed and appears once,
 * reservations come first, spot is never the only capacity of a prod pool nor used by multi-node
 * replicas, and the window parses.
 */
export function resolveCapacity(pool: ParsedPool, path: string, config: ParsedPlatform, report: Report): ResolvedCapacity {
  const { capacity } = pool;
  const at = `${path}.capacity`;
  const cloud = config.cloud.provider;
  const { provisioner } = capacity;
  if (provisioner === "karpenter" && cloud !== "aws") {
    report(`${at}.provisioner`, `karpenter provisions EKS nodes; cloud.provider is ${cloud} (use compute-class on gcp)`);
  }
  if (provisioner === "compute-class" && cloud !== "gcp") {
    report(`${at}.provisioner`, `compute-class is a GKE ComputeClass; cloud.provider is ${cloud} (use karpenter on aws)`);
  }
  const elastic = provisioner !== "managed";
  if (!elastic) {
    for (const key of ["fallback", "disruptionWindow"] as const) {
      if (capacity[key] !== undefined) {
        report(`${at}.${key}`, `needs provisioner karpenter (aws) or compute-class (gcp); a managed node group buys capacity as capacityType says`);
      }
    }
  } else {
    if (pool.capacityType !== "on-demand") {
      report(`${path}.capacityType`, `applies to managed node groups; with provisioner ${provisioner} list the purchase options in capacity.fallback`);
    }
    if (pool.reservation !== undefined) {
      report(`${path}.reservation`, `applies to managed node groups; with provisioner ${provisioner} add a reservation step with reservationIds to capacity.fallback`);
    }
  }
  if (provisioner === "karpenter") {
    if (pool.minNodes > 0 || (pool.desiredNodes ?? 0) > 0) {
      report(`${path}.minNodes`, "Karpenter keeps no minimum: it launches nodes for pending replicas and removes empty ones; leave minNodes and desiredNodes at 0 and size with the models' replicas");
    }
    if (pool.nodeImage === "bottlerocket-nvidia") {
      report(`${path}.nodeImage`, "Karpenter pools are built on the AL2023 NVIDIA image; bottlerocket-nvidia is only available with managed node groups");
    }
  }
  if (capacity.disruptionWindow !== undefined && provisioner === "compute-class") {
    report(`${at}.disruptionWindow`, "is a Karpenter setting (aws); GKE's cluster autoscaler has no consolidation window");
  }

  const configured = capacity.fallback ?? [{ type: "on-demand" as const }];
  const steps = configured.map((step, i) => resolveStep(step, `${at}.fallback[${i}]`, pool, cloud, report));
  configured.forEach((step, i) => {
    const first = configured.findIndex((s) => s.type === step.type);
    if (first !== i) {
      report(`${at}.fallback[${i}].type`, `${step.type} is listed twice (also fallback[${first}]); each purchase option is one step`);
    }
  });
  const reservationAt = configured.findIndex((s) => s.type === "reservation");
  if (reservationAt > 0) {
    report(`${at}.fallback[${reservationAt}].type`, `reservation comes after ${configured[0]?.type}: ${STEP_ORDER_REASON}`);
  }
  const spotAt = configured.findIndex((s) => s.type === "spot");
  if (spotAt >= 0 && elastic) {
    if (pool.multiNode) {
      report(`${at}.fallback[${spotAt}].type`, "spot is refused for multi-node pools: one interrupted node takes the whole replica down");
    } else if (config.environment.tier === "prod" && spotAt === 0) {
      report(`${at}.fallback[${spotAt}].type`, "a prod pool may fall back to spot but not start with it: put on-demand (or a reservation) first");
    }
  }

  let disruptionWindow: ResolvedDisruptionWindow | undefined;
  if (capacity.disruptionWindow !== undefined) {
    const { schedule, duration } = capacity.disruptionWindow;
    const budget = disruptionWindowBudget(schedule, duration);
    if ("problem" in budget) {
      report(`${at}.disruptionWindow.${budget.field}`, budget.problem);
    } else {
      disruptionWindow = { schedule, duration, ...budget };
    }
  }
  if (provisioner === "compute-class" && !/^[1-9][0-9]*m$|^[1-9][0-9]*h$/.test(capacity.consolidateAfter)) {
    report(`${at}.consolidateAfter`, `GKE takes the consolidation delay in whole minutes; ${capacity.consolidateAfter} is not (use e.g. 15m)`);
  }
  return { provisioner, steps, consolidateAfter: capacity.consolidateAfter, ...(disruptionWindow !== undefined ? { disruptionWindow } : {}) };
}

function resolveStep(step: ParsedCapacityStep, at: string, pool: ParsedPool, cloud: ParsedPlatform["cloud"]["provider"], report: Report): ResolvedCapacityStep {
  const ids = step.reservationIds ?? [];
  if (step.type !== "reservation") {
    for (const key of ["reservationIds", "reservationTags"] as const) {
      if (step[key] !== undefined) {
        report(`${at}.${key}`, `only a reservation step consumes reservations; this step is ${step.type}`);
      }
    }
  } else {
    if (ids.length === 0 && step.reservationTags === undefined) {
      report(`${at}.reservationIds`, `a reservation step needs the reservations it consumes: reservationIds${cloud === "aws" ? " or reservationTags" : ""}`);
    }
    if (step.reservationTags !== undefined && cloud !== "aws") {
      report(`${at}.reservationTags`, `selects EC2 capacity reservations by tag (aws); on ${cloud} name the reservations in reservationIds`);
    }
    if (step.reservationTags !== undefined && Object.keys(step.reservationTags).length === 0) {
      report(`${at}.reservationTags`, "is empty: it would select every reservation in the account");
    }
    ids.forEach((id, j) => {
      if (cloud === "aws" && !EC2_RESERVATION.test(id)) {
        report(`${at}.reservationIds[${j}]`, `"${id}" is not an EC2 capacity reservation ID (cr-…)`);
      } else if (cloud === "gcp" && !GCE_NAME.test(id)) {
        report(`${at}.reservationIds[${j}]`, `"${id}" is not a Compute Engine reservation name (lowercase letters, digits and '-', a letter first)`);
      }
      if (ids.indexOf(id) !== j) {
        report(`${at}.reservationIds[${j}]`, `${id} is listed twice`);
      }
    });
  }
  const maxNodes = step.maxNodes ?? pool.maxNodes;
  if (maxNodes > pool.maxNodes) {
    report(`${at}.maxNodes`, `${maxNodes} is above the pool's maxNodes ${pool.maxNodes}`);
  }
  return { type: step.type, reservationIds: ids, ...(step.reservationTags !== undefined ? { reservationTags: step.reservationTags } : {}), maxNodes };
}

/** Nodes the pool can reach at once: its maxNodes when managed, the sum over its steps otherwise. */
export function reachableNodes(pool: { readonly maxNodes: number; readonly capacity: ResolvedCapacity }): number {
  return pool.capacity.provisioner === "managed" ? pool.maxNodes : pool.capacity.steps.reduce((sum, s) => sum + s.maxNodes, 0);
}
