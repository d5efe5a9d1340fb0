// Where the inbox's rows come from: one account (`inbox`), or several at once (the unified
// inbox, `unified_inbox`: every signed-in account, or those of one account or platform). Both
// give the same page shape, so the list, paging and refreshes do not care which it is.
import type { AccountSummary, InboxSort, InboxView, Ipc, Platform, Result, UnifiedPage } from "../lib/ipc/ipc";

/** Which accounts the unified inbox covers: null means every one (any platform). */
export interface Scope {
  accounts: string[] | null;
  platform: Platform | null;
}

export const EVERY_ACCOUNT: Scope = { accounts: null, platform: null };

export type InboxSource =
  | { kind: "account"; account: Pick<AccountSummary, "id" | "platform"> }
  | { kind: "unified"; scope: Scope };

/** A row's identity: the same conversation may be listed under two accounts. */
export function rowKey(accountId: string, conversationId: string): string {
  return `${accountId}\u001f${conversationId}`;
}

/** One account alone keeps the one-account inbox; more than one get the unified one. */
export function sourceFor(accounts: AccountSummary[], active: AccountSummary, scope: Scope): InboxSource {
  return accounts.length > 1 ? { kind: "unified", scope } : { kind: "account", account: active };
}

/** Equal sources read the same rows. */
export function sourceSignature(s: InboxSource): string {
  return s.kind === "account"
    ? `account:${s.account.id}`
    : `unified:${s.scope.accounts ? [...s.scope.accounts].sort().join(",") : "*"}:${s.scope.platform ?? "*"}`;
}

/** Does a batch of this account touch what the source lists? */
export function sourceCovers(s: InboxSource, accounts: AccountSummary[], accountId: string): boolean {
  if (s.kind === "account") return s.account.id === accountId;
  const a = accounts.find((x) => x.id === accountId);
  if (!a) return false;
  return (!s.scope.accounts || s.scope.accounts.includes(a.id)) && (!s.scope.platform || s.scope.platform === a.platform);
}

/** A page of a view: one IPC call either way. */
export function readPage(
  ipc: Ipc,
  source: InboxSource,
  view: InboxView,
  sort: InboxSort,
  offset: number,
  limit: number,
): Promise<Result<UnifiedPage>> {
  if (source.kind === "unified") return ipc.unifiedInbox(view, sort, offset, limit, source.scope.accounts, source.scope.platform);
  const { id, platform } = source.account;
  return ipc.inbox(id, view, sort, offset, limit).then((r) =>
    r.status === "error"
      ? r
      : {
          status: "ok",
          data: {
            rows: r.data.rows.map((conversation) => ({ accountId: id, platform, conversation })),
            counts: r.data.counts,
            queued: r.data.queued,
            accounts: [{ accountId: id, counts: r.data.counts, queued: r.data.queued }],
          },
        },
  );
}
