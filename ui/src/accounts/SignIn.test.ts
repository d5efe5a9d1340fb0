import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import SignIn from "./SignIn.svelte";
import { createMockIpc, mockAppInfo } from "../lib/ipc/mock";
import { account, createMockIpc as mock } from "../lib/ipc/mock";
import type { AccountSummary } from "../lib/ipc/ipc";

describe("sign-in screen", () => {
  it("offers every preset the shell reports, sandbox first", () => {
    render(SignIn, { ipc: createMockIpc(), info: mockAppInfo });
    const options = [...document.querySelectorAll<HTMLOptionElement>("#signin-server option")];
    expect(options.map((o) => o.textContent)).toEqual(["Local sandbox", "Kommunicate cloud", "Custom server"]);
    expect((document.querySelector("#signin-server") as HTMLSelectElement).value).toBe("sandbox");
    expect(screen.getByText("http://127.0.0.1:18080")).toBeTruthy();
  });

  it("sends the typed form and shows the field error it gets back, focused", async () => {
    const ipc = createMockIpc({
      signIn: () => ({
        status: "error",
        error: { code: "invalid_input", message: "Enter your user id.", field: "userId" },
      }),
    });
    render(SignIn, { ipc, info: mockAppInfo });
    await fireEvent.input(document.querySelector("#signin-appKey")!, { target: { value: "demo-app" } });
    await fireEvent.input(document.querySelector("#signin-password")!, { target: { value: "pw" } });
    await fireEvent.click(screen.getByRole("button", { name: "Sign in" }));

    expect(ipc.calls.signIn).toEqual([
      {
        server: { preset: "sandbox", customUrl: null, customBroker: null },
        role: "agent",
        appKey: "demo-app",
        userId: "",
        password: "pw",
      },
    ]);
    const err = await screen.findByText("Enter your user id.");
    expect(err.id).toBe("signin-userId-error");
    const input = document.querySelector("#signin-userId")!;
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(document.activeElement).toBe(input);
  });

  it("shows an error without a field as an alert banner", async () => {
    const ipc = createMockIpc({
      signIn: () => ({
        status: "error",
        error: { code: "internal", message: "Something broke.", field: null },
      }),
    });
    render(SignIn, { ipc, info: mockAppInfo });
    await fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toBe("Something broke.");
    expect(alert.dataset.code).toBe("internal");
  });

  it("signs in for real and hands the account to the app", async () => {
    const signedIn: AccountSummary[] = [];
    const ipc = mock({ signIn: (form) => ({ status: "ok", data: account({ userId: form.userId }) }) });
    render(SignIn, { ipc, info: mockAppInfo, onSignedIn: (a: AccountSummary) => signedIn.push(a) });
    await fireEvent.input(document.querySelector("#signin-appKey")!, { target: { value: "demo-app" } });
    await fireEvent.input(document.querySelector("#signin-userId")!, { target: { value: "agent@x.io" } });
    await fireEvent.input(document.querySelector("#signin-password")!, { target: { value: "pw" } });
    await fireEvent.click(document.querySelector("#signin-submit")!);
    await vi.waitFor(() => expect(signedIn).toHaveLength(1));
    expect(signedIn[0]!.userId).toBe("agent@x.io");
    expect(ipc.calls.checkSignIn).toEqual([]);
    expect(ipc.calls.signIn).toHaveLength(1);
    // The password does not linger in the form after a successful sign-in.
    expect((document.querySelector("#signin-password") as HTMLInputElement).value).toBe("");
  });

  it("asks for a server address only for a custom server, and sends it", async () => {
    const ipc = createMockIpc();
    render(SignIn, { ipc, info: mockAppInfo });
    expect(document.querySelector("#signin-customUrl")).toBeNull();
    await fireEvent.change(document.querySelector("#signin-server")!, { target: { value: "custom" } });
    const url = document.querySelector("#signin-customUrl")!;
    await fireEvent.input(url, { target: { value: "https://chat.example.com" } });
    await fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(ipc.calls.signIn[0]?.server).toEqual({
      preset: "custom",
      customUrl: "https://chat.example.com",
      customBroker: null,
    });
  });

  it("renders hostile text from the backend as text, never as markup", async () => {
    const ipc = createMockIpc({
      signIn: () => ({
        status: "error",
        error: { code: "internal", message: '<img src=x onerror="window.__pwned=1">', field: null },
      }),
    });
    render(SignIn, { ipc, info: mockAppInfo });
    await fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    const alert = await screen.findByRole("alert");
    expect(alert.querySelector("img")).toBeNull();
    expect(alert.textContent).toContain("<img");
  });

  it("signs in to WhatsApp (WapiKit) with an address and an API key, the sandbox's by default", async () => {
    const ipc = createMockIpc();
    const signedIn: AccountSummary[] = [];
    render(SignIn, { ipc, info: mockAppInfo, onSignedIn: (a: AccountSummary) => signedIn.push(a) });
    await fireEvent.click(screen.getByLabelText("WhatsApp (WapiKit)"));
    // Kommunicate's fields are gone; WapiKit's address starts at the sandbox.
    expect(document.querySelector("#signin-appKey")).toBeNull();
    const url = document.querySelector<HTMLInputElement>("#signin-wapikitUrl")!;
    expect(url.value).toBe("http://127.0.0.1:18080/api");
    const key = document.querySelector<HTMLInputElement>("#signin-apiKey")!;
    expect(key.type).toBe("password");
    await fireEvent.input(key, { target: { value: "eyJhbGciOi.key" } });
    await fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(ipc.calls.signInWapikit).toEqual([{ url: "http://127.0.0.1:18080/api", keyLength: 14 }]);
    expect(ipc.calls.signIn).toEqual([]);
    expect(signedIn.map((a) => a.platform)).toEqual(["wapikit"]);
    expect(key.value).toBe("");
  });

  it("shows WapiKit's refusal of the key on the key field, focused", async () => {
    const ipc = createMockIpc({
      signInWapikit: () => ({
        status: "error",
        error: {
          code: "unauthorized",
          message: "WapiKit refused this API key. Create a new key in WapiKit and enter it again.",
          field: "apiKey",
        },
      }),
    });
    render(SignIn, { ipc, info: mockAppInfo });
    await fireEvent.click(screen.getByLabelText("WhatsApp (WapiKit)"));
    await fireEvent.input(document.querySelector("#signin-apiKey")!, { target: { value: "wrong" } });
    await fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    const err = await screen.findByText(/WapiKit refused this API key/);
    expect(err.id).toBe("signin-apiKey-error");
    const input = document.querySelector("#signin-apiKey")!;
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(document.activeElement).toBe(input);
  });
});
