import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import Composer from "./Composer.svelte";
import MessageItem from "../conversation/MessageItem.svelte";
import { account, type MockIpc } from "../lib/ipc/mock";
import type { Message } from "../lib/ipc/ipc";
import { scenario } from "../test-fixtures";
import { corpus, hostileUrls } from "../../../tests/e2e/hostile-corpus.mjs";

function setup(ipc: MockIpc = scenario()) {
  render(Composer, { ipc, account: account(), conversationId: "g:1", conversationTitle: "Plans" });
  return ipc;
}

async function openRich() {
  await fireEvent.click(screen.getByRole("button", { name: "Rich message (suggested replies, buttons, cards, list)" }));
  const dialog = document.querySelector<HTMLDialogElement>("#rich-composer")!;
  expect(dialog.open).toBe(true);
  return dialog;
}

const field = (id: string) => {
  const el = document.querySelector<HTMLInputElement | HTMLTextAreaElement>(`#${id}`);
  if (!el) throw new Error(`no #${id}`);
  return el;
};
const fill = (id: string, value: string) => fireEvent.input(field(id), { target: { value } });
const choose = (id: string, value: string) => fireEvent.change(field(id), { target: { value } });
const kind = (k: string) => fireEvent.click(field(`rich-kind-${k}`));
const richCalls = (ipc: MockIpc) => ipc.calls.people.filter((c) => c[0] === "sendRich") as [string, string, string, number, Record<string, string>][];

/** The markup a rich part renders, without Svelte's anchor comments. */
const markup = (el: Element) => el.innerHTML.replace(/<!--[^]*?-->/g, "").trim();

async function fillCard() {
  await kind("cards");
  await fill("rich-text", "Our plans");
  await fill("rich-cards-0-title", "Growth");
  await fill("rich-cards-0-subtitle", "$49/month");
  await fill("rich-cards-0-description", "Up to 20 seats");
  await fill("rich-cards-0-image", "https://img.example.com/growth.png");
  await fireEvent.click(field("rich-cards-0-add-button"));
  await fill("rich-cards-0-buttons-0-label", "Upgrade");
  await fill("rich-cards-0-buttons-0-url", "https://example.com/upgrade");
  await fireEvent.click(field("rich-cards-0-add-button"));
  await choose("rich-cards-0-buttons-1-kind", "reply");
  await fill("rich-cards-0-buttons-1-label", "Call me");
  await fill("rich-cards-0-buttons-1-reply", "Please call me back");
}

describe("rich composer", () => {
  it("sends a card as contentType 300 / templateId 10 with the payload as a JSON string, and closes", async () => {
    const ipc = setup();
    const dialog = await openRich();
    await fillCard();
    await fireEvent.click(field("rich-send"));
    await vi.waitFor(() => expect(richCalls(ipc)).toHaveLength(1));
    const [, conversationId, text, contentType, meta] = richCalls(ipc)[0]!;
    expect([conversationId, text, contentType]).toEqual(["g:1", "Our plans", 0]);
    expect(meta).toMatchObject({ contentType: "300", templateId: "10", skipBot: "true" });
    expect(JSON.parse(meta.payload!)).toEqual([
      {
        title: "Growth",
        subtitle: "$49/month",
        description: "Up to 20 seats",
        header: { imgSrc: "https://img.example.com/growth.png" },
        buttons: [
          { name: "Upgrade", action: { type: "link", payload: { url: "https://example.com/upgrade" } } },
          { name: "Call me", action: { type: "quickReply", payload: { title: "Call me", message: "Please call me back" } } },
        ],
      },
    ]);
    await vi.waitFor(() => expect(dialog.isConnected).toBe(false));
  });

  it("sends suggested replies (templateId 6) with the hidden flag chosen in the composer", async () => {
    const ipc = setup();
    await fireEvent.click(document.querySelector("#hidden-toggle")!);
    await openRich();
    await fill("rich-text", "Anything else?");
    await fill("rich-replies-0-label", "Yes");
    await fill("rich-replies-0-reply", "Yes, one more thing");
    await fireEvent.click(field("rich-add-reply"));
    await fill("rich-replies-1-label", "No");
    await fireEvent.click(field("rich-send"));
    await vi.waitFor(() => expect(richCalls(ipc)).toHaveLength(1));
    const meta = richCalls(ipc)[0]![4];
    expect(meta).toMatchObject({ contentType: "300", templateId: "6", category: "HIDDEN" });
    expect(JSON.parse(meta.payload!)).toEqual([
      { title: "Yes", message: "Yes, one more thing" },
      { title: "No", message: "No" },
    ]);
  });

  it("the preview is exactly what the timeline renders for the sent message", async () => {
    const ipc = setup();
    await openRich();
    await fillCard();
    const preview = markup(document.querySelector("#rich-preview .rich-preview")!);
    expect(preview).toContain("Growth");
    await fireEvent.click(field("rich-send"));
    await vi.waitFor(() => expect(ipc.state.messages["g:1"]!.at(-1)?.text).toBe("Our plans"));
    const sent: Message = ipc.state.messages["g:1"]!.at(-1)!;
    const { container } = render(MessageItem, { message: sent, name: "Ada", showHeader: false, ipc, accountId: "acc-1", onReply: () => {} });
    const bubble = container.querySelector(".bubble")!.cloneNode(true) as HTMLElement;
    expect(bubble.querySelector("p.text")?.textContent).toBe("Our plans");
    bubble.querySelector("p.text")!.remove();
    expect(markup(bubble)).toBe(preview);
  });

  it("the preview follows each kind as it is typed: list items, buttons", async () => {
    setup();
    await openRich();
    await kind("list");
    await fill("rich-list-header", "Help topics");
    await fill("rich-list-items-0-title", "Orders");
    await choose("rich-list-items-0-kind", "link");
    await fill("rich-list-items-0-url", "https://example.com/orders");
    const list = document.querySelector("#rich-preview .list")!;
    expect(list.querySelector(".title")?.textContent).toBe("Help topics");
    expect(list.querySelector("li a")?.getAttribute("href")).toBe("https://example.com/orders");
    await kind("buttons");
    await fill("rich-buttons-0-label", "Docs");
    await fill("rich-buttons-0-url", "https://docs.example.com");
    const button = document.querySelector("#rich-preview a.rich-button")!;
    expect(button.textContent).toContain("Docs");
    expect(button.getAttribute("href")).toBe("https://docs.example.com/");
  });

  it("refuses a link that is not http(s) inline, and sends nothing", async () => {
    const ipc = setup();
    await openRich();
    await kind("buttons");
    await fill("rich-text", "Docs");
    await fill("rich-buttons-0-label", "Docs");
    await fill("rich-buttons-0-url", "javascript:alert(1)");
    // A wrong link shows at once, before any send attempt.
    expect(field("rich-buttons-0-url").getAttribute("aria-invalid")).toBe("true");
    expect(document.querySelector("#rich-buttons-0-url-error")?.textContent).toBe("Only http:// and https:// links.");
    expect(document.querySelector("#rich-preview a[href^='javascript']")).toBeNull();
    await fireEvent.click(field("rich-send"));
    expect(await screen.findByText("Fix the field marked above.")).toBeTruthy();
    expect(richCalls(ipc)).toEqual([]);
    expect(document.querySelector<HTMLDialogElement>("#rich-composer")!.open).toBe(true);
  });

  it("shows required fields only after a send attempt", async () => {
    setup();
    await openRich();
    expect(document.querySelector("#rich-text-error")).toBeNull();
    await fireEvent.click(field("rich-send"));
    expect(document.querySelector("#rich-text-error")?.textContent).toBe("Required.");
    expect(document.querySelector("#rich-replies-0-label-error")?.textContent).toBe("Required.");
    await fill("rich-text", "Hi");
    expect(document.querySelector("#rich-text-error")).toBeNull();
  });

  it("a send error stays in the dialog with everything typed", async () => {
    const ipc = setup(scenario({ failPeople: { sendRich: { code: "invalid_input", message: "A rich message needs a payload.", field: "payload" } } }));
    await openRich();
    await fill("rich-text", "Q");
    await fill("rich-replies-0-label", "Yes");
    await fireEvent.click(field("rich-send"));
    expect(await screen.findByText("A rich message needs a payload.")).toBeTruthy();
    expect(field("rich-replies-0-label").value).toBe("Yes");
    expect(richCalls(ipc)).toHaveLength(1);
  });
});

describe("hostile input in the rich composer", () => {
  // Script-capable payloads from the E2E corpus, in every text field; hostile URLs in every link field.
  const payloads = corpus.filter((c) => !c.id.endsWith("-long-nested-divs")).slice(0, 12).map((c) => c.payload);

  /** Everything in the preview that could run script or load something that is not http(s). */
  function problems(root: Element): string[] {
    const out: string[] = [];
    for (const n of root.querySelectorAll("*")) {
      if (["script", "iframe", "object", "embed", "style", "svg", "math", "form", "base", "meta", "link"].includes(n.localName)) out.push(`<${n.localName}>`);
      for (const a of n.attributes) {
        const name = a.name.toLowerCase();
        if (name.startsWith("on") || name === "style" || name === "srcdoc") out.push(`[${name}]`);
        if ((name === "href" || name === "src") && !/^https?:/i.test(a.value)) out.push(`[${name}=${a.value.slice(0, 30)}]`);
      }
    }
    return out;
  }

  it("renders every field's markup as text and never carries a hostile link into the preview", async () => {
    setup();
    await openRich();
    for (const [i, p] of payloads.entries()) {
      const url = hostileUrls[i % hostileUrls.length]!.url;
      await kind("cards");
      for (const id of ["rich-text", "rich-cards-0-title", "rich-cards-0-subtitle", "rich-cards-0-description"]) await fill(id, p);
      await fill("rich-cards-0-image", url);
      if (!document.querySelector("#rich-cards-0-buttons-0-label")) await fireEvent.click(field("rich-cards-0-add-button"));
      await fill("rich-cards-0-buttons-0-label", p.slice(0, 40));
      await fill("rich-cards-0-buttons-0-url", url);
      const preview = document.querySelector("#rich-preview")!;
      expect(problems(preview), p).toEqual([]);
      expect(preview.querySelector("p.text")?.textContent).toBe(p.trim());

      await kind("list");
      for (const id of ["rich-list-header", "rich-list-items-0-title", "rich-list-items-0-description"]) await fill(id, p.slice(0, 40));
      await fill("rich-list-image", url);
      await choose("rich-list-items-0-kind", "link");
      await fill("rich-list-items-0-url", url);
      expect(problems(preview), p).toEqual([]);

      await kind("replies");
      await fill("rich-replies-0-label", p.slice(0, 40));
      await fill("rich-replies-0-reply", p);
      expect(problems(preview), p).toEqual([]);
      expect(preview.querySelector(".pill")?.getAttribute("title")).toBe(`Send “${p.trim()}”`);
    }
  }, 60_000);
});
