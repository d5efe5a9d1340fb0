// Runs last: after every other end-to-end session (sign-ins, replies, attachments, offline
// queue, hostile content), nothing the app wrote to disk holds a secret. The app's whole
// profile is searched (cache database and its WAL, logs, settings, window state, attachment
// cache) for the agents' passwords, the sandbox's Dixa API token (put in Settings › Dixa by
// 12-dixa) and for any JWT (the authToken; the deviceKey only ever travels inside the session
// kept by the keyring).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import * as sb from "./sandbox.mjs";

function* files(dir) {
  let entries = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (e.isFile()) yield p;
  }
}

test("test_no_password_or_token_is_written_anywhere_in_the_app_profile", () => {
  const roots = ["XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"]
    .map((v) => process.env[v])
    .filter(Boolean)
    .map((r) => join(r, "io.parley.desktop"));
  const secrets = [...new Set([...sb.ready.agents, ...sb.ready.customers].map((u) => u.password))].filter(
    (p) => p && p.length >= 6,
  );
  assert.ok(secrets.length > 0, "passwords to look for");
  assert.ok(sb.ready.dixaToken, "the sandbox's Dixa token to look for");
  secrets.push(sb.ready.dixaToken);
  assert.ok(sb.ready.wapikitKey, "the sandbox's WapiKit key to look for");
  secrets.push(sb.ready.wapikitKey);
  // A JWT's header, base64url of '{"alg":' or '{"typ":' — what every authToken starts with.
  const jwt = /eyJ(hbGciOi|0eXAiOi)[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\./;
  const hits = [];
  let scanned = 0;
  let bytes = 0;
  for (const root of roots) {
    for (const f of files(root)) {
      const text = readFileSync(f).toString("latin1");
      scanned++;
      bytes += statSync(f).size;
      for (const s of secrets) if (text.includes(s)) hits.push(`${f}: a password or token`);
      if (jwt.test(text)) hits.push(`${f}: a JWT`);
    }
  }
  assert.ok(scanned >= 3, `the profile was written (${scanned} files under ${roots.join(", ")})`);
  assert.deepEqual(hits, [], `secrets on disk (${scanned} files, ${bytes} bytes searched)`);
});
