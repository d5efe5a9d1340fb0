// The one IPC interface every capability talks to. `tauri.ts` implements it over Tauri's
// invoke; `mock.ts` implements it in memory for fast UI tests. Types come from the generated
// `bindings.ts` (never hand-written copies).
import type {
  AccountSummary,
  Agent,
  AgentAvailability,
  AppError,
  AppInfo,
  AppSettings,
  AttributeEdit,
  CannedForm,
  CannedResponse,
  Contact,
  DixaConnectForm,
  DixaConversationRow,
  DixaEndUser,
  DixaImport,
  DixaLookup,
  DixaStatus,
  EndUserForm,
  ContactProfile,
  ContactUpdate,
  Conversation,
  ConversationDetail,
  GroupForm,
  GroupUpdate,
  NewConversationForm,
  RecipientState,
  Role,
  StorageInfo,
  ConversationStatus,
  InboxPage,
  InboxSort,
  InboxView,
  Message,
  OpenConversation,
  PageMark,
  SearchHit,
  SignInForm,
  SignInPlan,
  UiBatch,
  UnifiedHit,
  UnifiedPage,
  Platform,
  UploadProgress,
  WapiKitSignInForm,
} from "./bindings";

export type {
  AttributeEdit,
  DixaAttribute,
  DixaConnectForm,
  DixaConversationRow,
  DixaEndUser,
  DixaImport,
  DixaImportRow,
  DixaLookup,
  DixaRowResult,
  DixaStatus,
  EndUserForm,
  AccountTotals,
  Platform,
  UnifiedHit,
  UnifiedPage,
  UnifiedRow,
  PageMark,
  CannedForm,
  CannedResponse,
  ContactProfile,
  ContactUpdate,
  GroupForm,
  GroupKind,
  GroupUpdate,
  Member,
  NewConversationForm,
  RecipientState,
  Role,
  StorageInfo,
  ThemePreference,
  AccountSummary,
  Agent,
  AgentAvailability,
  AppError,
  AppInfo,
  AppSettings,
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
  WapiKitSignInForm,
  UiBatch,
  UploadProgress,
  NotificationSettings,
  ViewCounts,
  PlatformFeatures,
} from "./bindings";
export type Result<T> = { status: "ok"; data: T } | { status: "error"; error: AppError };

export interface Ipc {
  appInfo(): Promise<AppInfo>;
  /** Validate the form and resolve where it would connect, without network traffic. */
  checkSignIn(form: SignInForm): Promise<Result<SignInPlan>>;
  /** Tell the shell the first screen is painted (with the page's start-up marks); resolves to ms since launch. */
  uiReady(marks: PageMark[]): Promise<number>;
  /** Tell the shell the first screen is in the page (it shows the window, created hidden). */
  uiRendered(): Promise<void>;
  signIn(form: SignInForm): Promise<Result<AccountSummary>>;
  /** Sign in to WapiKit (WhatsApp) with an API key; the key goes to the keyring. */
  signInWapikit(form: WapiKitSignInForm): Promise<Result<AccountSummary>>;
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
  /**
   * A page of a view over several signed-in accounts (all when `accounts` is null; one
   * platform when `platform` is set): rows with their account, summed counts, queued total.
   */
  unifiedInbox(
    view: InboxView,
    sort: InboxSort,
    offset: number,
    limit: number,
    accounts: string[] | null,
    platform: Platform | null,
  ): Promise<Result<UnifiedPage>>;
  /** Message search over several accounts, newest first, each hit with its account. */
  unifiedSearch(terms: string, limit: number, accounts: string[] | null, platform: Platform | null): Promise<Result<UnifiedHit[]>>;
  /** Cached conversations of every kind by title, customer id, name or e-mail; newest when empty. */
  findConversations(accountId: string, terms: string, limit: number): Promise<Result<Conversation[]>>;
  setTyping(accountId: string, conversationId: string, typing: boolean): Promise<Result<null>>;
  closeConversation(accountId: string, conversationId: string): Promise<Result<null>>;
  /** Listen to the shell's coalesced change batches; resolves to an unlisten function. */
  onBatch(cb: (batch: UiBatch) => void): Promise<() => void>;
  /** A notification was clicked: open that account's conversation. Resolves to an unlisten function. */
  onOpenConversation(cb: (target: OpenConversation) => void): Promise<() => void>;
  /** Open a URL in the person's browser (never in the webview). */
  openExternal(url: string): Promise<void>;
  /** Agents a conversation can be assigned to. */
  agents(accountId: string): Promise<Result<Agent[]>>;
  /** The app's settings (notifications, availability). */
  settings(): Promise<Result<AppSettings>>;
  saveSettings(settings: AppSettings): Promise<Result<null>>;
  /** Online or away, on every account. */
  setAvailability(availability: AgentAvailability): Promise<Result<null>>;
  /** The system file dialog, then each chosen file uploaded and queued; the queued keys (empty when cancelled). */
  pickAndSendFiles(accountId: string, conversationId: string): Promise<Result<string[]>>;
  /** Send a dropped or pasted file's bytes (base64); the queued message's key. */
  sendAttachment(accountId: string, conversationId: string, name: string, dataBase64: string): Promise<Result<string>>;
  /** An image attachment as a `data:` URL (fails when it is not a raster image). */
  attachmentPreview(accountId: string, blobKey: string): Promise<Result<string>>;
  /** Save an attachment in Downloads and open it with the system app; the saved path. */
  openAttachment(accountId: string, blobKey: string, name: string): Promise<Result<string>>;
  /** Listen to upload progress; resolves to an unlisten function. */
  onUploadProgress(cb: (progress: UploadProgress) => void): Promise<() => void>;

  // ---- groups --------------------------------------------------------------------------
  /** Groups other than support conversations (from the cache). */
  groups(accountId: string): Promise<Result<Conversation[]>>;
  /** A group read back from the server (members, roles) into the cache. */
  refreshGroup(accountId: string, conversationId: string): Promise<Result<Conversation>>;
  createGroup(accountId: string, form: GroupForm): Promise<Result<Conversation>>;
  updateGroup(accountId: string, conversationId: string, update: GroupUpdate): Promise<Result<Conversation>>;
  /** Upload a group or profile image (base64); its URL. */
  uploadImage(accountId: string, name: string, dataBase64: string): Promise<Result<string>>;
  /** A group or profile image from the account's server as a `data:` URL. */
  imagePreview(accountId: string, url: string): Promise<Result<string>>;
  addGroupMember(accountId: string, conversationId: string, userId: string, role: Role): Promise<Result<Conversation>>;
  removeGroupMember(accountId: string, conversationId: string, userId: string): Promise<Result<Conversation>>;
  setMemberRole(accountId: string, conversationId: string, userId: string, role: Role): Promise<Result<Conversation>>;
  leaveGroup(accountId: string, conversationId: string): Promise<Result<null>>;
  deleteGroup(accountId: string, conversationId: string): Promise<Result<null>>;
  /** Mute until a time (ms), or unmute with null. Groups and 1:1 conversations. */
  muteConversation(accountId: string, conversationId: string, until: number | null): Promise<Result<null>>;
  openGroups(accountId: string): Promise<Result<Conversation[]>>;
  joinGroup(accountId: string, conversationId: string): Promise<Result<Conversation>>;
  /** The agent's contact list by name ("friends", "favourites"…). */
  contactList(accountId: string, name: string): Promise<Result<Contact[]>>;
  editContactList(accountId: string, name: string, add: string[], remove: string[]): Promise<Result<Contact[]>>;
  /** People by name, e-mail, phone or id (member pickers). */
  searchPeople(accountId: string, terms: string, limit: number): Promise<Result<Contact[]>>;

  // ---- contacts ------------------------------------------------------------------------
  contactProfile(accountId: string, userId: string): Promise<Result<ContactProfile>>;
  updateContact(accountId: string, userId: string, update: ContactUpdate): Promise<Result<Contact>>;
  setBlocked(accountId: string, userId: string, blocked: boolean): Promise<Result<null>>;
  startConversation(accountId: string, form: NewConversationForm): Promise<Result<Conversation>>;

  // ---- messages ------------------------------------------------------------------------
  /** Queue a message with a content type (0 text, 3 HTML) and metadata (rich, hidden, custom). */
  sendRich(
    accountId: string,
    conversationId: string,
    text: string,
    contentType: number,
    metadata: Partial<{ [key in string]: string }>,
  ): Promise<Result<string>>;
  deleteMessage(accountId: string, key: string, forEveryone: boolean): Promise<Result<null>>;
  messageInfo(accountId: string, key: string): Promise<Result<RecipientState[]>>;

  // ---- canned responses ----------------------------------------------------------------
  cannedResponses(accountId: string): Promise<Result<CannedResponse[]>>;
  saveCannedResponse(accountId: string, form: CannedForm): Promise<Result<CannedResponse>>;
  deleteCannedResponse(accountId: string, id: string): Promise<Result<null>>;

  // ---- app -----------------------------------------------------------------------------
  storageInfo(): Promise<Result<StorageInfo>>;
  /** Empty the caches and refetch (queued messages, drafts and canned responses stay). */
  clearCache(): Promise<Result<null>>;
  openLogsFolder(): Promise<Result<null>>;
  /** A web image (rich card picture…) as a `data:` URL, fetched by the shell after a click. */
  remoteImage(url: string): Promise<Result<string>>;

  // ---- Dixa end users --------------------------------------------------------------------
  /** Whether a Dixa token is saved and the address in use (never the token). */
  dixaStatus(): Promise<Result<DixaStatus>>;
  /** Check the token (null: the saved one) against the address; saved only when Dixa accepts it. */
  dixaConnect(form: DixaConnectForm): Promise<Result<DixaStatus>>;
  /** Forget the saved token. */
  dixaDisconnect(): Promise<Result<DixaStatus>>;
  /** The end user with this email, else phone, else external id. */
  dixaLookup(email: string | null, phone: string | null, externalId: string | null): Promise<Result<DixaLookup>>;
  dixaEndUser(id: string): Promise<Result<DixaEndUser>>;
  dixaCreateEndUser(form: EndUserForm): Promise<Result<DixaEndUser>>;
  /** Patch the profile (blank fields cleared) and the given custom attributes. */
  dixaUpdateEndUser(id: string, form: EndUserForm, attributes: AttributeEdit[]): Promise<Result<DixaEndUser>>;
  /** The end user's Dixa conversations, newest first. */
  dixaConversations(id: string): Promise<Result<DixaConversationRow[]>>;
  /** Irreversible. Open conversations refuse it (`forbidden`, field `force`) unless `force`. */
  dixaAnonymize(id: string, force: boolean): Promise<Result<DixaEndUser>>;
  /** The system file dialog, then the CSV imported; null when cancelled. */
  dixaImportPick(): Promise<Result<DixaImport | null>>;
  /** Import a dropped CSV file's bytes (base64). */
  dixaImportCsv(name: string, dataBase64: string): Promise<Result<DixaImport>>;
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
