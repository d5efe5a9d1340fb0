// The words around changing a conversation's status from its header (Resolve, Reopen, Spam,
// Duplicate), looked up when shown so they follow the chosen language.
import type { ConversationStatus } from "../lib/ipc/ipc";
import { statusLabel } from "../lib/format";
import { t, type MessageKey } from "../lib/i18n";

const ACTION: Partial<Record<ConversationStatus, MessageKey>> = {
  resolved: "conversation.action.resolve",
  open: "conversation.action.reopen",
  spam: "conversation.action.spam",
  duplicate: "conversation.action.duplicate",
};

/** The button that sets `status` ("Resolve" for resolved). */
export function statusAction(status: ConversationStatus): string {
  const key = ACTION[status];
  return key ? t(key) : statusLabel(status);
}

/** "Resolve failed: …" */
export function statusFailed(status: ConversationStatus, message: string): string {
  return t("conversation.statusFailed", { action: statusAction(status), message });
}

/** "Marked resolved." */
export function statusMarked(status: ConversationStatus): string {
  return t("conversation.marked", { status: statusLabel(status).toLowerCase() });
}
