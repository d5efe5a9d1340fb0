// How a platform is named on screen (the only place the UI looks at an account's platform).
import type { AccountSummary, Platform } from "../lib/ipc/ipc";
import { t } from "../lib/i18n";

export function platformName(p: Platform): string {
  return p === "wapikit" ? t("inbox.platform.wapikit") : t("inbox.platform.kommunicate");
}

export const accountName = (a: Pick<AccountSummary, "displayName" | "userId">): string => a.displayName || a.userId;

/**
 * The account name a unified row shows beside its badge: only when another signed-in account
 * has the same platform (otherwise the badge says it all).
 */
export function rowAccountName(accounts: AccountSummary[], accountId: string): string | null {
  const a = accounts.find((x) => x.id === accountId);
  if (!a) return null;
  return accounts.some((x) => x.id !== a.id && x.platform === a.platform) ? accountName(a) : null;
}
