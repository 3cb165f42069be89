import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { PipelineState, type PipelineService } from "../../gen/hearth/v1/pipeline_pb";

// The log of one job arrives as FollowJobLog pieces: (step, offset, data),
// steps in order, offsets counting bytes within a step. followJobLog
// follows it to the end, resuming a broken stream from the last byte it
// kept, so the text handed on never has a gap or a repeat.

export type FollowStatus = "connecting" | "live" | "reconnecting" | "done" | "failed";

export interface FollowHandlers {
  // text of one step, decoded (a character split across pieces comes
  // whole, in the later call).
  onText(step: number, text: string): void;
  onStatus(status: FollowStatus, err?: unknown): void;
  // The job ended with this state and every byte was sent.
  onFinal(state: PipelineState): void;
}

export interface FollowOptions {
  // Delay before the n-th reconnection in a row (from 1).
  backoff?: (attempt: number) => number;
  // Give up after this many reconnections in a row without new bytes.
  maxAttempts?: number;
}

export function defaultBackoff(attempt: number): number {
  return Math.min(10_000, 250 * 2 ** (attempt - 1));
}

// Codes worth reconnecting after (as `hearth pipeline logs -f` does).
const retryableCodes = [Code.Unavailable, Code.Unknown, Code.DeadlineExceeded, Code.Internal, Code.Aborted];

// LogPosition keeps where the log stands and decodes each step's bytes with
// its own streaming decoder.
export class LogPosition {
  step = 0;
  offset = 0;
  private decoders = new Map<number, TextDecoder>();

  // accept takes one piece and returns the new text by step, skipping
  // bytes already taken. A piece beyond the position (bytes missing before
  // it) is refused with "gap": the caller resumes from the position.
  accept(step: number, offset: number, data: Uint8Array): { step: number; text: string }[] | "gap" {
    if (data.length === 0 || step < this.step) {
      return [];
    }
    const out: { step: number; text: string }[] = [];
    if (step > this.step) {
      if (offset !== 0) {
        return "gap";
      }
      const rest = this.flush(this.step);
      if (rest) {
        out.push({ step: this.step, text: rest });
      }
      this.step = step;
      this.offset = 0;
    }
    if (offset > this.offset) {
      return "gap";
    }
    const skip = this.offset - offset;
    if (skip >= data.length) {
      return out;
    }
    const fresh = skip > 0 ? data.subarray(skip) : data;
    this.offset += fresh.length;
    const text = this.decoder(step).decode(fresh, { stream: true });
    if (text) {
      out.push({ step, text });
    }
    return out;
  }

  // finish flushes the current step's decoder (an incomplete character at
  // the very end becomes U+FFFD).
  finish(): { step: number; text: string }[] {
    const rest = this.flush(this.step);
    return rest ? [{ step: this.step, text: rest }] : [];
  }

  private decoder(step: number): TextDecoder {
    let d = this.decoders.get(step);
    if (!d) {
      d = new TextDecoder("utf-8");
      this.decoders.set(step, d);
    }
    return d;
  }

  private flush(step: number): string {
    const d = this.decoders.get(step);
    this.decoders.delete(step);
    return d ? d.decode() : "";
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

// followJobLog streams the job's log into handlers until the job's final
// state arrives, the signal aborts, or reconnecting stops making sense.
export async function followJobLog(
  client: Client<typeof PipelineService>,
  jobId: string,
  signal: AbortSignal,
  handlers: FollowHandlers,
  options: FollowOptions = {},
): Promise<void> {
  const backoff = options.backoff ?? defaultBackoff;
  const maxAttempts = options.maxAttempts ?? 20;
  const pos = new LogPosition();
  const emit = (pieces: { step: number; text: string }[]) => {
    for (const p of pieces) {
      handlers.onText(p.step, p.text);
    }
  };
  let attempt = 0;
  handlers.onStatus("connecting");
  while (!signal.aborted) {
    let err: unknown = null;
    let gap = false;
    try {
      const stream = client.followJobLog({ jobId, step: pos.step, offset: BigInt(pos.offset) }, { signal });
      let opened = false;
      for await (const msg of stream) {
        if (!opened) {
          // Every stream opens with an empty piece at the position asked.
          opened = true;
          handlers.onStatus("live");
        }
        const pieces = pos.accept(msg.step, Number(msg.offset), msg.data);
        if (pieces === "gap") {
          gap = true;
          break;
        }
        if (msg.data.length > 0) {
          attempt = 0;
        }
        emit(pieces);
        if (msg.finalState !== PipelineState.UNSPECIFIED) {
          emit(pos.finish());
          handlers.onStatus("done");
          handlers.onFinal(msg.finalState);
          return;
        }
      }
    } catch (e) {
      err = e;
    }
    if (signal.aborted) {
      return;
    }
    const retryable = gap || err === null || retryableCodes.includes(ConnectError.from(err).code);
    attempt++;
    if (!retryable || attempt > maxAttempts) {
      handlers.onStatus(
        "failed",
        err ?? new ConnectError(gap ? "the log stream skipped bytes" : "the log stream ended before the job did", Code.Unavailable),
      );
      return;
    }
    handlers.onStatus("reconnecting", err ?? undefined);
    await sleep(backoff(attempt), signal);
  }
}
