import type { HandlerContext } from "@connectrpc/connect";

// serverStream answers a server-streaming RPC from a queue the test fills
// with push: each message goes out at once, and the stream stays open
// until the client goes away. It remembers every request and call.
export function serverStream<Req, Res>(...initial: Res[]) {
  const queue: Res[] = [...initial];
  let wake: (() => void) | null = null;
  const calls: { req: Req; ctx: HandlerContext }[] = [];
  return {
    push(msg: Res) {
      queue.push(msg);
      wake?.();
    },
    calls,
    // The latest call is still open (the client has not gone away).
    get open(): boolean {
      const last = calls[calls.length - 1];
      return last !== undefined && !last.ctx.signal.aborted;
    },
    handler: async function* (req: Req, ctx: HandlerContext): AsyncIterable<Res> {
      calls.push({ req, ctx });
      while (!ctx.signal.aborted) {
        const msg = queue.shift();
        if (msg) {
          yield msg;
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          ctx.signal.addEventListener("abort", () => resolve(), { once: true });
        });
        wake = null;
      }
    },
  };
}
