// The one IPC interface every capability talks to. `tauri.ts` implements it over Tauri's
// invoke; `mock.ts` implements it in memory for fast UI tests. Types come from the generated
// `bindings.ts` (never hand-written copies).
import type {
  AccountSummary,
  AppError,
  AppInfo,
  ConversationDetail,
  ConversationStatus,
  InboxPage,
  InboxSort,
  InboxView,
  Message,
  OpenConversation,
  SearchHit,
  SignInForm,
  SignInPlan,
  UiBatch,
} from "./bindings";

export type {
  AccountSummary,
  AppError,
  AppInfo,
  Attachment,
  ConnectionState,
  Contact,
  Conversation,
  ConversationDetail,
  ConversationStatus,
  DeliveryState,
  InboxPage,
  InboxSort,
  InboxView,
  Message,
  OpenConversation,
  SearchHit,
  SignInForm,
  SignInPlan,
  TypingInfo,
  UiBatch,
  ViewCounts,
} from "./bindings";
export type Result<T> = { status: "ok"; data: T } | { status: "error"; error: AppError };

export interface Ipc {
  appInfo(): Promise<AppInfo>;
  /** Validate the form and resolve where it would connect, without network traffic. */
  checkSignIn(form: SignInForm): Promise<Result<SignInPlan>>;
  /** Tell the shell the first screen is painted; resolves to ms since launch. */
  uiReady(): Promise<number>;
  signIn(form: SignInForm): Promise<Result<AccountSummary>>;
  accounts(): Promise<Result<AccountSummary[]>>;
  signOut(accountId: string): Promise<Result<null>>;
  inbox(accountId: string, view: InboxView, sort: InboxSort, offset: number, limit: number): Promise<Result<InboxPage>>;
  openConversation(accountId: string, conversationId: string): Promise<Result<ConversationDetail>>;
  olderMessages(
    accountId: string,
    conversationId: string,
    beforeAt: number | null,
    beforeKey: string,
    limit: number,
  ): Promise<Result<Message[]>>;
  sendMessage(accountId: string, conversationId: string, text: string, html: boolean): Promise<Result<string>>;
  setDraft(accountId: string, conversationId: string, text: string): Promise<Result<null>>;
  setStatus(accountId: string, conversationId: string, status: ConversationStatus): Promise<Result<null>>;
  assign(accountId: string, conversationId: string, assignee: string): Promise<Result<string>>;
  search(accountId: string, terms: string, limit: number): Promise<Result<SearchHit[]>>;
  setTyping(accountId: string, conversationId: string, typing: boolean): Promise<Result<null>>;
  closeConversation(accountId: string, conversationId: string): Promise<Result<null>>;
  /** Listen to the shell's coalesced change batches; resolves to an unlisten function. */
  onBatch(cb: (batch: UiBatch) => void): Promise<() => void>;
  /** A notification was clicked: open that account's conversation. Resolves to an unlisten function. */
  onOpenConversation(cb: (target: OpenConversation) => void): Promise<() => void>;
  /** Open a URL in the person's browser (never in the webview). */
  openExternal(url: string): Promise<void>;
}

/** Any rejection that is not already `{code, message}` (e.g. Tauri's own string errors). */
export function toAppError(e: unknown): AppError {
  if (e && typeof e === "object" && "code" in e && "message" in e) {
    const o = e as { code: unknown; message: unknown; field?: unknown };
    return {
      code: o.code as AppError["code"],
      message: String(o.message),
      field: typeof o.field === "string" ? o.field : null,
    };
  }
  const message = e instanceof Error ? e.message : String(e);
  return { code: "internal", message, field: null };
}
