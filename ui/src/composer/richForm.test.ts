import { describe, expect, it } from "vitest";
import { parseRich } from "../lib/rich";
import { LIMITS, buildRich, emptyAction, emptyDraft, type ActionDraft, type RichDraft } from "./richForm";

const act = (over: Partial<ActionDraft>): ActionDraft => ({ ...emptyAction(), ...over });
const draft = (over: Partial<RichDraft>): RichDraft => ({ ...emptyDraft(over.kind), text: "Pick one", ...over });
const payloadOf = (d: RichDraft) => {
  const b = buildRich(d);
  expect(b.errors).toEqual({});
  return { meta: b.metadata!, payload: JSON.parse(b.metadata!.payload!) as unknown };
};

describe("rich form builds the platform's metadata", () => {
  it("suggested replies: templateId 6, payload a JSON string of {title, message} (message defaults to the title)", () => {
    const { meta, payload } = payloadOf(
      draft({ kind: "replies", replies: [act({ label: "Yes", reply: "Cool! send me more." }), act({ label: "No" })] }),
    );
    expect(meta).toMatchObject({ contentType: "300", templateId: "6", skipBot: "true" });
    expect(typeof meta.payload).toBe("string");
    expect(payload).toEqual([
      { title: "Yes", message: "Cool! send me more." },
      { title: "No", message: "No" },
    ]);
  });

  it("buttons: templateId 3 with link buttons {type: link, name, url} and submit buttons that send replyText", () => {
    const { meta, payload } = payloadOf(
      draft({
        kind: "buttons",
        buttons: [act({ label: "Go to docs", kind: "link", url: " https://docs.example.com/help " }), act({ label: "Talk to sales", kind: "reply", reply: "I want sales" })],
      }),
    );
    expect(meta.templateId).toBe("3");
    expect(payload).toEqual([
      { type: "link", name: "Go to docs", url: "https://docs.example.com/help" },
      { type: "submit", name: "Talk to sales", replyText: "I want sales" },
    ]);
  });

  it("cards: templateId 10, header.imgSrc, and buttons with link or quickReply actions", () => {
    const { meta, payload } = payloadOf(
      draft({
        kind: "cards",
        cards: [
          {
            title: "Growth",
            subtitle: "$49/month",
            description: "Up to 20 seats",
            image: "https://img.example.com/growth.png",
            buttons: [act({ label: "Upgrade", kind: "link", url: "https://example.com/upgrade" }), act({ label: "Tell me more", kind: "reply" })],
          },
          { title: "Basic", subtitle: "", description: "", image: "", buttons: [] },
        ],
      }),
    );
    expect(meta.templateId).toBe("10");
    expect(payload).toEqual([
      {
        title: "Growth",
        subtitle: "$49/month",
        description: "Up to 20 seats",
        header: { imgSrc: "https://img.example.com/growth.png" },
        buttons: [
          { name: "Upgrade", action: { type: "link", payload: { url: "https://example.com/upgrade" } } },
          { name: "Tell me more", action: { type: "quickReply", payload: { title: "Tell me more", message: "Tell me more" } } },
        ],
      },
      { title: "Basic", subtitle: "", description: "", buttons: [] },
    ]);
  });

  it("list: templateId 7, an object with headerText, elements with actions, and buttons", () => {
    const { meta, payload } = payloadOf(
      draft({
        kind: "list",
        list: {
          header: "Help topics",
          image: "",
          items: [
            { title: "Orders", description: "Track or cancel", image: "", kind: "reply", url: "", reply: "Orders please" },
            { title: "Docs", description: "", image: "https://img.example.com/d.png", kind: "link", url: "https://docs.example.com", reply: "" },
            { title: "Plain", description: "", image: "", kind: "none", url: "", reply: "" },
          ],
          buttons: [act({ label: "See all", kind: "link", url: "https://example.com/help" })],
        },
      }),
    );
    expect(meta.templateId).toBe("7");
    expect(payload).toEqual({
      headerText: "Help topics",
      elements: [
        { title: "Orders", description: "Track or cancel", action: { type: "quick_reply", text: "Orders please" } },
        { title: "Docs", description: "", imgSrc: "https://img.example.com/d.png", action: { type: "link", url: "https://docs.example.com/" } },
        { title: "Plain", description: "" },
      ],
      buttons: [{ name: "See all", action: { type: "link", url: "https://example.com/help" } }],
    });
  });

  it("what it builds reads back through the timeline's parser as the same content", () => {
    const d = draft({
      kind: "list",
      list: {
        header: "Topics",
        image: "",
        items: [{ title: "Orders", description: "d", image: "", kind: "reply", url: "", reply: "Orders please" }],
        buttons: [act({ label: "Help", kind: "link", url: "https://example.com/h" }), act({ label: "Agent", kind: "reply", reply: "Agent please" })],
      },
    });
    expect(parseRich(buildRich(d).metadata)).toEqual({
      kind: "list",
      header: "Topics",
      image: null,
      items: [{ title: "Orders", description: "d", image: null, action: { label: "Orders", url: null, reply: "Orders please" } }],
      buttons: [
        { label: "Help", url: "https://example.com/h", reply: null },
        { label: "Agent", url: null, reply: "Agent please" },
      ],
    });
    const b = draft({ kind: "buttons", buttons: [act({ label: "Sales", kind: "reply", reply: "I want sales" })] });
    expect(parseRich(buildRich(b).metadata)).toEqual({ kind: "buttons", items: [{ label: "Sales", url: null, reply: "I want sales" }] });
  });
});

describe("rich form validation", () => {
  it("refuses links that are not http(s), on every URL field, without building metadata", () => {
    for (const bad of ["javascript:alert(1)", "ftp://example.com/x", "data:text/html,<b>x</b>", "example.com", "http:/x", "mailto:a@b.c"]) {
      const b = buildRich(
        draft({
          kind: "cards",
          cards: [{ title: "T", subtitle: "", description: "", image: bad, buttons: [act({ label: "Go", kind: "link", url: bad })] }],
        }),
      );
      expect(b.metadata, bad).toBeNull();
      expect(b.errors["cards.0.image"]).toEqual({ text: "Only http:// and https:// links.", required: false });
      expect(b.errors["cards.0.buttons.0.url"]?.required).toBe(false);
    }
  });

  it("requires the message text, labels and titles, marking them as 'required' errors", () => {
    const b = buildRich({ ...emptyDraft("cards"), text: " " });
    expect(b.metadata).toBeNull();
    expect(Object.keys(b.errors).sort()).toEqual(["cards.0.title", "text"]);
    expect(b.errors.text).toEqual({ text: "Required.", required: true });
    const r = buildRich(draft({ kind: "replies", replies: [] }));
    expect(r.errors.replies?.text).toBe("Add at least one.");
    const link = buildRich(draft({ kind: "buttons", buttons: [act({ label: "Go", kind: "link" })] }));
    expect(link.errors["buttons.0.url"]).toEqual({ text: "Give the link.", required: true });
  });

  it("limits label length, counts and the payload size the platform keeps", () => {
    const long = buildRich(draft({ kind: "replies", replies: [act({ label: "x".repeat(LIMITS.label + 1) })] }));
    expect(long.errors["replies.0.label"]?.text).toBe(`At most ${LIMITS.label} characters.`);
    const many = buildRich(draft({ kind: "replies", replies: Array.from({ length: LIMITS.items + 1 }, (_, i) => act({ label: `r${i}` })) }));
    expect(many.errors.replies?.text).toBe(`At most ${LIMITS.items}.`);
    const cards = Array.from({ length: 8 }, (_, i) => ({
      title: `Card ${i}`,
      subtitle: "s".repeat(60),
      description: "d".repeat(250),
      image: "",
      buttons: [],
    }));
    const big = buildRich(draft({ kind: "cards", cards }));
    expect(big.metadata).toBeNull();
    expect(big.errors.payload?.text).toContain("at most 2000 characters");
  });
});
