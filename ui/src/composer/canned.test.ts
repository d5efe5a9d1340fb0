import { beforeEach, describe, expect, it } from "vitest";
import type { CannedResponse } from "../lib/ipc/ipc";
import { checkCanned, fillVariables, filterCanned, slashToken, splice, unknownVariables } from "./canned";
import { EMOJI, loadRecent, rememberEmoji, searchEmoji } from "./emoji";
import { extraMetadata } from "./metadata";

const cr = (shortcut: string, text: string): CannedResponse => ({ id: `id-${shortcut}`, shortcut, text, updatedAt: 0 });

describe("canned response variables", () => {
  const values = { "customer.name": "Alice Martin", "customer.email": null, "agent.name": "Ada", "conversation.title": "Invoice" };

  it("fills the known variables from the conversation, spaces inside the braces allowed", () => {
    const f = fillVariables("Hi {{customer.name}}, I'm {{ agent.name }} about “{{conversation.title}}”.", values);
    expect(f).toEqual({ text: "Hi Alice Martin, I'm Ada about “Invoice”.", unknown: [], missing: [] });
  });

  it("leaves unknown variables and ones without a value as typed, and reports them", () => {
    const f = fillVariables("Dear {{customer.nam}}, we wrote to {{customer.email}} ({{customer.name}})", values);
    expect(f.text).toBe("Dear {{customer.nam}}, we wrote to {{customer.email}} (Alice Martin)");
    expect(f.unknown).toEqual(["customer.nam"]);
    expect(f.missing).toEqual(["customer.email"]);
    expect(unknownVariables("{{a}} {{agent.name}} {{a}} {{b.c}}")).toEqual(["a", "b.c"]);
  });

  it("does not treat a value as a template (a customer named {{agent.name}} stays so)", () => {
    const f = fillVariables("{{customer.name}}", { ...values, "customer.name": "{{agent.name}}" });
    expect(f.text).toBe("{{agent.name}}");
  });
});

describe("the slash menu", () => {
  it("opens for /word at the start or after whitespace, up to the caret", () => {
    expect(slashToken("/ref", 4)).toEqual({ start: 0, end: 4, query: "ref" });
    expect(slashToken("Thanks! /ref", 12)).toEqual({ start: 8, end: 12, query: "ref" });
    expect(slashToken("line\n/", 6)).toEqual({ start: 5, end: 6, query: "" });
    expect(slashToken("and/or", 6)).toBeNull();
    expect(slashToken("https://x", 9)).toBeNull();
    expect(slashToken("/ref more", 9)).toBeNull();
    expect(slashToken("/ref more", 4)).toEqual({ start: 0, end: 4, query: "ref" });
  });

  it("filters by shortcut prefix first, then shortcut or text containing the word", () => {
    const list = [cr("thanks", "Thank you!"), cr("refund", "Your refund is on its way"), cr("prefs", "Settings"), cr("bye", "Have a nice day")];
    expect(filterCanned(list, "ref").map((c) => c.shortcut)).toEqual(["refund", "prefs"]);
    expect(filterCanned(list, "REFUND").map((c) => c.shortcut)).toEqual(["refund"]);
    expect(filterCanned(list, "nice").map((c) => c.shortcut)).toEqual(["bye"]);
    expect(filterCanned(list, "").map((c) => c.shortcut)).toEqual(["bye", "prefs", "refund", "thanks"]);
    expect(filterCanned(list, "zzz")).toEqual([]);
  });

  it("splices text at a range and puts the caret after it", () => {
    expect(splice("Hi /ty there", 3, 6, "Thank you")).toEqual({ text: "Hi Thank you there", caret: 12 });
  });

  it("checks shortcuts and texts as the store does", () => {
    expect(checkCanned("/refund-2", "x")).toEqual({});
    expect(checkCanned("", "x")).toEqual({ shortcut: "shortcutRequired" });
    expect(checkCanned("two words", " ")).toEqual({ shortcut: "shortcutInvalid", text: "textRequired" });
    expect(checkCanned("a".repeat(33), "x".repeat(5001))).toEqual({ shortcut: "shortcutInvalid", text: "textTooLong" });
  });
});

describe("emoji", () => {
  beforeEach(() => localStorage.clear());

  it("has a few hundred named emoji and finds them by word starts", () => {
    expect(EMOJI.length).toBeGreaterThan(300);
    expect(new Set(EMOJI.map((e) => e.char)).size).toBe(EMOJI.length);
    expect(searchEmoji("thumbs up").map((e) => e.char)).toEqual(["👍"]);
    expect(searchEmoji("heart").map((e) => e.char)).toContain("❤️");
    expect(searchEmoji("tea").map((e) => e.char)).toContain("😂");
    expect(searchEmoji("qqqq")).toEqual([]);
  });

  it("remembers recent ones newest first, without duplicates, ignoring junk in storage", () => {
    rememberEmoji("👍");
    rememberEmoji("🎉");
    expect(rememberEmoji("👍").map((e) => e.char)).toEqual(["👍", "🎉"]);
    localStorage.setItem("parley.emoji.recent", '["<script>", 42, "🎉"]');
    expect(loadRecent().map((e) => e.char)).toEqual(["🎉"]);
    localStorage.setItem("parley.emoji.recent", "{not json");
    expect(loadRecent()).toEqual([]);
  });
});

describe("message metadata rows", () => {
  it("sends the agent's keys, adds category HIDDEN for a hidden note and skips blank rows", () => {
    expect(extraMetadata([{ key: " ticket ", value: "T-42" }, { key: "", value: "" }], true)).toEqual({
      metadata: { ticket: "T-42", category: "HIDDEN" },
      errors: {},
    });
  });

  it("refuses reserved, duplicate and empty keys, row by row", () => {
    const r = extraMetadata(
      [
        { key: "contentType", value: "300" },
        { key: "a", value: "1" },
        { key: "a", value: "2" },
        { key: "", value: "orphan" },
        { key: "km_status", value: "closed" },
        { key: "constructor", value: "ok" },
      ],
      false,
    );
    expect(r.metadata).toBeNull();
    expect(Object.keys(r.errors).map(Number)).toEqual([0, 2, 3, 4]);
  });
});
