// A browser-only demo backend for `npm run dev` outside Tauri: the real UI over the mock IPC
// with a realistic inbox. Never part of the production bundle (main.ts imports it in DEV only).
import { ME, account, conversation, createMockIpc, emptyBatch, message, type MockIpc } from "../lib/ipc/mock";
import type { Conversation, ConversationStatus, Message } from "../lib/ipc/ipc";

const NAMES = [
  "Alice Martin", "Bruno Keller", "Chiara Rossi", "Dmitri Volkov", "Elena García", "Farah Haddad", "Greta Nilsson",
  "Hiro Tanaka", "Isabel Costa", "Jonas Weber", "Kemi Adeyemi", "Lucas Moreau", "Maya Patel", "Noah Fischer",
];
const PREVIEWS = [
  "My invoice shows the wrong VAT number",
  "Can I change the delivery address?",
  "The app crashes when I upload a photo",
  "Thanks, that fixed it!",
  "Is there a discount for annual plans?",
  "I was charged twice this month",
  "How do I export my data?",
];

/** A photo-like picture for the image attachment (the shell would download the real one). */
function demoPicture(): string {
  const canvas = document.createElement("canvas");
  canvas.width = 480;
  canvas.height = 360;
  const g = canvas.getContext("2d");
  if (!g) return "";
  const sky = g.createLinearGradient(0, 0, 0, 360);
  sky.addColorStop(0, "#8fb8f0");
  sky.addColorStop(1, "#f3d9b1");
  g.fillStyle = sky;
  g.fillRect(0, 0, 480, 360);
  g.fillStyle = "#4a6b45";
  g.beginPath();
  g.moveTo(0, 260);
  g.quadraticCurveTo(160, 170, 300, 240);
  g.quadraticCurveTo(400, 290, 480, 230);
  g.lineTo(480, 360);
  g.lineTo(0, 360);
  g.fill();
  g.fillStyle = "#fff6d5";
  g.beginPath();
  g.arc(370, 90, 34, 0, Math.PI * 2);
  g.fill();
  return canvas.toDataURL("image/png");
}

export function demoIpc(): MockIpc {
  const now = Date.now();
  const statuses: ConversationStatus[] = ["open", "open", "open", "progress", "initial", "resolved", "spam", "waiting"];
  const convs: Conversation[] = Array.from({ length: 320 }, (_, i) => {
    const name = NAMES[i % NAMES.length]!;
    const status = statuses[i % statuses.length]!;
    return conversation({
      id: `g:${5000 + i}`,
      title: i < NAMES.length ? name : `${name} #${i}`,
      status,
      assignee: i === 0 ? ME : i % 3 === 0 ? null : i % 5 === 0 ? "sam@parley.test" : ME,
      customerId: `cust-${i}`,
      lastActivityAt: now - i * 47 * 60_000,
      lastMessagePreview: PREVIEWS[i % PREVIEWS.length]!,
      unread: i % 4 === 1 ? (i % 7) + 1 : 0,
    });
  });
  const day = 86_400_000;
  const first = convs[0]!;
  const at = (d: number, m: number) => now - d * day + m * 60_000;
  const msgs: Message[] = [
    ...Array.from({ length: 60 }, (_, i) =>
      message({
        key: `hist-${i}`,
        conversationId: first.id,
        senderId: i % 2 ? ME : "cust-0",
        direction: i % 2 ? "outgoing" : "incoming",
        state: "read",
        createdAt: at(3, i * 7),
        text: i % 2 ? `Earlier reply number ${i}.` : `Earlier question number ${i}?`,
      }),
    ),
    message({ key: "sys-1", conversationId: first.id, senderId: "bot", contentType: 10, createdAt: at(1, 0), text: "Conversation assigned to Ada Agent" }),
    message({
      key: "m-1",
      conversationId: first.id,
      senderId: "cust-0",
      createdAt: at(1, 2),
      text: "Hi! My invoice INV-2291 shows the wrong VAT number.\nCould you fix it? Details: https://billing.example.com/inv/2291",
    }),
    message({
      key: "m-2",
      conversationId: first.id,
      senderId: ME,
      direction: "outgoing",
      state: "read",
      createdAt: at(1, 9),
      contentType: 3,
      text: '<p>Of course — I can <b>re-issue</b> it. Please check <a href="https://help.example.com/vat">our VAT guide</a>.</p><img src=x onerror=alert(1)>',
    }),
    message({
      key: "m-3",
      conversationId: first.id,
      senderId: "bot",
      createdAt: at(1, 10),
      text: "Was this helpful?",
      metadata: { contentType: "300", templateId: "6", payload: JSON.stringify([{ title: "Yes, thanks" }, { title: "Not really" }, { title: "Talk to a human" }]) },
    }),
    message({
      key: "m-4",
      conversationId: first.id,
      senderId: "cust-0",
      createdAt: at(0, -30),
      contentType: 1,
      text: "",
      attachment: { name: "invoice-2291.pdf", size: 183_442, contentType: "application/pdf", blobKey: "b1", url: "https://files.example.com/invoice-2291.pdf", thumbnailUrl: null },
    }),
    message({
      key: "m-5",
      conversationId: first.id,
      senderId: "bot",
      createdAt: at(0, -20),
      text: "Pick a plan",
      metadata: {
        contentType: "300",
        templateId: "10",
        payload: JSON.stringify([
          { title: "Starter", subtitle: "€9 / month", description: "For small teams", buttons: [{ name: "Choose", action: { type: "link", payload: { url: "https://shop.example.com/starter" } } }] },
          { title: "Business", subtitle: "€29 / month", description: "SLA and SSO", buttons: [{ name: "Choose", action: { type: "link", payload: { url: "https://shop.example.com/business" } } }] },
        ]),
      },
    }),
    message({
      key: "m-4b",
      conversationId: first.id,
      senderId: "cust-0",
      createdAt: at(0, -28),
      contentType: 1,
      text: "",
      attachment: { name: "damaged-parcel.png", size: 412_330, contentType: "image/png", blobKey: "img-1", url: null, thumbnailUrl: null },
    }),
    message({ key: "m-6", conversationId: first.id, senderId: ME, direction: "outgoing", state: "delivered", createdAt: at(0, -12), text: "I've re-issued the invoice. You'll get it by e-mail." }),
    message({ key: "m-7", conversationId: first.id, senderId: ME, direction: "outgoing", state: "failed", createdAt: at(0, -11), text: "Anything else I can help with?" }),
  ];
  const ipc = createMockIpc({
    accounts: [
      account({ displayName: "Ada Agent", insecureLink: true }),
      account({ id: "acc-2", userId: "ada@other.example", displayName: "Ada (EU)", server: "https://chat-eu.kommunicate.io" }),
    ],
    conversations: convs,
    messages: { [first.id]: msgs },
    customers: {
      "cust-0": { userId: "cust-0", displayName: "Alice Martin", email: "alice@example.com", phone: null, imageUrl: null, metadata: {}, online: true, lastSeenAt: null, roleType: 3 },
    },
    openLimit: 20,
    previews: { "img-1": demoPicture() },
    picked: [
      { name: "quote-2291.pdf", size: 96_512 },
      { name: "return-label.pdf", size: 48_200 },
    ],
    uploadStepMs: 350,
  });
  // The sender delivers queued messages a moment later, as it would when online.
  void ipc.onBatch((b) => {
    for (const m of b.messages) {
      if (m.direction === "outgoing" && m.state === "queued") setTimeout(() => ipc.deliver(m.key), 1500);
    }
  });
  // Alice types now and then.
  setInterval(() => ipc.emit(emptyBatch({ typing: [{ conversationId: first.id, userId: "cust-0", typing: true }] })), 15_000);
  return ipc;
}
