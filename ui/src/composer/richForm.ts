// The rich composer's form model: what the agent fills in, checked, turned into the platform's
// rich message metadata (Kommunicate "actionable messages"): `contentType` "300", a
// `templateId` and a `payload` that is a JSON *string*. The shapes follow the Kommunicate docs
// (and `lib/rich.ts`, which reads them back for the timeline):
//   6  suggested replies  [{title, message}]
//   3  buttons            [{type: "link", name, url} | {type: "submit", name, replyText}]
//   10 cards              [{title, subtitle, description, header: {imgSrc}, buttons: [{name, action}]}]
//                          action: {type: "link", payload: {url}} | {type: "quickReply", payload: {title, message}}
//   7  list               {headerText, headerImgSrc, elements: [{title, description, imgSrc, action}],
//                          buttons: [{name, action}]}; action: {type: "link", url} | {type: "quick_reply", text}
import { safeUrl } from "../lib/format";
import { t } from "../lib/i18n";

export type RichKind = "replies" | "buttons" | "cards" | "list";
/** What a button (or list item) does: open a web page, send a reply, or nothing (list items). */
export type ActionKind = "link" | "reply" | "none";
export type ActionDraft = { label: string; kind: ActionKind; url: string; reply: string };
export type CardDraft = { title: string; subtitle: string; description: string; image: string; buttons: ActionDraft[] };
export type ListItemDraft = { title: string; description: string; image: string; kind: ActionKind; url: string; reply: string };
export type ListDraft = { header: string; image: string; items: ListItemDraft[]; buttons: ActionDraft[] };

export type RichDraft = {
  kind: RichKind;
  /** The message text: shown above the rich part, and alone by clients without rich messages. */
  text: string;
  replies: ActionDraft[];
  buttons: ActionDraft[];
  cards: CardDraft[];
  list: ListDraft;
};

export const TEMPLATE_ID: Record<RichKind, string> = { replies: "6", buttons: "3", cards: "10", list: "7" };

export const LIMITS = {
  /** Button, reply and list-item labels. */
  label: 40,
  /** Card titles and subtitles, the list header. */
  title: 80,
  /** Descriptions and reply texts. */
  long: 300,
  url: 500,
  text: 1000,
  /** Suggested replies, buttons, cards, list items. */
  items: 10,
  /** Buttons under one card or list. */
  buttons: 3,
  /** The platform keeps metadata values up to 2000 characters; the payload is one. */
  payload: 2000,
} as const;

export const emptyAction = (kind: ActionKind = "reply"): ActionDraft => ({ label: "", kind, url: "", reply: "" });
export const emptyCard = (): CardDraft => ({ title: "", subtitle: "", description: "", image: "", buttons: [] });
export const emptyItem = (): ListItemDraft => ({ title: "", description: "", image: "", kind: "none", url: "", reply: "" });

export function emptyDraft(kind: RichKind = "replies"): RichDraft {
  return {
    kind,
    text: "",
    replies: [emptyAction("reply")],
    buttons: [emptyAction("link")],
    cards: [emptyCard()],
    list: { header: "", image: "", items: [emptyItem()], buttons: [] },
  };
}

/** A field's problem: `required` ones are shown once the agent tried to send; others at once. */
export type FieldError = { text: string; required: boolean };
/** Problems by field path (`text`, `replies.0.label`, `cards.1.buttons.0.url`, `payload`…). */
export type Errors = Record<string, FieldError>;

export type Built = {
  /** The metadata to send, or null when something must be fixed first. */
  metadata: Record<string, string> | null;
  errors: Errors;
};

type Json = Record<string, unknown>;

class Checker {
  errors: Errors = {};

  required(path: string, value: string, max: number): string {
    const v = value.trim();
    if (!v) this.errors[path] = { text: t("composer.rich.required"), required: true };
    else this.max(path, v, max);
    return v;
  }

  optional(path: string, value: string, max: number): string {
    const v = value.trim();
    this.max(path, v, max);
    return v;
  }

  max(path: string, v: string, max: number) {
    if ([...v].length > max) this.errors[path] = { text: t("composer.rich.tooLong", { max }), required: false };
  }

  /** An http(s) address (normalised), required or optional; "" when absent or refused. */
  url(path: string, value: string, required: boolean): string {
    const v = value.trim();
    if (!v) {
      if (required) this.errors[path] = { text: t("composer.rich.urlRequired"), required: true };
      return "";
    }
    const safe = safeUrl(v, false);
    if (!safe || !/^https?:\/\/[^/?#]/i.test(v)) {
      this.errors[path] = { text: t("composer.rich.badUrl"), required: false };
      return "";
    }
    this.max(path, safe, LIMITS.url);
    return safe;
  }

  count(path: string, n: number, min: number, max: number) {
    if (n < min) this.errors[path] = { text: t("composer.rich.atLeastOne"), required: true };
    else if (n > max) this.errors[path] = { text: t("composer.rich.tooMany", { max }), required: false };
  }
}

/** A suggested reply: the label the customer taps and the text it sends (the label when empty). */
function reply(c: Checker, path: string, a: ActionDraft): Json {
  const title = c.required(`${path}.label`, a.label, LIMITS.label);
  const message = c.optional(`${path}.reply`, a.reply, LIMITS.long) || title;
  return { title, message };
}

/** A template-3 button: a link, or a submit button that sends its reply text. */
function button(c: Checker, path: string, a: ActionDraft): Json {
  const name = c.required(`${path}.label`, a.label, LIMITS.label);
  if (a.kind === "link") return { type: "link", name, url: c.url(`${path}.url`, a.url, true) };
  return { type: "submit", name, replyText: c.optional(`${path}.reply`, a.reply, LIMITS.long) || name };
}

/** A button under a card. */
function cardButton(c: Checker, path: string, a: ActionDraft): Json {
  const name = c.required(`${path}.label`, a.label, LIMITS.label);
  if (a.kind === "link") return { name, action: { type: "link", payload: { url: c.url(`${path}.url`, a.url, true) } } };
  const message = c.optional(`${path}.reply`, a.reply, LIMITS.long) || name;
  return { name, action: { type: "quickReply", payload: { title: name, message } } };
}

/** A list item's or list button's action (none for a plain item). */
function listAction(c: Checker, path: string, kind: ActionKind, url: string, replyText: string, label: string): Json | null {
  if (kind === "link") return { type: "link", url: c.url(`${path}.url`, url, true) };
  if (kind === "reply") return { type: "quick_reply", text: c.optional(`${path}.reply`, replyText, LIMITS.long) || label };
  return null;
}

function payloadOf(c: Checker, d: RichDraft): unknown {
  switch (d.kind) {
    case "replies":
      c.count("replies", d.replies.length, 1, LIMITS.items);
      return d.replies.map((a, i) => reply(c, `replies.${i}`, a));
    case "buttons":
      c.count("buttons", d.buttons.length, 1, LIMITS.items);
      return d.buttons.map((a, i) => button(c, `buttons.${i}`, a));
    case "cards":
      c.count("cards", d.cards.length, 1, LIMITS.items);
      return d.cards.map((card, i) => {
        const p = `cards.${i}`;
        const out: Json = {
          title: c.required(`${p}.title`, card.title, LIMITS.title),
          subtitle: c.optional(`${p}.subtitle`, card.subtitle, LIMITS.title),
          description: c.optional(`${p}.description`, card.description, LIMITS.long),
        };
        const image = c.url(`${p}.image`, card.image, false);
        if (image) out.header = { imgSrc: image };
        c.count(`${p}.buttons`, card.buttons.length, 0, LIMITS.buttons);
        out.buttons = card.buttons.map((a, j) => cardButton(c, `${p}.buttons.${j}`, a));
        return out;
      });
    case "list": {
      const l = d.list;
      const out: Json = { headerText: c.optional("list.header", l.header, LIMITS.title) };
      const image = c.url("list.image", l.image, false);
      if (image) out.headerImgSrc = image;
      c.count("list.items", l.items.length, 1, LIMITS.items);
      out.elements = l.items.map((item, i) => {
        const p = `list.items.${i}`;
        const title = c.required(`${p}.title`, item.title, LIMITS.label);
        const e: Json = { title, description: c.optional(`${p}.description`, item.description, LIMITS.long) };
        const img = c.url(`${p}.image`, item.image, false);
        if (img) e.imgSrc = img;
        const action = listAction(c, p, item.kind, item.url, item.reply, title);
        if (action) e.action = action;
        return e;
      });
      c.count("list.buttons", l.buttons.length, 0, LIMITS.buttons);
      out.buttons = l.buttons.map((a, j) => {
        const p = `list.buttons.${j}`;
        const name = c.required(`${p}.label`, a.label, LIMITS.label);
        return { name, action: listAction(c, p, a.kind === "none" ? "reply" : a.kind, a.url, a.reply, name) };
      });
      return out;
    }
  }
}

/** Check the form and build the message metadata (`contentType` "300", `templateId`, `payload`). */
export function buildRich(d: RichDraft): Built {
  const c = new Checker();
  c.required("text", d.text, LIMITS.text);
  const payload = JSON.stringify(payloadOf(c, d));
  if ([...payload].length > LIMITS.payload) {
    c.errors.payload = { text: t("composer.rich.payloadTooLong", { max: LIMITS.payload }), required: false };
  }
  const ok = Object.keys(c.errors).length === 0;
  return {
    errors: c.errors,
    metadata: ok
      ? {
          contentType: "300",
          templateId: TEMPLATE_ID[d.kind],
          payload,
          // The platform's docs ask agents' rich messages to carry skipBot, so a bot does not
          // act on them a second time.
          skipBot: "true",
        }
      : null,
  };
}

/** The metadata the preview renders: everything the agent typed, even before it is valid. */
export function previewMetadata(d: RichDraft): Record<string, string> {
  const c = new Checker();
  return { contentType: "300", templateId: TEMPLATE_ID[d.kind], payload: JSON.stringify(payloadOf(c, d)) };
}
