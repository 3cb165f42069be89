import { AnsiUp } from "ansi_up";

type Schedule = (fn: () => void) => () => void;

// Once per frame (or soon, where frames do not run).
const nextFrame: Schedule = (fn) => {
  if (typeof window.requestAnimationFrame === "function" && document.visibilityState === "visible") {
    const id = window.requestAnimationFrame(fn);
    return () => window.cancelAnimationFrame(id);
  }
  const id = setTimeout(fn, 16);
  return () => clearTimeout(id);
};

// LogSink turns a job's log text into HTML (ANSI colours as inline
// styles, everything else escaped by ansi_up) and appends it to each
// step's element outside React: a long log grows by one insertion per
// frame, and nothing already shown is rendered again.
export class LogSink {
  private elements = new Map<number, HTMLElement>();
  private refs = new Map<number, (el: HTMLElement | null) => void>();
  private pending = new Map<number, string>();
  private converters = new Map<number, AnsiUp>();
  private cancel: (() => void) | null = null;

  constructor(
    private afterFlush: () => void,
    private schedule: Schedule = nextFrame,
  ) {}

  // ref is the stable callback ref of one step's element.
  ref(step: number): (el: HTMLElement | null) => void {
    let r = this.refs.get(step);
    if (!r) {
      r = (el) => {
        if (el) {
          this.elements.set(step, el);
          if (this.pending.has(step)) {
            this.scheduleFlush();
          }
        } else {
          this.elements.delete(step);
        }
      };
      this.refs.set(step, r);
    }
    return r;
  }

  append(step: number, text: string): void {
    let conv = this.converters.get(step);
    if (!conv) {
      conv = new AnsiUp();
      conv.escape_html = true;
      conv.use_classes = false;
      this.converters.set(step, conv);
    }
    const html = conv.ansi_to_html(text);
    if (html) {
      this.pending.set(step, (this.pending.get(step) ?? "") + html);
      this.scheduleFlush();
    }
  }

  // flush writes what waits into the elements there are.
  flush(): void {
    this.cancel = null;
    let wrote = false;
    for (const [step, html] of this.pending) {
      const el = this.elements.get(step);
      if (el) {
        el.insertAdjacentHTML("beforeend", html);
        this.pending.delete(step);
        wrote = true;
      }
    }
    if (wrote) {
      this.afterFlush();
    }
  }

  // reset forgets everything shown (a fresh follow from the start).
  reset(): void {
    this.stop();
    this.pending.clear();
    this.converters.clear();
    for (const el of this.elements.values()) {
      el.textContent = "";
    }
  }

  stop(): void {
    this.cancel?.();
    this.cancel = null;
  }

  private scheduleFlush(): void {
    if (!this.cancel) {
      this.cancel = this.schedule(() => this.flush());
    }
  }
}
