import type { EngineEvent } from "@pulumi/pulumi/automation";

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
  const outputs = Object.entries(summary.outputs);
  if (outputs.length > 0) {
    lines.push("", "<details><summary>Outputs</summary>", "", "```json", JSON.stringify(summary.outputs, null, 2), "```", "</details>");
  }
  if (summary.error !== undefined) {
    lines.push("", "<details><summary>Error</summary>", "", "```", summary.error.trim().split("\n").slice(-40).join("\n"), "```", "</details>");
  }
  return `${lines.join("\n")}\n`;
}
