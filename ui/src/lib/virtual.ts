// TanStack Virtual helpers: measure the scroll element, but fall back to a sensible size when
// it has none yet (hidden, or a test DOM without layout), so the first rows always render.
import { observeElementRect, type Virtualizer } from "@tanstack/svelte-virtual";

type Rect = { width: number; height: number };

export function observeRectWithFallback(fallback: Rect) {
  return <S extends Element, I extends Element>(instance: Virtualizer<S, I>, cb: (rect: Rect) => void) =>
    observeElementRect(instance, (rect) => cb(rect.height > 0 ? rect : fallback));
}
