// Past saturation a single-threaded gateway does not just get slower: every callback waits for
// the event loop, and logins already under way start failing when their back-channel timeout
// fires for an answer that has arrived but was not read in time (504; docs/performance.md,
// "Overload"). The guard watches the event-loop delay; while it is above the limit, NEW logins
// are refused at once with the 503 page (login gate), so the ones already started can finish.
//
// The delay is measured as the lateness of a short timer against the wall clock
// (performance.now()). perf_hooks.monitorEventLoopDelay was tried first: it reads the loop's
// cached time, and lost exactly the sample of a long block (test/ops/overload.test.ts).

/** How often the timer that measures the lateness runs. */
const SAMPLE_MS = 50;

export interface OverloadGuardOptions {
  /** Refuse new logins while the event-loop delay (worst lateness in one window) is above this. 0: never. */
  maxDelayMs: number;
  /** Length of one measurement window. */
  windowMs: number;
  /** Called when the state changes (log line, gauge). */
  onChange?: (overloaded: boolean, delayMs: number) => void;
}

export class OverloadGuard {
  private state = false;
  private lastDelay = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: OverloadGuardOptions) {}

  /** Whether new logins are being refused now. */
  get overloaded(): boolean {
    return this.state;
  }

  /** The delay of the last window, in ms. */
  get delayMs(): number {
    return this.lastDelay;
  }

  /**
   * One window's event-loop delay (ms). The timer feeds it in production; tests call it
   * directly. Back to normal only below half the limit, so the gate does not flap.
   */
  observe(delayMs: number): void {
    this.lastDelay = delayMs;
    if (this.opts.maxDelayMs <= 0) return;
    const next = this.state ? delayMs > this.opts.maxDelayMs / 2 : delayMs > this.opts.maxDelayMs;
    if (next === this.state) return;
    this.state = next;
    this.opts.onChange?.(next, delayMs);
  }

  /** Start measuring (a running gateway process; in-process test gateways do not). */
  start(): void {
    if (this.opts.maxDelayMs <= 0 || this.timer) return;
    let windowStart = performance.now();
    let expected = windowStart + SAMPLE_MS;
    let worst = 0;
    this.timer = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - expected);
      expected = now + SAMPLE_MS;
      if (now - windowStart < this.opts.windowMs) return;
      this.observe(worst);
      worst = 0;
      windowStart = now;
    }, SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
