import type { EngineEvent } from "@pulumi/pulumi/automation";
import { formatTotal, renderCostDiff } from "../../components/cost";
import type { DeployCost } from "./cost";

// What a deploy did, for machines (--json) and for a pull-request comment (--summary).

export type Operation = "preview" | "up" | "destroy" | "refresh";
export type DeployStatus = "succeeded" | "failed" | "policy-violation" | "locked";

export interface PolicyViolation {
  readonly policy: string;
  readonly pack: string;
  readonly level: "mandatory" | "warning";
  readonly message: string;
  readonly urn?: string;
}

export interface DeploySummary {
  readonly stack: string;
  readonly operation: Operation;
  readonly status: DeployStatus;
  /** Resource operation counts from the engine (create, update, delete, same, …). */
  readonly changes: Record<string, number>;
  readonly policyViolations: readonly PolicyViolation[];
  /** Stack outputs after up/refresh; secrets stay masked. */
  readonly outputs: Record<string, unknown>;
  readonly durationSeconds: number;
  readonly attempts: number;
  /** Preview only: the monthly cost of the config and its delta from what is deployed. */
  readonly cost?: DeployCost;
  readonly error?: string;
}

/** Collects what the summary needs from the engine's event stream. */
export class EventCollector {
  readonly violations: PolicyViolation[] = [];
  changes: Record<string, number> = {};
  private readonly previewChanges: Record<string, number> = {};

  readonly onEvent = (event: EngineEvent): void => {
    if (event.policyEvent !== undefined) {
      const p = event.policyEvent;
      this.violations.push({
        policy: p.policyName,
        pack: p.policyPackName,
        level: p.enforcementLevel,
        message: p.message.trim(),
        ...(p.resourceUrn ? { urn: p.resourceUrn } : {}),
      });
    }
    if (event.summaryEvent !== undefined) {
      this.changes = { ...event.summaryEvent.resourceChanges } as Record<string, number>;
    }
    // A preview's summary event can be missing when it fails; count the steps it announced.
    const op = event.resourcePreEvent?.metadata.op;
    if (op !== undefined) {
      this.previewChanges[op] = (this.previewChanges[op] ?? 0) + 1;
    }
  };

  changeCounts(): Record<string, number> {
    return Object.keys(this.changes).length > 0 ? this.changes : { ...this.previewChanges };
  }
}

const CHANGE_ORDER = ["create", "update", "replace", "delete", "same", "refresh", "read", "import"];

function changeLine(changes: Record<string, number>): string {
  const keys = Object.keys(changes).sort((a, b) => (CHANGE_ORDER.indexOf(a) + 1 || 99) - (CHANGE_ORDER.indexOf(b) + 1 || 99));
  return keys.length === 0 ? "no changes" : keys.map((k) => `${changes[k]} to ${k}`).join(", ");
}

const STATUS_TEXT: Record<DeployStatus, string> = {
  succeeded: "✅ succeeded",
  failed: "❌ failed",
  "policy-violation": "🛑 blocked by policy",
  locked: "🔒 stack locked by another update",
};

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

/**
 * The "Cost" section: the delta from what is deployed (headline, then per scale) and the config's
 * totals at min, desired and max. Unknown prices show as unknown, never as $0.
 */
export function renderCostMarkdown(cost: DeployCost): string[] {
  const lines = ["#### Cost", ""];
  if (cost.estimate === undefined) {
    return [...lines, `No estimate: ${cost.unavailable ?? "the config could not be priced"}.`];
  }
  const e = cost.estimate;
  if (cost.diff !== undefined) {
    const [headline, ...perScale] = renderCostDiff(cost.diff);
    lines.push(`**${headline}**`, "", ...perScale.map((l) => `- ${l.trim()}`), "", "(compared with the estimate the last update recorded)");
  } else {
    lines.push(`No delta: ${cost.noDelta ?? "no earlier estimate"}.`);
  }
  lines.push(
    "",
    `| per month (${e.cloud}${e.region ? ` ${e.region}` : ""}, ${e.hoursPerMonth} h) | this config |`,
    "| --- | --- |",
    ...(["min", "desired", "max"] as const).map((at) => `| at ${at} | ${cell(formatTotal(e.monthly[at]))} |`),
  );
  return lines;
}

/** Markdown for a pull-request comment. */
export function renderSummaryMarkdown(summary: DeploySummary): string {
  const lines = [
    `### llm-platform \`${summary.operation}\` of stack \`${summary.stack}\`: ${STATUS_TEXT[summary.status]}`,
    "",
    `**Changes:** ${changeLine(summary.changes)} · **Duration:** ${summary.durationSeconds.toFixed(1)} s${summary.attempts > 1 ? ` · **Attempts:** ${summary.attempts}` : ""}`,
  ];
  if (summary.policyViolations.length > 0) {
    lines.push("", "| Policy | Level | Message |", "| --- | --- | --- |");
    for (const v of summary.policyViolations) {
      lines.push(`| \`${cell(v.policy)}\` | ${v.level} | ${cell(v.message)} |`);
    }
  } else {
    lines.push("", "No policy violations.");
  }
  if (summary.cost !== undefined) {
    lines.push("", ...renderCostMarkdown(summary.cost));
  }
  const outputs = Object.entries(summary.outputs);
  if (outputs.length > 0) {
    lines.push("", "<details><summary>Outputs</summary>", "", "```json", JSON.stringify(summary.outputs, null, 2), "```", "</details>");
  }
  if (summary.error !== undefined) {
    lines.push("", "<details><summary>Error</summary>", "", "```", summary.error.trim().split("\n").slice(-40).join("\n"), "```", "</details>");
  }
  return `${lines.join("\n")}\n`;
}
