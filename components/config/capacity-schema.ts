import { z } from "zod";

// The `capacity` section of a GPU pool: who adds and removes its nodes, in which order capacity is
// bought, and when nodes that serve may be taken away. Rules across fields are in capacity.ts.

/** A Karpenter/Go duration of whole seconds, minutes or hours (`30s`, `15m`, `2h`). */
const DURATION = /^[1-9][0-9]*(s|m|h)$/;

export const capacityStepSchema = z
  .strictObject({
    type: z.enum(["reservation", "on-demand", "spot"]).describe("How this step buys nodes: a capacity reservation, on-demand, or spot. Required."),
    reservationIds: z
      .array(z.string().min(1))
      .optional()
      .describe("Reservations a `reservation` step consumes: EC2 capacity reservation IDs (`cr-…`, also capacity blocks) on aws, reservation names on gcp. Default: none."),
    reservationTags: z
      .record(z.string().min(1), z.string().min(1))
      .optional()
      .describe("Tags that select the EC2 capacity reservations of a `reservation` step (`aws`, Karpenter). Default: none."),
    maxNodes: z
      .int()
      .min(1)
      .max(1000)
      .optional()
      .describe("Most nodes this step may run at once; the pool can reach the sum over its steps. Default: the pool's `maxNodes`."),
  })
  .describe("One step of the capacity fallback.");

export const disruptionWindowSchema = z
  .strictObject({
    schedule: z
      .string()
      .describe("When the window opens, as cron `<minute> <hour> * * <day-of-week|*>` in UTC: daily or weekly (e.g. `0 2 * * 6`). Required."),
    duration: z.string().describe("How long it stays open, in hours and minutes (`4h`, `90m`, `1h30m`). Required."),
  })
  .describe("When nodes that serve model replicas may be replaced to save cost or pick up a new node image.");

export const capacitySchema = z
  .strictObject({
    provisioner: z
      .enum(["managed", "karpenter", "compute-class"])
      .default("managed")
      .describe(
        "What adds and removes the pool's nodes: `managed` (an EKS managed node group or a GKE node pool, sized by `minNodes`..`maxNodes`), " +
          "`karpenter` (EKS: a Karpenter NodePool per fallback step), `compute-class` (GKE: a custom ComputeClass over one autoscaled node pool per step). Default: managed.",
      ),
    fallback: z
      .array(capacityStepSchema)
      .min(1)
      .max(3)
      .optional()
      .describe("Capacity in the order it is tried, e.g. reservation → on-demand → spot (karpenter and compute-class). Default: `[{type: on-demand}]`."),
    consolidateAfter: z
      .string()
      .regex(DURATION, "must be a whole number of seconds, minutes or hours, such as 15m")
      .default("15m")
      .describe("How long a node stays empty (or, inside the window, underused) before it is removed. Default: 15m."),
    disruptionWindow: disruptionWindowSchema
      .optional()
      .describe("Window in which nodes serving replicas may be consolidated or replaced (`karpenter`); outside it only empty nodes are removed. Default: none (never)."),
  })
  .describe("How the pool's node capacity grows and shrinks.");

export type ParsedCapacity = z.output<typeof capacitySchema>;
export type ParsedCapacityStep = z.output<typeof capacityStepSchema>;
