// Start-up milestones on the page's side, sent to the shell with `uiReady` so the log (and
// the launch benchmark's per-launch breakdown) shows where the time between process start
// and the first painted inbox goes: the page's load, its script, its first calls, its render.
import type { PageMark } from "./ipc/ipc";

const marks: PageMark[] = [];

/** Record `name` now (the first time only). */
export function startupMark(name: string): void {
  if (typeof performance === "undefined" || marks.some((m) => m.name === name)) return;
  marks.push({ name, at: performance.timeOrigin + performance.now() });
}

/** The navigation's own milestones (request, response, DOM) and the marks, in time order. */
export function startupMarks(): PageMark[] {
  const out: PageMark[] = [];
  if (typeof performance !== "undefined") {
    const origin = performance.timeOrigin;
    out.push({ name: "navigation start", at: origin });
    const nav = performance.getEntriesByType?.("navigation")[0] as PerformanceNavigationTiming | undefined;
    if (nav) {
      for (const [name, t] of [
        ["html requested", nav.requestStart],
        ["html received", nav.responseEnd],
        ["DOM interactive", nav.domInteractive],
        ["DOM content loaded", nav.domContentLoadedEventEnd],
      ] as const) {
        if (t > 0) out.push({ name, at: origin + t });
      }
    }
    // The bundle's script and style sheet: when their responses had arrived.
    const resources = (performance.getEntriesByType?.("resource") ?? []) as PerformanceResourceTiming[];
    for (const [name, ext] of [
      ["script received", ".js"],
      ["styles received", ".css"],
    ] as const) {
      const first = resources.find((r) => new URL(r.name, "tauri://localhost").pathname.endsWith(ext));
      if (first && first.responseEnd > 0) out.push({ name, at: origin + first.responseEnd });
    }
  }
  return [...out, ...marks].sort((a, b) => (a.at ?? 0) - (b.at ?? 0));
}
