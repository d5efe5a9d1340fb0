// An in-memory Ipc for UI tests: each test says what the "backend" holds and answers, can
// push batches as the shell would, and can read back what the UI sent.
import type {
  AccountSummary,
  AppError,
  AppInfo,
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
  SearchHit,
  SignInForm,
  SignInPlan,
  UiBatch,
  ViewCounts,
} from "./ipc";

export const mockAppInfo: AppInfo = {
  name: "Parley",
  version: "0.0.0-test",
  themeOverride: null,
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

export function account(over: Partial<AccountSummary> = {}): AccountSummary {
  return {
    id: "acc-1",
    userId: ME,
    displayName: "Ada Agent",
    appKey: "demo-app",
    server: "http://127.0.0.1:18080",
    isAgent: true,
    connection: { state: "online" },
    insecureLink: false,
    ...over,
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
  uiReady: number;
  signOut: string[];
  inbox: { view: InboxView; sort: InboxSort; offset: number; limit: number }[];
  openConversation: string[];
  olderMessages: { conversationId: string; beforeAt: number | null; beforeKey: string; limit: number }[];
  sendMessage: { conversationId: string; text: string; html: boolean }[];
  setDraft: { conversationId: string; text: string }[];
  setStatus: { conversationId: string; status: ConversationStatus }[];
  assign: { conversationId: string; assignee: string }[];
  search: string[];
  setTyping: { conversationId: string; typing: boolean }[];
  openExternal: string[];
}

export interface MockOptions {
  appInfo?: AppInfo;
  accounts?: AccountSummary[];
  conversations?: Conversation[];
  /** Messages by conversation id, oldest first. */
  messages?: Record<string, Message[]>;
  customers?: Record<string, Contact>;
  drafts?: Record<string, string>;
  checkSignIn?: (form: SignInForm) => Result<SignInPlan>;
  signIn?: (form: SignInForm) => Result<AccountSummary>;
  /** Errors for commands the test wants to fail, by command name. */
  fail?: Partial<Record<keyof MockCalls, AppError>>;
  /** How many of the newest messages `openConversation` returns. */
  openLimit?: number;
}

export interface MockIpc extends Ipc {
  calls: MockCalls;
  state: {
    accounts: AccountSummary[];
    conversations: Conversation[];
    messages: Record<string, Message[]>;
    drafts: Record<string, string>;
  };
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
    uiReady: 0,
    signOut: [],
    inbox: [],
    openConversation: [],
    olderMessages: [],
    sendMessage: [],
    setDraft: [],
    setStatus: [],
    assign: [],
    search: [],
    setTyping: [],
    openExternal: [],
  };
  const state = {
    accounts: opts.accounts ? [...opts.accounts] : [],
    conversations: opts.conversations ? [...opts.conversations] : [],
    messages: { ...(opts.messages ?? {}) },
    drafts: { ...(opts.drafts ?? {}) },
  };
  const listeners = new Set<(b: UiBatch) => void>();
  const openListeners = new Set<(t: OpenConversation) => void>();
  const fail = <T>(name: keyof MockCalls): Result<T> | null =>
    opts.fail?.[name] ? { status: "error", error: opts.fail[name]! } : null;
  const me = (accountId: string) => state.accounts.find((a) => a.id === accountId)?.userId ?? ME;

  const counts = (accountId: string): ViewCounts => {
    const m = me(accountId);
    const n = (v: InboxView) => state.conversations.filter((c) => inView(c, v, m)).length;
    return {
      assignedToMe: n("assigned_to_me"),
      unassigned: n("unassigned"),
      all: n("all"),
      closed: n("closed"),
      spam: n("spam"),
      unread: state.conversations.filter((c) => inView(c, "all", m)).reduce((s, c) => s + c.unread, 0),
    };
  };
  let localSeq = 0;

  const ipc: MockIpc = {
    calls,
    state,
    emit(batch) {
      for (const l of [...listeners]) l(batch);
    },
    listenerCount: () => listeners.size,
    emitOpen(target) {
      for (const l of [...openListeners]) l(target);
    },
    appInfo: async () => opts.appInfo ?? mockAppInfo,
    checkSignIn: async (form) => {
      calls.checkSignIn.push(structuredClone(form));
      if (!opts.checkSignIn) throw new Error("mock: checkSignIn not configured");
      return opts.checkSignIn(form);
    },
    uiReady: async () => {
      calls.uiReady += 1;
      return 1;
    },
    signIn: async (form) => {
      calls.signIn.push(structuredClone(form));
      const r = opts.signIn ? opts.signIn(form) : ok(account({ userId: form.userId || ME }));
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
      const rows = state.conversations.filter((c) => inView(c, view, m));
      rows.sort((a, b) => {
        if (sort === "oldest") return a.lastActivityAt - b.lastActivityAt;
        if (sort === "unread_first" && (a.unread > 0) !== (b.unread > 0)) return a.unread > 0 ? -1 : 1;
        return b.lastActivityAt - a.lastActivityAt;
      });
      return ok({ rows: rows.slice(offset, offset + limit), counts: counts(accountId) });
    },
    openConversation: async (_accountId, conversationId) => {
      calls.openConversation.push(conversationId);
      const f = fail<ConversationDetail>("openConversation");
      if (f) return f;
      const conversation = state.conversations.find((c) => c.id === conversationId);
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
      const f = fail<string>("sendMessage");
      if (f) return f;
      localSeq += 1;
      const key = `local-${localSeq}`;
      const echo: Message = {
        key,
        conversationId,
        senderId: me(accountId),
        createdAt: Date.now(),
        text,
        contentType: html ? 3 : 0,
        metadata: {},
        attachment: null,
        direction: "outgoing",
        state: "queued",
        clientKey: key,
      };
      (state.messages[conversationId] ??= []).push(echo);
      queueMicrotask(() => ipc.emit(emptyBatch({ accountId, conversations: [conversationId], messages: [echo] })));
      return ok(key);
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
      state.conversations = state.conversations.map((c) => (c.id === conversationId ? { ...c, assignee } : c));
      return ok("success");
    },
    search: async (_accountId, terms, limit) => {
      calls.search.push(terms);
      const f = fail<SearchHit[]>("search");
      if (f) return f;
      const words = terms.toLowerCase().split(/\s+/).filter(Boolean);
      const hits: SearchHit[] = [];
      for (const [convId, msgs] of Object.entries(state.messages)) {
        const title = state.conversations.find((c) => c.id === convId)?.title ?? convId;
        for (const m of msgs) {
          const t = m.text.toLowerCase();
          if (words.length && words.every((w) => t.includes(w))) hits.push({ message: m, conversationTitle: title });
        }
      }
      hits.sort((a, b) => b.message.createdAt - a.message.createdAt);
      return ok(hits.slice(0, limit));
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
  };
  return ipc;
}
