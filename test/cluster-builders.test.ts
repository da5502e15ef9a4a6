import * as assert from "assert";
import { load } from "js-yaml";
import { parse as parseToml } from "smol-toml";
import { efaInterfaces, gpuLaunchTemplateSpec, gpuNodeGroupSpec, systemLaunchTemplateSpec } from "../components/cluster/aws/node-group";
import { gpuNodeUserData, MIME_BOUNDARY } from "../components/cluster/aws/node-bootstrap";
import { gkeKubeconfig } from "../components/cluster/gcp/kubeconfig";
import { gpuNodePoolSpec, serviceAccountId, workloadIdentityMember } from "../components/cluster/gcp/node-pool";
import { parsePlatformConfig, PlatformInput, ResolvedPool } from "../components/config";
import { isIpv4Cidr, overlaps, planVpcSubnets, subnet } from "../components/network/cidr";
import { baseConfig } from "./harness/fixtures";

function awsPool(pool: Record<string, unknown>): ResolvedPool {
  const config: PlatformInput = {
    ...baseConfig(),
    cloud: { provider: "aws", region: "us-east-1" },
    cluster: { name: "c", apiAccess: { publicCidrs: [], privateSources: { cidrs: ["10.100.0.0/16"] } } },
    network: { zones: ["us-east-1a", "us-east-1b"] },
    gpuPools: [{ name: "p", minNodes: 1, maxNodes: 2, ...pool }],
    models: [],
  };
  return parsePlatformConfig(config).gpuPools[0];
}

function gcpPool(pool: Record<string, unknown>): ResolvedPool {
  const config: PlatformInput = {
    ...baseConfig(),
    cloud: { provider: "gcp", region: "us-central1", project: "acme-llm" },
    cluster: { name: "c", apiAccess: { publicCidrs: [], privateSources: { cidrs: ["10.100.0.0/16"] } } },
    gpuPools: [{ name: "p", minNodes: 1, maxNodes: 2, ...pool }],
    models: [],
  };
  return parsePlatformConfig(config).gpuPools[0];
}

const decode = (b64: string | undefined) => Buffer.from(b64 ?? "", "base64").toString("utf8");

describe("CIDR layout", () => {
  it("accepts network addresses only", () => {
    assert.ok(isIpv4Cidr("10.0.0.0/16"));
    assert.ok(isIpv4Cidr("172.16.0.0/28"));
    for (const bad of ["10.0.0.1/16", "10.0.0.0", "10.0.0.0/33", "300.0.0.0/8", "10.0.0.0/16 ", "::/0", "a.b.c.d/8"]) {
      assert.ok(!isIpv4Cidr(bad), bad);
    }
  });

  it("carves blocks and detects overlaps", () => {
    assert.strictEqual(subnet("10.0.0.0/16", 19, 3), "10.0.96.0/19");
    assert.throws(() => subnet("10.0.0.0/16", 19, 8), /holds 8 \/19 blocks/);
    assert.ok(overlaps("10.4.0.0/14", "10.6.0.0/16"));
    assert.ok(!overlaps("10.4.0.0/14", "10.8.0.0/20"));
  });

  it("gives each zone a large private subnet and a small public one, all disjoint", () => {
    const plan = planVpcSubnets("10.20.0.0/16", ["us-east-1a", "us-east-1b", "us-east-1c"]);
    assert.deepStrictEqual(
      plan.map((p) => [p.zone, p.privateCidr, p.publicCidr]),
      [
        ["us-east-1a", "10.20.0.0/19", "10.20.224.0/24"],
        ["us-east-1b", "10.20.32.0/19", "10.20.225.0/24"],
        ["us-east-1c", "10.20.64.0/19", "10.20.226.0/24"],
      ],
    );
    const all = plan.flatMap((p) => [p.privateCidr, p.publicCidr]);
    all.forEach((a, i) => all.slice(i + 1).forEach((b) => assert.ok(!overlaps(a, b), `${a} vs ${b}`)));
  });
});

describe("EKS GPU node groups", () => {
  it("AL2023: NVIDIA AMI type, pool and GPU labels, the GPU taint, RAID0 through nodeadm in MIME user data", () => {
    const pool = awsPool({ instanceType: "p5.48xlarge" });
    const spec = gpuNodeGroupSpec(pool);
    assert.strictEqual(spec.amiType, "AL2023_x86_64_NVIDIA");
    assert.deepStrictEqual(spec.labels, { "llm-platform.io/pool": "p", "llm-platform.io/gpu-model": "H100-80GB" });
    assert.deepStrictEqual(spec.taints, [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }]);
    assert.deepStrictEqual(spec.scalingConfig, { minSize: 1, maxSize: 2, desiredSize: 1 });
    const userData = decode(gpuLaunchTemplateSpec(pool).userData);
    assert.match(userData, new RegExp(`^MIME-Version: 1.0\\nContent-Type: multipart/mixed; boundary="${MIME_BOUNDARY}"\\n`));
    const part = userData.split(`--${MIME_BOUNDARY}`)[1];
    assert.match(part, /^\nContent-Type: application\/node\.eks\.aws\n\n/);
    assert.deepStrictEqual(load(part.replace(/^\nContent-Type: [^\n]+\n\n/, "")), {
      apiVersion: "node.eks.aws/v1alpha1",
      kind: "NodeConfig",
      spec: { instance: { localStorage: { strategy: "RAID0" } } },
    });
    assert.ok(userData.endsWith(`--${MIME_BOUNDARY}--\n`));
  });

  it("Bottlerocket: its NVIDIA AMI, a TOML ephemeral-storage bootstrap command, OS and data volumes", () => {
    const pool = awsPool({ instanceType: "g6e.12xlarge", nodeImage: "bottlerocket-nvidia" });
    assert.strictEqual(gpuNodeGroupSpec(pool).amiType, "BOTTLEROCKET_x86_64_NVIDIA");
    assert.strictEqual(pool.nvmeMountPath, "/mnt/.ephemeral");
    const template = gpuLaunchTemplateSpec(pool);
    const toml = parseToml(decode(template.userData)) as { settings: Record<string, Record<string, { commands: string[][] }>> };
    assert.deepStrictEqual(toml.settings["bootstrap-commands"]["k8s-ephemeral-storage"].commands[0], ["apiclient", "ephemeral-storage", "init"]);
    assert.deepStrictEqual(template.blockDeviceMappings.map((b) => [b.deviceName, b.ebs.volumeSize]), [["/dev/xvda", 4], ["/dev/xvdb", 200]]);
  });

  it("every launch template requires IMDSv2 with one hop and encrypts every volume", () => {
    for (const template of [gpuLaunchTemplateSpec(awsPool({ instanceType: "g6.2xlarge", rootVolumeGiB: 300 })), systemLaunchTemplateSpec()]) {
      assert.deepStrictEqual([template.metadataOptions.httpTokens, template.metadataOptions.httpPutResponseHopLimit], ["required", 1]);
      assert.ok(template.blockDeviceMappings.every((b) => b.ebs.encrypted === "true" && b.ebs.volumeType === "gp3"));
    }
    assert.strictEqual(gpuLaunchTemplateSpec(awsPool({ instanceType: "g6.2xlarge", rootVolumeGiB: 300 })).blockDeviceMappings[0].ebs.volumeSize, 300);
  });

  it("no user data when the pool keeps its NVMe unused", () => {
    assert.strictEqual(gpuNodeUserData({ nodeImage: "al2023-nvidia", nvme: "none" }), undefined);
    assert.strictEqual(gpuLaunchTemplateSpec(awsPool({ instanceType: "g6.2xlarge", nvme: "none" })).userData, undefined);
  });

  it("multi-node EFA pools get one EFA interface per network card and the placement group", () => {
    const pool = awsPool({ instanceType: "p5.48xlarge", multiNode: true, zones: ["us-east-1a"] });
    assert.strictEqual(pool.efa, true);
    const template = gpuLaunchTemplateSpec(pool, { efaSecurityGroupIds: ["sg-cluster", "sg-efa"], placementGroupName: "pg" });
    assert.strictEqual(template.networkInterfaces?.length, 32);
    assert.deepStrictEqual(template.networkInterfaces?.[0], { deviceIndex: 0, networkCardIndex: 0, interfaceType: "efa", securityGroups: ["sg-cluster", "sg-efa"], deleteOnTermination: "true" });
    assert.deepStrictEqual(template.placement, { groupName: "pg" });
    assert.throws(() => gpuLaunchTemplateSpec(pool), /EFA interfaces need their security groups/);
  });

  // EC2 user guide efa-acc-inst-types: an EFA-only interface cannot be the primary interface
  // (card 0, device 0); on every further card the EFA-only interface takes device index 0.
  // EKS user guide node-efa: network card 0 must not be EFA-only. EFA-only takes no subnet IP.
  it("EFA: only the primary interface carries an IP (EFA with ENA); every other card is EFA-only at device index 0", () => {
    const pool = awsPool({ instanceType: "p5.48xlarge", multiNode: true, zones: ["us-east-1a"] });
    const interfaces = gpuLaunchTemplateSpec(pool, { efaSecurityGroupIds: ["sg-cluster", "sg-efa"] }).networkInterfaces ?? [];
    assert.deepStrictEqual(
      interfaces.map((i) => [i.networkCardIndex, i.deviceIndex, i.interfaceType]),
      Array.from({ length: 32 }, (_, card) => [card, 0, card === 0 ? "efa" : "efa-only"]),
    );
    assert.ok(interfaces.every((i) => i.securityGroups.join() === "sg-cluster,sg-efa"));
    assert.deepStrictEqual(efaInterfaces(1, ["sg"]).map((i) => i.interfaceType), ["efa"]);
  });

  // EKS user guide capacity-blocks-mng: the launch template names the instance type, the
  // capacity-block market and the reservation; CreateNodegroup: with an instance type in the
  // launch template, instanceTypes must not be given on the node group.
  it("capacity blocks: instance type in the launch template, none on the node group, market type and reservation", () => {
    const pool = awsPool({ instanceType: "p5.48xlarge", capacityType: "capacity-block", reservation: "cr-0123456789abcdef0", zones: ["us-east-1b"] });
    const group = gpuNodeGroupSpec(pool);
    assert.strictEqual(group.capacityType, "CAPACITY_BLOCK");
    assert.ok(!("instanceTypes" in group), "instanceTypes must be absent for capacity blocks");
    const template = gpuLaunchTemplateSpec(pool);
    assert.strictEqual(template.instanceType, "p5.48xlarge");
    assert.deepStrictEqual(template.instanceMarketOptions, { marketType: "capacity-block" });
    assert.deepStrictEqual(template.capacityReservationSpecification, { capacityReservationTarget: { capacityReservationId: "cr-0123456789abcdef0" } });
    const spot = awsPool({ instanceType: "g6.2xlarge", capacityType: "spot" });
    assert.deepStrictEqual([gpuNodeGroupSpec(spot).capacityType, gpuNodeGroupSpec(spot).instanceTypes, gpuLaunchTemplateSpec(spot).instanceType], ["SPOT", ["g6.2xlarge"], undefined]);
  });
});

describe("GKE GPU node pools", () => {
  it("attach the catalog accelerator with driver installation disabled and GKE's device plugin off", () => {
    const spec = gpuNodePoolSpec(gcpPool({ instanceType: "a3-highgpu-8g", zones: ["us-central1-a"] }), "nodes@p.iam.gserviceaccount.com");
    assert.deepStrictEqual(spec.nodeConfig.guestAccelerators, [{ type: "nvidia-h100-80gb", count: 8, gpuDriverInstallationConfig: { gpuDriverVersion: "INSTALLATION_DISABLED" } }]);
    assert.deepStrictEqual(spec.nodeConfig.labels, {
      "llm-platform.io/pool": "p",
      "llm-platform.io/gpu-model": "H100-80GB",
      "gke-no-default-nvidia-gpu-device-plugin": "true",
    });
    assert.deepStrictEqual(spec.nodeConfig.taints, [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }]);
    assert.deepStrictEqual(spec.nodeConfig.ephemeralStorageLocalSsdConfig, { localSsdCount: 16 });
    assert.deepStrictEqual(spec.nodeConfig.workloadMetadataConfig, { mode: "GKE_METADATA" });
    assert.deepStrictEqual(spec.nodeLocations, ["us-central1-a"]);
    assert.deepStrictEqual(spec.autoscaling, { totalMinNodeCount: 1, totalMaxNodeCount: 2, locationPolicy: "ANY" });
    assert.strictEqual(spec.placementPolicy, undefined);
    assert.strictEqual(gcpPool({ instanceType: "a3-highgpu-8g" }).nvmeMountPath, "/mnt/stateful_partition/kube-ephemeral-ssd");
  });

  it("spot, reservations and compact placement for multi-node pools", () => {
    assert.strictEqual(gpuNodePoolSpec(gcpPool({ instanceType: "g2-standard-8", capacityType: "spot" }), "sa").nodeConfig.spot, true);
    const reserved = gpuNodePoolSpec(gcpPool({ instanceType: "a3-megagpu-8g", reservation: "res-1" }), "sa");
    assert.deepStrictEqual(reserved.nodeConfig.reservationAffinity, { consumeReservationType: "SPECIFIC_RESERVATION", key: "compute.googleapis.com/reservation-name", values: ["res-1"] });
    assert.strictEqual(reserved.nodeConfig.guestAccelerators?.[0].type, "nvidia-h100-mega-80gb");
    const multi = gpuNodePoolSpec(gcpPool({ instanceType: "a3-ultragpu-8g", multiNode: true, zones: ["us-central1-b"] }), "sa");
    assert.deepStrictEqual(multi.placementPolicy, { type: "COMPACT" });
    assert.strictEqual(multi.nodeConfig.diskType, "hyperdisk-balanced");
    assert.strictEqual(gpuNodePoolSpec(gcpPool({ instanceType: "a2-highgpu-1g" }), "sa").nodeConfig.ephemeralStorageLocalSsdConfig, undefined);
  });

  it("service account IDs fit Google's 30 characters and keep their role suffix", () => {
    assert.strictEqual(serviceAccountId("llm-gke-prod", "cache-reader"), "llm-gke-prod-cache-reader");
    const long = serviceAccountId("a-very-long-cluster-name-for-tests", "cache-seeder");
    assert.ok(long.length <= 30 && long.endsWith("-cache-seeder") && /^[a-z][a-z0-9-]+[a-z0-9]$/.test(long), long);
    assert.strictEqual(workloadIdentityMember("acme.svc.id.goog", "llm-models", "llm-model-cache-reader"), "serviceAccount:acme.svc.id.goog[llm-models/llm-model-cache-reader]");
  });

  it("kubeconfig authenticates through gke-gcloud-auth-plugin and holds no credential", () => {
    const config = JSON.parse(gkeKubeconfig({ name: "llm", endpoint: "203.0.113.10", caData: "Q0E=" }));
    assert.strictEqual(config.clusters[0].cluster.server, "https://203.0.113.10");
    assert.deepStrictEqual(
      { command: config.users[0].user.exec.command, clusterInfo: config.users[0].user.exec.provideClusterInfo, api: config.users[0].user.exec.apiVersion },
      { command: "gke-gcloud-auth-plugin", clusterInfo: true, api: "client.authentication.k8s.io/v1beta1" },
    );
    assert.deepStrictEqual(Object.keys(config.users[0].user), ["exec"]);
  });
});
