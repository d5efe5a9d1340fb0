import type { Ipc } from "./ipc/ipc";
import { safeUrl } from "./format";
import { t } from "./i18n";

/** Prepare web images of sanitized HTML: a labelled, focusable placeholder each. */
function markRemoteImages(node: HTMLElement) {
  for (const img of node.querySelectorAll<HTMLImageElement>("img[data-remote-src]:not([src])")) {
    let host = "";
    try {
      host = new URL(img.dataset.remoteSrc ?? "").host;
    } catch {
      /* the sanitizer only keeps http(s) addresses */
    }
    img.setAttribute("role", "button");
    img.setAttribute("tabindex", "0");
    img.setAttribute("title", t("image.show", { host }));
    if (!img.getAttribute("alt")) img.setAttribute("alt", t("image.show", { host }));
  }
}

/** Load a web image through the shell (after the agent asked for it). */
async function loadRemote(img: HTMLImageElement, ipc: Ipc) {
  const url = img.dataset.remoteSrc;
  if (!url || img.hasAttribute("src") || img.dataset.loading) return;
  img.dataset.loading = "1";
  const r = await ipc.remoteImage(url);
  delete img.dataset.loading;
  if (r.status === "ok") {
    img.src = r.data;
    img.removeAttribute("role");
    img.removeAttribute("tabindex");
  } else {
    img.title = r.error.message;
  }
}

/** Route clicks on links inside sanitized HTML to the system browser; web images load
 * through the shell when clicked (or Enter). */
export function externalLinks(node: HTMLElement, ipc: Ipc) {
  let current = ipc;
  markRemoteImages(node);
  const observer = typeof MutationObserver !== "undefined" ? new MutationObserver(() => markRemoteImages(node)) : null;
  observer?.observe(node, { childList: true, subtree: true });
  const onKey = (e: KeyboardEvent) => {
    const img = (e.target as Element | null)?.closest?.("img[data-remote-src]");
    if (img && (e.key === "Enter" || e.key === " ") && node.contains(img)) {
      e.preventDefault();
      void loadRemote(img as HTMLImageElement, current);
    }
  };
  node.addEventListener("keydown", onKey);
  const onClick = (e: MouseEvent) => {
    const img = (e.target as Element | null)?.closest?.("img[data-remote-src]");
    if (img && node.contains(img) && !img.closest("a")) {
      e.preventDefault();
      void loadRemote(img as HTMLImageElement, current);
      return;
    }
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
      node.removeEventListener("keydown", onKey);
      observer?.disconnect();
    },
  };
}
