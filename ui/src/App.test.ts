import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import App from "./App.svelte";
import { account, emptyBatch } from "./lib/ipc/mock";
import { scenario, settle } from "./test-fixtures";

describe("app start and sign-in", () => {
  it("shows sign-in when no account is signed in, then the inbox once signing in succeeds", async () => {
    const ipc = scenario({ accounts: [] });
    render(App, { ipc });
    expect(await screen.findByRole("heading", { name: "Sign in" })).toBeTruthy();
    // The hidden window is shown once the sign-in form is in the page.
    expect(ipc.calls.uiRendered).toBe(1);
    await fireEvent.input(document.querySelector("#signin-appKey")!, { target: { value: "demo-app" } });
    await fireEvent.input(document.querySelector("#signin-userId")!, { target: { value: "agent@parley.test" } });
    await fireEvent.input(document.querySelector("#signin-password")!, { target: { value: "pw" } });
    await fireEvent.click(document.querySelector("#signin-submit")!);

    expect(await screen.findByRole("tab", { name: /Mine/ })).toBeTruthy();
    expect(await screen.findByText("Alice Martin")).toBeTruthy();
    expect(document.querySelector("#signin-title")).toBeNull();
    expect(ipc.calls.signIn).toHaveLength(1);
    expect(ipc.calls.inbox[0]).toMatchObject({ view: "assigned_to_me", sort: "newest", offset: 0, limit: 100 });
  });

  it("opens straight to the inbox of the first signed-in account and reports ready exactly once", async () => {
    const ipc = scenario();
    render(App, { ipc });
    expect(await screen.findByText("Alice Martin")).toBeTruthy();
    await settle(4);
    // The hidden window was shown once the inbox was in the page, then the paint reported.
    expect(ipc.calls.uiRendered).toBe(1);
    expect(ipc.calls.uiReady).toBe(1);
    // With the page's start-up milestones, in the order they happened.
    const marks = ipc.calls.pageMarks;
    for (const m of ["first calls sent", "accounts listed", "shell builds", "inbox mounted", "first inbox page received", "inbox rows set", "first frame", "painted"])
      expect(marks, m).toContain(m);
    expect(marks.indexOf("accounts listed")).toBeLessThan(marks.indexOf("first inbox page received"));
    expect(marks.indexOf("first frame")).toBeLessThan(marks.indexOf("painted"));
    expect(marks.at(-1)).toBe("painted");
    expect(document.querySelector("#signin-title")).toBeNull();
    // The first page was asked for once, before the inbox mounted, and the inbox used it.
    expect(ipc.calls.inbox).toEqual([{ view: "assigned_to_me", sort: "newest", offset: 0, limit: 100 }]);
  });

  it("a start that cannot even list the accounts shows its error, and the window, at once", async () => {
    const ipc = scenario();
    ipc.accounts = () => Promise.reject(new Error("the cache is locked"));
    render(App, { ipc });
    expect((await screen.findByRole("alert")).textContent).toContain("the cache is locked");
    expect(ipc.calls.uiRendered).toBe(1);
  });

  it("an inbox that cannot be read shows its error, and the window, without waiting", async () => {
    const ipc = scenario({ fail: { inbox: { code: "storage", message: "The cache is damaged.", field: null } } });
    render(App, { ipc });
    expect(await screen.findByText(/The cache is damaged/)).toBeTruthy();
    await settle(4);
    expect(ipc.calls.uiRendered).toBe(1);
    expect(ipc.calls.uiReady).toBe(1);
  });

  it("adds another account through the sign-in screen and can go back", async () => {
    const ipc = scenario();
    render(App, { ipc });
    await screen.findByText("Alice Martin");
    await fireEvent.click(screen.getByRole("button", { name: /^Accounts/ }));
    await fireEvent.click(screen.getByRole("button", { name: "+ Add account" }));
    expect(document.querySelector("#signin-title")).toBeTruthy();
    await fireEvent.click(screen.getByRole("button", { name: "Back to inbox" }));
    expect(await screen.findByText("Alice Martin")).toBeTruthy();
  });

  it("after adding an account, every other account shows its real connection, not the one it had at sign-in", async () => {
    const ipc = scenario({ accounts: [account({ connection: { state: "connecting" } })] });
    render(App, { ipc });
    await screen.findByText("Alice Martin");
    expect(screen.getByText("Connecting…")).toBeTruthy();
    // The account comes online while the shell listens; the shell's own list is now stale.
    await vi.waitFor(() => expect(ipc.listenerCount()).toBe(2));
    ipc.state.accounts[0] = { ...ipc.state.accounts[0]!, connection: { state: "online" } };
    ipc.emit(emptyBatch({ connection: { state: "online" } }));
    expect(await screen.findByText("Online")).toBeTruthy();

    // Add a WhatsApp account; its first batch lands before the new shell has read the list.
    const listAccounts = ipc.accounts;
    ipc.accounts = async () => {
      ipc.emit(emptyBatch({ accountId: "wapikit-org:member-1", connection: { state: "connecting" } }));
      return listAccounts();
    };
    await fireEvent.click(screen.getByRole("button", { name: /^Accounts/ }));
    await fireEvent.click(screen.getByRole("button", { name: "+ Add account" }));
    await fireEvent.click(await screen.findByLabelText("WhatsApp (WapiKit)"));
    await fireEvent.input(document.querySelector("#signin-apiKey")!, { target: { value: "key" } });
    await fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    await settle();
    // Back to the first account: online, as it is.
    await fireEvent.click(screen.getByRole("button", { name: /^Accounts/ }));
    await fireEvent.click(document.querySelector<HTMLElement>("#account-panel li:first-child button.who")!);
    expect(await screen.findByText("Online")).toBeTruthy();
    expect(screen.queryByText("Connecting…")).toBeNull();
  });

  it("signing out of the only account returns to sign-in", async () => {
    const ipc = scenario();
    render(App, { ipc });
    await screen.findByText("Alice Martin");
    await fireEvent.click(screen.getByRole("button", { name: /^Accounts/ }));
    await fireEvent.click(screen.getByRole("button", { name: "Sign out Ada Agent" }));
    expect(await screen.findByRole("heading", { name: "Sign in" })).toBeTruthy();
    expect(ipc.calls.signOut).toEqual(["acc-1"]);
  });
});

describe("connection state", () => {
  it("always shows the connection, the queued count when offline, and warns about an unencrypted link", async () => {
    const ipc = scenario({ accounts: [account({ insecureLink: true, connection: { state: "connecting" } })] });
    render(App, { ipc });
    await screen.findByText("Alice Martin");
    expect(screen.getByText("Connecting…")).toBeTruthy();
    expect(screen.getByText(/Real-time link not encrypted/)).toBeTruthy();

    // The app (window title) and the shell (this account) both listen.
    await vi.waitFor(() => expect(ipc.listenerCount()).toBe(2));
    ipc.emit(
      emptyBatch({
        connection: { state: "offline", retryInMs: 5000, reason: "network down" },
        messages: [
          {
            key: "q1",
            conversationId: "g:1",
            senderId: "agent@parley.test",
            createdAt: Date.now(),
            text: "later",
            contentType: 0,
            metadata: {},
            attachment: null,
            direction: "outgoing",
            state: "queued",
            clientKey: "q1",
          },
        ],
      }),
    );
    const status = await screen.findByText(/Offline · reconnecting in 5s/);
    expect(within(status.closest(".conn") as HTMLElement).getByText("1 queued").id).toBe("queued-count");

    ipc.emit(emptyBatch({ connection: { state: "online" }, rekeyed: [["q1", "srv-1"]] }));
    expect(await screen.findByText("Online")).toBeTruthy();
  });
});

describe("notifications", () => {
  it("opens the conversation a clicked notification names", async () => {
    const ipc = scenario();
    render(App, { ipc });
    await screen.findByText("Alice Martin");
    ipc.emitOpen({ accountId: "acc-1", conversationId: "g:3" });
    expect(await screen.findByRole("heading", { name: "Carol Diaz" })).toBeTruthy();
    expect(ipc.calls.openConversation).toContain("g:3");
  });
});

describe("theme toggle", () => {
  it("cycles system → light → dark and remembers the choice", async () => {
    localStorage.clear();
    const ipc = scenario();
    render(App, { ipc });
    await screen.findByText("Alice Martin");
    const button = screen.getByRole("button", { name: /^Theme: System/ });
    await fireEvent.click(button);
    expect(document.documentElement.dataset.theme).toBe("light");
    await fireEvent.click(button);
    expect(document.documentElement.dataset.theme).toBe("dark");
    expect(localStorage.getItem("parley.theme")).toBe("dark");
    expect(button.getAttribute("aria-label")).toBe("Theme: Dark. Change theme");
    localStorage.clear();
  });
});

describe("send queue in the status bar", () => {
  it("shows the queued count from the inbox page even when online, then follows the batches' count", async () => {
    const ipc = scenario();
    ipc.state.messages["g:2"] = [
      {
        key: "q9",
        conversationId: "g:2",
        senderId: "agent@parley.test",
        createdAt: Date.now(),
        text: "waiting",
        contentType: 0,
        metadata: {},
        attachment: null,
        direction: "outgoing",
        state: "queued",
        clientKey: "q9",
      },
    ];
    render(App, { ipc });
    await screen.findByText("Alice Martin");
    expect(screen.getByText("Online")).toBeTruthy();
    await vi.waitFor(() => expect(document.querySelector("#queued-count")?.textContent).toBe("1 queued"));

    await vi.waitFor(() => expect(ipc.listenerCount()).toBe(2));
    const counts = { assignedToMe: 3, unassigned: 1, all: 4, closed: 1, spam: 1, unread: 2 };
    ipc.emit(emptyBatch({ counts, queued: 3 }));
    await vi.waitFor(() => expect(document.querySelector("#queued-count")?.textContent).toBe("3 queued"));
    ipc.emit(emptyBatch({ counts, queued: 0 }));
    await vi.waitFor(() => expect(document.querySelector("#queued-count")).toBeNull());
  });

  it("counts a reply sent from the composer until the shell reports it sent", async () => {
    const ipc = scenario();
    render(App, { ipc });
    await fireEvent.click(await screen.findByText("Alice Martin"));
    const box = await screen.findByLabelText<HTMLTextAreaElement>("Reply");
    await fireEvent.input(box, { target: { value: "On my way" } });
    await fireEvent.keyDown(box, { key: "Enter" });
    await vi.waitFor(() => expect(document.querySelector("#queued-count")?.textContent).toBe("1 queued"));
    ipc.deliver("local-1");
    await vi.waitFor(() => expect(document.querySelector("#queued-count")).toBeNull());
  });
});

describe("window title", () => {
  it("is 'Parley (N)' with the unread count of every signed-in account, and 'Parley' when nothing is unread", async () => {
    document.title = "";
    const ipc = scenario({ accounts: [account(), account({ id: "acc-2", userId: "ada@other.example", displayName: "Ada (EU)" })] });
    render(App, { ipc });
    await screen.findByText("Alice Martin");
    // Two unread in the open account, and the mock's other account sees the same inbox.
    await vi.waitFor(() => expect(document.title).toBe("Parley (4)"));
    ipc.emit(emptyBatch({ accountId: "acc-2", counts: { assignedToMe: 0, unassigned: 0, all: 0, closed: 0, spam: 0, unread: 0 } }));
    await vi.waitFor(() => expect(document.title).toBe("Parley (2)"));
    ipc.emit(emptyBatch({ accountId: "acc-1", counts: { assignedToMe: 3, unassigned: 1, all: 4, closed: 1, spam: 1, unread: 0 } }));
    await vi.waitFor(() => expect(document.title).toBe("Parley"));
  });
});

describe("notification click", () => {
  it("selects the conversation in the inbox, switching to All when the current view lacks it", async () => {
    const ipc = scenario();
    render(App, { ipc });
    await screen.findByText("Alice Martin");
    expect(screen.getByRole("tab", { name: /Mine/ }).getAttribute("aria-selected")).toBe("true");
    ipc.emitOpen({ accountId: "acc-1", conversationId: "g:4" });
    expect(await screen.findByRole("heading", { name: "Dan Unassigned" })).toBeTruthy();
    await vi.waitFor(() => expect(screen.getByRole("tab", { name: /All/ }).getAttribute("aria-selected")).toBe("true"));
    const row = await vi.waitFor(() => {
      const el = document.querySelector<HTMLElement>('#inbox-list [data-id="g:4"]');
      if (!el) throw new Error("row not listed");
      return el;
    });
    expect(row.classList.contains("selected")).toBe(true);
    expect(row.getAttribute("aria-current")).toBe("true");
  });

  it("switches to the account the notification belongs to", async () => {
    const ipc = scenario({ accounts: [account(), account({ id: "acc-2", userId: "ada@other.example", displayName: "Ada (EU)" })] });
    render(App, { ipc });
    await screen.findByText("Alice Martin");
    expect(document.querySelector(".who")?.textContent).toBe("Ada Agent");
    ipc.emitOpen({ accountId: "acc-2", conversationId: "g:2" });
    expect(await screen.findByRole("heading", { name: "Bob Stone" })).toBeTruthy();
    expect(document.querySelector(".status-bar .who")?.textContent).toBe("Ada (EU)");
    await vi.waitFor(() => expect(document.querySelector('#inbox-list [data-account="acc-2"][data-id="g:2"]')?.classList.contains("selected")).toBe(true));
  });

  it("ignores a click for an account that is not signed in", async () => {
    const ipc = scenario();
    render(App, { ipc });
    await screen.findByText("Alice Martin");
    ipc.emitOpen({ accountId: "acc-gone", conversationId: "g:2" });
    await settle(2);
    expect(screen.queryByRole("heading", { name: "Bob Stone" })).toBeNull();
  });
});
