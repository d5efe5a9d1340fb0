/** Coalesce calls to at most one run per animation frame. */
export function perFrame(run: () => void): { schedule(): void; cancel(): void } {
  let id: number | null = null;
  return {
    schedule() {
      if (id !== null) return;
      id = requestAnimationFrame(() => {
        id = null;
        run();
      });
    },
    cancel() {
      if (id !== null) cancelAnimationFrame(id);
      id = null;
    },
  };
}

/** Trailing debounce with flush. */
export function debounce<A extends unknown[]>(ms: number, run: (...args: A) => void) {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let pending: A | null = null;
  return {
    call(...args: A) {
      pending = args;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        const a = pending;
        pending = null;
        if (a) run(...a);
      }, ms);
    },
    flush() {
      if (timer) clearTimeout(timer);
      timer = null;
      const a = pending;
      pending = null;
      if (a) run(...a);
    },
    cancel() {
      if (timer) clearTimeout(timer);
      timer = null;
      pending = null;
    },
  };
}
