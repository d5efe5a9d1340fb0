import { describe, expect, it } from "vitest";
import { highlight, isTyping, linkify, snippet } from "./text";
import { applyBatch, mergeMessages } from "./timeline";
import { parseRich } from "./rich";
import { sanitizeHtml } from "./sanitize";
import { fileSize, hueOf, initials, relativeTime, safeUrl } from "./format";
import { emptyBatch, message } from "./ipc/mock";
import { toAppError } from "./ipc/ipc";

describe("text helpers", () => {
  it("links only http, https, mailto and www addresses, without trailing punctuation", () => {
    expect(linkify("see https://a.example/x, mail mailto:me@x.io or www.b.example. not javascript:alert(1)")).toEqual([
      { kind: "text", text: "see " },
      { kind: "link", text: "https://a.example/x", href: "https://a.example/x" },
      { kind: "text", text: ", mail " },
      { kind: "link", text: "mailto:me@x.io", href: "mailto:me@x.io" },
      { kind: "text", text: " or " },
      { kind: "link", text: "www.b.example", href: "https://www.b.example/" },
      { kind: "text", text: ". not javascript:alert(1)" },
    ]);
  });

  it("splits text into highlighted parts for every term, case-insensitively", () => {
    expect(highlight("Invoice and REFUND", "refund invoice")).toEqual([
      { text: "Invoice", hit: true },
      { text: " and ", hit: false },
      { text: "REFUND", hit: true },
    ]);
    expect(highlight("a (b) c", "(b)")).toEqual([
      { text: "a (", hit: false },
      { text: "b", hit: true },
      { text: ") c", hit: false },
    ]);
    expect(highlight("text", "")).toEqual([{ text: "text", hit: false }]);
  });

  it("cuts a long message around the first hit", () => {
    const long = "x ".repeat(200) + "needle " + "y ".repeat(200);
    const s = snippet(long, "needle");
    expect(s).toContain("needle");
    expect(s.length).toBeLessThan(130);
  });

  it("knows when a key press comes from a text field", () => {
    const div = document.createElement("div");
    div.setAttribute("contenteditable", "true");
    const inner = document.createElement("span");
    div.append(inner);
    expect(isTyping(document.createElement("input"))).toBe(true);
    expect(isTyping(document.createElement("textarea"))).toBe(true);
    expect(isTyping(inner)).toBe(true);
    expect(isTyping(document.createElement("button"))).toBe(false);
    expect(isTyping(document.body)).toBe(false);
  });
});

describe("format helpers", () => {
  it("formats times, sizes, initials and stable colours", () => {
    const now = Date.UTC(2026, 0, 10, 12);
    expect(relativeTime(now - 10_000, now)).toBe("now");
    expect(relativeTime(now - 5 * 60_000, now)).toBe("5m");
    expect(relativeTime(now - 3 * 3_600_000, now)).toBe("3h");
    expect(fileSize(512)).toBe("512 B");
    expect(fileSize(2048)).toBe("2.0 KB");
    expect(initials("Alice Martin")).toBe("AM");
    expect(initials("bob@example.com")).toBe("BO");
    expect(hueOf("alice")).toBe(hueOf("alice"));
    expect(safeUrl("javascript:alert(1)")).toBeNull();
    expect(safeUrl("mailto:a@b.c", false)).toBeNull();
    expect(safeUrl(" https://x.example ")).toBe("https://x.example/");
  });

  it("turns string rejections into internal AppErrors", () => {
    expect(toAppError("boom")).toEqual({ code: "internal", message: "boom", field: null });
    expect(toAppError({ code: "storage", message: "disk" })).toEqual({ code: "storage", message: "disk", field: null });
  });
});

describe("batch merge", () => {
  const m = (key: string, at: number, over = {}) => message({ key, conversationId: "c", createdAt: at, ...over });

  it("rekeys the queued echo in place", () => {
    const list = [m("a", 1), m("local", 2, { clientKey: "local", state: "queued" })];
    const out = applyBatch(list, "c", emptyBatch({ rekeyed: [["local", "srv"]] }));
    expect(out.map((x) => x.key)).toEqual(["a", "srv"]);
  });

  it("drops the echo when the server copy is already there", () => {
    const list = [m("a", 1), m("local", 2, { clientKey: "local" }), m("srv", 2, { clientKey: "local" })];
    const out = applyBatch(list, "c", emptyBatch({ rekeyed: [["local", "srv"]] }));
    expect(out.map((x) => x.key)).toEqual(["a", "srv"]);
  });

  it("replaces the echo by a server copy carrying its client key", () => {
    const list = [m("local", 2, { clientKey: "local" })];
    const out = applyBatch(list, "c", emptyBatch({ messages: [m("srv", 2, { clientKey: "local", state: "sent" })] }));
    expect(out.map((x) => [x.key, x.state])).toEqual([["srv", "sent"]]);
  });

  it("shows a reply once when its echo and its server copy come in one batch", () => {
    const list = [m("a", 1)];
    const out = applyBatch(
      list,
      "c",
      emptyBatch({
        messages: [m("local", 2, { clientKey: "local", state: "queued" }), m("srv", 2, { clientKey: "local", state: "sent" })],
      }),
    );
    expect(out.map((x) => [x.key, x.state])).toEqual([
      ["a", list[0]!.state],
      ["srv", "sent"],
    ]);
  });

  it("updates by key, keeps time order, ignores other conversations, applies removals", () => {
    const list = [m("a", 1), m("b", 3)];
    const out = applyBatch(
      list,
      "c",
      emptyBatch({
        messages: [m("a", 1, { text: "edited" }), m("mid", 2), message({ key: "x", conversationId: "other" })],
        removed: [["c", "b"], ["other", "a"]],
      }),
    );
    expect(out.map((x) => x.key)).toEqual(["a", "mid"]);
    expect(out[0]!.text).toBe("edited");
  });

  it("puts an older page in front and new messages after, each in time order", () => {
    const list = [m("c", 10), m("d", 11)];
    const withOlder = mergeMessages(list, [m("b", 5), m("a", 4)]);
    expect(withOlder.map((x) => x.key)).toEqual(["a", "b", "c", "d"]);
    expect(withOlder[2]).toBe(list[0]);
    expect(mergeMessages(withOlder, [m("f", 13), m("e", 12)]).map((x) => x.key)).toEqual(["a", "b", "c", "d", "e", "f"]);
  });

  it("merges a page that overlaps or interleaves by key, the last copy of a key winning", () => {
    const list = [m("a", 1), m("c", 3)];
    const out = mergeMessages(list, [m("b", 2), m("c", 3, { text: "first" }), m("c", 3, { text: "second" }), m("z", 0)]);
    expect(out.map((x) => x.key)).toEqual(["z", "a", "b", "c"]);
    expect(out[3]!.text).toBe("second");
    expect(mergeMessages(list, [m("x", 0), m("x", 0, { text: "again" })]).map((x) => [x.key, x.text])).toEqual([
      ["x", "again"],
      ["a", list[0]!.text],
      ["c", list[1]!.text],
    ]);
  });
});

describe("rich messages", () => {
  const rich = (templateId: string, payload: unknown) =>
    parseRich({ contentType: "300", templateId, payload: typeof payload === "string" ? payload : JSON.stringify(payload) });

  it("parses suggested replies, buttons, cards and lists", () => {
    expect(rich("6", [{ title: "Yes", message: "yes!" }])).toEqual({ kind: "replies", items: [{ label: "Yes", url: null, reply: "yes!" }] });
    expect(rich("3", [{ type: "link", name: "Docs", url: "https://d.example" }])).toEqual({
      kind: "buttons",
      items: [{ label: "Docs", url: "https://d.example/", reply: null }],
    });
    const cards = rich("10", [{ title: "T", subtitle: "S", header: { imgSrc: "javascript:x" } }]);
    expect(cards).toMatchObject({ kind: "cards", cards: [{ title: "T", subtitle: "S", image: null }] });
    expect(rich("7", { headerText: "H", elements: [{ title: "E" }] })).toMatchObject({ kind: "list", header: "H", items: [{ title: "E" }] });
  });

  it("returns null for anything it cannot understand", () => {
    expect(rich("6", "{broken")).toBeNull();
    expect(rich("6", [])).toBeNull();
    expect(rich("10", { not: "an array" })).toBeNull();
    expect(rich("7", [1, 2])).toBeNull();
    expect(rich("42", [])).toBeNull();
    expect(parseRich({ contentType: "0" })).toBeNull();
    expect(parseRich({})).toBeNull();
  });
});

describe("HTML sanitizer", () => {
  it("keeps formatting and safe links, strips everything active", () => {
    const out = sanitizeHtml(
      '<p onclick="x()">Hi <a href="mailto:a@b.c">mail</a> <a href="vbscript:x">vb</a> <a href="data:text/html,x">d</a></p><img src="http://i.example/a.png" onerror="x()"><script>x()</script>',
    );
    const div = document.createElement("div");
    div.innerHTML = out;
    expect(div.querySelector("p")?.hasAttribute("onclick")).toBe(false);
    expect([...div.querySelectorAll("a[href]")].map((a) => a.getAttribute("href"))).toEqual(["mailto:a@b.c"]);
    expect(div.querySelector("a[href]")?.getAttribute("rel")).toBe("noopener noreferrer");
    // Web images are never fetched by the webview: the address waits for a click.
    expect(div.querySelector("img")?.hasAttribute("src")).toBe(false);
    expect(div.querySelector("img")?.getAttribute("data-remote-src")).toBe("http://i.example/a.png");
    expect(div.querySelector("img")?.hasAttribute("onerror")).toBe(false);
    expect(div.querySelector("script")).toBeNull();
  });
});

describe("web images in HTML messages", () => {
  it("load through the shell only when the agent clicks them", async () => {
    const { externalLinks } = await import("./actions");
    const { createMockIpc } = await import("./ipc/mock");
    const { sanitizeHtml } = await import("./sanitize");
    const png = "data:image/png;base64,iVBORw0KGgo=";
    const ipc = createMockIpc({ previews: { "https://cdn.example/p.png": png } });
    const div = document.createElement("div");
    div.innerHTML = sanitizeHtml('<p>Invoice <img src="https://cdn.example/p.png"></p>');
    document.body.appendChild(div);
    const action = externalLinks(div, ipc);
    const img = div.querySelector("img")!;
    expect(img.hasAttribute("src")).toBe(false);
    expect(img.getAttribute("role")).toBe("button");
    expect(img.title).toBe("Show image from cdn.example");
    expect(ipc.calls.people).toEqual([]);
    img.click();
    await new Promise((r) => setTimeout(r, 0));
    expect(ipc.calls.people).toEqual([["remoteImage", "https://cdn.example/p.png"]]);
    expect(img.getAttribute("src")).toBe(png);
    action.destroy();
    div.remove();
  });
});
