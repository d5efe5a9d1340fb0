// HTML messages (contentType 3) are the ONLY markup Parley renders, and only after this.
import DOMPurify from "dompurify";
import { safeUrl } from "./format";

const FORBID_TAGS = [
  "script", "style", "iframe", "frame", "frameset", "object", "embed", "form", "svg", "math",
  "input", "button", "textarea", "select", "option", "link", "meta", "base", "template", "noscript",
  "audio", "video", "source", "track", "applet", "portal",
];

let purifier: ReturnType<typeof DOMPurify> | null = null;

function instance(): ReturnType<typeof DOMPurify> {
  if (purifier) return purifier;
  const p = DOMPurify(window);
  p.addHook("uponSanitizeAttribute", (_node, data) => {
    // Event handlers and inline styles (the CSP forbids them anyway) never survive.
    const name = data.attrName.toLowerCase();
    if (name.startsWith("on") || name === "style" || name === "srcset" || name === "formaction") {
      data.keepAttr = false;
    }
  });
  p.addHook("afterSanitizeAttributes", (node) => {
    for (const attr of [...node.attributes]) {
      if (attr.name.toLowerCase().startsWith("on")) node.removeAttribute(attr.name);
    }
    if (node.tagName === "A") {
      const href = safeUrl(node.getAttribute("href"));
      if (href) {
        node.setAttribute("href", href);
        node.setAttribute("target", "_blank");
        node.setAttribute("rel", "noopener noreferrer");
      } else {
        node.removeAttribute("href");
        node.removeAttribute("target");
      }
    } else if (node.hasAttribute("href")) {
      node.removeAttribute("href");
    }
    if (node.hasAttribute("src")) {
      // Web images are never fetched by the webview (no tracking pixels; the CSP allows no
      // remote images): the address is kept aside and the shell loads it after a click
      // (lib/actions.ts `externalLinks`).
      const src = node.tagName === "IMG" ? safeUrl(node.getAttribute("src"), false) : null;
      node.removeAttribute("src");
      if (src) node.setAttribute("data-remote-src", src);
    }
    for (const a of ["action", "xlink:href", "background", "poster", "ping", "longdesc", "dynsrc", "lowsrc"]) {
      if (node.hasAttribute(a)) node.removeAttribute(a);
    }
  });
  purifier = p;
  return p;
}

export function sanitizeHtml(html: string): string {
  return instance().sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS,
    FORBID_ATTR: ["style", "srcset", "formaction", "action"],
    ALLOW_DATA_ATTR: false,
    ADD_ATTR: ["data-remote-src"],
    ALLOW_UNKNOWN_PROTOCOLS: false,
    RETURN_TRUSTED_TYPE: false,
  }) as string;
}
