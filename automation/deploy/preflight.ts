import { DescribeInstanceTypeOfferingsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { GetServiceQuotaCommand, ServiceQuotasClient } from "@aws-sdk/client-service-quotas";
import type { QuotaNeed } from "../../components/cost/quotas";

// Capacity preflight: the quotas a stack needs at max scale against the account's actual quotas,
// and each pool's type against the zones that offer it. The cloud calls sit behind two small
// interfaces so the comparison is tested over recorded responses; only `deploy preflight` builds
// the SDK-backed ones, with the credentials the SDKs find in the environment.

/** What preflight asks AWS. */
export interface AwsCapacityApi {
  /** The applied value of an EC2 service quota (vCPUs), or undefined when the account has none. */
  quota(code: string): Promise<number | undefined>;
  /** Availability zones of the region that offer `instanceType`. */
  offeredZones(instanceType: string): Promise<string[]>;
}

/** What preflight asks Google Cloud. */
export interface GcpCapacityApi {
  /** The region's quotas (limit and current usage per metric) and its zones. */
  region(): Promise<{ quotas: { metric: string; limit: number; usage: number }[]; zones: string[] }>;
  /** Whether `machineType` is offered in `zone`. */
  offered(machineType: string, zone: string): Promise<boolean>;
}

export interface PreflightPool {
  readonly name: string;
  readonly instanceType?: string;
  /** Zones the pool's nodes may use; undefined: every zone of the region (gcp) or network (aws). */
  readonly zones?: readonly string[];
}

export interface QuotaCheck {
  readonly quota: string;
  readonly name: string;
  readonly needed: number;
  /** What is left for this stack: the limit (AWS reports no usage), or limit − usage (GCP). */
  readonly available?: number;
  readonly ok: boolean;
  readonly message: string;
}

export interface ZoneCheck {
  readonly pool: string;
  readonly instanceType: string;
  readonly zones: readonly string[];
  readonly missing: readonly string[];
  readonly ok: boolean;
  readonly message: string;
}

export interface PreflightReport {
  readonly quotas: readonly QuotaCheck[];
  readonly zones: readonly ZoneCheck[];
  readonly ok: boolean;
}

function quotaCheck(need: QuotaNeed, available: number | undefined, what: string): QuotaCheck {
  const base = { quota: need.quota, name: need.name, needed: need.needed, ...(available !== undefined ? { available } : {}) };
  if (available === undefined) {
    return { ...base, ok: false, message: `${need.quota} (${need.name}): the account reports no such quota in ${need.region ?? "the region"}; ${need.needed} ${need.unit} are needed (${need.usedBy.join(", ")})` };
  }
  const ok = available >= need.needed;
  return {
    ...base,
    ok,
    message: ok
      ? `${need.quota} (${need.name}): ${need.needed} ${need.unit} needed, ${available} ${what}`
      : `${need.quota} (${need.name}) is too low: ${need.needed} ${need.unit} needed at max scale (${need.usedBy.join(", ")}) but ${available} ${what}. Request an increase or lower the pools' maxNodes.`,
  };
}

function zoneCheck(pool: PreflightPool & { instanceType: string }, zones: readonly string[], offered: ReadonlySet<string>): ZoneCheck {
  const missing = zones.filter((z) => !offered.has(z));
  const ok = missing.length === 0 && zones.length > 0;
  return {
    pool: pool.name,
    instanceType: pool.instanceType,
    zones,
    missing,
    ok,
    message: ok
      ? `pool ${pool.name}: ${pool.instanceType} is offered in ${zones.join(", ")}`
      : `pool ${pool.name}: ${pool.instanceType} is not offered in ${missing.join(", ") || "any zone"} (offered in: ${[...offered].sort().join(", ") || "none"}). Set gpuPools[].zones to zones that offer it.`,
  };
}

const typed = (pools: readonly PreflightPool[]) => pools.filter((p): p is PreflightPool & { instanceType: string } => p.instanceType !== undefined);

export async function preflightAws(needs: readonly QuotaNeed[], pools: readonly PreflightPool[], networkZones: readonly string[], api: AwsCapacityApi): Promise<PreflightReport> {
  const quotas = await Promise.all(needs.map(async (n) => quotaCheck(n, await api.quota(n.quota), "is the account's quota (running instances of the family already count against it)")));
  const zones = await Promise.all(
    typed(pools).map(async (p) => zoneCheck(p, p.zones ?? networkZones, new Set(await api.offeredZones(p.instanceType)))),
  );
  return { quotas, zones, ok: quotas.every((q) => q.ok) && zones.every((z) => z.ok) };
}

export async function preflightGcp(needs: readonly QuotaNeed[], pools: readonly PreflightPool[], api: GcpCapacityApi): Promise<PreflightReport> {
  const region = await api.region();
  const byMetric = new Map(region.quotas.map((q) => [q.metric, q]));
  const quotas = needs.map((n) => {
    const q = byMetric.get(n.quota);
    return quotaCheck(n, q === undefined ? undefined : q.limit - q.usage, q === undefined ? "" : `are free (limit ${q.limit}, in use ${q.usage})`);
  });
  const zones = await Promise.all(
    typed(pools).map(async (p) => {
      const candidates = p.zones ?? region.zones;
      const offered = await Promise.all(candidates.map(async (z) => [z, await api.offered(p.instanceType, z)] as const));
      // A regional pool needs the type somewhere in the region; a pinned pool needs it in every zone it names.
      const have = new Set(offered.filter(([, yes]) => yes).map(([z]) => z));
      return p.zones === undefined && have.size > 0 ? zoneCheck(p, [...have], have) : zoneCheck(p, candidates, have);
    }),
  );
  return { quotas, zones, ok: quotas.every((q) => q.ok) && zones.every((z) => z.ok) };
}

export function renderPreflight(stack: string, report: PreflightReport): string {
  const line = (ok: boolean, message: string) => `  ${ok ? "ok  " : "FAIL"} ${message}`;
  return [
    `Capacity preflight of stack ${stack}: ${report.ok ? "every quota and zone suffices" : "capacity is short"}`,
    "Quotas at max scale:",
    ...(report.quotas.length > 0 ? report.quotas.map((q) => line(q.ok, q.message)) : ["  none needed"]),
    "Instance types in the pools' zones:",
    ...(report.zones.length > 0 ? report.zones.map((z) => line(z.ok, z.message)) : ["  no catalog types"]),
    "",
  ].join("\n");
}

/** The smallest part of an AWS SDK v3 client preflight uses, so tests can answer with recorded responses. */
export interface SdkClient {
  send(command: unknown): Promise<unknown>;
}

/** AWS answers through SDK clients (real ones by default). */
export function awsCapacityApi(region: string, clients: { quotas?: SdkClient; ec2?: SdkClient } = {}): AwsCapacityApi {
  const quotas = clients.quotas ?? (new ServiceQuotasClient({ region }) as unknown as SdkClient);
  const ec2 = clients.ec2 ?? (new EC2Client({ region }) as unknown as SdkClient);
  return {
    quota: async (code) => {
      try {
        const out = (await quotas.send(new GetServiceQuotaCommand({ ServiceCode: "ec2", QuotaCode: code }))) as { Quota?: { Value?: number } };
        return out.Quota?.Value;
      } catch (err) {
        if ((err as { name?: string }).name === "NoSuchResourceException") {
          return undefined;
        }
        throw err;
      }
    },
    offeredZones: async (instanceType) => {
      const out = (await ec2.send(
        new DescribeInstanceTypeOfferingsCommand({ LocationType: "availability-zone", Filters: [{ Name: "instance-type", Values: [instanceType] }] }),
      )) as { InstanceTypeOfferings?: { Location?: string }[] };
      return (out.InstanceTypeOfferings ?? []).flatMap((o) => (o.Location ? [o.Location] : []));
    },
  };
}

/** The two Compute Engine calls preflight makes, as @google-cloud/compute's clients answer them. */
export interface GcpClients {
  regions: { get(request: { project: string; region: string }): Promise<unknown> };
  machineTypes: { get(request: { project: string; zone: string; machineType: string }): Promise<unknown> };
}

const NOT_FOUND = 5; // gRPC status code; the REST transport reports HTTP 404 as `code: 404`.

/** Google Cloud answers through Compute Engine clients (real ones by default). */
export async function gcpCapacityApi(project: string, region: string, clients?: GcpClients): Promise<GcpCapacityApi> {
  const c = clients ?? (await defaultGcpClients());
  return {
    region: async () => {
      const [r] = (await c.regions.get({ project, region })) as [{ quotas?: { metric?: string; limit?: number; usage?: number }[]; zones?: string[] }];
      return {
        quotas: (r.quotas ?? []).flatMap((q) => (q.metric ? [{ metric: q.metric, limit: Number(q.limit ?? 0), usage: Number(q.usage ?? 0) }] : [])),
        // Zones come as URLs (…/zones/us-central1-a).
        zones: (r.zones ?? []).map((z) => z.split("/").pop() ?? z),
      };
    },
    offered: async (machineType, zone) => {
      try {
        await c.machineTypes.get({ project, zone, machineType });
        return true;
      } catch (err) {
        const code = (err as { code?: number }).code;
        if (code === NOT_FOUND || code === 404) {
          return false;
        }
        throw err;
      }
    },
  };
}

async function defaultGcpClients(): Promise<GcpClients> {
  // Loaded only when preflight runs against Google Cloud, and through a module name the compiler does
  // not follow: the library's generated types are large enough to double lint and typecheck time.
  // GcpClients above is the part of its API this file uses.
  const library: string = "@google-cloud/compute";
  const compute = (await import(library)) as { RegionsClient: new () => unknown; MachineTypesClient: new () => unknown };
  return { regions: new compute.RegionsClient(), machineTypes: new compute.MachineTypesClient() } as GcpClients;
}
