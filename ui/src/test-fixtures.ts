// Shared test data: a small inbox with every kind of message the timeline renders.
import { ME, account, conversation, createMockIpc, message, type MockOptions } from "./lib/ipc/mock";
import type { Conversation, Message } from "./lib/ipc/ipc";

export const HOUR = 3_600_000;
export const base = Date.UTC(2026, 10, 20, 9, 0, 0);

export function inboxConversations(): Conversation[] {
  return [
    conversation({ id: "g:1", title: "Alice Martin", lastMessagePreview: "My invoice is wrong", unread: 2, lastActivityAt: base + 5 * HOUR, customerId: "alice" }),
    conversation({ id: "g:2", title: "Bob Stone", lastMessagePreview: "Thanks!", lastActivityAt: base + 4 * HOUR, customerId: "bob" }),
    conversation({ id: "g:3", title: "Carol Diaz", lastMessagePreview: "Refund please", lastActivityAt: base + 3 * HOUR, customerId: "carol" }),
    conversation({ id: "g:4", title: "Dan Unassigned", assignee: null, lastMessagePreview: "Hello?", lastActivityAt: base + 2 * HOUR, customerId: "dan" }),
    conversation({ id: "g:5", title: "Eve Closed", status: "resolved", lastMessagePreview: "Solved", lastActivityAt: base + HOUR, customerId: "eve" }),
    conversation({ id: "g:6", title: "Spammy McSpam", status: "spam", assignee: null, lastMessagePreview: "Buy now", lastActivityAt: base, customerId: "spam" }),
  ];
}

export function inboxMessages(): Record<string, Message[]> {
  return {
    "g:1": [
      message({ key: "a1", conversationId: "g:1", senderId: "alice", createdAt: base, text: "Hi, my invoice is wrong.\nIt says 40 EUR." }),
      message({ key: "a2", conversationId: "g:1", senderId: ME, direction: "outgoing", state: "read", createdAt: base + 60_000, text: "Let me check the invoice for you." }),
    ],
    "g:2": [message({ key: "b1", conversationId: "g:2", senderId: "bob", createdAt: base, text: "Thanks for the quick refund!" })],
    "g:3": [message({ key: "c1", conversationId: "g:3", senderId: "carol", createdAt: base, text: "Refund please, order 1234" })],
  };
}

export function scenario(over: MockOptions = {}) {
  return createMockIpc({
    accounts: [account()],
    conversations: inboxConversations(),
    messages: inboxMessages(),
    customers: {
      alice: {
        userId: "alice",
        displayName: "Alice Martin",
        email: "alice@example.com",
        phone: null,
        imageUrl: null,
        metadata: {},
        online: true,
        lastSeenAt: null,
        roleType: 3,
      },
    },
    ...over,
  });
}

/** Let promises and one animation frame run. */
export async function settle(frames = 2): Promise<void> {
  for (let i = 0; i < frames; i++) {
    await new Promise<void>((r) => requestAnimationFrame(() => r()));
    await Promise.resolve();
  }
}
