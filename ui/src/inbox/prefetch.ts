// The first inbox page is asked for as soon as the app knows the account, while the shell is
// still being built, so the query and the IPC round trip overlap the first render.
import type { InboxPage, InboxSort, InboxView, Ipc, Result } from "../lib/ipc/ipc";
import { startupMark } from "../lib/startup";

/** The inbox's page size and first view (Inbox.svelte uses the same). */
export const PAGE = 100;
export const FIRST_VIEW: InboxView = "assigned_to_me";
export const FIRST_SORT: InboxSort = "newest";

let pending: { accountId: string; page: Promise<Result<InboxPage>> } | null = null;

export function prefetchInbox(ipc: Ipc, accountId: string): void {
  const page = ipc.inbox(accountId, FIRST_VIEW, FIRST_SORT, 0, PAGE);
  void page.then(() => startupMark("first inbox page received"));
  pending = { accountId, page };
}

/** The prefetched first page if it is exactly what is asked for (taken once). */
export function takePrefetched(accountId: string, view: InboxView, sort: InboxSort, offset: number, limit: number): Promise<Result<InboxPage>> | null {
  const p = pending;
  pending = null;
  if (!p || p.accountId !== accountId || view !== FIRST_VIEW || sort !== FIRST_SORT || offset !== 0 || limit !== PAGE) return null;
  return p.page;
}
