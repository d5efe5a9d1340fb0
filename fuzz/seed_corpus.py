#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/corpus/ from realistic samples: the protocol reference's
envelopes, the sandbox's MQTT payloads, the JSON bodies in ../shared/api-docs/, and hand-made
rich, HTML and attachment messages. Re-running it only adds files (named by content hash)."""
import hashlib, json, pathlib, re, sys

ROOT = pathlib.Path(__file__).resolve().parent
DOCS = ROOT.parent.parent / "shared" / "api-docs"

def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = ROOT / "corpus" / target
    d.mkdir(parents=True, exist_ok=True)
    (d / ("seed-" + hashlib.sha1(data).hexdigest()[:16])).write_bytes(data)

# -- envelopes (protocol reference §3.2, §3.5; sandbox mqtt/events.rs) --------------------
msg = {"key": "5-12711281-1540200629140", "groupId": 12711281, "clientGroupId": "12711281",
       "to": "customer-1", "contactIds": "customer-1", "message": "hi", "contentType": 0,
       "type": 4, "status": 0, "source": 1, "createdAtTime": 1540200629140, "metadata": {},
       "deviceKey": "dk-1"}
def env(kind, message, notify=False):
    return json.dumps({"id": "3f1c2a9e-0d5e-4b8a-9a55-1b8e5a1f7c20", "type": kind,
                       "message": message, "notifyUser": notify}, separators=(",", ":"))
for kind, m in [
    ("APPLOZIC_01", msg), ("APPLOZIC_02", msg), ("APPLOZIC_02", "5-1-2:devicekey"),
    ("APPLOZIC_03", {"key": "k1"}), ("APPLOZIC_04", "5-12711281-1540200629140,customer-1"),
    ("APPLOZIC_05", "k1,tab,1"), ("APPLOZIC_05", {"key": "k1", "groupId": 7}),
    ("APPLOZIC_06", "customer-1"), ("APPLOZIC_08", "k1,customer-1"), ("APPLOZIC_09", "ada"),
    ("APPLOZIC_10", "ada"), ("APPLOZIC_11", "ada"), ("APPLOZIC_12", "ranjeet,1449866097000"),
    ("APPLOZIC_12", "ranjeet,null"), ("APPLOZIC_15", ""), ("APPLOZIC_16", "BLOCKED_BY:ada"),
    ("APPLOZIC_17", "UNBLOCKED_TO:ada"), ("APPLOZIC_21", "12711281"), ("APPLOZIC_21", 12711281),
    ("APPLOZIC_23", "12711281,x"), ("APPLOZIC_25", "agent@acme.com,2"),
    ("APPLOZIC_25", "agent@acme.com,3,1449866097000"), ("APPLOZIC_27", "ada,55"),
    ("APPLOZIC_28", "ada,55"), ("APPLOZIC_29", "ada,55"), ("APPLOZIC_30", "ada"),
    ("APPLOZIC_33", dict(msg, metadata={"AL_DELETE_GROUP_MESSAGE_FOR_ALL": "true"})),
    ("APPLOZIC_34", "ada"), ("APPLOZIC_37", "ada:1"), ("APPLOZIC_39", "12711281:1700000000000"),
    ("APPLOZIC_42", dict(msg, metadata={"KM_REMOVE_GROUP": "true"})), ("APPLOZIC_40", None),
    ("MESSAGE_RECEIVED", msg), ("MT_MESSAGE_DELIVERED_READ", "k1,ada"), ("USER_CONNECTED", "ada"),
]:
    put("envelope", env(kind, m, kind == "APPLOZIC_01"))
put("envelope", '{"type":"APPLOZIC_04","message":null}')
put("envelope", '{"id":1,"type":4}')
# typing: "<app key>\n<topic>\n<payload>" (protocol §3.3)
put("envelope", "app1\ntyping-app1-12711281\napp1,agent@acme.com,1")
put("envelope", "app1\ntyping-app1-odd%2Buser%231\napp1,odd%2Buser%231,0")

# -- REST bodies: every JSON example in the API docs, plus the reference fixtures ----------
bodies = []
dec = json.JSONDecoder()
for f in sorted(DOCS.glob("*.txt")):
    text = f.read_text(errors="replace")
    for m in re.finditer(r"(?m)^\s*[\[{]", text):
        try:
            v, _ = dec.raw_decode(text, m.end() - 1)
        except ValueError:
            continue
        if isinstance(v, (dict, list)) and len(json.dumps(v)) > 40:
            bodies.append(json.dumps(v, separators=(",", ":")))
seen = set()
picked = [b for b in bodies if not (b in seen or seen.add(b))]
# Prefer the answers the client decodes; cap the corpus size.
key = lambda b: (not any(k in b for k in ("lastSyncTime", "groupPxys", "response", "userId", "message")), len(b))
for b in sorted(picked, key=key)[:24]:
    put("rest_responses", b)
ref = [
    '{"status":"success","generatedAt":1536076407406,"response":[{"id":9229677,"clientGroupId":"9229677","name":"Hey Group","adminId":"reytum6","membersId":["reytum7","reytum6"],"unreadCount":0,"type":2,"imageUrl":"https://www.applozic.com/favicon.ico","createdAtTime":1527612484476,"userCount":2,"groupUsers":[{"userId":"reytum6","status":0,"unreadCount":0,"role":1,"deleted":false},{"userId":"reytum7","status":0,"unreadCount":0,"role":3,"deleted":false}],"metadata":{"key1":"value1","key2":"value2"}}]}',
    '{"status":"error","errorResponse":[{"errorCode":"AL-U-01","description":"user already exist","displayMessage":"unable to process"}],"generatedAt":1536759151819}',
    '[{"userId": "UserId1","displayName": "Name1","connected": true,"lastSeenAtTime": 123456789,"imageLink": "http://image.url"}]',
    '{"lastSyncTime":1700000000000,"currentSyncTime":1700000000001,"messages":[' + json.dumps(msg) + '],"deliveredMessageKeys":null}',
    '{"status":"success","generatedAt":1700000000000,"response":{"groupPxys":[{"id":7,"type":10,"metadata":{"CONVERSATION_STATUS":"2","CONVERSATION_ASSIGNEE":"agent@x"}}]}}',
    '{"status":"success","generatedAt":1,"response":{"messageKey":"5-7-1700000000000","createdAt":1700000000000}}',
    '{"messageKey":"4-abc-1","createdAt":"1700000000000","conversationId":"55"}',
    '{"fileMeta":{"blobKey":"AMIfv9","name":"a.png","size":"10","contentType":"image/png"}}',
    '{"code":"SUCCESS","response":[{"userName":"agent@x"}]}',
    '{"message":"REGISTERED","deviceKey":"dk","userKey":"uk","authToken":"secret-token","lastSyncTime":"0"}',
    '{"status":"success","generatedAt":1,"response":"success"}',
    "success",
    "eyJhbGciOiJIUzI1NiJ9.eyJjcmVhdGVkQXRUaW1lIjoxNzAwMDAwMDAwMDAwLCJ2YWxpZFVwdG8iOjYwfQ.sig",
    "<html><body>502 Bad Gateway</body></html>",
]
for b in ref:
    put("rest_responses", b)

# -- messages: text, HTML, attachments, rich payloads (Kommunicate templates) -------------
def rich(template, payload, text="Choose one"):
    return dict(msg, message=text, metadata={"contentType": "300", "templateId": str(template),
                                             "payload": json.dumps(payload)})
messages = [
    msg,
    dict(msg, contentType=3, message="<p>Hello <b>there</b></p>\n<script>alert(1)</script>&amp;&lt;b&gt;"),
    dict(msg, contentType=3, message="<a href=\"javascript:alert(1)\">x</a><img src=x onerror=alert(1)>"),
    dict(msg, contentType=1, message="", fileMeta={"blobKey": "AMIfv9", "name": "20181022.jpg", "size": 104639, "contentType": "image/jpeg", "thumbnailUrl": "https://x/t"}),
    dict(msg, type=5, status=4, metadata={"PARLEY_CLIENT_KEY": "c-1"}),
    dict(msg, groupId=None, contactIds=None, to="ada"),
    rich(3, [{"name": "Yes", "action": {"type": "quickReply", "message": "yes"}}, {"name": "Docs", "type": "link", "url": "https://example.com"}]),
    rich(6, [{"title": "Yes", "message": "yes"}, {"title": "No", "message": "no"}]),
    rich(7, {"headerText": "Pick", "elements": [{"title": "A", "description": "a", "action": {"type": "link", "url": "https://x"}}], "buttons": [{"name": "More", "action": {"type": "link", "url": "https://y"}}]}),
    rich(10, [{"title": "Card", "subtitle": "s", "header": {"imgSrc": "https://img"}, "buttons": [{"name": "Go", "action": {"type": "link", "payload": {"url": "https://z"}}}]}]),
    rich(10, "not json"),
    dict(msg, metadata={"contentType": 300, "templateId": 6, "payload": [{"title": "n"}], "hidden": True, "KM_ASSIGN_TO": None}),
    dict(msg, createdAtTime="", groupId="77", type="4", key=123, fileMeta=None, metadata=None),
]
for m in messages:
    put("rich_message", json.dumps(m, separators=(",", ":"), ensure_ascii=False))

# -- file names and file heads -------------------------------------------------------------
names = ["report.pdf", "../../etc/passwd", "..\\..\\boot.ini", ".bashrc", "report.pdf. . ",
         "in\u202efdp.exe", "tab\tnew\nline", "CON.txt", "lpt1", "a<b>c:d\"e|f?g*h.txt",
         "x" * 130 + ".png", "é" * 130 + ".jpg", "Photo 2024-01-01 (2).jpeg", "名前.txt", ""]
for n in names:
    put("file_names", n)
for head in [b"\x89PNG\r\n\x1a\n0000", b"\xff\xd8\xff\xe0", b"GIF89a...", b"RIFF\0\0\0\0WEBPVP8 ",
             b"%PDF-1.7", b"PK\x03\x04", b"\0\0\0\x18ftypmp42", b"OggS", b"ID3\x03", b"BM" + b"\0" * 14,
             b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>"]:
    put("file_names", head)

# -- WapiKit SSE (sandbox routes/wapikit.rs: base64 MessagePack data) ------------------------
import base64
def mp(v):
    """A small MessagePack encoder (maps, arrays, str, int, bool, nil) for seeds."""
    if v is None: return b"\xc0"
    if v is True: return b"\xc3"
    if v is False: return b"\xc2"
    if isinstance(v, int): return bytes([v]) if 0 <= v < 128 else b"\xd3" + v.to_bytes(8, "big", signed=True)
    if isinstance(v, str):
        b = v.encode(); return (bytes([0xa0 | len(b)]) if len(b) < 32 else b"\xd9" + bytes([len(b)]) if len(b) < 256 else b"\xda" + len(b).to_bytes(2, "big")) + b
    if isinstance(v, list): return bytes([0x90 | len(v)]) + b"".join(mp(x) for x in v)
    if isinstance(v, dict): return bytes([0x80 | len(v)]) + b"".join(mp(k) + mp(x) for k, x in v.items())
    raise TypeError(v)
wk_msg = {"uniqueId": "m1", "conversationId": "c1", "direction": "InBound", "status": "Sent",
          "messageType": "Text", "createdAt": "2025-02-18T09:41:43Z", "messageData": {"text": "Olá"}}
wk_conv = {"uniqueId": "c1", "contact": {"uniqueId": "k1", "name": "Ana", "phone": "5511",
           "attributes": {"City": "Porto"}, "createdAt": "2025-02-01T10:00:00Z", "status": "Active"},
           "contactId": "k1", "organizationId": "o1", "initiatedBy": "Contact", "messages": None,
           "createdAt": "2025-02-01T10:00:00Z", "numberOfUnreadMessages": 1, "status": "Active", "tags": []}
def sse(kind, data):
    return "event: %s\ndata: %s\n\n" % (kind, base64.b64encode(mp(data)).decode())
put("wapikit_events", "event: connected\ndata: OK\n\n" + sse("NewMessage", {"conversation": wk_conv, "message": wk_msg}))
put("wapikit_events", sse("NewConversation", {"conversation": wk_conv}).replace("\n", "\r\n"))
put("wapikit_events", ": keep-alive\n\n" + sse("ChatAssignment", {"ConversationId": "c1"}) + sse("MessageRead", {"messageId": "m1"}))
put("wapikit_events", sse("ReloadRequired", {"isReloadRequired": True}) + sse("CampaignProgress", {"campaignId": "x", "messagesSent": 3}))
put("wapikit_events", b"NewMessage\n" + mp({"conversation": wk_conv, "message": wk_msg}))
put("wapikit_events", b"MessageErrored\n" + mp({"messageId": "m1", "error": "24h window closed"}))
