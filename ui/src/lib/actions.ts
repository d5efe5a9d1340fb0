import type { Ipc } from "./ipc/ipc";
import { safeUrl } from "./format";

/** Route clicks on links inside sanitized HTML to the system browser. */
export function externalLinks(node: HTMLElement, ipc: Ipc) {
  let current = ipc;
  const onClick = (e: MouseEvent) => {
    const a = (e.target as Element | null)?.closest?.("a");
    if (!a || !node.contains(a)) return;
    e.preventDefault();
    const href = safeUrl(a.getAttribute("href"));
    if (href) void current.openExternal(href);
  };
  node.addEventListener("click", onClick);
  return {
    update(next: Ipc) {
      current = next;
    },
    destroy() {
      node.removeEventListener("click", onClick);
    },
  };
}
