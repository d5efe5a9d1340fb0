// An in-memory Dixa for UI tests: end users, their conversations, one valid API token. It
// answers the way the shell's commands do (the same error codes and fields), so components
// can be tested for found / not found / create / anonymize (with and without force) / import.
import type {
  AppError,
  AttributeEdit,
  DixaConversationRow,
  DixaEndUser,
  DixaImport,
  DixaImportRow,
  DixaStatus,
  EndUserForm,
  Ipc,
  Result,
} from "./ipc";

export const MOCK_DIXA_TOKEN = "mock-dixa-token";

export interface MockDixaOptions {
  /** The token saved in the "keyring" (null, the default: none). */
  savedToken?: string | null;
  /** The token Dixa accepts. */
  validToken?: string;
  /** The saved address (null: the default). */
  url?: string | null;
  users?: DixaEndUser[];
  /** Conversations by end user id, oldest first. */
  conversations?: Record<string, DixaConversationRow[]>;
  /** What the file dialog picks for `dixaImportPick` (null: cancelled). */
  pickedCsv?: { name: string; text: string } | null;
  /** Every call waits this long first (0: a microtask). */
  delayMs?: number;
}

export interface MockDixaState {
  savedToken: string | null;
  url: string | null;
  users: DixaEndUser[];
  conversations: Record<string, DixaConversationRow[]>;
}

type DixaMethods = Pick<
  Ipc,
  | "dixaStatus"
  | "dixaConnect"
  | "dixaDisconnect"
  | "dixaLookup"
  | "dixaEndUser"
  | "dixaCreateEndUser"
  | "dixaUpdateEndUser"
  | "dixaConversations"
  | "dixaAnonymize"
  | "dixaImportPick"
  | "dixaImportCsv"
>;

export const MOCK_DIXA_DEFAULT_URL = "https://dev.dixa.io/v1";

/** An end user with every list empty and nothing set but what `over` gives. */
export function dixaUser(over: Partial<DixaEndUser> = {}): DixaEndUser {
  return {
    id: "0f6c8f5e-0000-4000-8000-000000000001",
    displayName: null,
    firstName: null,
    lastName: null,
    email: null,
    phoneNumber: null,
    externalId: null,
    additionalEmails: [],
    additionalPhoneNumbers: [],
    createdAt: "2024-03-01T09:00:00Z",
    anonymizedAt: null,
    attributes: [],
    ...over,
  };
}

const err = (code: AppError["code"], message: string, field: string | null = null): Result<never> => ({
  status: "error",
  error: { code, message, field },
});
const ok = <T>(data: T): Result<T> => ({ status: "ok", data: structuredClone(data) });
const blank = (v: string | null | undefined) => (v ?? "").trim() || null;
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

/** The form checks `parley_core::dixa::EndUserForm::checked` makes (the same fields). */
function checkForm(form: EndUserForm): Result<EndUserForm> {
  const f: EndUserForm = {
    displayName: blank(form.displayName),
    firstName: blank(form.firstName),
    lastName: blank(form.lastName),
    email: blank(form.email),
    phoneNumber: blank(form.phoneNumber)?.replace(/[\s\-.()]/g, "") ?? null,
    externalId: blank(form.externalId),
  };
  if (f.email && !EMAIL.test(f.email)) return err("invalid_input", `"${f.email}" is not an email address.`, "email");
  if (f.phoneNumber && !/^\+?\d{6,15}$/.test(f.phoneNumber)) return err("invalid_input", "A phone number is an optional + and 6 to 15 digits.", "phoneNumber");
  if (!f.email && !f.phoneNumber && !f.externalId) return err("invalid_input", "Dixa needs an email, a phone number or an external id.", "contact");
  return { status: "ok", data: f };
}

/** A tiny CSV reader for the mock (no quotes): a header with name and email columns. */
function importText(state: MockDixaState, name: string, text: string, newId: () => string): Result<DixaImport> {
  const lines = text.split(/\r?\n/).filter((l) => l.trim());
  const header = (lines.shift() ?? "").split(",").map((h) => h.trim().toLowerCase());
  const ni = header.indexOf("name");
  const ei = header.indexOf("email");
  if (ei < 0) return err("invalid_input", "The file has no email column.", "file");
  const rows: DixaImportRow[] = lines.map((line, i) => {
    const cells = line.split(",");
    const row = i + 2;
    const nm = blank(cells[ni]);
    const email = blank(cells[ei]);
    if (!email || !EMAIL.test(email)) return { row, name: nm, email, result: "rejected", id: null, message: "email: is not an email address" };
    if (state.users.some((u) => u.email?.toLowerCase() === email.toLowerCase()))
      return { row, name: nm, email, result: "failed", id: null, message: "Validation failure during enduser creation: [errors=EmailExists]" };
    const id = newId();
    state.users.push(dixaUser({ id, displayName: nm, email }));
    return { row, name: nm, email, result: "created", id, message: null };
  });
  const created = rows.filter((r) => r.result === "created").length;
  return ok({ fileName: name, rows, created, notCreated: rows.length - created, ignoredColumns: [], stopped: null });
}

export function createMockDixa(
  opts: MockDixaOptions,
  record: <T>(name: string, ...args: unknown[]) => Result<T> | null,
): { state: MockDixaState; methods: DixaMethods } {
  const valid = opts.validToken ?? MOCK_DIXA_TOKEN;
  const state: MockDixaState = {
    savedToken: opts.savedToken ?? null,
    url: opts.url ?? null,
    users: structuredClone(opts.users ?? []),
    conversations: structuredClone(opts.conversations ?? {}),
  };
  let seq = 0;
  const newId = () => `0f6c8f5e-0000-4000-8000-${String(100 + ++seq).padStart(12, "0")}`;
  const wait = () => new Promise<void>((r) => (opts.delayMs ? setTimeout(r, opts.delayMs) : queueMicrotask(r)));
  const status = (): DixaStatus => ({ hasToken: state.savedToken !== null, url: state.url ?? MOCK_DIXA_DEFAULT_URL, defaultUrl: MOCK_DIXA_DEFAULT_URL });
  const noToken = () => err("unauthorized", "No Dixa API token is saved: add one in Settings › Dixa.", "token");
  const refused = () => err("unauthorized", "Dixa refused this API token. Check it and paste it again.", "token");
  /** The token check every call makes. */
  const gate = (): Result<never> | null => (state.savedToken === null ? noToken() : state.savedToken !== valid ? refused() : null);
  const user = (id: string) => state.users.find((u) => u.id === id);
  const notFound = () => err("bad_response", "Dixa does not know this end user (any more).");

  const methods: DixaMethods = {
    dixaStatus: async () => {
      await wait();
      return record<DixaStatus>("dixaStatus") ?? ok(status());
    },
    dixaConnect: async (form) => {
      await wait();
      const f = record<DixaStatus>("dixaConnect", { url: form.url, token: form.token ? "***" : null });
      if (f) return f;
      let url: URL;
      try {
        url = new URL(form.url.trim());
      } catch {
        return err("invalid_input", "Enter the Dixa API address, e.g. https://dev.dixa.io/v1.", "url");
      }
      if (url.protocol !== "https:" && !(url.protocol === "http:" && url.hostname === "127.0.0.1"))
        return err("invalid_input", "Use https:// for Dixa: the API token must not travel unencrypted.", "url");
      if (url.hostname.startsWith("unreachable")) return err("unreachable", `The Dixa address ${url.hostname} cannot be reached. Check the address and your connection.`);
      const token = form.token?.trim() || state.savedToken;
      if (!token) return err("invalid_input", "Paste a Dixa API token.", "token");
      if (token !== valid) return refused();
      state.savedToken = token;
      const normalised = url.href.replace(/\/+$/, "").replace(/(?<!\/v1)$/, "/v1");
      state.url = normalised === MOCK_DIXA_DEFAULT_URL ? null : normalised;
      return ok(status());
    },
    dixaDisconnect: async () => {
      await wait();
      const f = record<DixaStatus>("dixaDisconnect");
      if (f) return f;
      state.savedToken = null;
      return ok(status());
    },
    dixaLookup: async (email, phone, externalId) => {
      await wait();
      const f = record<never>("dixaLookup", email, phone, externalId) ?? gate();
      if (f) return f;
      const live = state.users.filter((u) => !u.anonymizedAt);
      const e = blank(email)?.toLowerCase();
      const p = blank(phone)?.replace(/[\s\-.()]/g, "");
      const x = blank(externalId);
      const tries: [string, DixaEndUser | undefined][] = [
        ["email", e ? live.find((u) => u.email?.toLowerCase() === e || u.additionalEmails.some((a) => a.toLowerCase() === e)) : undefined],
        ["phone", p ? live.find((u) => u.phoneNumber === p) : undefined],
        ["externalId", x ? live.find((u) => u.externalId === x) : undefined],
      ];
      const hit = tries.find(([, u]) => u);
      return ok({ matchedBy: hit?.[0] ?? null, user: hit?.[1] ?? null });
    },
    dixaEndUser: async (id) => {
      await wait();
      const f = record<never>("dixaEndUser", id) ?? gate();
      if (f) return f;
      const u = user(id);
      return u ? ok(u) : notFound();
    },
    dixaCreateEndUser: async (form) => {
      await wait();
      const f = record<never>("dixaCreateEndUser", structuredClone(form)) ?? gate();
      if (f) return f;
      const checked = checkForm(form);
      if (checked.status === "error") return checked;
      const c = checked.data;
      if (c.email && state.users.some((u) => u.email?.toLowerCase() === c.email!.toLowerCase()))
        return err("invalid_input", "Another Dixa end user has this email.", "email");
      const u = dixaUser({ id: newId(), ...c, createdAt: new Date().toISOString() });
      state.users.push(u);
      return ok(u);
    },
    dixaUpdateEndUser: async (id, form, attributes: AttributeEdit[]) => {
      await wait();
      const f = record<never>("dixaUpdateEndUser", id, structuredClone(form), structuredClone(attributes)) ?? gate();
      if (f) return f;
      const u = user(id);
      if (!u) return notFound();
      if (u.anonymizedAt) return err("invalid_input", "This end user is anonymized and cannot be changed.", "contact");
      const checked = checkForm(form);
      if (checked.status === "error") return checked;
      Object.assign(u, checked.data);
      for (const a of attributes) {
        const attr = u.attributes.find((x) => x.id === a.id);
        if (!attr) return err("invalid_input", "Dixa: Invalid input for patching: unknown attribute", `attr:${a.id}`);
        attr.values = (a.values ?? []).map((v) => v.trim()).filter(Boolean);
      }
      return ok(u);
    },
    dixaConversations: async (id) => {
      await wait();
      const f = record<never>("dixaConversations", id) ?? gate();
      if (f) return f;
      return user(id) ? ok([...(state.conversations[id] ?? [])].reverse()) : notFound();
    },
    dixaAnonymize: async (id, force) => {
      await wait();
      const f = record<never>("dixaAnonymize", id, force) ?? gate();
      if (f) return f;
      const u = user(id);
      if (!u) return notFound();
      const convs = state.conversations[id] ?? [];
      if (!force && convs.some((c) => c.state !== "Closed"))
        return err("forbidden", "Dixa says: the end user has conversations that are not closed.", "force");
      const at = new Date().toISOString();
      for (const c of convs) c.state = "Closed";
      Object.assign(u, {
        displayName: "Anonymized user",
        firstName: null,
        lastName: null,
        email: null,
        phoneNumber: null,
        externalId: null,
        additionalEmails: [],
        additionalPhoneNumbers: [],
        attributes: [],
        anonymizedAt: at,
      });
      return ok(u);
    },
    dixaImportPick: async () => {
      await wait();
      const f = record<never>("dixaImportPick") ?? gate();
      if (f) return f;
      if (!opts.pickedCsv) return ok(null);
      return importText(state, opts.pickedCsv.name, opts.pickedCsv.text, newId);
    },
    dixaImportCsv: async (name, dataBase64) => {
      await wait();
      const f = record<never>("dixaImportCsv", name) ?? gate();
      if (f) return f;
      const bytes = Uint8Array.from(atob(dataBase64), (c) => c.charCodeAt(0));
      return importText(state, name, new TextDecoder().decode(bytes), newId);
    },
  };
  return { state, methods };
}
