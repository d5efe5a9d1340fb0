import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import ConversationPane from "./ConversationPane.svelte";
import { BatchHub } from "../lib/batches";
import { ME, account, emptyBatch, message, type MockIpc } from "../lib/ipc/mock";
import type { Message, Platform } from "../lib/ipc/ipc";
import { base, scenario } from "../test-fixtures";

function setup(ipc: MockIpc = scenario(), conversationId = "g:1", offline = false, platform: Platform = "kommunicate") {
  const hub = new BatchHub();
  ipc.onBatch((b) => hub.emit(b));
  const r = render(ConversationPane, { ipc, account: account({ platform }), hub, conversationId, offline });
  return { ipc, hub, ...r };
}

function withMessages(msgs: Partial<Message>[]) {
  const ipc = scenario();
  ipc.state.messages["g:1"] = msgs.map((m, i) =>
    message({ conversationId: "g:1", senderId: "alice", createdAt: base + i * 1000, ...m }),
  );
  return ipc;
}

const timeline = () => document.querySelector<HTMLElement>('[role="log"]')!;
const keys = () => [...timeline().querySelectorAll("[data-key]")].map((e) => e.getAttribute("data-key"));

describe("conversation header and actions", () => {
  it("shows the title, customer, status and assignee", async () => {
    setup();
    expect(await screen.findByRole("heading", { name: "Alice Martin" })).toBeTruthy();
    expect(document.querySelector(".head .sub")?.textContent).toContain("alice@example.com");
    expect(document.querySelector(".head .status-chip")?.textContent).toBe("Open");
    expect(screen.getByText("Assigned to you")).toBeTruthy();
  });

  it("shows the conversation's tags as chips, each once", async () => {
    const ipc = scenario();
    const c = ipc.state.conversations.find((x) => x.id === "g:1")!;
    c.metadata = { ...c.metadata, PARLEY_TAGS: "VIP, billing, , VIP" };
    setup(ipc);
    await screen.findByRole("heading", { name: "Alice Martin" });
    const chips = [...document.querySelectorAll<HTMLElement>(".head .tag-chip")].map((e) => e.textContent);
    expect(chips).toEqual(["VIP", "billing"]);
  });

  it("offers only the statuses the account's platform has (WhatsApp: resolve, no spam or duplicate)", async () => {
    setup(scenario(), "g:1", false, "wapikit");
    await screen.findByRole("heading", { name: "Alice Martin" });
    expect(screen.getByRole("button", { name: "Resolve" })).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Spam" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Duplicate" })).toBeNull();
  });

  it("unassigns on a platform that allows it, and only there", async () => {
    const { ipc } = setup(scenario(), "g:1", false, "wapikit");
    await fireEvent.click(await screen.findByRole("button", { name: "Unassign" }));
    await screen.findByText("Unassigned");
    expect(ipc.calls.assign).toEqual([{ conversationId: "g:1", assignee: "" }]);
    expect(screen.queryByRole("button", { name: "Unassign" })).toBeNull();
    document.body.innerHTML = "";
    setup();
    await screen.findByRole("heading", { name: "Alice Martin" });
    expect(screen.queryByRole("button", { name: "Unassign" })).toBeNull();
  });

  it("resolves, then offers reopen", async () => {
    const { ipc } = setup();
    await fireEvent.click(await screen.findByRole("button", { name: "Resolve" }));
    await screen.findByRole("button", { name: "Reopen" });
    expect(ipc.calls.setStatus).toEqual([{ conversationId: "g:1", status: "resolved" }]);
    expect(document.querySelector(".head .status-chip")?.textContent).toBe("Resolved");
    await fireEvent.click(screen.getByRole("button", { name: "Reopen" }));
    await screen.findByRole("button", { name: "Resolve" });
    expect(ipc.calls.setStatus.at(-1)).toEqual({ conversationId: "g:1", status: "open" });
  });

  it("marks spam and duplicate", async () => {
    const { ipc } = setup();
    await fireEvent.click(await screen.findByRole("button", { name: "Duplicate" }));
    await vi.waitFor(() => expect(ipc.calls.setStatus).toHaveLength(1));
    await fireEvent.click(await screen.findByRole("button", { name: "Spam" }));
    await vi.waitFor(() => expect(ipc.calls.setStatus).toHaveLength(2));
    expect(ipc.calls.setStatus.map((c) => c.status)).toEqual(["duplicate", "spam"]);
  });

  it("assigns to me with my user id", async () => {
    const { ipc } = setup(scenario(), "g:4");
    await fireEvent.click(await screen.findByRole("button", { name: "Assign to me" }));
    await screen.findByText("Assigned to you");
    expect(ipc.calls.assign).toEqual([{ conversationId: "g:4", assignee: ME }]);
  });

  it("shows an action's error in an alert", async () => {
    setup(scenario({ fail: { setStatus: { code: "unreachable", message: "Server unreachable.", field: null } } }));
    await fireEvent.click(await screen.findByRole("button", { name: "Resolve" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Resolve failed: Server unreachable.");
    expect(document.querySelector(".head .status-chip")?.textContent).toBe("Open");
  });
});

describe("timeline", () => {
  it("renders text with line breaks and safe links, ticks for my messages, and a day separator", async () => {
    const ipc = withMessages([
      { key: "t1", text: "Line one\nsee https://example.com/help. or javascript:alert(1)" },
      { key: "t2", senderId: ME, direction: "outgoing", state: "read", text: "read reply" },
      { key: "t3", senderId: ME, direction: "outgoing", state: "queued", text: "queued reply" },
      { key: "t4", senderId: ME, direction: "outgoing", state: "failed", text: "failed reply" },
      { key: "t5", senderId: ME, direction: "outgoing", state: "delivered", text: "delivered reply" },
    ]);
    setup(ipc);
    await screen.findByText("Line one", { exact: false });
    const p = timeline().querySelector('[data-key="t1"] .text')!;
    expect(p.textContent).toBe("Line one\nsee https://example.com/help. or javascript:alert(1)");
    const links = [...p.querySelectorAll("a")];
    expect(links.map((a) => a.getAttribute("href"))).toEqual(["https://example.com/help"]);
    await fireEvent.click(links[0]!);
    expect(ipc.calls.openExternal).toEqual(["https://example.com/help"]);

    const tick = (k: string) => timeline().querySelector(`[data-key="${k}"] .ticks`)!;
    expect(tick("t2").getAttribute("data-state")).toBe("read");
    expect(tick("t2").textContent).toContain("✓✓");
    expect(tick("t3").querySelector("svg.clock")).toBeTruthy();
    expect(tick("t3").textContent).toContain("Queued");
    expect(tick("t4").textContent).toContain("Not sent");
    expect(tick("t5").textContent).toContain("✓✓");
    expect(timeline().querySelector('[data-key="t1"] .ticks')).toBeNull();
    expect(timeline().querySelector('[role="separator"]')).toBeTruthy();
    expect(timeline().querySelector('[data-key="t1"] .name')?.textContent).toBe("Alice Martin");
    expect(timeline().querySelector('[data-key="t2"] .name')?.textContent).toBe("You");
  });

  it("sanitizes hostile HTML messages: no scripts, no handlers, no javascript: links", async () => {
    const hostile = [
      '<p>Hello <b>there</b></p><img src=x onerror=alert(1)>',
      "<script>window.__pwned = 1</script>",
      '<a href="javascript:alert(1)">click</a>',
      '<a href="JaVaScRiPt:alert(1)">click2</a>',
      '<svg onload=alert(1)><circle r="5"/></svg>',
      '<iframe src="https://evil.example"></iframe><object data="x"></object><embed src="x">',
      '<form action="https://evil.example"><input name=a></form>',
      '<style>body{display:none}</style><div style="position:fixed" onclick="alert(1)">styled</div>',
      '<a href="https://ok.example/x" onmouseover="alert(1)">ok link</a>',
      '<img src="javascript:alert(1)"><img src="data:image/svg+xml,<svg onload=alert(1)>">',
      '<math><mi xlink:href="javascript:alert(1)">m</mi></math><details open ontoggle=alert(1)>d</details>',
    ].join("");
    const ipc = withMessages([{ key: "h1", contentType: 3, text: hostile }]);
    setup(ipc);
    await screen.findByText("there");
    const html = timeline().querySelector<HTMLElement>('[data-key="h1"] .html')!;
    expect(html.querySelector("b")?.textContent).toBe("there");
    expect(timeline().querySelectorAll("script, style, iframe, object, embed, form, svg, math, input").length).toBe(0);
    expect(document.querySelectorAll("script").length).toBe(0);
    for (const el of html.querySelectorAll("*")) {
      for (const attr of el.attributes) {
        expect(attr.name.startsWith("on"), `${el.tagName} ${attr.name}`).toBe(false);
        expect(attr.name).not.toBe("style");
        expect(attr.value.toLowerCase()).not.toContain("javascript:");
      }
    }
    const anchors = [...html.querySelectorAll("a")];
    expect(anchors.filter((a) => a.hasAttribute("href")).map((a) => a.getAttribute("href"))).toEqual(["https://ok.example/x"]);
    const ok = anchors.find((a) => a.getAttribute("href"))!;
    expect(ok.getAttribute("rel")).toBe("noopener noreferrer");
    await fireEvent.click(ok);
    expect(ipc.calls.openExternal).toEqual(["https://ok.example/x"]);
    // Nothing ran.
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
  });

  it("renders group actions as centred event lines", async () => {
    setup(withMessages([{ key: "e1", contentType: 10, text: "Ada assigned the conversation to Bob" }]));
    const line = await screen.findByText("Ada assigned the conversation to Bob");
    expect(line.closest(".event")).toBeTruthy();
    expect(line.closest(".bubble")).toBeNull();
  });

  it("renders suggested replies as pills that send the reply", async () => {
    const ipc = withMessages([
      {
        key: "r1",
        text: "Pick one",
        metadata: {
          contentType: "300",
          templateId: "6",
          payload: JSON.stringify([{ title: "Yes", message: "Yes please" }, { title: "No" }]),
        },
      },
    ]);
    setup(ipc);
    const yes = await screen.findByRole("button", { name: "Yes" });
    expect(yes.classList.contains("pill")).toBe(true);
    expect(screen.getByRole("button", { name: "No" })).toBeTruthy();
    expect(screen.getByText("Pick one")).toBeTruthy();
    await fireEvent.click(yes);
    await vi.waitFor(() => expect(ipc.calls.sendMessage).toEqual([{ conversationId: "g:1", text: "Yes please", html: false }]));
  });

  it("renders link buttons and cards whose links open externally", async () => {
    const ipc = withMessages([
      {
        key: "r2",
        text: "",
        metadata: {
          contentType: "300",
          templateId: "3",
          payload: JSON.stringify([
            { type: "link", url: "https://docs.example/a", name: "Read the docs" },
            { type: "link", url: "javascript:alert(1)", name: "Evil" },
          ]),
        },
      },
      {
        key: "r3",
        text: "Our plans",
        metadata: {
          contentType: "300",
          templateId: "10",
          payload: JSON.stringify([
            {
              title: "Pro plan",
              subtitle: "€20 / month",
              header: { imgSrc: "https://img.example/pro.png" },
              buttons: [{ name: "Buy", action: { type: "link", payload: { url: "https://shop.example/pro" } } }],
            },
            { title: "Team plan", description: "For teams" },
          ]),
        },
      },
      {
        key: "r4",
        text: "",
        metadata: {
          contentType: "300",
          templateId: "7",
          payload: JSON.stringify({
            headerText: "Help topics",
            elements: [{ title: "Billing", description: "Invoices", action: { url: "https://help.example/billing" } }],
            buttons: [{ name: "See all" }],
          }),
        },
      },
    ]);
    setup(ipc);
    const docs = await screen.findByRole("link", { name: /Read the docs/ });
    await fireEvent.click(docs);
    // A javascript: URL never becomes a link.
    expect(screen.queryByRole("link", { name: /Evil/ })).toBeNull();
    expect(screen.getByText("Pro plan")).toBeTruthy();
    expect(screen.getByText("€20 / month")).toBeTruthy();
    expect(screen.getByText("Team plan")).toBeTruthy();
    // The card's picture is not fetched by the webview: the agent asks for it, the shell loads it.
    expect(document.querySelector(".cards img")).toBeNull();
    const pic = document.querySelector<HTMLButtonElement>('.cards [data-remote-image="https://img.example/pro.png"]')!;
    expect(pic.textContent).toContain("img.example");
    await fireEvent.click(pic);
    expect(ipc.calls.people).toContainEqual(["remoteImage", "https://img.example/pro.png"]);
    expect(await screen.findByText("The image could not be loaded.")).toBeTruthy();
    await fireEvent.click(screen.getByRole("link", { name: /Buy/ }));
    expect(screen.getByText("Help topics")).toBeTruthy();
    await fireEvent.click(screen.getByRole("link", { name: "Billing" }));
    expect(ipc.calls.openExternal).toEqual(["https://docs.example/a", "https://shop.example/pro", "https://help.example/billing"]);
  });

  it("falls back to the text when a rich payload cannot be understood", async () => {
    setup(
      withMessages([
        { key: "f1", text: "Fallback one", metadata: { contentType: "300", templateId: "6", payload: "{not json" } },
        { key: "f2", text: "Fallback two", metadata: { contentType: "300", templateId: "10", payload: '{"title": 5}' } },
        { key: "f3", text: "Fallback three", metadata: { contentType: "300", templateId: "99", payload: "[]" } },
      ]),
    );
    expect(await screen.findByText("Fallback one")).toBeTruthy();
    expect(screen.getByText("Fallback two")).toBeTruthy();
    expect(screen.getByText("Fallback three")).toBeTruthy();
    expect(document.querySelector(".pill, .cards, .rich-button")).toBeNull();
  });

  it("shows link-only image attachments (no blob key) as linked thumbnails and other files as chips", async () => {
    const ipc = withMessages([
      {
        key: "i1",
        text: "",
        contentType: 1,
        attachment: { name: "photo.png", size: 2048, contentType: "image/png", blobKey: null, url: "https://cdn.example/photo.png", thumbnailUrl: "https://cdn.example/thumb.png" },
      },
      {
        key: "i2",
        text: "",
        contentType: 1,
        attachment: { name: "report.pdf", size: 1_572_864, contentType: "application/pdf", blobKey: null, url: "https://cdn.example/report.pdf", thumbnailUrl: null },
      },
    ]);
    setup(ipc);
    const img = await screen.findByAltText("photo.png");
    expect(img.getAttribute("src")).toBe("https://cdn.example/thumb.png");
    const chip = screen.getByText("report.pdf").closest("a")!;
    expect(chip.textContent).toContain("1.5 MB");
    await fireEvent.click(chip);
    expect(ipc.calls.openExternal).toEqual(["https://cdn.example/report.pdf"]);
  });

  it("merges batches: the queued echo is replaced by its server copy, never shown twice", async () => {
    const { ipc } = setup();
    await screen.findByText("Let me check the invoice for you.");
    const echo = message({ key: "local-x", clientKey: "local-x", conversationId: "g:1", senderId: ME, direction: "outgoing", state: "queued", text: "On it", createdAt: base + 120_000 });
    ipc.emit(emptyBatch({ conversations: ["g:1"], messages: [echo] }));
    await screen.findByText("On it");
    expect(keys()).toEqual(["a1", "a2", "local-x"]);

    ipc.emit(emptyBatch({ rekeyed: [["local-x", "srv-77"]], messages: [{ ...echo, key: "srv-77", state: "sent" }] }));
    await vi.waitFor(() => expect(keys()).toEqual(["a1", "a2", "srv-77"]));
    expect(screen.getAllByText("On it")).toHaveLength(1);
    expect(timeline().querySelector('[data-key="srv-77"] .ticks')?.getAttribute("data-state")).toBe("sent");

    // The server copy arriving before the rekey also leaves a single message.
    const echo2 = { ...echo, key: "local-y", clientKey: "local-y", text: "Second" };
    ipc.emit(emptyBatch({ messages: [echo2] }));
    await screen.findByText("Second");
    ipc.emit(emptyBatch({ messages: [{ ...echo2, key: "srv-78", state: "delivered" }] }));
    await vi.waitFor(() => expect(keys()).toEqual(["a1", "a2", "srv-77", "srv-78"]));
    ipc.emit(emptyBatch({ rekeyed: [["local-y", "srv-78"]] }));
    ipc.emit(emptyBatch({ removed: [["g:1", "a2"]], messages: [message({ key: "other", conversationId: "g:2" })] }));
    await vi.waitFor(() => expect(keys()).toEqual(["a1", "srv-77", "srv-78"]));
  });

  it("loads older history when scrolled to the top", async () => {
    const ipc = scenario({ openLimit: 2 });
    ipc.state.messages["g:1"] = Array.from({ length: 5 }, (_, i) =>
      message({ key: `o${i}`, conversationId: "g:1", senderId: "alice", createdAt: base + i * 1000, text: `Old ${i}` }),
    );
    setup(ipc);
    await screen.findByText("Old 4");
    expect(keys()).toEqual(["o3", "o4"]);
    await fireEvent.scroll(timeline());
    await vi.waitFor(() => expect(keys()).toEqual(["o0", "o1", "o2", "o3", "o4"]));
    expect(ipc.calls.olderMessages[0]).toEqual({ conversationId: "g:1", beforeAt: base + 3000, beforeKey: "o3", limit: 200 });
    await screen.findByText("Start of conversation");
  });

  it("carries each day's separator on the first message of the day, even after an older page of the same day", async () => {
    const day = 24 * 3600_000;
    const ipc = scenario({ openLimit: 2 });
    ipc.state.messages["g:1"] = [0, 1000, day, day + 1000, day + 2000].map((at, i) =>
      message({ key: `d${i}`, conversationId: "g:1", senderId: "alice", createdAt: base + at, text: `Day ${i}` }),
    );
    setup(ipc);
    await screen.findByText("Day 4");
    // Every row is a message (the row the reader sits on is what stays put when a page is
    // prepended); the separator is inside the first message's row.
    const slots = () => [...timeline().querySelectorAll<HTMLElement>(".slot")];
    const separatorsIn = () => slots().map((s) => s.querySelectorAll('[role="separator"]').length);
    expect(slots().map((s) => s.querySelector("[data-key]")?.getAttribute("data-key"))).toEqual(["d3", "d4"]);
    expect(separatorsIn()).toEqual([1, 0]);
    await fireEvent.scroll(timeline());
    await vi.waitFor(() => expect(keys()).toEqual(["d0", "d1", "d2", "d3", "d4"]));
    expect(slots().map((s) => s.querySelector("[data-key]")?.getAttribute("data-key"))).toEqual(["d0", "d1", "d2", "d3", "d4"]);
    expect(separatorsIn()).toEqual([1, 0, 1, 0, 0]);
  });

  it("shows who is typing and clears it after 8 seconds", async () => {
    const { ipc } = setup();
    await screen.findByText("Let me check the invoice for you.");
    vi.useFakeTimers();
    try {
      ipc.emit(emptyBatch({ typing: [{ conversationId: "g:1", userId: "alice", typing: true }, { conversationId: "g:2", userId: "bob", typing: true }] }));
      await vi.advanceTimersByTimeAsync(10);
      expect(document.querySelector(".typing")?.textContent).toBe("Alice Martin is typing…");
      await vi.advanceTimersByTimeAsync(8000);
      expect(document.querySelector(".typing")?.textContent).toBe("");
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("composer", () => {
  it("sends on Enter, not on Shift+Enter, and the echo appears at once", async () => {
    const { ipc } = setup();
    const box = await screen.findByLabelText<HTMLTextAreaElement>("Reply");
    await fireEvent.input(box, { target: { value: "Hello\nthere" } });
    await fireEvent.keyDown(box, { key: "Enter", shiftKey: true });
    expect(ipc.calls.sendMessage).toEqual([]);
    await fireEvent.keyDown(box, { key: "Enter" });
    await vi.waitFor(() => expect(ipc.calls.sendMessage).toEqual([{ conversationId: "g:1", text: "Hello\nthere", html: false }]));
    expect(box.value).toBe("");
    await vi.waitFor(() => expect(timeline().querySelector('[data-key="local-1"] .ticks')?.getAttribute("data-state")).toBe("queued"));
    expect(ipc.calls.setTyping.at(-1)).toEqual({ conversationId: "g:1", typing: false });
    expect(ipc.calls.setTyping[0]).toEqual({ conversationId: "g:1", typing: true });
  });

  it("shows a send error inline and keeps the text", async () => {
    setup(scenario({ fail: { sendMessage: { code: "storage", message: "Disk full.", field: null } } }));
    const box = await screen.findByLabelText<HTMLTextAreaElement>("Reply");
    await fireEvent.input(box, { target: { value: "Important" } });
    await fireEvent.keyDown(box, { key: "Enter" });
    const err = await screen.findByText("Disk full.");
    expect(err.id).toBe("composer-error");
    expect(box.value).toBe("Important");
  });

  it("saves the draft after a pause and restores it when reopened", async () => {
    const ipc = scenario();
    const first = setup(ipc);
    const box = await screen.findByLabelText<HTMLTextAreaElement>("Reply");
    await fireEvent.input(box, { target: { value: "Half a tho" } });
    await fireEvent.input(box, { target: { value: "Half a thought" } });
    expect(ipc.calls.setDraft).toEqual([]);
    await vi.waitFor(() => expect(ipc.calls.setDraft).toEqual([{ conversationId: "g:1", text: "Half a thought" }]), { timeout: 2000 });
    first.unmount();

    setup(ipc);
    const again = await screen.findByLabelText<HTMLTextAreaElement>("Reply");
    expect(again.value).toBe("Half a thought");
  });

  it("keeps an unsaved draft when the conversation closes before the pause ends", async () => {
    const ipc = scenario();
    const r = setup(ipc);
    const box = await screen.findByLabelText<HTMLTextAreaElement>("Reply");
    await fireEvent.input(box, { target: { value: "quick" } });
    r.unmount();
    expect(ipc.calls.setDraft).toEqual([{ conversationId: "g:1", text: "quick" }]);
  });

  it("says replies are queued while offline", async () => {
    setup(scenario(), "g:1", true);
    expect(await screen.findByText("Queued — will send when you're back online.")).toBeTruthy();
  });
});
