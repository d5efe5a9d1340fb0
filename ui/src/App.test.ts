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
    expect(ipc.calls.uiReady).toBe(1);
    expect(document.querySelector("#signin-title")).toBeNull();
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

    await vi.waitFor(() => expect(ipc.listenerCount()).toBe(1));
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
    expect(within(status.closest(".conn") as HTMLElement).getByText("· 1 queued")).toBeTruthy();

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
