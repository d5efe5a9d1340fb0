// The first inbox page is asked for as soon as the app knows the account(s), while the shell
// is still being built, so the query and the IPC round trip overlap the first render. It is one
// IPC call: `inbox` for one account, `unified_inbox` for several.
import type { InboxSort, InboxView, Ipc, Result, UnifiedPage } from "../lib/ipc/ipc";
import { readPage, sourceSignature, type InboxSource } from "./source";
import { startupMark } from "../lib/startup";

/** The inbox's page size and first view (Inbox.svelte uses the same). */
export const PAGE = 100;
export const FIRST_VIEW: InboxView = "assigned_to_me";
export const FIRST_SORT: InboxSort = "newest";

let pending: { source: string; page: Promise<Result<UnifiedPage>> } | null = null;

export function prefetchInbox(ipc: Ipc, source: InboxSource): void {
  const page = readPage(ipc, source, FIRST_VIEW, FIRST_SORT, 0, PAGE);
  void page.then(() => startupMark("first inbox page received"));
  pending = { source: sourceSignature(source), page };
}

/** The prefetched first page if it is exactly what is asked for (taken once). */
export function takePrefetched(source: InboxSource, view: InboxView, sort: InboxSort, offset: number, limit: number): Promise<Result<UnifiedPage>> | null {
  const p = pending;
  pending = null;
  if (!p || p.source !== sourceSignature(source) || view !== FIRST_VIEW || sort !== FIRST_SORT || offset !== 0 || limit !== PAGE) return null;
  return p.page;
}
