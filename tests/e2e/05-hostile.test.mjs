// Hostile content in the real window. Customers of the sandbox put every payload of
// hostile-corpus.mjs (XSS and injection classes after the OWASP cheat sheets) into plain text
// messages, HTML messages, rich messages (button, quick reply, card and list payloads, their
// titles, URLs and images), their own display names and avatars, conversation titles, file
// names and image links. The agent opens every conversation and scrolls through it; then:
//   - no canary fired: `__pwned` is unset, the title is still "Parley" / "Parley (N)", the
//     agent is still signed in with the inbox on screen, neither the shell's log nor the
//     system browser saw https://canary.invalid;
//   - every message was rendered (the keys on screen are the sandbox's keys), plain text is
//     shown verbatim, and no rendered message holds a script-capable element, an event
//     handler attribute or a URL other than http(s)/mailto (images: http(s) or a raster data:).
// Links: a hostile javascript: link does nothing when clicked and the shell refuses such a URL
// itself; a normal https link opens in the system browser (a stand-in registered through the
// XDG mime defaults of the test's profile records it) and the window stays where it is.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Session, sleep } from "./webdriver.mjs";
import * as sb from "./sandbox.mjs";
import { eventually, shot as keep, signIn } from "./app.mjs";
import { canary, classes, corpus, hostileUrls } from "./hostile-corpus.mjs";

const agent = sb.ready.agents[0];
const PASSWORD = "hostile-password";
const SAFE_LINK = "https://example.com/e2e-safe-link?from=parley";
const RICH_SAFE = "https://example.com/e2e-safe-button";
const APP_TITLE = /^Parley( \(\d+\))?$/;
// A 2×2 PNG.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGO44OAARAwQCgAnDgVB0hsW7gAAAABJRU5ErkJggg==",
  "base64",
);

let s;
let agentToken;
let appUrl;
const browserDir = join(process.env.E2E_ARTIFACTS ?? "/tmp", "..", "fake-browser");
const browserLog = join(browserDir, "opened.log");
const appLog = join(process.env.XDG_DATA_HOME ?? "/nonexistent", "io.parley.desktop", "logs", "parley.log");
/** Conversations to open: {group, what, keys: server message keys, texts: key → plain text}. */
const conversations = [];
const placements = {};
const placed = (where, n = 1) => (placements[where] = (placements[where] ?? 0) + n);

const shot = (name) => keep(s, name);
const readOr = (path) => (existsSync(path) ? readFileSync(path, "utf8") : "");

/** The system browser of this profile: records each URL instead of opening it. */
function installFakeBrowser() {
  mkdirSync(browserDir, { recursive: true });
  const script = join(browserDir, "browser.sh");
  writeFileSync(script, `#!/bin/sh\nprintf '%s\\n' "$1" >> '${browserLog}'\n`);
  chmodSync(script, 0o755);
  writeFileSync(browserLog, "");
  const apps = join(process.env.XDG_DATA_HOME, "applications");
  mkdirSync(apps, { recursive: true });
  writeFileSync(
    join(apps, "parley-e2e-browser.desktop"),
    `[Desktop Entry]\nType=Application\nName=E2E browser\nExec=${script} %u\nNoDisplay=true\n` +
      `MimeType=x-scheme-handler/http;x-scheme-handler/https;x-scheme-handler/mailto;text/html;\n`,
  );
  mkdirSync(process.env.XDG_CONFIG_HOME, { recursive: true });
  writeFileSync(
    join(process.env.XDG_CONFIG_HOME, "mimeapps.list"),
    "[Default Applications]\n" +
      ["x-scheme-handler/http", "x-scheme-handler/https", "x-scheme-handler/mailto", "text/html"]
        .map((t) => `${t}=parley-e2e-browser.desktop`)
        .join("\n") +
      "\n",
  );
}

async function register(userId, extra = {}) {
  const r = await sb.rest(null, "POST", "/rest/ws/register/client", {
    userId,
    password: PASSWORD,
    applicationId: sb.ready.applicationId,
    deviceType: 4,
    ...extra,
  });
  if (!r.authToken) throw new Error(`no token for ${userId}: ${JSON.stringify(r)}`);
  return r.authToken;
}

async function upload(token, name, bytes, type) {
  const form = new FormData();
  form.append("file", new Blob([bytes], { type }), name);
  const res = await fetch(`${sb.ready.http}/rest/ws/upload/image`, {
    method: "POST",
    headers: { "Application-Key": sb.ready.applicationId, "X-Authorization": token },
    body: form,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`upload ${JSON.stringify(name)}: ${res.status} ${text}`);
  return JSON.parse(text);
}

const send = (token, group, body) => sb.rest(token, "POST", "/rest/ws/message/send", { groupId: group, ...body });

async function remember(token, group, what) {
  const messages = await sb.messages(token, group);
  conversations.push({
    group,
    what,
    keys: messages.map((m) => m.key),
    texts: new Map(messages.filter((m) => (m.contentType ?? 0) === 0 && !m.fileMeta && m.metadata?.contentType !== "300").map((m) => [m.key, m.message])),
  });
}

const rich = (templateId, payload, message) => ({
  message,
  metadata: { contentType: "300", templateId, payload: JSON.stringify(payload) },
});

/** Put the corpus into the sandbox: one conversation per placement, names and titles. */
async function seed() {
  const customer = "e2e-hostile-customer";
  const token = await register(customer, { displayName: "Hostile Customer" });

  // Plain text messages: every payload, every hostile URL, and a normal link.
  const text = await sb.startConversation(token, "E2E hostile: text", agent.userId);
  for (const p of corpus) await send(token, text, { message: p.payload, contentType: 0 });
  for (const u of hostileUrls) await send(token, text, { message: `see ${u.url}`, contentType: 0 });
  await send(token, text, { message: `A normal link: ${SAFE_LINK} (opens in the browser)`, contentType: 0 });
  placed("text message", corpus.length + hostileUrls.length);
  await remember(token, text, "text");

  // HTML messages: every payload; hostile URLs as link targets and image sources.
  const html = await sb.startConversation(token, "E2E hostile: html", agent.userId);
  for (const p of corpus) await send(token, html, { message: p.payload, contentType: 3 });
  for (const u of hostileUrls) {
    await send(token, html, { message: `<p><a href="${u.url.replace(/"/g, "&quot;")}">${u.id}</a> <img src="${u.url.replace(/"/g, "&quot;")}" alt="${u.id}"></p>`, contentType: 3 });
  }
  await send(token, html, { message: `<p>HTML with a <a href="${SAFE_LINK}">normal link</a></p>`, contentType: 3 });
  placed("HTML message", corpus.length + hostileUrls.length);
  await remember(token, html, "html");

  // Rich messages: hostile button URLs, titles, card HTML and image URLs in every template.
  const richGroup = await sb.startConversation(token, "E2E hostile: rich", agent.userId);
  const short = corpus.filter((p) => p.payload.length <= 2_000);
  const urls = hostileUrls.map((u) => u.url);
  let n = 0;
  // Template 3: link buttons whose URLs are hostile, titled with payloads.
  for (const [i, u] of hostileUrls.entries()) {
    const title = short[i % short.length].payload;
    await send(token, richGroup, rich("3", [{ type: "link", url: u.url, name: title }, { type: "link", name: u.id, action: { type: "link", payload: { url: u.url } } }], short[(i + 7) % short.length].payload));
    n += 2;
  }
  // Template 6: quick replies titled and answered with payloads.
  for (let i = 0; i < short.length; i += 6) {
    const items = short.slice(i, i + 6).map((p) => ({ title: p.payload, message: p.payload }));
    await send(token, richGroup, rich("6", items, short[i].payload));
    n += items.length;
  }
  // Template 10: cards with card HTML, hostile images and hostile button URLs.
  for (let i = 0; i < short.length; i += 4) {
    const cards = short.slice(i, i + 4).map((p, j) => ({
      title: p.payload,
      subtitle: p.payload,
      description: `<b>card html</b> ${p.payload}`,
      header: { imgSrc: urls[(i + j) % urls.length] },
      buttons: [
        { name: p.payload, action: { type: "link", payload: { url: urls[(i + j + 1) % urls.length] } } },
        { name: "reply", action: { type: "quickReply", payload: { message: p.payload } } },
      ],
    }));
    await send(token, richGroup, rich("10", cards, ""));
    n += cards.length * 5;
  }
  // Template 7: lists with hostile header and item images and item/button URLs.
  for (let i = 0; i < short.length; i += 5) {
    const batch = short.slice(i, i + 5);
    await send(
      token,
      richGroup,
      rich(
        "7",
        {
          headerText: batch[0].payload,
          headerImgSrc: urls[i % urls.length],
          elements: batch.map((p, j) => ({ title: p.payload, description: p.payload, imgSrc: urls[(i + j) % urls.length], action: { url: urls[(i + j + 2) % urls.length] } })),
          buttons: [{ name: batch[0].payload, action: { type: "link", payload: { url: urls[(i + 3) % urls.length] } } }],
        },
        batch[0].payload,
      ),
    );
    n += batch.length * 4 + 3;
  }
  // Payloads that are not the expected JSON at all.
  for (const p of corpus.slice(0, 5)) await send(token, richGroup, { message: p.payload, metadata: { contentType: "300", templateId: "10", payload: p.payload } });
  await send(token, richGroup, rich("3", [{ type: "link", url: RICH_SAFE, name: "A normal button" }], "A rich message with a normal button"));
  placed("rich message field", n + 5);
  await remember(token, richGroup, "rich");

  // File names: uploaded with hostile names (the platform keeps its own cleaned name), and
  // sent with hostile names in the file metadata; image links: hostile URLs and thumbnails.
  const files = await sb.startConversation(token, "E2E hostile: files", agent.userId);
  const names = [
    ...corpus.filter((p) => p.payload.length <= 180 && !/[\u0000-\u001f]/.test(p.payload)).map((p) => `${p.payload}.png`),
    "..\\..\\..\\windows\\system32\\evil.png",
    "../../.bashrc",
    "invoice\u202Egnp.exe",
    "javascript:alert(1).pdf",
  ];
  for (const [i, name] of names.entries()) {
    const image = i % 2 === 0;
    const meta = await upload(token, name, image ? PNG : Buffer.from(`hostile file ${i}\n`), image ? "image/png" : "text/plain");
    await send(token, files, { message: "", fileMeta: meta });
  }
  placed("uploaded file name", names.length);
  const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" onload="${canary("file-svg")}"><script>${canary("file-svg-script")}</script></svg>`);
  const svgMeta = await upload(token, "drawing.svg", svg, "image/svg+xml");
  await send(token, files, { message: "", fileMeta: svgMeta });
  const page = await upload(token, "page.html", Buffer.from(`<script>${canary("file-html")}</script>`), "text/html");
  await send(token, files, { message: "", fileMeta: page });
  placed("uploaded script-bearing file (svg, html)", 2);
  const base = await upload(token, "base.png", PNG, "image/png");
  const rawNames = corpus.filter((p) => p.payload.length <= 2_000);
  for (const p of rawNames) {
    await send(token, files, { message: "", fileMeta: { ...base, name: p.payload } });
  }
  placed("file name in file metadata", rawNames.length);
  for (const [i, u] of hostileUrls.entries()) {
    const name = rawNames[i % rawNames.length].payload;
    // No blob: the app would show the URL's image or link to it.
    await send(token, files, { message: "", fileMeta: { name, size: 10, contentType: "image/png", url: u.url, thumbnailUrl: u.url } });
    await send(token, files, { message: "", fileMeta: { name, size: 10, contentType: "image/png", url: "https://example.invalid/x.png", thumbnailUrl: u.url } });
    await send(token, files, { message: "", fileMeta: { name, size: 10, contentType: "application/pdf", url: u.url } });
  }
  placed("image link / file URL", hostileUrls.length * 3);
  await remember(token, files, "files");

  // Conversation titles (group names): one per class at least, within the platform's 500.
  const titled = [];
  for (const cls of classes) {
    const fits = corpus.filter((p) => p.cls === cls && p.payload.length <= 500 && !/[\u0000-\u001f]/.test(p.payload));
    titled.push(...fits.slice(0, cls === "unicode" || cls === "event-handler" || cls === "markup" ? 3 : 1));
  }
  for (const p of titled) {
    const g = await sb.startConversation(token, p.payload, agent.userId);
    await send(token, g, { message: `title ${p.id}`, contentType: 0 });
    await remember(token, g, `title ${p.id}`);
  }
  placed("conversation title (group name)", titled.length);

  // Display names and avatars of customers who write in.
  const named = corpus.filter((p) => p.payload.length <= 2_000 && ["script", "event-handler", "svg", "unicode", "markup", "js-url"].includes(p.cls)).slice(0, 14);
  for (const [i, p] of named.entries()) {
    const userId = `e2e-hostile-name-${String(i).padStart(2, "0")}`;
    const t = await register(userId, { displayName: p.payload, imageLink: hostileUrls[i % hostileUrls.length].url });
    const g = await sb.startConversation(t, `E2E hostile name ${i}`, agent.userId);
    await send(t, g, { message: `written by ${p.id}`, contentType: 0 });
    await remember(t, g, `name ${p.id}`);
  }
  placed("customer display name", named.length);
  placed("customer avatar URL", named.length);
  // A user id that is itself markup (the platform allows any printable id).
  const odd = `e2e-<svg onload=top.__pwned=[1]>-<img src=x onerror=top.__pwned=[2]>`;
  const oddToken = await register(odd);
  const oddGroup = await sb.startConversation(oddToken, "E2E hostile user id", agent.userId);
  await send(oddToken, oddGroup, { message: "hi from an odd user id", contentType: 0 });
  await remember(oddToken, oddGroup, "user id");
  placed("customer user id", 1);
}

before(async () => {
  installFakeBrowser();
  agentToken = await sb.tokenFor(agent);
  await seed();
  s = await Session.start();
});

after(async () => {
  await shot("hostile-last");
  await s?.quit().catch(() => {});
});

/** What must hold after any step: no canary, the window's title, still signed in. */
async function assertNothingRan(when) {
  const state = await s.execute(
    `return { pwned: window.__pwned ?? null, title: document.title, url: location.href,
              inbox: !!document.querySelector('#inbox-list') && document.querySelector('#inbox-list').getBoundingClientRect().height > 0,
              signin: !!document.querySelector('#signin-title') };`,
  );
  assert.equal(state.pwned, null, `${when}: a payload ran (${JSON.stringify(state.pwned)})`);
  assert.match(state.title, APP_TITLE, `${when}: the title changed`);
  assert.equal(state.url, appUrl, `${when}: the window navigated`);
  assert.ok(state.inbox && !state.signin, `${when}: the inbox is no longer on screen (signed out or hidden)`);
  assert.ok(!readOr(appLog).includes("canary.invalid"), `${when}: the shell was asked about a canary URL`);
  assert.ok(!readOr(browserLog).includes("canary.invalid"), `${when}: a canary URL reached the browser`);
}

/** Scroll the inbox list until the conversation's row is rendered, then open it. */
async function openRow(group) {
  const deadline = Date.now() + 30_000;
  await s.execute("document.querySelector('#inbox-list').scrollTop = 0;");
  while (Date.now() < deadline) {
    const found = await s.execute(
      `const list = document.querySelector('#inbox-list');
       const row = list.querySelector('[data-id="g:' + arguments[0] + '"]');
       if (row) { row.scrollIntoView({ block: 'center' }); return 'found'; }
       if (list.scrollTop + list.clientHeight >= list.scrollHeight - 2) { list.scrollTop = 0; return 'top'; }
       list.scrollTop += list.clientHeight * 0.7; return 'scrolled';`,
      [String(group)],
    );
    if (found === "found") {
      await sleep(100);
      await (await s.find(`#inbox-list [data-id="g:${group}"]`)).click();
      const keys = conversations.find((c) => c.group === group)?.keys ?? [];
      await eventually(`conversation ${group} open`, () =>
        s.execute(
          "const keys = new Set(arguments[0]); return [...document.querySelectorAll('[role=log] [data-key]')].some((e) => keys.has(e.dataset.key));",
          [keys],
        ),
      { timeout: 15_000 });
      return;
    }
    await sleep(found === "top" ? 500 : 150);
  }
  throw new Error(`conversation ${group} never appeared in the inbox`);
}

// What a rendered message may contain: checked for every message as it scrolls past.
// arguments[0]: keys already checked (skipped, so a long message is sent back once).
const INSPECT = `
  const out = [];
  const known = new Set(arguments[0] || []);
  for (const el of document.querySelectorAll('[role=log] [data-key]')) {
    if (known.has(el.dataset.key)) continue;
    const bad = [];
    for (const n of el.querySelectorAll('*')) {
      const tag = n.localName;
      if (['script','iframe','frame','object','embed','style','link','meta','base','form','input','textarea','select',
           'template','noscript','foreignobject','animate','set','portal','video','audio','source','math'].includes(tag)) bad.push('<' + tag + '>');
      if (tag === 'svg' && !n.classList.contains('file-icon')) bad.push('<svg>');
      for (const a of n.attributes) {
        const name = a.name.toLowerCase();
        if (name.startsWith('on') || name === 'style' || name === 'srcdoc' || name === 'formaction' || name === 'action' || name.includes('href') && name !== 'href') bad.push(tag + '[' + name + ']');
        if (name === 'href' && !/^(https?:|mailto:)/i.test(a.value)) bad.push(tag + '[href=' + a.value.slice(0, 40) + ']');
        if (name === 'src' && !/^(https?:|data:image\\/(png|jpeg|gif|webp);)/i.test(a.value)) bad.push(tag + '[src=' + a.value.slice(0, 40) + ']');
      }
    }
    const p = el.querySelector(':scope .bubble > p.text');
    out.push({ key: el.dataset.key, bad, text: p ? p.textContent : null });
  }
  // Then on to the next screen: at least most of one, and past every message on screen now
  // (they are checked), so a message many screens high is crossed in one step. Only rows on
  // screen count: rows the virtualizer has not taken out yet (just after a jump, until its
  // scroll handler ran) can sit far below, and stepping past them skipped whole pages.
  const logEl = document.querySelector('[role=log]');
  const bottom = logEl.scrollTop + logEl.clientHeight >= logEl.scrollHeight - 2;
  const view = logEl.getBoundingClientRect();
  const origin = view.top - logEl.scrollTop;
  let next = logEl.scrollTop + logEl.clientHeight * 0.9;
  for (const el of logEl.querySelectorAll('[data-key]')) {
    const r = el.getBoundingClientRect();
    if (r.bottom <= view.top || r.top >= view.bottom) continue;
    next = Math.max(next, r.bottom - origin - logEl.clientHeight * 0.5);
  }
  if (!bottom) logEl.scrollTop = next;
  return { items: out, bottom };`;

/** Scroll the open timeline up to the start of the conversation (older pages load). */
async function toStart(what) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    // Done when the list is found at its start, not just put there: an older page that
    // arrives keeps the reader's row in place and moves the offset away again.
    const r = await s.execute(
      `const log = document.querySelector('[role=log]');
       const older = log.querySelector('.older');
       const was = { top: log.scrollTop, start: !!older && /Start/.test(older.textContent) };
       if (!was.start || was.top !== 0) { log.scrollTop = 0; log.dispatchEvent(new Event('scroll')); }
       return was;`,
    );
    if (r.start && r.top === 0) return;
    if (Date.now() > deadline) throw new Error(`${what}: never reached the start of the conversation`);
    await sleep(250);
  }
}

/** Scroll the open timeline from its start to its end; every message seen, checked. */
async function scrollThrough(what) {
  await toStart(what);
  const seen = new Map();
  for (let i = 0; i < 3_000; i++) {
    await sleep(30);
    const r = await s.execute(INSPECT, [[...seen.keys()]]);
    for (const item of r.items) seen.set(item.key, item);
    if (r.bottom) break;
  }
  return seen;
}

/** From the start of the open timeline down, until `script` (run in the page) returns a value. */
async function scrollUntil(what, script) {
  await toStart(what);
  for (let i = 0; i < 3_000; i++) {
    await sleep(40);
    const found = await s.execute(script);
    if (found !== null && found !== undefined) return found;
    const bottom = await s.execute(
      "const log = document.querySelector('[role=log]'); const b = log.scrollTop + log.clientHeight >= log.scrollHeight - 2; log.scrollTop += log.clientHeight * 0.9; return b;",
    );
    if (bottom) break;
  }
  throw new Error(`${what}: not found in the timeline`);
}

test("test_hostile_content_renders_inert_everywhere_in_the_real_window", async () => {
  await signIn(s, sb.ready, agent);
  appUrl = await s.execute("return location.href");
  await assertNothingRan("after sign-in");
  // A live one too (real time, not only the first sync), and a display name changed live.
  const liveToken = await sb.tokenFor({ userId: "e2e-hostile-customer", password: PASSWORD });
  const textConv = conversations.find((c) => c.what === "text");
  const last = corpus.find((p) => p.id.includes("svg-onload"));
  await send(liveToken, textConv.group, { message: last.payload, contentType: 3 });
  const renamed = corpus.find((p) => p.id.includes("img-onerror"));
  await sb.rest(liveToken, "POST", "/rest/ws/user/update", { displayName: renamed.payload });
  placed("HTML message", 1);
  placed("customer display name (updated)", 1);
  await remember(liveToken, textConv.group, "text (live)");
  conversations.splice(conversations.indexOf(textConv), 1);

  const problems = [];
  for (const c of conversations) {
    await openRow(c.group);
    const seen = await scrollThrough(c.what);
    const missing = c.keys.filter((k) => !seen.has(k));
    if (missing.length) problems.push(`${c.what}: ${missing.length} of ${c.keys.length} messages never rendered`);
    for (const [key, item] of seen) {
      if (item.bad.length) problems.push(`${c.what} ${key}: ${[...new Set(item.bad)].join(", ")}`);
      const sent = c.texts.get(key);
      if (sent !== undefined && item.text !== null && item.text !== sent) {
        problems.push(`${c.what} ${key}: plain text not shown verbatim (${JSON.stringify(item.text.slice(0, 60))} vs ${JSON.stringify(sent.slice(0, 60))})`);
      }
    }
    await assertNothingRan(`after ${c.what}`);
  }
  await shot("hostile-rendered");
  // Handlers that would need a timer, an animation or a failed load: give them time.
  await sleep(2_000);
  await assertNothingRan("at the end");
  assert.deepEqual(problems, []);
  console.log(
    `hostile corpus: ${corpus.length} payloads + ${hostileUrls.length} URLs; classes ${JSON.stringify(Object.fromEntries(classes.map((k) => [k, corpus.filter((p) => p.cls === k).length])))}; placements ${JSON.stringify(placements)}`,
  );
});

test("test_hostile_javascript_link_does_nothing_and_the_shell_refuses_it", async () => {
  const html = conversations.find((c) => c.what === "html");
  await openRow(html.group);
  // The sanitised <a> has no href left; a click neither runs nor opens anything.
  const target = await scrollUntil(
    "the javascript link",
    `const a = [...document.querySelectorAll('[role=log] .html a')].find((a) => a.textContent === 'javascript link');
     if (!a) return null; a.scrollIntoView({ block: 'center' }); return a.getAttribute('href') === null ? 'no-href' : a.getAttribute('href');`,
  );
  assert.equal(target, "no-href");
  const before = readOr(browserLog);
  await s.execute("[...document.querySelectorAll('[role=log] .html a')].find((a) => a.textContent === 'javascript link').setAttribute('id', 'e2e-js-link');");
  await (await s.find("#e2e-js-link")).click();
  await sleep(1_000);
  await assertNothingRan("after clicking a javascript: link");
  assert.equal(readOr(browserLog), before, "nothing was opened");

  // The shell itself refuses every scheme but http, https and mailto, whoever asks.
  for (const u of hostileUrls) {
    const r = await s.cmd("POST", "/execute/async", {
      script: `const done = arguments[arguments.length - 1];
        window.__TAURI_INTERNALS__.invoke('open_external', { url: arguments[0] }).then(() => done('opened'), (e) => done('refused: ' + JSON.stringify(e)));`,
      args: [u.url],
    });
    assert.match(String(r), /^refused/, `${u.id} was opened`);
  }
  await eventually("the refusal in the app log", () => /refused to open a javascript link/.test(readOr(appLog)));
  assert.equal(readOr(browserLog), before, "no hostile URL reached the browser");
  await assertNothingRan("after asking the shell to open hostile URLs");
});

test("test_normal_links_open_in_the_system_browser_not_in_the_window", async () => {
  const text = conversations.find((c) => c.what.startsWith("text"));
  await openRow(text.group);
  await s.execute("const log = document.querySelector('[role=log]'); log.scrollTop = log.scrollHeight;");
  await s.find(`[role=log] a[href="${SAFE_LINK}"]`, { timeout: 10_000 });
  await s.execute(`document.querySelector('[role=log] a[href="${SAFE_LINK}"]').scrollIntoView({ block: 'center' });`);
  await (await s.find(`[role=log] a[href="${SAFE_LINK}"]`)).click();
  await eventually("the system browser to get the link", () => readOr(browserLog).split("\n").includes(SAFE_LINK), { timeout: 15_000 });
  assert.equal(await s.execute("return location.href"), appUrl, "the window did not navigate");

  const rich = conversations.find((c) => c.what === "rich");
  await openRow(rich.group);
  await s.execute("const log = document.querySelector('[role=log]'); log.scrollTop = log.scrollHeight;");
  await s.find(`[role=log] a.rich-button[href="${RICH_SAFE}"]`, { timeout: 10_000 });
  await s.execute(`document.querySelector('[role=log] a.rich-button[href="${RICH_SAFE}"]').scrollIntoView({ block: 'center' });`);
  await (await s.find(`[role=log] a.rich-button[href="${RICH_SAFE}"]`)).click();
  await eventually("the system browser to get the button's link", () => readOr(browserLog).split("\n").includes(RICH_SAFE), { timeout: 15_000 });
  assert.equal(await s.execute("return location.href"), appUrl, "the window did not navigate");
  await assertNothingRan("after opening normal links");
  const opened = readOr(browserLog).split("\n").filter(Boolean);
  assert.deepEqual(opened, [SAFE_LINK, RICH_SAFE], "only the two clicked links were opened");
});
