// Image previews are downloaded by the shell (with auth) and come back as data: URLs. One
// request per image per session: the promise is cached, so a virtualised timeline that
// re-creates a row never asks twice.
import type { Ipc, Result } from "../lib/ipc/ipc";

const cache = new Map<string, Promise<Result<string>>>();

/** Errors worth asking again for later (the network was down), rather than remembering. */
const TRANSIENT = new Set(["unreachable", "internal", "unauthorized"]);

export function preview(ipc: Ipc, accountId: string, blobKey: string): Promise<Result<string>> {
  const key = `${accountId}\u0000${blobKey}`;
  let p = cache.get(key);
  if (!p) {
    p = ipc.attachmentPreview(accountId, blobKey).catch((e: unknown) => ({
      status: "error" as const,
      error: { code: "internal" as const, message: e instanceof Error ? e.message : String(e), field: null },
    }));
    cache.set(key, p);
    void p.then((r) => {
      if (r.status === "error" && TRANSIENT.has(r.error.code)) cache.delete(key);
    });
  }
  return p;
}

/** Forget every preview (tests; signing out). */
export function clearPreviews(): void {
  cache.clear();
}
