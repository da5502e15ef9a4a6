// Retries an operation that found its stack locked by another update, with exponential backoff.

export interface RetryOptions {
  /** Retries after the first attempt. */
  readonly retries: number;
  /** Delay before the first retry; doubles each time. */
  readonly baseDelayMs: number;
  /** Longest single delay. */
  readonly maxDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Told about each retry before its delay. */
  readonly onRetry?: (attempt: number, delayMs: number, error: unknown) => void;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The delay before retry `n` (1-based). */
export function backoffDelay(n: number, baseDelayMs: number, maxDelayMs: number): number {
  return Math.min(maxDelayMs, baseDelayMs * 2 ** (n - 1));
}

/**
 * Runs `attempt` until it succeeds, fails with something other than a lock, or the retries are
 * spent; returns the result with the number of attempts made.
 */
export async function retryWhileLocked<T>(
  attempt: () => Promise<T>,
  isLocked: (error: unknown) => boolean,
  options: RetryOptions,
): Promise<{ result: T; attempts: number }> {
  for (let n = 1; ; n++) {
    try {
      return { result: await attempt(), attempts: n };
    } catch (error) {
      if (!isLocked(error) || n > options.retries) {
        throw Object.assign(error as object, { attempts: n });
      }
      const delay = backoffDelay(n, options.baseDelayMs, options.maxDelayMs);
      options.onRetry?.(n, delay, error);
      await options.sleep(delay);
    }
  }
}
