// The Tauri surface from inside the window: what a script that somehow ran in the page could
// reach. Commands the main window is not granted (src-tauri/capabilities/main-window.json) are
// refused by the shell; the CSP (src-tauri/tauri.conf.json) stops inline and remote scripts,
// inline handlers, eval, remote connections, frames and plain-http images; a remote page shown
// in the window gets no IPC at all.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Session, sleep } from "./webdriver.mjs";
import * as sb from "./sandbox.mjs";
import { shot } from "./app.mjs";

let s;
let appUrl;

before(async () => {
  s = await Session.start();
  // The first screen (sign-in or inbox) is up: the page and its IPC are ready.
  await s.find("#signin-title, #inbox-list", { timeout: 30_000 });
  appUrl = await s.execute("return location.href");
});

after(async () => {
  await shot(s, "surface-last");
  await s?.quit().catch(() => {});
});

/** Run `body` (which ends by calling `done(value)`) in the page and wait for its value. */
const run = (body, args = []) =>
  s.cmd("POST", "/execute/async", { script: `const done = arguments[arguments.length - 1]; ${body}`, args });

const invoke = (cmd, args = {}) =>
  run(
    `const T = window.__TAURI_INTERNALS__;
     if (!T) return done({ ipc: false });
     T.invoke(arguments[0], arguments[1]).then((v) => done({ ok: true, v: JSON.stringify(v ?? null).slice(0, 200) }), (e) => done({ ok: false, e: String(e?.message ?? JSON.stringify(e)) }));`,
    [cmd, args],
  );

test("test_a_granted_command_works_and_every_command_not_granted_is_refused", async (t) => {
  // The control: a granted command answers, so refusals below are the ACL's doing.
  const info = await invoke("app_info");
  assert.equal(info.ok, true, `app_info: ${JSON.stringify(info)}`);

  const title = await s.title();
  const refused = {
    "plugin:fs|read_file": { path: "/etc/passwd" },
    "plugin:fs|read_text_file": { path: "/etc/passwd" },
    "plugin:shell|execute": { program: "sh", args: ["-c", "touch /tmp/parley-pwned"] },
    "plugin:shell|open": { path: "https://canary.invalid/shell" },
    "plugin:opener|open_url": { url: "https://canary.invalid/opener" },
    "plugin:opener|open_path": { path: "/etc/passwd" },
    "plugin:opener|reveal_item_in_dir": { path: "/etc/passwd" },
    "plugin:dialog|open": { options: {} },
    "plugin:dialog|message": { message: "pwned" },
    "plugin:notification|notify": { options: { title: "pwned", body: "pwned" } },
    "plugin:log|log": { level: 3, message: "canary.invalid forged log line" },
    "plugin:event|emit": { event: "open-conversation", payload: { accountId: "x", conversationId: "g:1" } },
    "plugin:event|emit_to": { target: { kind: "Any" }, event: "ui-batch", payload: {} },
    "plugin:window|set_title": { label: "main", value: "PWNED" },
    "plugin:window|close": { label: "main" },
    "plugin:webview|create_webview_window": { options: { label: "evil", url: "https://canary.invalid/" } },
    "plugin:app|app_hide": {},
    "plugin:path|resolve_directory": { directory: 1 },
    "plugin:window-state|save_window_state": { flags: 63 },
    "plugin:single-instance|x": {},
    get_secrets: {},
    read_file: { path: "/etc/passwd" },
    "__proto__": {},
  };
  const got = {};
  for (const [cmd, args] of Object.entries(refused)) {
    const r = await invoke(cmd, args);
    got[cmd] = r.ok ? `ALLOWED ${r.v}` : "refused";
    t.diagnostic(`${cmd}: ${r.ok ? "allowed" : r.e}`);
  }
  assert.deepEqual(
    got,
    Object.fromEntries(Object.keys(refused).map((k) => [k, "refused"])),
    "every command the window is not granted is refused",
  );
  assert.equal(await s.title(), title, "the title is unchanged");
  assert.equal(await s.execute("return location.href"), appUrl);
});

test("test_the_csp_blocks_injected_scripts_handlers_eval_remote_loads_and_frames", async (t) => {
  const r = await run(`
    const violations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      violations.push({ directive: e.effectiveDirective || e.violatedDirective, uri: String(e.blockedURI || '') }));
    const results = {};
    // An inline script added through the DOM.
    const inline = document.createElement('script');
    inline.textContent = 'window.__csp_inline = 1;';
    document.body.appendChild(inline);
    // A remote script, over http and https.
    for (const url of ['http://example.invalid/evil.js', 'https://example.invalid/evil.js']) {
      const remote = document.createElement('script');
      remote.src = url;
      remote.onload = () => (window.__csp_remote = url);
      document.body.appendChild(remote);
    }
    // An inline handler.
    const div = document.createElement('div');
    div.setAttribute('onclick', 'window.__csp_handler = 1');
    document.body.appendChild(div);
    div.click();
    // eval and new Function.
    try { eval('window.__csp_eval = 1'); } catch (e) { results.eval = e.name; }
    try { new Function('window.__csp_function = 1')(); } catch (e) { results.func = e.name; }
    // Web images (http and https: tracking pixels), a frame, a style element and a connection.
    const img = document.createElement('img');
    img.src = 'http://example.invalid/pixel.png';
    document.body.appendChild(img);
    const pixel = document.createElement('img');
    pixel.src = 'https://tracker.invalid/pixel.gif';
    document.body.appendChild(pixel);
    const frame = document.createElement('iframe');
    frame.src = 'https://example.invalid/frame.html';
    document.body.appendChild(frame);
    const style = document.createElement('style');
    style.textContent = 'body { display: none !important; }';
    document.head.appendChild(style);
    fetch('https://example.invalid/beacon').then(() => (results.fetch = 'sent'), (e) => (results.fetch = e.name));
    setTimeout(() => {
      results.inline = window.__csp_inline ?? null;
      results.remote = window.__csp_remote ?? null;
      results.handler = window.__csp_handler ?? null;
      results.evalRan = window.__csp_eval ?? null;
      results.functionRan = window.__csp_function ?? null;
      results.bodyHidden = getComputedStyle(document.body).display === 'none';
      for (const n of [inline, div, img, pixel, frame, style]) n.remove();
      document.querySelectorAll('script[src*="example.invalid"]').forEach((n) => n.remove());
      done({ results, violations });
    }, 2500);`);
  const { results, violations } = r;
  t.diagnostic(`CSP: ${JSON.stringify(results)} ${JSON.stringify(violations)}`);
  assert.equal(results.inline, null, "an injected inline script ran");
  assert.equal(results.remote, null, "a remote script loaded");
  assert.equal(results.handler, null, "an inline handler ran");
  assert.equal(results.evalRan, null, "eval ran");
  assert.equal(results.functionRan, null, "new Function ran");
  assert.equal(results.eval, "EvalError");
  assert.equal(results.func, "EvalError");
  assert.equal(results.bodyHidden, false, "an injected style element applied");
  assert.notEqual(results.fetch, "sent", "a remote connection was made");
  const by = (directive, uri = "") => violations.some((v) => v.directive.startsWith(directive) && v.uri.includes(uri));
  assert.ok(by("script-src", "inline") || by("script-src-elem", "inline"), `inline script: ${JSON.stringify(violations)}`);
  assert.ok(by("script-src", "http://example.invalid") || by("script-src-elem", "http://example.invalid"), "http script");
  assert.ok(by("script-src", "https://example.invalid") || by("script-src-elem", "https://example.invalid"), "https script");
  assert.ok(by("script-src", "inline") || by("script-src-attr", "inline"), "inline handler");
  assert.ok(by("script-src", "eval"), `eval: ${JSON.stringify(violations)}`);
  assert.ok(by("img-src", "http://example.invalid"), `http image: ${JSON.stringify(violations)}`);
  assert.ok(by("img-src", "https://tracker.invalid"), `https image: ${JSON.stringify(violations)}`);
  assert.ok(by("frame-src", "example.invalid") || by("child-src", "example.invalid"), `frame: ${JSON.stringify(violations)}`);
  assert.ok(by("style-src", "inline") || by("style-src-elem", "inline"), `style element: ${JSON.stringify(violations)}`);
  assert.ok(by("connect-src", "example.invalid"), `fetch: ${JSON.stringify(violations)}`);
});

test("test_the_window_refuses_to_go_to_a_remote_page_and_a_remote_page_would_get_no_ipc", async (t) => {
  // The sandbox's HTTP server stands in for any remote site the window might be sent to.
  const remote = `${sb.ready.http}/e2e-remote-page`;
  await s.execute("location.href = arguments[0];", [remote]);
  let where = "";
  for (let i = 0; i < 50 && !where.startsWith(sb.ready.http); i++) {
    await sleep(200);
    where = await s.execute("return location.href").catch(() => "");
  }
  if (where.startsWith(sb.ready.http)) {
    for (const cmd of ["app_info", "accounts", "sign_out", "open_external"]) {
      const r = await invoke(cmd, { accountId: "x", url: "https://canary.invalid/remote" });
      t.diagnostic(`remote page, ${cmd}: ${JSON.stringify(r)}`);
      assert.notEqual(r.ok, true, `${cmd} answered a remote page: ${JSON.stringify(r)}`);
    }
    // Straight to the IPC endpoint, without the page's helper.
    const raw = await run(
      `fetch('http://ipc.localhost/app_info', { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json', 'Tauri-Callback': '1', 'Tauri-Error': '2' } })
         .then((r) => r.text().then((t) => done('answered ' + r.status + ' ' + t.slice(0, 100))), (e) => done('failed ' + e.name));`,
    );
    t.diagnostic(`remote page, raw IPC request: ${raw}`);
    assert.ok(!/^answered 200/.test(raw), `the IPC endpoint answered a remote page: ${raw}`);
  }
  await s.execute("location.href = arguments[0];", [appUrl]).catch(() => {});
  // The shell's navigation guard keeps the window on its own content (the checks above are
  // the second layer, for a window that got away anyway).
  assert.equal(where, appUrl, `the window went to ${where}`);
});
