// An in-memory Ipc for UI tests: each test says what the "backend" holds and answers, can
// push batches as the shell would, and can read back what the UI sent.
import type {
  CannedResponse,
  ContactProfile,
  RecipientState,
  Role,
  StorageInfo,
  AccountSummary,
  Agent,
  AgentAvailability,
  AppError,
  AppInfo,
  AppSettings,
  Conversation,
  ConversationDetail,
  ConversationStatus,
  Contact,
  InboxPage,
  InboxSort,
  InboxView,
  Ipc,
  Message,
  OpenConversation,
  Result,
  Platform,
  PlatformFeatures,
  SearchHit,
  SignInForm,
  WapiKitSignInForm,
  SignInPlan,
  UiBatch,
  UnifiedHit,
  UnifiedPage,
  UploadProgress,
  ViewCounts,
} from "./ipc";
import { createMockDixa, type MockDixaOptions, type MockDixaState } from "./mockDixa";

export const mockAppInfo: AppInfo = {
  name: "Parley",
  version: "0.0.0-test",
  themeOverride: null,
  wapikitSandboxUrl: "http://127.0.0.1:18080/api",
  presets: [
    {
      preset: "sandbox",
      label: "Local sandbox",
      endpoints: {
        chat: "http://127.0.0.1:18080",
        api: "http://127.0.0.1:18080",
        services: "http://127.0.0.1:18080",
        mqtt: "tcp://127.0.0.1:18830",
      },
      unencryptedBroker: false,
    },
    {
      preset: "kommunicate_cloud",
      label: "Kommunicate cloud",
      endpoints: {
        chat: "https://chat.kommunicate.io",
        api: "https://api.kommunicate.io",
        services: "https://services.kommunicate.io",
        mqtt: "tcp://socket.kommunicate.io:1883",
      },
      unencryptedBroker: true,
    },
    { preset: "custom", label: "Custom server", endpoints: null, unencryptedBroker: false },
  ],
};

export const ME = "agent@parley.test";

export function defaultSettings(): AppSettings {
  return {
    notifications: {
      enabled: true,
      newConversations: true,
      assignedToMe: true,
      messagesInMine: true,
      mentions: true,
      quietFromMinute: null,
      quietToMinute: null,
      sound: false,
      soundName: "message-new-instant",
      repeatMinutes: 0,
    },
    availability: "online",
    theme: "system",
    locale: "en",
    shortcuts: {},
  };
}

export function mockAgents(): Agent[] {
  return [
    { userId: ME, name: "Ada Agent", email: ME, available: true },
    { userId: "sam@parley.test", name: "Sam Support", email: "sam@parley.test", available: true },
    { userId: "lee@parley.test", name: "Lee Billing", email: "lee@parley.test", available: false },
    { userId: "bot:triage", name: null, email: null, available: true },
  ];
}

/** A content type from a file name, as the shell would sniff it. */
export function guessType(name: string): string {
  const ext = name.toLowerCase().split(".").pop() ?? "";
  const types: Record<string, string> = {
    png: "image/png",
    jpg: "image/jpeg",
    jpeg: "image/jpeg",
    gif: "image/gif",
    webp: "image/webp",
    pdf: "application/pdf",
    txt: "text/plain",
    csv: "text/csv",
    zip: "application/zip",
  };
  return types[ext] ?? "application/octet-stream";
}

export function account(over: Partial<AccountSummary> = {}): AccountSummary {
  return {
    id: "acc-1",
    userId: ME,
    displayName: "Ada Agent",
    appKey: "demo-app",
    server: "http://127.0.0.1:18080",
    isAgent: true,
    platform: "kommunicate",
    features: featuresOf(over.platform ?? "kommunicate"),
    connection: { state: "online" },
    insecureLink: false,
    ...over,
  };
}

/** What each platform offers, as the shell reports it (`Platform::features`). */
export function featuresOf(platform: Platform): PlatformFeatures {
  return platform === "wapikit"
    ? { statuses: ["open", "resolved"], editContacts: false, blockContacts: false, startConversations: false, groups: false, presence: false, attachments: false, richMessages: false, unassign: true }
    : {
        statuses: ["open", "resolved", "spam", "duplicate"],
        editContacts: true,
        blockContacts: true,
        startConversations: true,
        groups: true,
        presence: true,
        attachments: true,
        richMessages: true,
        unassign: false,
      };
}

let seq = 0;
export function conversation(over: Partial<Conversation> = {}): Conversation {
  seq += 1;
  const id = over.id ?? `g:${1000 + seq}`;
  return {
    id,
    groupId: Number(id.slice(2)) || null,
    clientGroupId: null,
    title: `Conversation ${seq}`,
    groupType: 10,
    status: "open",
    assignee: ME,
    customerId: `customer-${seq}`,
    imageUrl: null,
    members: [],
    metadata: {},
    createdAt: 1_700_000_000_000,
    lastActivityAt: 1_700_000_000_000 + seq * 60_000,
    lastMessagePreview: `Preview ${seq}`,
    unread: 0,
    mutedUntil: null,
    ...over,
  };
}

export function message(over: Partial<Message> = {}): Message {
  seq += 1;
  return {
    key: `m-${seq}`,
    conversationId: "g:1",
    senderId: "customer-1",
    createdAt: 1_700_000_000_000 + seq * 1000,
    text: `Message ${seq}`,
    contentType: 0,
    metadata: {},
    attachment: null,
    direction: "incoming",
    state: "delivered",
    clientKey: null,
    ...over,
  };
}

export function emptyBatch(over: Partial<UiBatch> = {}): UiBatch {
  return {
    accountId: "acc-1",
    conversations: [],
    messages: [],
    removed: [],
    rekeyed: [],
    counts: null,
    connection: null,
    typing: [],
    storeError: null,
    queued: null,
    ...over,
  };
}

const CLOSED: ConversationStatus[] = ["resolved", "duplicate", "archive"];

export function inView(c: Conversation, view: InboxView, me: string): boolean {
  const closed = CLOSED.includes(c.status);
  const spam = c.status === "spam";
  switch (view) {
    case "assigned_to_me":
      return !closed && !spam && c.assignee === me;
    case "unassigned":
      return !closed && !spam && !c.assignee;
    case "all":
      return !closed && !spam;
    case "closed":
      return closed;
    case "spam":
      return spam;
  }
}

export interface MockCalls {
  checkSignIn: SignInForm[];
  signIn: SignInForm[];
  /** WapiKit sign-ins, with the key replaced by its length. */
  signInWapikit: { url: string; keyLength: number }[];
  uiReady: number;
  uiRendered: number;
  /** The names of the start-up marks the last uiReady sent. */
  pageMarks: string[];
  signOut: string[];
  inbox: { view: InboxView; sort: InboxSort; offset: number; limit: number }[];
  unifiedInbox: { view: InboxView; sort: InboxSort; offset: number; limit: number; accounts: string[] | null; platform: Platform | null }[];
  unifiedSearch: { terms: string; accounts: string[] | null; platform: Platform | null }[];
  openConversation: string[];
  olderMessages: { conversationId: string; beforeAt: number | null; beforeKey: string; limit: number }[];
  sendMessage: { conversationId: string; text: string; html: boolean }[];
  setDraft: { conversationId: string; text: string }[];
  setStatus: { conversationId: string; status: ConversationStatus }[];
  assign: { conversationId: string; assignee: string }[];
  search: string[];
  setTyping: { conversationId: string; typing: boolean }[];
  openExternal: string[];
  agents: string[];
  settings: number;
  saveSettings: AppSettings[];
  setAvailability: AgentAvailability[];
  pickAndSendFiles: string[];
  sendAttachment: { conversationId: string; name: string; dataBase64: string }[];
  attachmentPreview: string[];
  openAttachment: { blobKey: string; name: string }[];
  /** Every people/groups/canned/app call: `[command, ...args]` (args after the account id). */
  people: unknown[][];
  /** `[command, accountId, conversationId]` of conversation calls (open, send): which account acted. */
  byAccount: [string, string, string][];
}

/** A file the mock's "system dialog" picks. */
export interface PickedFile {
  name: string;
  size: number;
  contentType?: string;
}

export interface MockOptions {
  appInfo?: AppInfo;
  accounts?: AccountSummary[];
  conversations?: Conversation[];
  /**
   * Conversations of other accounts, by account id (accounts not named here see
   * `conversations`). Messages stay keyed by conversation id: give each account its own ids.
   */
  accountConversations?: Record<string, Conversation[]>;
  /** Messages by conversation id, oldest first. */
  messages?: Record<string, Message[]>;
  customers?: Record<string, Contact>;
  drafts?: Record<string, string>;
  checkSignIn?: (form: SignInForm) => Result<SignInPlan>;
  signIn?: (form: SignInForm) => Result<AccountSummary>;
  signInWapikit?: (form: WapiKitSignInForm) => Result<AccountSummary>;
  /** Errors for commands the test wants to fail, by command name. */
  fail?: Partial<Record<keyof MockCalls, AppError>>;
  /** How many of the newest messages `openConversation` returns. */
  openLimit?: number;
  agents?: Agent[];
  settings?: AppSettings;
  /** `attachmentPreview` answers by blob key (data: URLs). */
  previews?: Record<string, string>;
  /** What the file dialog returns (nothing: the agent cancels). */
  picked?: PickedFile[];
  /** Milliseconds between upload progress steps (0: microtasks only). */
  uploadStepMs?: number;
  /** Uploads fail with this message (progress `error`, command error). */
  uploadError?: string;
  /** People known to the "server" (search, profiles, group members), by user id. */
  people?: Record<string, Contact>;
  canned?: CannedResponse[];
  openGroups?: Conversation[];
  /** `messageInfo` answers by message key. */
  receipts?: Record<string, RecipientState[]>;
  /** Errors for people/groups/canned commands, by command name. */
  failPeople?: Partial<Record<string, AppError>>;
  /** The in-memory Dixa (end users, token); failures through `failPeople` by command name. */
  dixa?: MockDixaOptions;
}

export interface MockIpc extends Ipc {
  calls: MockCalls;
  state: {
    accounts: AccountSummary[];
    conversations: Conversation[];
    /** Other accounts' conversations (see `MockOptions.accountConversations`). */
    accountConversations: Record<string, Conversation[]>;
    messages: Record<string, Message[]>;
    drafts: Record<string, string>;
    agents: Agent[];
    settings: AppSettings;
    /** Uploaded files by blob key. */
    blobs: Record<string, { name: string; contentType: string; size: number; dataBase64: string | null }>;
    people: Record<string, Contact>;
    canned: CannedResponse[];
    blocked: Set<string>;
    contactLists: Record<string, string[]>;
    dixa: MockDixaState;
  };
  /** Messages waiting in the send queue (queued or failed outgoing ones). */
  queuedCount(): number;
  /** The sender sent a queued message: it gets a server key and the batch says so. */
  deliver(localKey: string, serverKey?: string): void;
  /** Deliver upload progress, as the shell's event would. */
  emitUpload(progress: UploadProgress): void;
  /** Deliver a batch to every listener, as the shell's event would. */
  emit(batch: UiBatch): void;
  listenerCount(): number;
  /** Deliver a notification click, as the shell's event would. */
  emitOpen(target: OpenConversation): void;
}

const ok = <T>(data: T): Result<T> => ({ status: "ok", data });

export function createMockIpc(opts: MockOptions = {}): MockIpc {
  const calls: MockCalls = {
    checkSignIn: [],
    signIn: [],
    signInWapikit: [],
    uiReady: 0,
    uiRendered: 0,
    pageMarks: [],
    signOut: [],
    inbox: [],
    unifiedInbox: [],
    unifiedSearch: [],
    openConversation: [],
    olderMessages: [],
    sendMessage: [],
    setDraft: [],
    setStatus: [],
    assign: [],
    search: [],
    setTyping: [],
    openExternal: [],
    agents: [],
    settings: 0,
    saveSettings: [],
    setAvailability: [],
    pickAndSendFiles: [],
    sendAttachment: [],
    attachmentPreview: [],
    openAttachment: [],
    people: [],
    byAccount: [],
  };
  const state = {
    accounts: opts.accounts ? [...opts.accounts] : [],
    conversations: opts.conversations ? [...opts.conversations] : [],
    accountConversations: Object.fromEntries(Object.entries(opts.accountConversations ?? {}).map(([k, v]) => [k, [...v]])),
    messages: { ...(opts.messages ?? {}) },
    drafts: { ...(opts.drafts ?? {}) },
    agents: opts.agents ? [...opts.agents] : mockAgents(),
    settings: structuredClone(opts.settings ?? defaultSettings()),
    blobs: {} as MockIpc["state"]["blobs"],
    people: { ...(opts.customers ?? {}), ...(opts.people ?? {}) } as Record<string, Contact>,
    canned: [...(opts.canned ?? [])],
    blocked: new Set<string>(),
    contactLists: {} as Record<string, string[]>,
    dixa: null as unknown as MockDixaState,
  };
  const uploadListeners = new Set<(p: UploadProgress) => void>();
  const listeners = new Set<(b: UiBatch) => void>();
  const openListeners = new Set<(t: OpenConversation) => void>();
  const fail = <T>(name: keyof MockCalls): Result<T> | null =>
    opts.fail?.[name] ? { status: "error", error: opts.fail[name]! } : null;
  const me = (accountId: string) => state.accounts.find((a) => a.id === accountId)?.userId ?? ME;
  /** The conversations an account's cache holds. */
  const convs = (accountId: string): Conversation[] => state.accountConversations[accountId] ?? state.conversations;

  const counts = (accountId: string): ViewCounts => {
    const m = me(accountId);
    const list = convs(accountId);
    const n = (v: InboxView) => list.filter((c) => inView(c, v, m)).length;
    return {
      assignedToMe: n("assigned_to_me"),
      unassigned: n("unassigned"),
      all: n("all"),
      closed: n("closed"),
      spam: n("spam"),
      unread: list.filter((c) => inView(c, "all", m)).reduce((s, c) => s + c.unread, 0),
    };
  };
  const sortRows = <T>(rows: T[], sort: InboxSort, conv: (x: T) => Conversation): T[] =>
    rows.sort((x, y) => {
      const a = conv(x);
      const b = conv(y);
      if (sort === "oldest") return a.lastActivityAt - b.lastActivityAt;
      if (sort === "unread_first" && (a.unread > 0) !== (b.unread > 0)) return a.unread > 0 ? -1 : 1;
      return b.lastActivityAt - a.lastActivityAt;
    });
  /** The signed-in accounts a unified call covers, as the shell chooses them. */
  const chosen = (accounts: string[] | null, platform: Platform | null): Result<AccountSummary[]> => {
    const unknown = accounts?.find((id) => !state.accounts.some((a) => a.id === id));
    if (unknown) return { status: "error", error: { code: "unauthorized", message: "That account is not signed in on this computer.", field: null } };
    return ok(
      state.accounts
        .filter((a) => (!accounts || accounts.includes(a.id)) && (!platform || a.platform === platform))
        .sort((a, b) => a.id.localeCompare(b.id)),
    );
  };
  const searchIn = (accountId: string, terms: string): SearchHit[] => {
    const words = terms.toLowerCase().split(/\s+/).filter(Boolean);
    const hits: SearchHit[] = [];
    const list = convs(accountId);
    for (const [convId, msgs] of Object.entries(state.messages)) {
      const conv = list.find((c) => c.id === convId);
      // Another account's conversation (or none of this account's): not this account's hit.
      if (!conv && (state.accountConversations[accountId] || Object.values(state.accountConversations).some((l) => l.some((c) => c.id === convId)))) continue;
      const title = conv?.title ?? convId;
      for (const m of msgs) {
        const t = m.text.toLowerCase();
        if (words.length && words.every((w) => t.includes(w))) hits.push({ message: m, conversationTitle: title });
      }
    }
    return hits.sort((a, b) => b.message.createdAt - a.message.createdAt);
  };
  let localSeq = 0;
  const queuedCount = () =>
    Object.values(state.messages)
      .flat()
      .filter((m) => m.direction === "outgoing" && (m.state === "queued" || m.state === "failed")).length;

  /** Queue a local echo as the sender would, and tell the UI (with counts, as the shell does). */
  function queueEcho(accountId: string, conversationId: string, over: Partial<Message>): string {
    localSeq += 1;
    const key = `local-${localSeq}`;
    const echo: Message = {
      key,
      conversationId,
      senderId: me(accountId),
      createdAt: Date.now(),
      text: "",
      contentType: 0,
      metadata: {},
      attachment: null,
      direction: "outgoing",
      state: "queued",
      clientKey: key,
      ...over,
    };
    (state.messages[conversationId] ??= []).push(echo);
    queueMicrotask(() =>
      ipc.emit(emptyBatch({ accountId, conversations: [conversationId], messages: [echo], counts: counts(accountId), queued: queuedCount() })),
    );
    return key;
  }

  const pause = (ms: number) => new Promise<void>((r) => (ms > 0 ? setTimeout(r, ms) : queueMicrotask(r)));

  /** Upload a file with progress events, then queue its message. */
  async function upload(accountId: string, conversationId: string, name: string, size: number, contentType: string, data: string | null): Promise<Result<string>> {
    localSeq += 1;
    const uploadId = `upload-${localSeq}`;
    const step = opts.uploadStepMs ?? 0;
    const base: UploadProgress = { accountId, conversationId, uploadId, name, sent: 0, total: size, done: false, error: null };
    ipc.emitUpload(base);
    for (const part of [0.35, 0.7]) {
      await pause(step);
      if (opts.uploadError) break;
      ipc.emitUpload({ ...base, sent: Math.round(size * part) });
    }
    await pause(step);
    if (opts.uploadError) {
      ipc.emitUpload({ ...base, done: true, error: opts.uploadError });
      return { status: "error", error: { code: "unreachable", message: opts.uploadError, field: null } };
    }
    ipc.emitUpload({ ...base, sent: size, done: true });
    const blobKey = `blob-${localSeq}`;
    state.blobs[blobKey] = { name, contentType, size, dataBase64: data };
    const key = queueEcho(accountId, conversationId, {
      contentType: 1,
      attachment: { name, size, contentType, blobKey, url: null, thumbnailUrl: null },
    });
    return ok(key);
  }

  const invalid = (message: string, field: string | null = null): Result<never> => ({
    status: "error",
    error: { code: "invalid_input", message, field },
  });
  /** Record a people/groups call and answer its configured failure, if any. */
  const record = <T>(name: string, ...args: unknown[]): Result<T> | null => {
    calls.people.push([name, ...args]);
    const e = opts.failPeople?.[name];
    return e ? { status: "error", error: e } : null;
  };
  const group = (id: string) => state.conversations.find((c) => c.id === id);
  const updateConv = (id: string, f: (c: Conversation) => Conversation): Result<Conversation> => {
    const c = group(id);
    if (!c) return invalid("That is not a group.");
    const next = f(structuredClone(c));
    state.conversations = state.conversations.map((x) => (x.id === id ? next : x));
    return ok(structuredClone(next));
  };
  const contactOf = (userId: string): Contact =>
    state.people[userId] ?? {
      userId,
      displayName: null,
      email: null,
      phone: null,
      imageUrl: null,
      metadata: {},
      online: false,
      lastSeenAt: null,
      roleType: 3,
    };
  let groupSeq = 5000;
  const dixa = createMockDixa(opts.dixa ?? {}, record);
  state.dixa = dixa.state;

  const ipc: MockIpc = {
    ...dixa.methods,
    calls,
    state,
    emit(batch) {
      for (const l of [...listeners]) l(batch);
    },
    listenerCount: () => listeners.size,
    queuedCount,
    deliver(localKey, serverKey = `srv-${localKey}`) {
      for (const [conversationId, list] of Object.entries(state.messages)) {
        const i = list.findIndex((m) => m.key === localKey);
        if (i < 0) continue;
        const sent: Message = { ...list[i]!, key: serverKey, state: "sent" };
        list[i] = sent;
        const accountId = state.accounts[0]?.id ?? "acc-1";
        ipc.emit(
          emptyBatch({
            accountId,
            conversations: [conversationId],
            messages: [sent],
            rekeyed: [[localKey, serverKey]],
            counts: counts(accountId),
            queued: queuedCount(),
          }),
        );
        return;
      }
    },
    emitUpload(p) {
      for (const l of [...uploadListeners]) l(p);
    },
    emitOpen(target) {
      for (const l of [...openListeners]) l(target);
    },
    appInfo: async () => opts.appInfo ?? mockAppInfo,
    checkSignIn: async (form) => {
      calls.checkSignIn.push(structuredClone(form));
      if (!opts.checkSignIn) throw new Error("mock: checkSignIn not configured");
      return opts.checkSignIn(form);
    },
    uiRendered: async () => {
      calls.uiRendered += 1;
    },
    uiReady: async (marks) => {
      calls.uiReady += 1;
      calls.pageMarks = marks.map((m) => m.name);
      return 1;
    },
    signIn: async (form) => {
      calls.signIn.push(structuredClone(form));
      const r = opts.signIn ? opts.signIn(form) : ok(account({ userId: form.userId || ME }));
      if (r.status === "ok") state.accounts.push(r.data);
      return r;
    },
    signInWapikit: async (form) => {
      calls.signInWapikit.push({ url: form.url, keyLength: form.apiKey.length });
      const r = opts.signInWapikit
        ? opts.signInWapikit(form)
        : ok(
            account({
              id: "wapikit-org:member-1",
              userId: "member-1",
              displayName: "Ada on WhatsApp",
              appKey: "wapikit-org",
              server: form.url,
              platform: "wapikit",
            }),
          );
      if (r.status === "ok") state.accounts.push(r.data);
      return r;
    },
    accounts: async () => ok([...state.accounts]),
    signOut: async (accountId) => {
      calls.signOut.push(accountId);
      state.accounts = state.accounts.filter((a) => a.id !== accountId);
      return fail<null>("signOut") ?? ok(null);
    },
    inbox: async (accountId, view, sort, offset, limit) => {
      calls.inbox.push({ view, sort, offset, limit });
      const f = fail<InboxPage>("inbox");
      if (f) return f;
      const m = me(accountId);
      const rows = sortRows(convs(accountId).filter((c) => inView(c, view, m)), sort, (c) => c);
      return ok({ rows: rows.slice(offset, offset + limit), counts: counts(accountId), queued: queuedCount() });
    },
    unifiedInbox: async (view, sort, offset, limit, accounts, platform) => {
      calls.unifiedInbox.push({ view, sort, offset, limit, accounts: accounts && [...accounts], platform });
      const f = fail<UnifiedPage>("unifiedInbox");
      if (f) return f;
      const which = chosen(accounts, platform);
      if (which.status === "error") return which;
      const rows = sortRows(
        which.data.flatMap((a) => convs(a.id).filter((c) => inView(c, view, a.userId)).map((c) => ({ accountId: a.id, platform: a.platform, conversation: { ...c } }))),
        sort,
        (r) => r.conversation,
      );
      const totals = which.data.map((a) => ({ accountId: a.id, counts: counts(a.id), queued: a.id === state.accounts[0]?.id ? queuedCount() : 0 }));
      const sum = (k: keyof ViewCounts) => totals.reduce((n, t) => n + t.counts[k], 0);
      return ok({
        rows: rows.slice(offset, offset + limit),
        counts: { assignedToMe: sum("assignedToMe"), unassigned: sum("unassigned"), all: sum("all"), closed: sum("closed"), spam: sum("spam"), unread: sum("unread") },
        queued: totals.reduce((n, t) => n + t.queued, 0),
        accounts: totals,
      });
    },
    openConversation: async (accountId, conversationId) => {
      calls.openConversation.push(conversationId);
      calls.byAccount.push(["openConversation", accountId, conversationId]);
      const f = fail<ConversationDetail>("openConversation");
      if (f) return f;
      const conversation = convs(accountId).find((c) => c.id === conversationId);
      if (!conversation) return { status: "error", error: { code: "storage", message: "No such conversation.", field: null } };
      const all = state.messages[conversationId] ?? [];
      const limit = opts.openLimit ?? 50;
      return ok({
        conversation: { ...conversation },
        messages: all.slice(Math.max(0, all.length - limit)),
        draft: state.drafts[conversationId] ?? null,
        customer: (conversation.customerId && opts.customers?.[conversation.customerId]) || null,
      });
    },
    olderMessages: async (_accountId, conversationId, beforeAt, beforeKey, limit) => {
      calls.olderMessages.push({ conversationId, beforeAt, beforeKey, limit });
      const f = fail<Message[]>("olderMessages");
      if (f) return f;
      const all = state.messages[conversationId] ?? [];
      const idx = all.findIndex((m) => m.key === beforeKey);
      const end = idx < 0 ? 0 : idx;
      return ok(all.slice(Math.max(0, end - limit), end));
    },
    sendMessage: async (accountId, conversationId, text, html) => {
      calls.sendMessage.push({ conversationId, text, html });
      calls.byAccount.push(["sendMessage", accountId, conversationId]);
      const f = fail<string>("sendMessage");
      if (f) return f;
      return ok(queueEcho(accountId, conversationId, { text, contentType: html ? 3 : 0 }));
    },
    setDraft: async (_accountId, conversationId, text) => {
      calls.setDraft.push({ conversationId, text });
      state.drafts[conversationId] = text;
      return fail<null>("setDraft") ?? ok(null);
    },
    setStatus: async (_accountId, conversationId, status) => {
      calls.setStatus.push({ conversationId, status });
      const f = fail<null>("setStatus");
      if (f) return f;
      state.conversations = state.conversations.map((c) => (c.id === conversationId ? { ...c, status } : c));
      return ok(null);
    },
    assign: async (_accountId, conversationId, assignee) => {
      calls.assign.push({ conversationId, assignee });
      const f = fail<string>("assign");
      if (f) return f;
      state.conversations = state.conversations.map((c) => (c.id === conversationId ? { ...c, assignee: assignee || null } : c));
      return ok("success");
    },
    search: async (accountId, terms, limit) => {
      calls.search.push(terms);
      const f = fail<SearchHit[]>("search");
      if (f) return f;
      return ok(searchIn(accountId, terms).slice(0, limit));
    },
    unifiedSearch: async (terms, limit, accounts, platform) => {
      calls.unifiedSearch.push({ terms, accounts: accounts && [...accounts], platform });
      const f = fail<UnifiedHit[]>("unifiedSearch");
      if (f) return f;
      const which = chosen(accounts, platform);
      if (which.status === "error") return which;
      const hits: UnifiedHit[] = which.data.flatMap((a) => searchIn(a.id, terms).map((h) => ({ accountId: a.id, platform: a.platform, ...h })));
      hits.sort((a, b) => b.message.createdAt - a.message.createdAt);
      return ok(hits.slice(0, limit));
    },
    findConversations: async (accountId, terms, limit) => {
      const f = record<Conversation[]>("findConversations", terms);
      if (f) return f;
      // As the stores do: every word in title, customer id, name or e-mail; title prefix first.
      const words = terms.toLowerCase().split(/\s+/).filter(Boolean);
      const whole = words.join(" ");
      const hay = (c: Conversation) => {
        const p = c.customerId ? state.people[c.customerId] : undefined;
        return `${c.title} ${c.customerId ?? ""} ${p?.displayName ?? ""} ${p?.email ?? ""}`.toLowerCase();
      };
      const found = convs(accountId)
        .filter((c) => words.every((w) => hay(c).includes(w)))
        .map((c) => ({ c, first: c.title.toLowerCase().startsWith(whole) }))
        .sort((a, b) => Number(b.first) - Number(a.first) || b.c.lastActivityAt - a.c.lastActivityAt || b.c.id.localeCompare(a.c.id));
      return ok(found.slice(0, limit).map((x) => x.c));
    },
    setTyping: async (_accountId, conversationId, typing) => {
      calls.setTyping.push({ conversationId, typing });
      return ok(null);
    },
    closeConversation: async () => ok(null),
    onBatch: async (cb) => {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    onOpenConversation: async (cb) => {
      openListeners.add(cb);
      return () => openListeners.delete(cb);
    },
    openExternal: async (url) => {
      calls.openExternal.push(url);
    },
    agents: async (accountId) => {
      calls.agents.push(accountId);
      return fail<Agent[]>("agents") ?? ok(structuredClone(state.agents));
    },
    settings: async () => {
      calls.settings += 1;
      return fail<AppSettings>("settings") ?? ok(structuredClone(state.settings));
    },
    saveSettings: async (settings) => {
      calls.saveSettings.push(structuredClone(settings));
      const f = fail<null>("saveSettings");
      if (f) return f;
      state.settings = structuredClone(settings);
      return ok(null);
    },
    setAvailability: async (availability) => {
      calls.setAvailability.push(availability);
      const f = fail<null>("setAvailability");
      if (f) return f;
      state.settings = { ...state.settings, availability };
      return ok(null);
    },
    pickAndSendFiles: async (accountId, conversationId) => {
      calls.pickAndSendFiles.push(conversationId);
      const f = fail<string[]>("pickAndSendFiles");
      if (f) return f;
      const keys: string[] = [];
      for (const file of opts.picked ?? []) {
        const r = await upload(accountId, conversationId, file.name, file.size, file.contentType ?? guessType(file.name), null);
        if (r.status === "error") return r;
        keys.push(r.data);
      }
      return ok(keys);
    },
    sendAttachment: async (accountId, conversationId, name, dataBase64) => {
      calls.sendAttachment.push({ conversationId, name, dataBase64 });
      const f = fail<string>("sendAttachment");
      if (f) return f;
      const size = Math.floor((dataBase64.length * 3) / 4) - (dataBase64.endsWith("==") ? 2 : dataBase64.endsWith("=") ? 1 : 0);
      return upload(accountId, conversationId, name, size, guessType(name), dataBase64);
    },
    attachmentPreview: async (_accountId, blobKey) => {
      calls.attachmentPreview.push(blobKey);
      const f = fail<string>("attachmentPreview");
      if (f) return f;
      const known = opts.previews?.[blobKey];
      if (known) return ok(known);
      const blob = state.blobs[blobKey];
      if (blob?.dataBase64 && /^image\/(png|jpeg|gif|webp)$/.test(blob.contentType)) return ok(`data:${blob.contentType};base64,${blob.dataBase64}`);
      return { status: "error", error: { code: "invalid_input", message: "That file is not an image Parley can show.", field: "file" } };
    },
    openAttachment: async (_accountId, blobKey, name) => {
      calls.openAttachment.push({ blobKey, name });
      return fail<string>("openAttachment") ?? ok(`/home/agent/Downloads/${name}`);
    },
    onUploadProgress: async (cb) => {
      uploadListeners.add(cb);
      return () => uploadListeners.delete(cb);
    },

    // ---- groups ------------------------------------------------------------------------
    groups: async () =>
      record<Conversation[]>("groups") ??
      ok(
        state.conversations
          .filter((c) => c.groupId !== null && c.groupType !== 10)
          .sort((a, b) => a.title.toLowerCase().localeCompare(b.title.toLowerCase()))
          .map((c) => structuredClone(c)),
      ),
    refreshGroup: async (_a, id) => record<Conversation>("refreshGroup", id) ?? updateConv(id, (c) => c),
    createGroup: async (accountId, form) => {
      const f = record<Conversation>("createGroup", structuredClone(form));
      if (f) return f;
      if (!form.name.trim()) return invalid("Give the group a name.", "name");
      groupSeq += 1;
      const codes = { private: 1, public: 2, open: 6, broadcast: 5, support: 10 } as const;
      const c = conversation({
        id: `g:${groupSeq}`,
        groupId: groupSeq,
        title: form.name.trim(),
        groupType: codes[form.kind],
        assignee: null,
        customerId: null,
        imageUrl: form.imageUrl,
        metadata: { ...form.metadata },
        members: [
          { userId: me(accountId), role: "admin" },
          ...form.members.map((userId) => ({ userId, role: "member" as Role })),
        ],
        lastMessagePreview: null,
      });
      state.conversations.push(c);
      return ok(structuredClone(c));
    },
    updateGroup: async (_a, id, u) =>
      record<Conversation>("updateGroup", id, structuredClone(u)) ??
      updateConv(id, (c) => ({
        ...c,
        title: u.name?.trim() || c.title,
        imageUrl: u.imageUrl ?? c.imageUrl,
        metadata: { ...c.metadata, ...(u.metadata ?? {}) },
      })),
    uploadImage: async (_a, name) => record<string>("uploadImage", name) ?? ok(`http://127.0.0.1:18080/rest/ws/aws/file/img-${name}`),
    imagePreview: async (_a, url) =>
      record<string>("imagePreview", url) ?? invalid("Images from other servers are not loaded.", "url"),
    addGroupMember: async (_a, id, userId, role) =>
      record<Conversation>("addGroupMember", id, userId, role) ??
      updateConv(id, (c) => ({ ...c, members: [...c.members.filter((m) => m.userId !== userId), { userId, role }] })),
    removeGroupMember: async (_a, id, userId) =>
      record<Conversation>("removeGroupMember", id, userId) ??
      updateConv(id, (c) => ({ ...c, members: c.members.filter((m) => m.userId !== userId) })),
    setMemberRole: async (_a, id, userId, role) =>
      record<Conversation>("setMemberRole", id, userId, role) ??
      updateConv(id, (c) => ({ ...c, members: c.members.map((m) => (m.userId === userId ? { ...m, role } : m)) })),
    leaveGroup: async (_a, id) => {
      const f = record<null>("leaveGroup", id);
      if (f) return f;
      state.conversations = state.conversations.filter((c) => c.id !== id);
      return ok(null);
    },
    deleteGroup: async (_a, id) => {
      const f = record<null>("deleteGroup", id);
      if (f) return f;
      state.conversations = state.conversations.filter((c) => c.id !== id);
      return ok(null);
    },
    muteConversation: async (_a, id, until) => {
      const f = record<null>("muteConversation", id, until);
      if (f) return f;
      state.conversations = state.conversations.map((c) => (c.id === id ? { ...c, mutedUntil: until } : c));
      return ok(null);
    },
    openGroups: async () => record<Conversation[]>("openGroups") ?? ok(structuredClone(opts.openGroups ?? [])),
    joinGroup: async (accountId, id) => {
      const f = record<Conversation>("joinGroup", id);
      if (f) return f;
      const open = (opts.openGroups ?? []).find((c) => c.id === id);
      if (!open) return invalid("That group is not open.");
      const c = { ...structuredClone(open), members: [...open.members, { userId: me(accountId), role: "member" as Role }] };
      state.conversations.push(c);
      return ok(structuredClone(c));
    },
    contactList: async (_a, name) =>
      record<Contact[]>("contactList", name) ?? ok((state.contactLists[name] ?? []).map(contactOf)),
    editContactList: async (_a, name, add, remove) => {
      const f = record<Contact[]>("editContactList", name, add, remove);
      if (f) return f;
      const list = new Set(state.contactLists[name] ?? []);
      for (const u of add) list.add(u);
      for (const u of remove) list.delete(u);
      state.contactLists[name] = [...list];
      return ok([...list].map(contactOf));
    },
    searchPeople: async (_a, terms, limit) => {
      const f = record<Contact[]>("searchPeople", terms);
      if (f) return f;
      const t = terms.trim().toLowerCase();
      const hits = Object.values(state.people).filter((p) =>
        [p.userId, p.displayName, p.email, p.phone].some((v) => v && v.toLowerCase().includes(t)),
      );
      return ok(structuredClone(hits.slice(0, limit)));
    },

    // ---- contacts ----------------------------------------------------------------------
    contactProfile: async (_a, userId) => {
      const f = record<ContactProfile>("contactProfile", userId);
      if (f) return f;
      if (!state.people[userId]) return invalid("Parley knows nothing about that person yet.");
      return ok({
        contact: structuredClone(state.people[userId]),
        conversations: state.conversations
          .filter((c) => c.groupType === 10 && c.customerId === userId)
          .sort((a, b) => b.lastActivityAt - a.lastActivityAt)
          .map((c) => structuredClone(c)),
        blocked: state.blocked.has(userId),
        fresh: true,
      });
    },
    updateContact: async (_a, userId, u) => {
      const f = record<Contact>("updateContact", userId, structuredClone(u));
      if (f) return f;
      if (u.email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(u.email)) return invalid("That is not an e-mail address.", "email");
      const c = contactOf(userId);
      const next: Contact = {
        ...c,
        displayName: u.displayName ?? c.displayName,
        email: u.email ?? c.email,
        phone: u.phone ?? c.phone,
        imageUrl: u.imageUrl ?? c.imageUrl,
        metadata: { ...c.metadata, ...u.metadata },
      };
      state.people[userId] = next;
      return ok(structuredClone(next));
    },
    setBlocked: async (_a, userId, blocked) => {
      const f = record<null>("setBlocked", userId, blocked);
      if (f) return f;
      if (blocked) state.blocked.add(userId);
      else state.blocked.delete(userId);
      return ok(null);
    },
    startConversation: async (accountId, form) => {
      const f = record<Conversation>("startConversation", structuredClone(form));
      if (f) return f;
      groupSeq += 1;
      const c = conversation({
        id: `g:${groupSeq}`,
        groupId: groupSeq,
        title: form.title?.trim() || contactOf(form.customerId).displayName || form.customerId,
        customerId: form.customerId,
        assignee: form.assignee ?? null,
        members: [
          { userId: form.customerId, role: "member" },
          { userId: form.assignee ?? me(accountId), role: "admin" },
        ],
        lastMessagePreview: form.message ?? null,
      });
      state.conversations.push(c);
      if (form.message) queueEcho(accountId, c.id, { text: form.message });
      return ok(structuredClone(c));
    },

    // ---- messages ----------------------------------------------------------------------
    sendRich: async (accountId, conversationId, text, contentType, metadata) => {
      const f = record<string>("sendRich", conversationId, text, contentType, structuredClone(metadata));
      if (f) return f;
      if (![0, 3].includes(contentType)) return invalid("Messages are sent as text (0) or HTML (3).", "contentType");
      const meta: Record<string, string> = {};
      for (const [k, v] of Object.entries(metadata)) if (v !== undefined) meta[k] = v;
      return ok(queueEcho(accountId, conversationId, { text, contentType, metadata: meta }));
    },
    deleteMessage: async (_a, key, forEveryone) => {
      const f = record<null>("deleteMessage", key, forEveryone);
      if (f) return f;
      for (const [conversationId, list] of Object.entries(state.messages)) {
        const i = list.findIndex((m) => m.key === key);
        if (i < 0) continue;
        list.splice(i, 1);
        queueMicrotask(() => ipc.emit(emptyBatch({ conversations: [conversationId], removed: [[conversationId, key]] })));
        return ok(null);
      }
      return invalid("That message is not in the cache.");
    },
    messageInfo: async (_a, key) => record<RecipientState[]>("messageInfo", key) ?? ok(structuredClone(opts.receipts?.[key] ?? [])),

    // ---- canned responses --------------------------------------------------------------
    cannedResponses: async () =>
      record<CannedResponse[]>("cannedResponses") ??
      ok([...state.canned].sort((a, b) => a.shortcut.localeCompare(b.shortcut)).map((c) => ({ ...c }))),
    saveCannedResponse: async (_a, form) => {
      const f = record<CannedResponse>("saveCannedResponse", structuredClone(form));
      if (f) return f;
      const shortcut = form.shortcut.trim().replace(/^\//, "");
      if (!/^[\p{L}\p{N}_-]{1,32}$/u.test(shortcut)) return invalid("A shortcut is one word of letters, digits, - or _ (at most 32).", "shortcut");
      if (!form.text.trim()) return invalid("The response is empty.", "text");
      if (state.canned.some((c) => c.shortcut.toLowerCase() === shortcut.toLowerCase() && c.id !== form.id))
        return invalid(`/${shortcut} is already a canned response.`);
      localSeq += 1;
      const saved: CannedResponse = { id: form.id ?? `cr-${localSeq}`, shortcut, text: form.text.trim(), updatedAt: Date.now() };
      state.canned = [...state.canned.filter((c) => c.id !== saved.id), saved];
      return ok({ ...saved });
    },
    deleteCannedResponse: async (_a, id) => {
      const f = record<null>("deleteCannedResponse", id);
      if (f) return f;
      state.canned = state.canned.filter((c) => c.id !== id);
      return ok(null);
    },

    // ---- app ---------------------------------------------------------------------------
    storageInfo: async () =>
      record<StorageInfo>("storageInfo") ??
      ok({ databaseBytes: 2_400_000, attachmentsBytes: 512_000, logsDir: "/home/agent/.local/share/io.parley.desktop/logs", dataDir: "/home/agent/.local/share/io.parley.desktop", version: "0.0.0-test" }),
    clearCache: async () => record<null>("clearCache") ?? ok(null),
    openLogsFolder: async () => record<null>("openLogsFolder") ?? ok(null),
    remoteImage: async (url) =>
      record<string>("remoteImage", url) ??
      (opts.previews?.[url] ? ok(opts.previews[url]!) : invalid("The image could not be loaded.", "url")),
  };
  return ipc;
}
