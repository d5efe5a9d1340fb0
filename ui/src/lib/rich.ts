// Kommunicate rich messages (metadata.contentType === "300"), parsed defensively: anything
// that does not have the expected shape makes the caller fall back to the message text.
import { safeUrl } from "./format";

export type RichAction = { label: string; url: string | null; reply: string | null };
export type RichCard = {
  title: string;
  subtitle: string;
  description: string;
  image: string | null;
  buttons: RichAction[];
};
export type RichListItem = { title: string; description: string; image: string | null; action: RichAction | null };

export type Rich =
  | { kind: "replies"; items: RichAction[] }
  | { kind: "buttons"; items: RichAction[] }
  | { kind: "cards"; cards: RichCard[] }
  | { kind: "list"; header: string; image: string | null; items: RichListItem[]; buttons: RichAction[] };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === "string" ? v : typeof v === "number" ? String(v) : "");

function parseJson(raw: unknown): unknown {
  if (typeof raw !== "string") return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

function urlOf(o: Obj): string | null {
  const action = isObj(o.action) ? o.action : null;
  const payload = action && isObj(action.payload) ? action.payload : null;
  return safeUrl(o.url ?? action?.url ?? payload?.url ?? o.link ?? null);
}

function action(v: unknown): RichAction | null {
  if (typeof v === "string") return v ? { label: v, url: null, reply: v } : null;
  if (!isObj(v)) return null;
  const act = isObj(v.action) ? v.action : null;
  const payload = act && isObj(act.payload) ? act.payload : null;
  const label = str(v.title) || str(v.name) || str(v.label) || str(v.text) || str(act?.text) || str(payload?.title);
  if (!label) return null;
  const url = urlOf(v);
  // Suggested replies carry `message`; submit buttons `replyText`; list actions `action.text`.
  const replyText =
    str(v.message) || str(v.replyText) || str(payload?.message) || str(act?.message) || str(act?.text) || label;
  return { label, url, reply: url ? null : replyText };
}

function actions(v: unknown): RichAction[] {
  return Array.isArray(v) ? v.map(action).filter((a): a is RichAction => a !== null) : [];
}

function card(v: unknown): RichCard | null {
  if (!isObj(v)) return null;
  const header = isObj(v.header) ? v.header : {};
  const title = str(v.title) || str(header.title);
  const image = safeUrl(header.imgSrc ?? v.imgSrc ?? v.image ?? v.imageUrl ?? null, false);
  const card = {
    title,
    subtitle: str(v.subtitle),
    description: str(v.description),
    image,
    buttons: actions(v.buttons),
  };
  return card.title || card.description || card.image || card.buttons.length ? card : null;
}

/** Parse a message's rich payload; `null` when it is not rich or cannot be understood. */
export function parseRich(metadata: Record<string, string> | null | undefined): Rich | null {
  if (!metadata || metadata.contentType !== "300") return null;
  const templateId = str(metadata.templateId);
  const payload = parseJson(metadata.payload);
  switch (templateId) {
    case "6": {
      const items = actions(payload);
      return items.length ? { kind: "replies", items } : null;
    }
    case "3":
    case "9": {
      const items = actions(payload);
      return items.length ? { kind: "buttons", items } : null;
    }
    case "10": {
      const cards = Array.isArray(payload) ? payload.map(card).filter((c): c is RichCard => c !== null) : [];
      return cards.length ? { kind: "cards", cards } : null;
    }
    case "7": {
      if (!isObj(payload)) return null;
      const items: RichListItem[] = Array.isArray(payload.elements)
        ? payload.elements.filter(isObj).map((e) => ({
            title: str(e.title),
            description: str(e.description),
            image: safeUrl(e.imgSrc ?? null, false),
            action: action({ ...e, title: str(e.title) }),
          }))
        : [];
      const buttons = actions(payload.buttons);
      if (!items.length && !buttons.length) return null;
      return {
        kind: "list",
        header: str(payload.headerText),
        image: safeUrl(payload.headerImgSrc ?? null, false),
        items: items.filter((i) => i.title || i.description),
        buttons,
      };
    }
    default:
      return null;
  }
}
