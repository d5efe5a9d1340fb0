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
  uiReady: (marks) => commands.uiReady(marks),
  uiRendered: () => commands.uiRendered(),
  signIn: (form) => call(() => commands.signIn(form)),
  signInWapikit: (form) => call(() => commands.signInWapikit(form)),
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
  unifiedInbox: (view, sort, offset, limit, accounts, platform) =>
    call(() => commands.unifiedInbox(view, sort, offset, limit, accounts, platform)),
  unifiedSearch: (terms, limit, accounts, platform) => call(() => commands.unifiedSearch(terms, limit, accounts, platform)),
  findConversations: (accountId, terms, limit) => call(() => commands.findConversations(accountId, terms, limit)),
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
  groups: (accountId) => call(() => commands.groups(accountId)),
  refreshGroup: (accountId, conversationId) => call(() => commands.refreshGroup(accountId, conversationId)),
  createGroup: (accountId, form) => call(() => commands.createGroup(accountId, form)),
  updateGroup: (accountId, conversationId, update) => call(() => commands.updateGroup(accountId, conversationId, update)),
  uploadImage: (accountId, name, dataBase64) => call(() => commands.uploadImage(accountId, name, dataBase64)),
  imagePreview: (accountId, url) => call(() => commands.imagePreview(accountId, url)),
  addGroupMember: (accountId, conversationId, userId, role) =>
    call(() => commands.addGroupMember(accountId, conversationId, userId, role)),
  removeGroupMember: (accountId, conversationId, userId) =>
    call(() => commands.removeGroupMember(accountId, conversationId, userId)),
  setMemberRole: (accountId, conversationId, userId, role) =>
    call(() => commands.setMemberRole(accountId, conversationId, userId, role)),
  leaveGroup: (accountId, conversationId) => call(() => commands.leaveGroup(accountId, conversationId)),
  deleteGroup: (accountId, conversationId) => call(() => commands.deleteGroup(accountId, conversationId)),
  muteConversation: (accountId, conversationId, until) => call(() => commands.muteConversation(accountId, conversationId, until)),
  openGroups: (accountId) => call(() => commands.openGroups(accountId)),
  joinGroup: (accountId, conversationId) => call(() => commands.joinGroup(accountId, conversationId)),
  contactList: (accountId, name) => call(() => commands.contactList(accountId, name)),
  editContactList: (accountId, name, add, remove) => call(() => commands.editContactList(accountId, name, add, remove)),
  searchPeople: (accountId, terms, limit) => call(() => commands.searchPeople(accountId, terms, limit)),
  contactProfile: (accountId, userId) => call(() => commands.contactProfile(accountId, userId)),
  updateContact: (accountId, userId, update) => call(() => commands.updateContact(accountId, userId, update)),
  setBlocked: (accountId, userId, blocked) => call(() => commands.setBlocked(accountId, userId, blocked)),
  startConversation: (accountId, form) => call(() => commands.startConversation(accountId, form)),
  sendRich: (accountId, conversationId, text, contentType, metadata) => {
    const clean: { [key in string]: string } = {};
    for (const [k, v] of Object.entries(metadata)) if (v !== undefined) clean[k] = v;
    return call(() => commands.sendRich(accountId, conversationId, text, contentType, clean));
  },
  deleteMessage: (accountId, key, forEveryone) => call(() => commands.deleteMessage(accountId, key, forEveryone)),
  messageInfo: (accountId, key) => call(() => commands.messageInfo(accountId, key)),
  cannedResponses: (accountId) => call(() => commands.cannedResponses(accountId)),
  saveCannedResponse: (accountId, form) => call(() => commands.saveCannedResponse(accountId, form)),
  deleteCannedResponse: (accountId, id) => call(() => commands.deleteCannedResponse(accountId, id)),
  storageInfo: () => call(() => commands.storageInfo()),
  clearCache: () => call(() => commands.clearCache()),
  openLogsFolder: () => call(() => commands.openLogsFolder()),
  remoteImage: (url) => call(() => commands.remoteImage(url)),
  dixaStatus: () => call(() => commands.dixaStatus()),
  dixaConnect: (form) => call(() => commands.dixaConnect(form)),
  dixaDisconnect: () => call(() => commands.dixaDisconnect()),
  dixaLookup: (email, phone, externalId) => call(() => commands.dixaLookup(email, phone, externalId)),
  dixaEndUser: (id) => call(() => commands.dixaEndUser(id)),
  dixaCreateEndUser: (form) => call(() => commands.dixaCreateEndUser(form)),
  dixaUpdateEndUser: (id, form, attributes) => call(() => commands.dixaUpdateEndUser(id, form, attributes)),
  dixaConversations: (id) => call(() => commands.dixaConversations(id)),
  dixaAnonymize: (id, force) => call(() => commands.dixaAnonymize(id, force)),
  dixaImportPick: () => call(() => commands.dixaImportPick()),
  dixaImportCsv: (name, dataBase64) => call(() => commands.dixaImportCsv(name, dataBase64)),
  openExternal: async (url) => {
    // The shell opens http(s)/mailto links in the system browser and refuses anything else.
    const r = await commands.openExternal(url).catch((e: unknown) => ({ status: "error" as const, error: e }));
    if (r.status === "error") console.warn("link not opened:", toAppError(r.error).message);
  },
};
