// The E2E hostile corpus (tests/e2e/hostile-corpus.mjs) through the UI's own defences, fast:
// what the real window must show inert, checked here for every payload and every placement
// the pure helpers handle.
import { describe, expect, it } from "vitest";
import { corpus, hostileUrls } from "../../../tests/e2e/hostile-corpus.mjs";
import { sanitizeHtml } from "./sanitize";
import { parseRich } from "./rich";
import { linkify } from "./text";
import { safeUrl } from "./format";

const SCRIPTY = new Set([
  "script", "iframe", "frame", "object", "embed", "style", "link", "meta", "base", "form", "input", "button", "textarea",
  "select", "template", "noscript", "svg", "math", "foreignobject", "animate", "set", "portal", "video", "audio", "source",
]);

/** Everything in sanitized HTML that could run script or load something other than http(s). */
function problems(html: string): string[] {
  const t = document.createElement("template");
  t.innerHTML = html;
  const out: string[] = [];
  for (const n of t.content.querySelectorAll("*")) {
    if (SCRIPTY.has(n.localName)) out.push(`<${n.localName}>`);
    for (const a of n.attributes) {
      const name = a.name.toLowerCase();
      if (name.startsWith("on") || ["style", "srcdoc", "action", "formaction", "xlink:href", "srcset"].includes(name)) out.push(`[${name}]`);
      if (name === "href" && !/^(https?:|mailto:)/i.test(a.value)) out.push(`[href=${a.value.slice(0, 30)}]`);
      if (name === "src" && !/^https?:/i.test(a.value)) out.push(`[src=${a.value.slice(0, 30)}]`);
    }
  }
  return out;
}

// jsdom, unlike a browser, has no cap on tree depth: 9 000 nested <div>s overflow its
// serializer's stack. The real window renders that payload in the E2E test.
const payloads = corpus.filter((c) => !c.id.endsWith("-long-nested-divs")).map((c) => c.payload);

const isSafe = (u: string | null) => u === null || /^(https?:|mailto:)/.test(u);

describe("hostile corpus", () => {
  it("has at least 50 payloads, each with a class and a canary", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(50);
    for (const p of corpus) expect(p.cls).not.toBe("");
  });

  it("sanitized HTML of every payload keeps no script-capable markup, handler or unsafe URL", () => {
    const found: Record<string, string[]> = {};
    for (const p of [...payloads, ...hostileUrls.map((u) => `<a href="${u.url}">x</a><img src="${u.url}">`)]) {
      const bad = problems(sanitizeHtml(p));
      if (bad.length) found[p.slice(0, 60)] = bad;
    }
    expect(found).toEqual({});
  });

  it("sanitized HTML stays clean when parsed, serialized and parsed again (no mutation XSS)", () => {
    for (const p of payloads) {
      const t = document.createElement("template");
      t.innerHTML = sanitizeHtml(p);
      expect(problems(t.innerHTML)).toEqual([]);
      expect(problems(sanitizeHtml(t.innerHTML))).toEqual([]);
    }
  });

  it("links in plain text are only ever http, https or mailto", () => {
    for (const p of [...corpus.map((c) => c.payload), ...hostileUrls.map((u) => `see ${u.url}`)]) {
      for (const s of linkify(p)) if (s.kind === "link") expect(s.href).toMatch(/^(https?:|mailto:)/);
    }
  });

  it("rich messages never carry a hostile URL into a button, link or image", () => {
    for (const u of hostileUrls) {
      expect(safeUrl(u.url)).toBeNull();
      const p = corpus[0]!.payload;
      const metas = [
        { templateId: "3", payload: [{ type: "link", url: u.url, name: p }, { name: p, action: { payload: { url: u.url } } }] },
        { templateId: "6", payload: [{ title: p, message: p }] },
        { templateId: "10", payload: [{ title: p, description: p, header: { imgSrc: u.url }, buttons: [{ name: p, action: { payload: { url: u.url } } }] }] },
        {
          templateId: "7",
          payload: { headerText: p, headerImgSrc: u.url, elements: [{ title: p, imgSrc: u.url, action: { url: u.url } }], buttons: [{ name: p, url: u.url }] },
        },
      ];
      for (const m of metas) {
        const rich = parseRich({ contentType: "300", templateId: m.templateId, payload: JSON.stringify(m.payload) });
        expect(rich).not.toBeNull();
        const urls = JSON.stringify(rich).match(/"(url|image)":("[^"]*"|null)/g) ?? [];
        for (const kv of urls) expect(isSafe(JSON.parse(kv.slice(kv.indexOf(":") + 1)))).toBe(true);
      }
    }
  });
});
