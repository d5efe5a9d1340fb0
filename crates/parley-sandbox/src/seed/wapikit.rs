//! WapiKit seed: the API key secret and the demo organisation with its three members (always),
//! a second organisation (always: keys of other organisations must not see the first), and
//! with `--seed demo` WhatsApp contacts, conversations (Active and Closed; assigned to the key's
//! member, to another member, unassigned; one started by a campaign), messages of every
//! common type in both directions, and tags.

use serde_json::{json, Value};
use sqlx::{SqliteConnection, SqlitePool};

use crate::wapikit::auth::{now_secs, KeyClaims, KeySigner};
use crate::SeedConfig;

/// The demo organisation (every admin inbound without `organizationId` goes here).
pub const ORG_ID: &str = "7f3c2a10-5d4e-4b8a-9f61-2c0e8d7a4b11";
pub const ORG_NAME: &str = "Parley Demo Store";
/// Another organisation, with its own member, contact and conversation.
pub const OTHER_ORG_ID: &str = "2b9e4d61-8a0c-4f3e-b5d7-6e1a9c2f0d34";
/// The member of the other organisation (`Sandbox::wapikit_key_for`).
pub const OTHER_EMAIL: &str = "olga@northwind.test";

/// (user id, member id, email, name, access level). The first is "me": the demo key's owner.
pub const MEMBERS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "a1e5c3d2-0b4f-4e6a-8c9d-1f2e3a4b5c61",
        "b2f6d4e3-1c5a-4f7b-9d0e-2a3b4c5d6e71",
        "alice@parley.test",
        "Alice Martin",
        "Owner",
    ),
    (
        "a1e5c3d2-0b4f-4e6a-8c9d-1f2e3a4b5c62",
        "b2f6d4e3-1c5a-4f7b-9d0e-2a3b4c5d6e72",
        "bob@parley.test",
        "Bob Okoye",
        "Member",
    ),
    (
        "a1e5c3d2-0b4f-4e6a-8c9d-1f2e3a4b5c63",
        "b2f6d4e3-1c5a-4f7b-9d0e-2a3b4c5d6e73",
        "carol@parley.test",
        "Carol Jensen",
        "Member",
    ),
];
const OTHER_USER: (&str, &str, &str, &str, &str) = (
    "a1e5c3d2-0b4f-4e6a-8c9d-1f2e3a4b5c69",
    "b2f6d4e3-1c5a-4f7b-9d0e-2a3b4c5d6e79",
    OTHER_EMAIL,
    "Olga Petrova",
    "Owner",
);

const AGENT_ROLE: &str = r#"[{"uniqueId":"c3a7e5f4-2d6b-4a8c-8e1f-3b4c5d6e7f81","name":"Support agent","description":"Answers WhatsApp conversations","permissions":["Get:Conversation","Update:Conversation","Assign:Conversation","Unassign:Conversation","Get:Contact"]}]"#;

/// Deterministic ids for seeded rows: `kind` (one hex digit) and a number.
fn seed_id(kind: u8, n: usize) -> String {
    format!("5eed{kind:x}000-0000-4000-8000-{n:012x}")
}

/// The key of `email`'s membership in its (first) organisation, valid for two years.
pub async fn mint_key(
    db: &SqlitePool,
    signer: &KeySigner,
    email: &str,
) -> anyhow::Result<Option<String>> {
    let row: Option<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT u.id, u.username, u.name, m.org_id, m.access_level FROM wapikit_users u \
         JOIN wapikit_members m ON m.user_id = u.id WHERE u.email = ? ORDER BY m.created_at LIMIT 1",
    )
    .bind(email)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(id, username, name, org, level)| {
        signer.sign(&KeyClaims {
            unique_id: id,
            username,
            email: email.to_owned(),
            role: level,
            organization_id: org,
            name,
            exp: now_secs() + 2 * 365 * 86_400,
            iss: "wapikit".into(),
        })
    }))
}

/// Loads (or creates) the key secret and seeds what is missing; the demo key ("me").
pub async fn ensure(
    db: &SqlitePool,
    keys: &std::sync::OnceLock<KeySigner>,
    seed: &SeedConfig,
    now: i64,
) -> anyhow::Result<String> {
    let existing: Option<(String,)> =
        sqlx::query_as("SELECT jwt_secret FROM wapikit_server WHERE id = 1")
            .fetch_optional(db)
            .await?;
    let secret = match existing {
        Some((hex,)) => hex,
        None => {
            use rand::RngCore as _;
            let mut b = [0u8; 32];
            rand::thread_rng().fill_bytes(&mut b);
            let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
            let mut tx = db.begin().await?;
            sqlx::query("INSERT INTO wapikit_server (id, jwt_secret) VALUES (1, ?)")
                .bind(&hex)
                .execute(&mut *tx)
                .await?;
            organisations(&mut tx, now).await?;
            if *seed == SeedConfig::Demo {
                demo(&mut tx, now).await?;
            }
            tx.commit().await?;
            hex
        }
    };
    let signer = KeySigner::new(secret.as_bytes());
    let key = mint_key(db, &signer, MEMBERS[0].2)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the WapiKit demo member is missing"))?;
    let _ = keys.set(signer);
    Ok(key)
}

async fn insert_member(
    conn: &mut SqliteConnection,
    org: &str,
    (user, member, email, name, level): (&str, &str, &str, &str, &str),
    at: i64,
) -> anyhow::Result<()> {
    let username = email.split('@').next().unwrap_or(email);
    sqlx::query(
        "INSERT INTO wapikit_users (id, email, username, name, status, created_at) \
         VALUES (?, ?, ?, ?, 'Active', ?)",
    )
    .bind(user)
    .bind(email)
    .bind(username)
    .bind(name)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO wapikit_members (id, org_id, user_id, access_level, roles, created_at) \
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(member)
    .bind(org)
    .bind(user)
    .bind(level)
    .bind(if level == "Owner" { "[]" } else { AGENT_ROLE })
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn organisations(conn: &mut SqliteConnection, now: i64) -> anyhow::Result<()> {
    let day = 86_400_000;
    for (id, name) in [(ORG_ID, ORG_NAME), (OTHER_ORG_ID, "Northwind Traders")] {
        sqlx::query("INSERT INTO wapikit_orgs (id, name, created_at) VALUES (?, ?, ?)")
            .bind(id)
            .bind(name)
            .bind(now - 120 * day)
            .execute(&mut *conn)
            .await?;
    }
    for (i, m) in MEMBERS.iter().enumerate() {
        insert_member(conn, ORG_ID, *m, now - 100 * day + i as i64 * 1000).await?;
    }
    insert_member(conn, OTHER_ORG_ID, OTHER_USER, now - 100 * day).await?;
    // The other organisation's only conversation.
    let contact = seed_id(1, 99);
    sqlx::query(
        "INSERT INTO wapikit_contacts (id, org_id, name, phone, attributes, status, created_at) \
         VALUES (?, ?, 'Hiro Sato', '819012345678', '{}', 'Active', ?)",
    )
    .bind(&contact)
    .bind(OTHER_ORG_ID)
    .bind(now - 10 * day)
    .execute(&mut *conn)
    .await?;
    let conversation = seed_id(2, 99);
    sqlx::query(
        "INSERT INTO wapikit_conversations (id, org_id, contact_id, initiated_by, status, created_at) \
         VALUES (?, ?, ?, 'Contact', 'Active', ?)",
    )
    .bind(&conversation)
    .bind(OTHER_ORG_ID)
    .bind(&contact)
    .bind(now - 10 * day)
    .execute(&mut *conn)
    .await?;
    let data = json!({"messageType": "Text", "text": "Is the warehouse open on Saturday?"});
    crate::wapikit::model::insert_message(
        conn,
        OTHER_ORG_ID,
        &conversation,
        "InBound",
        "Sent",
        "Text",
        data.as_object().unwrap_or(&serde_json::Map::new()),
        None,
        now - 10 * day,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

/// (name, phone, attributes).
const CONTACTS: &[(&str, &str, &str)] = &[
    (
        "Ana Souza",
        "5511987654321",
        r#"{"city":"São Paulo","plan":"Premium","language":"pt-BR"}"#,
    ),
    (
        "Liam O'Brien",
        "353871234567",
        r#"{"city":"Dublin","plan":"Basic"}"#,
    ),
    (
        "Priya Nair",
        "919876543210",
        r#"{"city":"Kochi","plan":"Business","gstin":"32ABCDE1234F1Z5"}"#,
    ),
    (
        "Kenji Tanaka",
        "818012345678",
        r#"{"city":"Osaka","language":"ja"}"#,
    ),
    (
        "Fatima Zahra",
        "212612345678",
        r#"{"city":"Casablanca","plan":"Basic"}"#,
    ),
    (
        "Lucas Martin",
        "33612345678",
        r#"{"city":"Lyon","plan":"Premium","orders":12}"#,
    ),
    (
        "Sofia Rossi",
        "393471234567",
        r#"{"city":"Milano","language":"it"}"#,
    ),
    ("Noah Schmidt", "4915112345678", r#"{"city":"Berlin"}"#),
    (
        "Amara Okafor",
        "2348031234567",
        r#"{"city":"Lagos","source":"Spring sale campaign"}"#,
    ),
    (
        "Mateo García",
        "5215512345678",
        r#"{"city":"Ciudad de México","plan":"Basic"}"#,
    ),
    ("Chloe Dubois", "32470123456", r#"{"city":"Bruxelles"}"#),
    (
        "Oliver Smith",
        "447700900123",
        r#"{"city":"Leeds","plan":"Premium"}"#,
    ),
];

const TAGS: &[&str] = &["VIP", "Billing", "Shipping", "Returns", "Campaign lead"];

/// A seeded message: (direction, status, type, data, minutes ago).
type Msg = (&'static str, &'static str, &'static str, &'static str, i64);

/// (contact index, status, assignee index in MEMBERS, campaign?, tags, messages).
type Conv = (
    usize,
    &'static str,
    Option<usize>,
    bool,
    &'static [usize],
    &'static [Msg],
);

const IN: &str = "InBound";
const OUT: &str = "OutBound";

const CONVERSATIONS: &[Conv] = &[
    (
        0,
        "Active",
        Some(0),
        false,
        &[0, 2],
        &[
            (
                IN,
                "Read",
                "Text",
                r#"{"text":"Olá! My order #4821 hasn't arrived yet. Can you check?"}"#,
                180,
            ),
            (
                OUT,
                "Read",
                "Text",
                r#"{"text":"Hi Ana, sorry about that! Let me look up #4821 for you."}"#,
                170,
            ),
            (
                IN,
                "Sent",
                "Image",
                r#"{"id":"media-4821","link":"https://example.invalid/wa/media/4821.jpg","caption":"This is the tracking page"}"#,
                25,
            ),
            (
                IN,
                "Sent",
                "Text",
                r#"{"text":"It says 'held at customs' since Monday 😟"}"#,
                24,
            ),
        ],
    ),
    (
        1,
        "Active",
        Some(0),
        false,
        &[2],
        &[
            (
                IN,
                "Read",
                "Text",
                r#"{"text":"Hey, can I pick up my parcel instead of waiting for delivery?"}"#,
                600,
            ),
            (
                OUT,
                "Read",
                "Text",
                r#"{"text":"Sure Liam, our Dublin pick-up point is open 9–18. Here it is:"}"#,
                590,
            ),
            (
                OUT,
                "Delivered",
                "Location",
                r#"{"latitude":53.3498,"longitude":-6.2603,"name":"Parley Demo Store pick-up","address":"12 Abbey St, Dublin"}"#,
                589,
            ),
            (IN, "Read", "Text", r#"{"text":"Perfect, thanks!"}"#, 580),
        ],
    ),
    (
        2,
        "Active",
        None,
        false,
        &[1],
        &[
            (
                IN,
                "Read",
                "Text",
                r#"{"text":"Hello, I need a corrected invoice with our GSTIN."}"#,
                95,
            ),
            (
                IN,
                "Sent",
                "Document",
                r#"{"id":"media-inv-77","link":"https://example.invalid/wa/media/invoice-77.pdf","fileName":"invoice-77.pdf","caption":"Current invoice"}"#,
                94,
            ),
        ],
    ),
    (
        3,
        "Active",
        Some(1),
        false,
        &[],
        &[
            (
                IN,
                "Read",
                "Audio",
                r#"{"id":"media-voice-3","link":"https://example.invalid/wa/media/voice-3.ogg"}"#,
                300,
            ),
            (
                OUT,
                "Read",
                "Text",
                r#"{"text":"Thanks Kenji, I listened to your message: the exchange is approved."}"#,
                290,
            ),
        ],
    ),
    (
        4,
        "Active",
        None,
        false,
        &[3],
        &[
            (
                IN,
                "Read",
                "Text",
                r#"{"text":"I'd like to return the blue jacket, it's too small."}"#,
                1500,
            ),
            (
                OUT,
                "Read",
                "Text",
                r#"{"text":"No problem Fatima, I've emailed you a return label."}"#,
                1490,
            ),
            (IN, "Sent", "Reaction", r#"{"reaction":"🙏"}"#, 1480),
        ],
    ),
    (
        5,
        "Closed",
        Some(0),
        false,
        &[0],
        &[
            (
                IN,
                "Read",
                "Text",
                r#"{"text":"Do you ship to Corsica?"}"#,
                4000,
            ),
            (
                OUT,
                "Read",
                "Text",
                r#"{"text":"Yes Lucas, in 3–5 working days."}"#,
                3990,
            ),
            (IN, "Read", "Text", r#"{"text":"Great, merci !"}"#, 3980),
        ],
    ),
    (
        6,
        "Active",
        Some(2),
        false,
        &[],
        &[
            (
                IN,
                "Read",
                "Video",
                r#"{"id":"media-vid-6","link":"https://example.invalid/wa/media/unboxing-6.mp4","caption":"The lamp flickers, see video"}"#,
                200,
            ),
            (
                OUT,
                "Delivered",
                "Text",
                r#"{"text":"Thanks Sofia, a replacement is on its way."}"#,
                150,
            ),
        ],
    ),
    (
        7,
        "Closed",
        None,
        false,
        &[],
        &[(
            IN,
            "Read",
            "Text",
            r#"{"text":"Wrong number, sorry."}"#,
            9000,
        )],
    ),
    (
        8,
        "Active",
        None,
        true,
        &[4],
        &[
            (
                OUT,
                "Read",
                "Text",
                r#"{"text":"🌸 Spring sale: 30% off everything until Sunday. Reply YES for the catalogue."}"#,
                2000,
            ),
            (
                IN,
                "Sent",
                "Text",
                r#"{"text":"YES please send the catalogue"}"#,
                60,
            ),
        ],
    ),
    (
        9,
        "Active",
        Some(0),
        false,
        &[],
        &[
            (
                IN,
                "Read",
                "Text",
                r#"{"text":"¿Tienen la talla M en negro?"}"#,
                45,
            ),
            (
                OUT,
                "Read",
                "Text",
                r#"{"text":"¡Sí Mateo! Te la reservo."}"#,
                40,
            ),
            (
                IN,
                "Sent",
                "Sticker",
                r#"{"id":"media-sticker-9","link":"https://example.invalid/wa/media/thumbs-up.webp"}"#,
                5,
            ),
        ],
    ),
];

async fn demo(conn: &mut SqliteConnection, now: i64) -> anyhow::Result<()> {
    let minute = 60_000;
    let day = 86_400_000;
    for (i, (name, phone, attrs)) in CONTACTS.iter().enumerate() {
        sqlx::query(
            "INSERT INTO wapikit_contacts (id, org_id, name, phone, attributes, status, created_at) \
             VALUES (?, ?, ?, ?, ?, 'Active', ?)",
        )
        .bind(seed_id(1, i + 1))
        .bind(ORG_ID)
        .bind(name)
        .bind(phone)
        .bind(attrs)
        .bind(now - (60 - i as i64) * day)
        .execute(&mut *conn)
        .await?;
    }
    for (i, label) in TAGS.iter().enumerate() {
        sqlx::query("INSERT INTO wapikit_tags (id, org_id, label) VALUES (?, ?, ?)")
            .bind(seed_id(3, i + 1))
            .bind(ORG_ID)
            .bind(label)
            .execute(&mut *conn)
            .await?;
    }
    for (i, (contact, status, assignee, campaign, tags, messages)) in
        CONVERSATIONS.iter().enumerate()
    {
        let id = seed_id(2, i + 1);
        let oldest = messages.first().map_or(0, |m| m.4);
        sqlx::query(
            "INSERT INTO wapikit_conversations (id, org_id, contact_id, campaign_id, initiated_by, \
             status, assigned_member_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(ORG_ID)
        .bind(seed_id(1, contact + 1))
        .bind(campaign.then(|| seed_id(4, 1)))
        .bind(if *campaign { "Campaign" } else { "Contact" })
        .bind(status)
        .bind(assignee.map(|a| MEMBERS[a].1))
        .bind(now - (oldest + 1) * minute)
        .execute(&mut *conn)
        .await?;
        for t in *tags {
            sqlx::query(
                "INSERT INTO wapikit_conversation_tags (conversation_id, tag_id) VALUES (?, ?)",
            )
            .bind(&id)
            .bind(seed_id(3, t + 1))
            .execute(&mut *conn)
            .await?;
        }
        for (direction, mstatus, kind, data, ago) in *messages {
            let mut data: serde_json::Map<String, Value> = serde_json::from_str(data)?;
            data.insert("messageType".into(), json!(kind));
            crate::wapikit::model::insert_message(
                conn,
                ORG_ID,
                &id,
                direction,
                mstatus,
                kind,
                &data,
                None,
                now - ago * minute,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    }
    Ok(())
}
