// Hostile content for the end-to-end tests (05-hostile.test.mjs): XSS and injection payloads
// after the OWASP XSS filter-evasion and prevention cheat sheets, DOMPurify's published
// mutation-XSS bypasses and the PortSwigger XSS cheat sheet. Every payload, if any part of it
// ever ran as script in the window, would set a canary:
//   - `top.__pwned` gets its id,
//   - `document.title` becomes "PWNED <id>",
//   - it asks the shell to open https://canary.invalid/<id> (open_external) and to sign every
//     account out (sign_out), through `__TAURI_INTERNALS__` (the IPC a page script would have).
// The canary code uses neither quote character (strings are template literals), so it stays
// whole inside single- and double-quoted attributes.

/** The JavaScript a payload runs if it gets through: sets every canary for `id`. */
export function canary(id) {
  return (
    `top.__pwned=(top.__pwned||[]).concat(\`${id}\`);top.document.title=\`PWNED ${id}\`;` +
    `var T=top.__TAURI_INTERNALS__;if(T){T.invoke(\`open_external\`,{url:\`https://canary.invalid/${id}\`});` +
    `T.invoke(\`accounts\`).then(function(a){[].concat(a.data||a).forEach(function(x){T.invoke(\`sign_out\`,{accountId:x.id})})})}`
  );
}

const b64 = (s) => Buffer.from(s, "utf8").toString("base64");
const entities = (s) => [...s].map((c) => `&#${c.codePointAt(0)};`).join("");
const hexEntities = (s) => [...s].map((c) => `&#x${c.codePointAt(0).toString(16)};`).join("");
const LONG = 100_000; // the platform's largest message (characters)

/** [id, class, payload(C) where C is the canary code for that id]. */
const DEFS = [
  // --- script tags
  ["script-plain", "script", (c) => `<script>${c}</script>`],
  ["script-upper-src-data", "script", (c) => `<SCRIPT SRC="data:text/javascript,${encodeURIComponent(c)}"></SCRIPT>`],
  ["script-slash-attr", "script", (c) => `<script/xss>${c}</script>`],
  ["script-double-open", "script", (c) => `<<script>${c}//<</script>`],
  ["script-nested-split", "script", (c) => `<scr<script>ipt>${c}</scr</script>ipt>`],
  ["script-context-breakout", "script", (c) => `</textarea></title></style></noscript><script>${c}</script>`],
  ["script-attribute-breakout", "script", (c) => `"><script>${c}</script><"`],
  ["script-json-breakout", "script", (c) => `</script><script>${c}</script>","x":"`],

  // --- event handlers
  ["img-onerror", "event-handler", (c) => `<img src=x onerror="${c}">`],
  ["img-onerror-slashes", "event-handler", (c) => `<img/src="x"/onerror="${c}">`],
  ["img-onerror-case", "event-handler", (c) => `<IMG SRC=# OnErRoR="${c}">`],
  ["body-onload", "event-handler", (c) => `<body onload="${c}">`],
  ["div-onmouseover-fullscreen", "event-handler", (c) => `<div onmouseover="${c}" style="position:fixed;inset:0;z-index:99999">hover me</div>`],
  ["details-ontoggle", "event-handler", (c) => `<details open ontoggle="${c}"><summary>s</summary></details>`],
  ["input-autofocus-onfocus", "event-handler", (c) => `<input autofocus onfocus="${c}">`],
  ["select-autofocus-onfocus", "event-handler", (c) => `<select autofocus onfocus="${c}"><option>x</option></select>`],
  ["video-source-onerror", "event-handler", (c) => `<video><source onerror="${c}"></video>`],
  ["audio-onerror", "event-handler", (c) => `<audio src=x onerror="${c}"></audio>`],
  ["marquee-onstart", "event-handler", (c) => `<marquee onstart="${c}">m</marquee>`],
  ["a-onclick", "event-handler", (c) => `<a href="https://example.com/" onclick="${c}">a link with onclick</a>`],
  ["img-onload-data", "event-handler", (c) => `<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" onload="${c}">`],

  // --- javascript: / vbscript: URLs
  ["href-javascript", "js-url", (c) => `<a href="javascript:${c}">javascript link</a>`],
  ["href-javascript-mixed-case", "js-url", (c) => `<a href="JaVaScRiPt:${c}">mixed case</a>`],
  ["href-javascript-decimal-entities", "js-url", (c) => `<a href="${entities("javascript:")}${c}">decimal entities</a>`],
  ["href-javascript-hex-entities", "js-url", (c) => `<a href="${hexEntities("javascript:")}${c}">hex entities</a>`],
  ["href-javascript-tab", "js-url", (c) => `<a href="jav&#x09;ascript:${c}">tab inside</a>`],
  ["href-javascript-newline", "js-url", (c) => `<a href="java\nscript:${c}">newline inside</a>`],
  ["href-javascript-leading-space", "js-url", (c) => `<a href=" &#14;  javascript:${c}">leading junk</a>`],
  ["href-javascript-colon-entity", "js-url", (c) => `<a href="javascript&colon;${c}">colon entity</a>`],
  ["href-vbscript", "js-url", (c) => `<a href="vbscript:msgbox(1)//${c.length}">vbscript link</a>`],
  ["iframe-src-javascript", "js-url", (c) => `<iframe src="javascript:${c}"></iframe>`],
  ["form-action-javascript", "js-url", (c) => `<form action="javascript:${c}"><button>submit</button></form>`],
  ["button-formaction", "js-url", (c) => `<button formaction="javascript:${c}">formaction</button>`],
  ["math-xlink-href", "js-url", (c) => `<math><a xlink:href="javascript:${c}">math link</a></math>`],

  // --- data: URLs
  ["href-data-html", "data-url", (c) => `<a href="data:text/html;base64,${b64(`<script>${c}</script>`)}">data link</a>`],
  ["iframe-data-html", "data-url", (c) => `<iframe src="data:text/html,%3Cscript%3E${encodeURIComponent(c)}%3C/script%3E"></iframe>`],
  ["object-data-html", "data-url", (c) => `<object data="data:text/html;base64,${b64(`<script>${c}</script>`)}"></object>`],
  ["embed-data-svg", "data-url", (c) => `<embed src="data:image/svg+xml;base64,${b64(`<svg xmlns="http://www.w3.org/2000/svg" onload="${c}"/>`)}">`],
  ["img-data-svg-script", "data-url", (c) => `<img src="data:image/svg+xml;base64,${b64(`<svg xmlns="http://www.w3.org/2000/svg"><script>${c}</script></svg>`)}">`],

  // --- SVG
  ["svg-onload", "svg", (c) => `<svg onload="${c}"></svg>`],
  ["svg-script", "svg", (c) => `<svg><script>${c}</script></svg>`],
  ["svg-animate-onbegin", "svg", (c) => `<svg><animate onbegin="${c}" attributeName="x" dur="1s"/></svg>`],
  ["svg-animate-href", "svg", (c) => `<svg><a><animate attributeName="href" values="javascript:${c}"/><text x="20" y="20">svg link</text></a></svg>`],
  ["svg-foreignobject-iframe", "svg", (c) => `<svg><foreignObject><iframe srcdoc="<script>${c}</script>"></iframe></foreignObject></svg>`],
  ["svg-set-onbegin", "svg", (c) => `<svg><set attributeName="onmouseover" to="${c}"/><rect width="100" height="100"/></svg>`],

  // --- CSS
  ["css-url-javascript", "css", (c) => `<div style="background:url(javascript:${c})">css url</div>`],
  ["css-expression", "css", (c) => `<div style="width:expression(${c})">css expression</div>`],
  ["css-style-import", "css", (c) => `<style>@import "https://canary.invalid/import.css";*{background:url("javascript:${c}")}</style>`],
  ["css-hide-the-app", "css", () => `<style>body,#inbox-list,[role=log]{display:none!important}</style>hide the app`],
  ["css-link-stylesheet", "css", (c) => `<link rel="stylesheet" href="data:text/css,*{x:expression(${encodeURIComponent(c)})}">`],

  // --- other dangerous elements
  ["iframe-srcdoc", "element", (c) => `<iframe srcdoc="&lt;script&gt;${c}&lt;/script&gt;"></iframe>`],
  ["meta-refresh", "element", (c) => `<meta http-equiv="refresh" content="0;url=javascript:${c}">`],
  ["base-href", "element", (c) => `<base href="javascript:${c}//"><a href="relative">relative link</a>`],
  ["object-javascript", "element", (c) => `<object data="javascript:${c}"></object>`],
  ["embed-javascript", "element", (c) => `<embed src="javascript:${c}">`],
  ["form-input-image", "element", (c) => `<form><input type="image" src="x" onerror="${c}"></form>`],
  ["isindex-action", "element", (c) => `<isindex action="javascript:${c}" type="image">`],

  // --- broken markup and mutation XSS
  ["mxss-noscript-title", "markup", (c) => `<noscript><p title="</noscript><img src=x onerror=\\"${c}\\">"></noscript>`],
  ["mxss-template", "markup", (c) => `<template><img src=x onerror="${c}"></template><template><script>${c}</script></template>`],
  [
    "mxss-math-mglyph-style",
    "markup",
    (c) => `<math><mtext><table><mglyph><style><!--</style><img title="--&gt;&lt;/mglyph&gt;&lt;img&Tab;src=1&Tab;onerror=${c}&gt;">`,
  ],
  ["mxss-form-math", "markup", (c) => `<form><math><mtext></form><form><mglyph><style></math><img src onerror="${c}">`],
  ["unclosed-img", "markup", (c) => `<img src=x onerror="${c}"`],
  ["tag-inside-tag", "markup", (c) => `<div <img src=x onerror="${c}">>`],
  ["comment-breakout", "markup", (c) => `<!--><img src=x onerror="${c}">-->`],
  ["cdata", "markup", (c) => `<![CDATA[<img src=x onerror="${c}">]]>`],
  ["xmp-listing", "markup", (c) => `<xmp><img src=x onerror="${c}"></xmp><listing><img src=x onerror="${c}"></listing>`],
  ["attribute-entity-breakout", "markup", (c) => `<a href="https://example.com/" title="x&quot; onmouseover=&quot;${c}">entity breakout</a>`],
  ["null-byte-tag", "markup", (c) => `<scr\u0000ipt>${c}</scr\u0000ipt><img src=x o\u0000nerror="${c}">`],

  // --- Unicode tricks
  ["rtl-override", "unicode", (c) => `Invoice \u202Efdp.exe\u202C <img src=x onerror="${c}">`],
  ["zero-width-javascript", "unicode", (c) => `<a href="java\u200Bscript:${c}">zero width</a> \uFEFF<script>${c}</script>`],
  ["fullwidth-brackets", "unicode", (c) => `\uFF1Cscript\uFF1E${c}\uFF1C/script\uFF1E`],
  ["line-separators", "unicode", (c) => `\u2028\u2029</script><script>${c}</script>\u2028`],
  ["homoglyph-link", "unicode", () => `https://\u0440\u0430\u0443\u0440\u0430l.com/login https://xn--80ak6aa92e.com`],
  ["combining-flood", "unicode", (c) => `Z${"\u0336\u0334\u0335".repeat(3000)} <img src=x onerror="${c}">`],

  // --- very long strings
  ["long-100k-then-script", "long", (c) => pad(`<img src=x onerror="${c}">`)],
  ["long-nested-divs", "long", (c) => nest(`<img src=x onerror="${c}">`)],
  ["long-url", "long", () => `https://example.com/${"a".repeat(LONG - 40)}`],
  ["long-no-spaces", "long", () => "W".repeat(LONG)],

  // --- markdown and template-looking text
  ["markdown-link-javascript", "markdown", (c) => `[click me](javascript:${c})`],
  ["markdown-image-onerror", "markdown", (c) => `![img](x" onerror="${c})`],
  ["autolink-javascript", "markdown", (c) => `<javascript:${c}>`],
  ["markdown-link-data", "markdown", (c) => `[data](data:text/html;base64,${b64(`<script>${c}</script>`)})`],
  ["template-expressions", "template", (c) => `{{constructor.constructor(\`${c}\`)()}} \${${c}} {@html \`<img src=x onerror=${c}>\`}`],
];

function pad(tail) {
  return "A".repeat(LONG - tail.length) + tail;
}

function nest(inner) {
  const depth = Math.floor((LONG - inner.length) / 11);
  return "<div>".repeat(depth) + inner + "</div>".repeat(depth);
}

/** `{ id, cls, payload, js }` for every payload (`js` is the canary code it would run). */
export const corpus = DEFS.map(([name, cls, make], i) => {
  const id = `h${String(i + 1).padStart(2, "0")}-${name}`;
  const js = canary(id);
  return { id, cls, payload: make(js), js };
});

/** URLs a hostile sender might put in a link, a button or an image. */
export const hostileUrls = [
  ["url-javascript", (c) => `javascript:${c}`],
  ["url-javascript-case-space", (c) => ` JaVaScRiPt:${c}`],
  ["url-javascript-tab", (c) => `java\tscript:${c}`],
  ["url-javascript-entities", (c) => `${entities("javascript:")}${c}`],
  ["url-vbscript", () => `vbscript:msgbox(1)`],
  ["url-data-html", (c) => `data:text/html;base64,${b64(`<script>${c}</script>`)}`],
  ["url-data-svg", (c) => `data:image/svg+xml;base64,${b64(`<svg xmlns="http://www.w3.org/2000/svg" onload="${c}"/>`)}`],
  ["url-file", () => `file:///etc/passwd`],
  ["url-tauri-ipc", () => `ipc://localhost/sign_out`],
  ["url-zero-width", (c) => `java\u200Bscript:${c}`],
].map(([name, make], i) => {
  const id = `u${String(i + 1).padStart(2, "0")}-${name}`;
  return { id, cls: "url", url: make(canary(id)) };
});

export const classes = [...new Set(corpus.map((p) => p.cls))];
