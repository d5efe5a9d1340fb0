// Talking to a sandbox as a customer's widget or an agent's dashboard would. `connect(ready)`
// binds the calls to one sandbox (its ready line); the top-level exports talk to the one the
// E2E run started (PARLEY_SANDBOX_READY). `start()` runs another sandbox process, e.g. one a
// test stops and restarts.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { createServer } from "node:net";

export function connect(ready) {
  async function rest(token, method, path, body) {
    const res = await fetch(ready.http + path, {
      method,
      headers: {
        "Application-Key": ready.applicationId,
        ...(token ? { "X-Authorization": token } : {}),
        ...(body ? { "content-type": "application/json" } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }

  /** A JWT for a user with a password (customers and agents both can register/client). */
  async function tokenFor({ userId, password }) {
    const r = await rest(null, "POST", "/rest/ws/register/client", {
      userId,
      password,
      applicationId: ready.applicationId,
      deviceType: 4,
    });
    if (!r.authToken) throw new Error(`no token for ${userId}: ${JSON.stringify(r)}`);
    return r.authToken;
  }

  const unwrap = (r) => (r && typeof r === "object" && "response" in r ? r.response : r);

  async function startConversation(customerToken, title, agentId) {
    const r = unwrap(
      await rest(customerToken, "POST", "/rest/ws/group/conversation", {
        groupName: title,
        groupMemberList: [agentId],
        metadata: { SKIP_ROUTING: "true", CONVERSATION_ASSIGNEE: agentId },
      }),
    );
    return r.id ?? r.groupId;
  }

  async function send(token, groupId, message) {
    return unwrap(await rest(token, "POST", "/rest/ws/message/send", { groupId, message }));
  }

  async function thread(token, groupId) {
    const r = await rest(token, "GET", `/rest/ws/message/list?groupId=${groupId}&pageSize=200`);
    return (r.message ?? []).map((m) => m.message);
  }

  /** The thread's messages as the platform stores them (fileMeta, metadata…). */
  async function messages(token, groupId) {
    const r = await rest(token, "GET", `/rest/ws/message/list?groupId=${groupId}&pageSize=200`);
    return r.message ?? [];
  }

  /** An uploaded file's bytes. */
  async function download(token, blobKey) {
    const res = await fetch(`${ready.http}/rest/ws/aws/file/${encodeURIComponent(blobKey)}`, {
      headers: { "Application-Key": ready.applicationId, "X-Authorization": token },
    });
    if (!res.ok) throw new Error(`download ${blobKey}: ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }

  async function groupInfo(token, groupId) {
    return unwrap(await rest(token, "GET", `/rest/ws/group/info?groupId=${groupId}`));
  }

  /**
   * A group as the platform has it (`group/v2/info`: name, type, membersId, groupUsers with
   * roles), or null when the server no longer knows it (deleted: AL-G-01).
   */
  async function groupV2(token, groupId) {
    const res = await fetch(`${ready.http}/rest/ws/group/v2/info?groupId=${encodeURIComponent(groupId)}`, {
      headers: { "Application-Key": ready.applicationId, "X-Authorization": token },
    });
    const text = await res.text();
    if (res.status === 404 && text.includes("AL-G-01")) return null;
    if (!res.ok) throw new Error(`group/v2/info ${groupId}: ${res.status} ${text}`);
    return unwrap(JSON.parse(text));
  }

  /** A group created by the user of `token` (SDK form: users with roles); its id. */
  async function createGroup(token, { name, type = 2, users = [] }) {
    const r = unwrap(await rest(token, "POST", "/rest/ws/group/v2.1/create", { groupName: name, type, users }));
    return r.id;
  }

  /** How many open conversations the agent sees, and how many are assigned to them. */
  async function supportCounts(token, agentId) {
    const open = "&status=-1&status=0&status=1&status=6&status=7";
    const countAll = async (path) => {
      const ids = new Set();
      let last = null;
      for (let page = 0; page < 100; page++) {
        const r = unwrap(await rest(token, "GET", `${path}&pageSize=50${open}${last ? `&lastFetchTime=${last}` : ""}`));
        const feeds = r.groupFeeds ?? [];
        feeds.forEach((g) => ids.add(g.id));
        if (feeds.length < 50 || !r.lastFetchTime || r.lastFetchTime === last) break;
        last = r.lastFetchTime;
      }
      return ids.size;
    };
    return {
      all: await countAll("/rest/ws/group/support?x=1"),
      mine: await countAll(`/rest/ws/group/support/assigned?userId=${encodeURIComponent(agentId)}`),
    };
  }

  async function displayName(token, userId) {
    const r = unwrap(await rest(token, "GET", `/rest/ws/user/detail?userIds=${encodeURIComponent(userId)}`));
    return (Array.isArray(r) ? r[0]?.displayName : null) ?? userId;
  }

  /** A user's profile as the sandbox stores it (`user/v2/detail`): name, email, phoneNumber, metadata… */
  async function userDetail(token, userId) {
    const r = unwrap(await rest(token, "POST", "/rest/ws/user/v2/detail", { userIdList: [userId] }));
    return (Array.isArray(r) ? r : []).find((u) => u.userId === userId) ?? null;
  }

  /** WapiKit: the sandbox's admin routes (header `Api-Key: <application key>`). */
  async function wapikitAdmin(method, path, body) {
    const res = await fetch(ready.http + path, {
      method,
      headers: { "Api-Key": ready.apiKey, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text);
  }

  /**
   * A WhatsApp customer writes to the WapiKit inbox: `{conversationId}` or `{phone, name?}`
   * (a new number starts a conversation) and `text`. Resolves to `{conversation, message}`.
   */
  async function wapikitInbound({ conversationId, phone, name, text }) {
    return wapikitAdmin("POST", "/admin/wapikit/inbound", { conversationId, phone, name, text });
  }

  /** The messages of a WapiKit conversation (by id, or the latest of a phone), oldest first. */
  async function wapikitMessages({ conversationId, phone }) {
    const q = conversationId
      ? `conversationId=${encodeURIComponent(conversationId)}`
      : `phone=${encodeURIComponent(phone)}`;
    const r = await wapikitAdmin("GET", `/admin/wapikit/messages?${q}`);
    return r.messages ?? [];
  }

  /** A WapiKit API call with the demo key (`x-access-token`), e.g. `wapikitApi("GET", "/conversations?page=1&per_page=50")`. */
  async function wapikitApi(method, path, body) {
    const res = await fetch(ready.wapikitUrl + path, {
      method,
      headers: { "x-access-token": ready.wapikitKey, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text);
  }

  return { ready, messages, download, rest, tokenFor, startConversation, send, thread, groupInfo, supportCounts, displayName, userDetail, groupV2, createGroup, wapikitInbound, wapikitMessages, wapikitApi };
}

export const ready = JSON.parse(process.env.PARLEY_SANDBOX_READY ?? "null");
export const { messages, download, rest, tokenFor, startConversation, send, thread, groupInfo, supportCounts, displayName, userDetail, groupV2, createGroup, wapikitInbound, wapikitMessages, wapikitApi } = connect(ready);

/** A free TCP port on the loopback interface. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Start a sandbox process (`PARLEY_SANDBOX_BIN`) with demo data kept in `dataDir`, on fixed
 * ports so it can be stopped and started again at the same address. Resolves once its ready
 * line is read: `{ ready, api, stop }`.
 */
export async function start({ dataDir, httpPort, mqttPort }) {
  const bin = process.env.PARLEY_SANDBOX_BIN;
  if (!bin) throw new Error("PARLEY_SANDBOX_BIN must be set (cargo xtask test does)");
  const child = spawn(
    bin,
    ["--data", dataDir, "--seed", "demo", "--http", `127.0.0.1:${httpPort}`, "--mqtt", `127.0.0.1:${mqttPort}`],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  const line = await new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.once("line", (l) => resolve(l));
    child.once("exit", (code) => reject(new Error(`sandbox exited (${code}) before it was ready`)));
    child.once("error", reject);
  });
  const info = JSON.parse(line);
  if (!info.ready) throw new Error(`sandbox not ready: ${line}`);
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  return { ready: info, api: connect(info), stop };
}
