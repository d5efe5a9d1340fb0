import { commands, events } from "./bindings";
import { toAppError, type Ipc, type Result } from "./ipc";

type Raw<T> = { status: "ok"; data: T } | { status: "error"; error: unknown };

/** Run a generated command; string errors and thrown errors both become an `AppError`. */
async function call<T>(run: () => Promise<Raw<T>>): Promise<Result<T>> {
  try {
    const r = await run();
    return r.status === "ok" ? r : { status: "error", error: toAppError(r.error) };
  } catch (e) {
    return { status: "error", error: toAppError(e) };
  }
}

export const tauriIpc: Ipc = {
  appInfo: () => commands.appInfo(),
  checkSignIn: (form) => call(() => commands.checkSignIn(form)),
  uiReady: () => commands.uiReady(),
  signIn: (form) => call(() => commands.signIn(form)),
  accounts: () => call(() => commands.accounts()),
  signOut: (accountId) => call(() => commands.signOut(accountId)),
  inbox: (accountId, view, sort, offset, limit) => call(() => commands.inbox(accountId, view, sort, offset, limit)),
  openConversation: (accountId, conversationId) => call(() => commands.openConversation(accountId, conversationId)),
  olderMessages: (accountId, conversationId, beforeAt, beforeKey, limit) =>
    call(() => commands.olderMessages(accountId, conversationId, beforeAt, beforeKey, limit)),
  sendMessage: (accountId, conversationId, text, html) =>
    call(() => commands.sendMessage(accountId, conversationId, text, html)),
  setDraft: (accountId, conversationId, text) => call(() => commands.setDraft(accountId, conversationId, text)),
  setStatus: (accountId, conversationId, status) => call(() => commands.setStatus(accountId, conversationId, status)),
  assign: (accountId, conversationId, assignee) => call(() => commands.assign(accountId, conversationId, assignee)),
  search: (accountId, terms, limit) => call(() => commands.search(accountId, terms, limit)),
  setTyping: (accountId, conversationId, typing) => call(() => commands.setTyping(accountId, conversationId, typing)),
  closeConversation: (accountId, conversationId) => call(() => commands.closeConversation(accountId, conversationId)),
  onBatch: async (cb) => {
    const unlisten = await events.uiBatch.listen((event) => cb(event.payload));
    return unlisten;
  },
  onOpenConversation: async (cb) => {
    const unlisten = await events.openConversation.listen((event) => cb(event.payload));
    return unlisten;
  },
  agents: (accountId) => call(() => commands.agents(accountId)),
  // `settings` cannot fail in Rust, so it is not wrapped in a result there.
  settings: () => call(async () => ({ status: "ok" as const, data: await commands.settings() })),
  saveSettings: (settings) => call(() => commands.saveSettings(settings)),
  setAvailability: (availability) => call(() => commands.setAvailability(availability)),
  pickAndSendFiles: (accountId, conversationId) => call(() => commands.pickAndSendFiles(accountId, conversationId)),
  sendAttachment: (accountId, conversationId, name, dataBase64) =>
    call(() => commands.sendAttachment(accountId, conversationId, name, dataBase64)),
  attachmentPreview: (accountId, blobKey) => call(() => commands.attachmentPreview(accountId, blobKey)),
  openAttachment: (accountId, blobKey, name) => call(() => commands.openAttachment(accountId, blobKey, name)),
  onUploadProgress: async (cb) => {
    const unlisten = await events.uploadProgress.listen((event) => cb(event.payload));
    return unlisten;
  },
  openExternal: async (url) => {
    // The shell opens http(s)/mailto links in the system browser and refuses anything else.
    const r = await commands.openExternal(url).catch((e: unknown) => ({ status: "error" as const, error: e }));
    if (r.status === "error") console.warn("link not opened:", toAppError(r.error).message);
  },
};
