import type { BenchRequest } from "./workload";
import type { RequestRecord } from "./stats";

// Closed-loop load: `concurrency` clients, each sending the next request of the shared sequence
// when its previous one ends. Requests stream (OpenAI chat/completions, SSE); a token is one
// `data:` chunk carrying content, which is how the simulator streams (one token per chunk).

export interface LoadOptions {
  readonly baseUrl: string;
  readonly model: string;
  readonly outputTokens: number;
  readonly concurrency: number;
  /** A request still running after this long is aborted and recorded as an error. */
  readonly requestTimeoutMs: number;
}

/** Content tokens in one SSE event's data (0 for role-only, usage or [DONE] events). */
export function contentTokens(data: string): number {
  if (data === "[DONE]") {
    return 0;
  }
  const event = JSON.parse(data) as { choices?: { delta?: { content?: string | null } }[] };
  return (event.choices ?? []).filter((c) => typeof c.delta?.content === "string" && c.delta.content.length > 0).length;
}

async function one(request: BenchRequest, options: LoadOptions): Promise<RequestRecord> {
  const startMs = performance.now();
  let ttftMs = NaN;
  let tokens = 0;
  try {
    const response = await fetch(`${options.baseUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: options.model,
        stream: true,
        max_tokens: options.outputTokens,
        ignore_eos: true,
        messages: [{ role: "user", content: request.prompt }],
      }),
      signal: AbortSignal.timeout(options.requestTimeoutMs),
    });
    if (!response.ok || response.body === null) {
      throw new Error(`HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`);
    }
    const decoder = new TextDecoder();
    let buffered = "";
    for await (const chunk of response.body) {
      buffered += decoder.decode(chunk as Uint8Array, { stream: true });
      let cut: number;
      while ((cut = buffered.indexOf("\n\n")) >= 0) {
        const event = buffered.slice(0, cut);
        buffered = buffered.slice(cut + 2);
        for (const line of event.split("\n")) {
          if (line.startsWith("data:")) {
            const n = contentTokens(line.slice(5).trim());
            if (n > 0 && Number.isNaN(ttftMs)) {
              ttftMs = performance.now() - startMs;
            }
            tokens += n;
          }
        }
      }
    }
    if (tokens === 0) {
      throw new Error("the stream carried no content tokens");
    }
    return { group: request.group, startMs, ttftMs, endMs: performance.now(), outputTokens: tokens };
  } catch (err) {
    return { group: request.group, startMs, ttftMs, endMs: performance.now(), outputTokens: tokens, error: (err as Error).message };
  }
}

/** Sends every request with the given concurrency; resolves with one record per request, in order. */
export async function runLoad(requests: readonly BenchRequest[], options: LoadOptions): Promise<RequestRecord[]> {
  const records: RequestRecord[] = new Array<RequestRecord>(requests.length);
  let next = 0;
  const client = async (): Promise<void> => {
    while (next < requests.length) {
      const i = next++;
      records[i] = await one(requests[i], options);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, requests.length) }, client));
  return records;
}
