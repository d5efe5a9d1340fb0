// Talking to the sandbox the E2E run started (its ready line is in PARLEY_SANDBOX_READY), as
// a customer's widget or an agent's dashboard would.
export const ready = JSON.parse(process.env.PARLEY_SANDBOX_READY ?? "null");

export async function rest(token, method, path, body) {
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
export async function tokenFor({ userId, password }) {
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

export async function startConversation(customerToken, title, agentId) {
  const r = unwrap(
    await rest(customerToken, "POST", "/rest/ws/group/conversation", {
      groupName: title,
      groupMemberList: [agentId],
      metadata: { SKIP_ROUTING: "true", CONVERSATION_ASSIGNEE: agentId },
    }),
  );
  return r.id ?? r.groupId;
}

export async function send(token, groupId, message) {
  return unwrap(await rest(token, "POST", "/rest/ws/message/send", { groupId, message }));
}

export async function thread(token, groupId) {
  const r = await rest(token, "GET", `/rest/ws/message/list?groupId=${groupId}&pageSize=200`);
  return (r.message ?? []).map((m) => m.message);
}

export async function groupInfo(token, groupId) {
  return unwrap(await rest(token, "GET", `/rest/ws/group/info?groupId=${groupId}`));
}

/** How many open conversations the agent sees, and how many are assigned to them. */
export async function supportCounts(token, agentId) {
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

export async function displayName(token, userId) {
  const r = unwrap(await rest(token, "GET", `/rest/ws/user/detail?userIds=${encodeURIComponent(userId)}`));
  return (Array.isArray(r) ? r[0]?.displayName : null) ?? userId;
}
