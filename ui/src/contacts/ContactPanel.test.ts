import { beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import ContactPanel from "./ContactPanel.svelte";
import ConversationPane from "../conversation/ConversationPane.svelte";
import { BatchHub } from "../lib/batches";
import { account, conversation, type MockIpc } from "../lib/ipc/mock";
import type { Platform } from "../lib/ipc/ipc";
import type { Contact, ContactProfile } from "../lib/ipc/ipc";
import { base, scenario } from "../test-fixtures";
import { contactPanel } from "./panelState.svelte";

const NOW = Date.now();

function alice(over: Partial<Contact> = {}): Contact {
  return {
    userId: "alice",
    displayName: "Alice Martin",
    email: "alice@example.com",
    phone: "+1 555 0100",
    imageUrl: null,
    metadata: { plan: "Growth", country: "France" },
    online: false,
    lastSeenAt: NOW - 5 * 60_000,
    roleType: 3,
    ...over,
  };
}

function setup(opts: { contact?: Contact; ipc?: MockIpc; platform?: Platform } = {}) {
  const ipc =
    opts.ipc ??
    scenario({
      people: { alice: opts.contact ?? alice() },
      conversations: [
        conversation({ id: "g:1", title: "Invoice is wrong", customerId: "alice", lastActivityAt: base + 3_000 }),
        conversation({ id: "g:7", title: "Password reset", customerId: "alice", status: "resolved", lastActivityAt: base + 2_000 }),
        conversation({ id: "g:8", title: "Bob's question", customerId: "bob", lastActivityAt: base + 1_000 }),
      ],
    });
  const onOpenConversation = vi.fn();
  const onContactChanged = vi.fn();
  const onClose = vi.fn();
  render(ContactPanel, { ipc, account: account({ platform: opts.platform ?? "kommunicate" }), userId: "alice", conversationId: "g:1", onOpenConversation, onContactChanged, onClose });
  return { ipc, onOpenConversation, onContactChanged, onClose };
}

const panel = () => document.querySelector<HTMLElement>("aside#contact-panel")!;
const loaded = () => screen.findByRole("heading", { name: "Alice Martin", level: 3 });
const input = (id: string) => document.querySelector<HTMLInputElement>(id)!;
const updates = (ipc: MockIpc) => ipc.calls.people.filter((c) => c[0] === "updateContact");

async function type(el: HTMLInputElement, value: string) {
  await fireEvent.input(el, { target: { value } });
}

beforeEach(() => localStorage.clear());

describe("contact panel: what the platform offers", () => {
  it("offers edit, block and a new conversation on Kommunicate, none of them on WhatsApp", async () => {
    setup();
    await loaded();
    const actions = () => ["#contact-edit", "#contact-block", "#contact-new-conversation"].map((id) => !!panel().querySelector(id));
    expect(actions()).toEqual([true, true, true]);
    document.body.innerHTML = "";
    setup({ platform: "wapikit" });
    await loaded();
    expect(actions()).toEqual([false, false, false]);
    expect(panel().querySelector("#contact-presence")).toBeNull();
    // The profile itself is shown as everywhere.
    expect(panel().querySelector("#contact-phone-text")).toBeTruthy();
  });
});

describe("contact panel: the profile", () => {
  it("refreshes presence while open, and keeps the profile shown when a refresh fails", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const { ipc } = setup();
      await loaded();
      expect(panel().textContent).not.toContain("Online");
      ipc.state.people.alice = alice({ online: true });
      await vi.advanceTimersByTimeAsync(61_000);
      await vi.waitFor(() => expect(panel().textContent).toContain("Online"));
      const reads = ipc.calls.people.filter((c) => c[0] === "contactProfile").length;
      expect(reads).toBe(2);
      delete ipc.state.people.alice;
      await vi.advanceTimersByTimeAsync(61_000);
      await vi.waitFor(() => expect(ipc.calls.people.filter((c) => c[0] === "contactProfile").length).toBe(3));
      expect(screen.getByRole("heading", { name: "Alice Martin", level: 3 })).toBeTruthy();
      expect(panel().querySelector("[role=alert]")).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });

  it("shows the picture's initials, name, e-mail, phone, last seen and the custom attributes as a table", async () => {
    const { ipc } = setup();
    await loaded();
    expect(panel().querySelector(".initials")?.textContent).toBe("AM");
    expect(input("#contact-email-text").textContent).toBe("alice@example.com");
    expect(input("#contact-phone-text").textContent).toBe("+1 555 0100");
    expect(input("#contact-presence").textContent).toBe("Last seen 5 min ago");
    const rows = [...panel().querySelectorAll("#contact-attributes tbody tr")].map((r) => [
      r.querySelector("th")!.textContent,
      r.querySelector("td")!.textContent,
    ]);
    expect(rows).toEqual([
      ["country", "France"],
      ["plan", "Growth"],
    ]);
    expect(document.querySelector("#contact-offline")).toBeNull();
    expect(ipc.calls.people).toContainEqual(["contactProfile", "alice"]);
  });

  it("says Online for a connected customer and shows a picture from the account's server", async () => {
    const ipc = scenario({ people: { alice: alice({ online: true, imageUrl: "http://127.0.0.1:18080/rest/ws/aws/file/pic" }) } });
    ipc.imagePreview = async (_a, url) =>
      url.endsWith("/pic") ? { status: "ok", data: "data:image/png;base64,iVBORw0KGgo=" } : { status: "error", error: { code: "invalid_input", message: "no", field: "url" } };
    setup({ ipc });
    await loaded();
    expect(input("#contact-presence").textContent).toBe("Online");
    await vi.waitFor(() => expect(panel().querySelector("img.picture")?.getAttribute("src")).toBe("data:image/png;base64,iVBORw0KGgo="));
  });

  it("marks a cached copy as an offline copy and cannot block while the block list is unknown", async () => {
    const ipc = scenario({ people: { alice: alice() } });
    const real = ipc.contactProfile.bind(ipc);
    ipc.contactProfile = async (a, u) => {
      const r = await real(a, u);
      return r.status === "ok" ? { status: "ok", data: { ...r.data, fresh: false, blocked: null } satisfies ContactProfile } : r;
    };
    setup({ ipc });
    await loaded();
    expect(document.querySelector("#contact-offline")?.textContent).toContain("Offline copy");
    expect(input("#contact-block").disabled).toBe(true);
  });

  it("shows the load error with a retry that loads the profile", async () => {
    const ipc = scenario({ people: { alice: alice() }, failPeople: { contactProfile: { code: "unreachable", message: "Server unreachable.", field: null } } });
    setup({ ipc });
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Server unreachable.");
    // The server answers again.
    ipc.contactProfile = async () => ({ status: "ok", data: { contact: alice(), conversations: [], blocked: false, fresh: true } });
    await fireEvent.click(within(alert).getByRole("button", { name: "Retry" }));
    await loaded();
  });
});

describe("contact panel: previous conversations", () => {
  it("lists the customer's conversations newest first; another one opens, this one is only marked", async () => {
    const { onOpenConversation } = setup();
    await loaded();
    const list = document.querySelector("#contact-conversations")!;
    expect([...list.querySelectorAll("[data-id]")].map((e) => e.getAttribute("data-id"))).toEqual(["g:1", "g:7"]);
    expect(list.querySelector('[data-id="g:1"]')!.tagName).toBe("DIV");
    expect(list.querySelector('[data-id="g:1"]')!.getAttribute("aria-current")).toBe("true");
    await fireEvent.click(screen.getByRole("button", { name: "Open “Password reset”" }));
    expect(onOpenConversation).toHaveBeenCalledWith("g:7");
  });
});

describe("contact panel: editing the profile", () => {
  it("sends only the fields that changed, and shows the saved profile", async () => {
    const { ipc, onContactChanged } = setup();
    await loaded();
    await fireEvent.click(input("#contact-edit"));
    expect(input("#contact-name").value).toBe("Alice Martin");
    await type(input("#contact-email"), "alice@new.example");
    await type(input("#contact-attr-1-value"), "Enterprise"); // plan (rows sorted: country, plan)
    await fireEvent.click(input("#contact-add-attribute"));
    await type(input("#contact-attr-2-key"), "tier");
    await type(input("#contact-attr-2-value"), "gold");
    await fireEvent.click(input("#contact-save"));
    await vi.waitFor(() => expect(document.querySelector("#contact-edit-form")).toBeNull());
    expect(updates(ipc)).toEqual([
      ["updateContact", "alice", { displayName: null, email: "alice@new.example", phone: null, imageUrl: null, metadata: { plan: "Enterprise", tier: "gold" } }],
    ]);
    expect(input("#contact-email-text").textContent).toBe("alice@new.example");
    expect(panel().querySelector('[data-attribute="tier"] td')?.textContent).toBe("gold");
    expect(panel().querySelector('[data-attribute="plan"] td')?.textContent).toBe("Enterprise");
    expect(onContactChanged).toHaveBeenCalledWith(expect.objectContaining({ email: "alice@new.example" }));
    expect(screen.getByRole("status").textContent).toBe("Profile saved.");
  });

  it("shows the server's field error beside that field and keeps the form open", async () => {
    const { ipc } = setup();
    await loaded();
    await fireEvent.click(input("#contact-edit"));
    await type(input("#contact-email"), "not-an-address");
    await fireEvent.click(input("#contact-save"));
    await vi.waitFor(() => expect(input("#contact-email").getAttribute("aria-invalid")).toBe("true"));
    expect(document.querySelector("#contact-email-error")?.textContent).toBe("That is not an e-mail address.");
    expect(input("#contact-name").getAttribute("aria-invalid")).toBeNull();
    expect(updates(ipc)).toHaveLength(1);
    expect(ipc.state.people.alice!.email).toBe("alice@example.com");
    // Typing in the field clears its error.
    await type(input("#contact-email"), "alice@example.org");
    expect(input("#contact-email").getAttribute("aria-invalid")).toBeNull();
  });

  it("removes an attribute by storing it empty (attributes merge on the server) and no longer lists it", async () => {
    const { ipc } = setup();
    await loaded();
    await fireEvent.click(input("#contact-edit"));
    await fireEvent.click(screen.getByRole("button", { name: "Remove attribute country" }));
    await fireEvent.click(input("#contact-save"));
    await vi.waitFor(() => expect(document.querySelector("#contact-edit-form")).toBeNull());
    expect(updates(ipc)[0]![2]).toEqual({ displayName: null, email: null, phone: null, imageUrl: null, metadata: { country: "" } });
    expect(panel().querySelector('[data-attribute="country"]')).toBeNull();
  });

  it("sends nothing when nothing changed, and requires a name for a new attribute's value", async () => {
    const { ipc } = setup();
    await loaded();
    await fireEvent.click(input("#contact-edit"));
    await fireEvent.click(input("#contact-add-attribute"));
    await type(input("#contact-attr-2-value"), "orphan value");
    await fireEvent.click(input("#contact-save"));
    expect(document.querySelector("#contact-attr-2-error")?.textContent).toBe("Give the attribute a name.");
    await fireEvent.click(screen.getByRole("button", { name: "Remove this attribute" }));
    await fireEvent.click(input("#contact-save"));
    await vi.waitFor(() => expect(document.querySelector("#contact-edit-form")).toBeNull());
    expect(updates(ipc)).toEqual([]);
    expect(screen.getByRole("status").textContent).toBe("Nothing changed.");
  });
});

describe("contact panel: block and unblock", () => {
  it("blocks after a confirmation, then unblocks after another", async () => {
    const { ipc } = setup();
    await loaded();
    await fireEvent.click(input("#contact-block"));
    const dialog = await vi.waitFor(() => {
      const d = document.querySelector<HTMLDialogElement>("dialog#contact-block-confirm");
      expect(d?.open).toBe(true);
      return d!;
    });
    expect(dialog.textContent).toContain("Block Alice Martin?");
    expect(ipc.calls.people.filter((c) => c[0] === "setBlocked")).toEqual([]);
    await fireEvent.click(within(dialog).getByRole("button", { name: "Block" }));
    await vi.waitFor(() => expect(document.querySelector("#contact-blocked")?.textContent).toBe("Blocked"));
    expect(ipc.state.blocked.has("alice")).toBe(true);
    expect(input("#contact-block").textContent).toBe("Unblock");

    await fireEvent.click(input("#contact-block"));
    const again = await vi.waitFor(() => {
      const d = document.querySelector<HTMLDialogElement>("dialog#contact-block-confirm");
      expect(d?.open).toBe(true);
      return d!;
    });
    expect(again.textContent).toContain("Unblock Alice Martin?");
    await fireEvent.click(within(again).getByRole("button", { name: "Unblock" }));
    await vi.waitFor(() => expect(document.querySelector("#contact-blocked")).toBeNull());
    expect(ipc.state.blocked.has("alice")).toBe(false);
    expect(ipc.calls.people.filter((c) => c[0] === "setBlocked")).toEqual([
      ["setBlocked", "alice", true],
      ["setBlocked", "alice", false],
    ]);
  });

  it("cancelling the confirmation blocks nobody; a refused block is shown", async () => {
    const ipc = scenario({ people: { alice: alice() }, failPeople: { setBlocked: { code: "forbidden", message: "Not allowed.", field: null } } });
    setup({ ipc });
    await loaded();
    await fireEvent.click(input("#contact-block"));
    let dialog = await vi.waitFor(() => document.querySelector<HTMLDialogElement>("dialog#contact-block-confirm[open]")!);
    await fireEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(document.querySelector("dialog#contact-block-confirm")).toBeNull();
    expect(ipc.calls.people.filter((c) => c[0] === "setBlocked")).toEqual([]);

    await fireEvent.click(input("#contact-block"));
    dialog = await vi.waitFor(() => document.querySelector<HTMLDialogElement>("dialog#contact-block-confirm[open]")!);
    await fireEvent.click(within(dialog).getByRole("button", { name: "Block" }));
    expect((await screen.findByRole("alert")).textContent).toBe("Not changed: Not allowed.");
    expect(document.querySelector("#contact-blocked")).toBeNull();
  });
});

describe("contact panel: hostile profile data", () => {
  it("renders markup in the name, e-mail, attribute names and values as text", async () => {
    const evil = {
      name: `<img src=x onerror="window.__pwned=1">Mallory`,
      key: `<script>window.__pwned=2</script>`,
      value: `<b onmouseover="window.__pwned=3">bold</b><a href="javascript:alert(1)">x</a>`,
    };
    const ipc = scenario({
      people: { alice: alice({ displayName: evil.name, email: `"><svg onload=alert(1)>@x.io`, metadata: { [evil.key]: evil.value } }) },
    });
    setup({ ipc });
    await screen.findByRole("heading", { name: evil.name, level: 3 });
    const p = panel();
    expect(p.querySelectorAll("img, script, b, a, svg[onload]").length).toBe(0);
    expect(p.querySelector(`#contact-attributes tbody th`)?.textContent).toBe(evil.key);
    expect(p.querySelector(`#contact-attributes tbody td`)?.textContent).toBe(evil.value);
    expect(input("#contact-email-text").textContent).toBe(`"><svg onload=alert(1)>@x.io`);
    await fireEvent.click(input("#contact-edit"));
    expect(input("#contact-name").value).toBe(evil.name);
    expect(input("#contact-attr-0-key").value).toBe(evil.key);
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
  });
});

describe("contact panel beside the conversation", () => {
  function pane(ipc: MockIpc) {
    const hub = new BatchHub();
    const onOpenConversation = vi.fn();
    const r = render(ConversationPane, { ipc, account: account(), hub, conversationId: "g:1", onOpenConversation });
    return { ...r, onOpenConversation };
  }

  it("opens beside the timeline, hides with the toggle, and the choice is remembered for the next conversation", async () => {
    contactPanel.reload();
    const ipc = scenario();
    const first = pane(ipc);
    await screen.findByRole("heading", { name: "Alice Martin", level: 3 });
    const toggle = input("#contact-toggle");
    expect(toggle.getAttribute("aria-expanded")).toBe("true");
    expect(document.querySelector(".with-panel > aside#contact-panel")).toBeTruthy();
    await fireEvent.click(toggle);
    expect(document.querySelector("#contact-panel")).toBeNull();
    expect(toggle.getAttribute("aria-expanded")).toBe("false");
    expect(localStorage.getItem("parley.contactPanel")).toBe("closed");
    first.unmount();

    contactPanel.reload();
    pane(ipc);
    await screen.findByRole("heading", { name: "Alice Martin", level: 2 });
    expect(document.querySelector("#contact-panel")).toBeNull();
    await fireEvent.click(input("#contact-toggle"));
    await screen.findByRole("heading", { name: "Alice Martin", level: 3 });
    expect(localStorage.getItem("parley.contactPanel")).toBe("open");
  });

  it("a saved name shows in the conversation header too", async () => {
    contactPanel.reload();
    const ipc = scenario({ conversations: [conversation({ id: "g:1", title: "Invoice", customerId: "alice" })] });
    pane(ipc);
    await screen.findByRole("heading", { name: "Alice Martin", level: 3 });
    await fireEvent.click(input("#contact-edit"));
    await type(input("#contact-name"), "Alice Martin-Durand");
    await fireEvent.click(input("#contact-save"));
    await screen.findByRole("heading", { name: "Alice Martin-Durand", level: 3 });
    expect(document.querySelector(".head .sub")?.textContent).toContain("Alice Martin-Durand");
  });
});
