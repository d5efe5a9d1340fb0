//! Text used by the seeders and the simulator.

pub const FIRST_NAMES: &[&str] = &[
    "Aarav", "Maya", "Liam", "Sofia", "Noah", "Amara", "Lucas", "Yuki", "Mateo", "Chloe", "Ethan",
    "Zara", "Oliver", "Priya", "Leo", "Fatima", "Hugo", "Elena", "Kai", "Nadia", "Omar", "Grace",
    "Felix", "Ines", "Jonas", "Mei", "Samuel", "Aisha", "Tomas", "Freya",
];

pub const LAST_NAMES: &[&str] = &[
    "Sharma", "Okafor", "Müller", "García", "Nguyen", "Rossi", "Kowalski", "Tanaka", "Silva",
    "Johnson", "Haddad", "Dubois", "Larsen", "Chen", "O'Brien", "Novak", "Costa", "Ibrahim",
    "Schmidt", "Patel",
];

pub const COMPANIES: &[&str] = &[
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella Retail",
    "Stark Logistics",
    "Wayne Foods",
    "Hooli",
    "Pied Piper",
    "Vandelay Imports",
    "Soylent Labs",
];

pub const COUNTRIES: &[&str] = &["IN", "US", "DE", "BR", "JP", "FR", "GB", "NG", "ES", "CA"];

pub const PLANS: &[&str] = &["free", "starter", "growth", "enterprise"];

/// A conversation topic: the customer's opening line, follow-ups and the agent's replies.
pub struct Topic {
    pub title: &'static str,
    pub opening: &'static str,
    pub customer: &'static [&'static str],
    pub agent: &'static [&'static str],
}

pub const TOPICS: &[Topic] = &[
    Topic {
        title: "Refund for double charge",
        opening: "Hi, I was charged twice for my subscription this month. Can you help?",
        customer: &[
            "The charges are on the 3rd and the 4th, both for the same amount.",
            "My order number is #48213 if that helps.",
            "Thanks! How long does the refund usually take?",
            "Great, appreciate the quick help.",
        ],
        agent: &[
            "Sorry about that! Let me look into your billing history.",
            "I can see the duplicate charge. I've started a refund for the second one.",
            "Refunds usually show up within 5-7 business days depending on your bank.",
            "Is there anything else I can help you with today?",
        ],
    },
    Topic {
        title: "Cannot log in",
        opening: "I can't log in to my account, it keeps saying invalid password.",
        customer: &[
            "I already tried resetting it twice.",
            "I'm using the mobile app on Android.",
            "Ok, the reset email finally arrived. Trying now.",
            "It works now, thank you!",
        ],
        agent: &[
            "I'm sorry you're having trouble. Could you tell me which email you signed up with?",
            "Thanks. I've cleared a lock on your account after too many attempts.",
            "Please try the reset link again; it is valid for 30 minutes.",
            "Glad to hear it! Have a great day.",
        ],
    },
    Topic {
        title: "Shipping delay",
        opening: "Where is my order? It was supposed to arrive on Monday.",
        customer: &[
            "The tracking page hasn't updated in three days.",
            "Can you send it express instead?",
            "Ok, I'll wait for the new tracking number.",
        ],
        agent: &[
            "Let me check with the carrier for you.",
            "The parcel is held at the regional hub due to weather. It should move tomorrow.",
            "I've upgraded the shipping to express at no cost. You'll get a new tracking number by email.",
        ],
    },
    Topic {
        title: "Feature request: dark mode",
        opening: "Any plans to add a dark mode to the dashboard? My eyes would thank you.",
        customer: &[
            "Also an option to schedule exports would be lovely.",
            "Cool, please keep me posted!",
        ],
        agent: &[
            "Great suggestion! Dark mode is on our roadmap for next quarter.",
            "I've added your vote and the export scheduling idea to our feature tracker.",
        ],
    },
    Topic {
        title: "API rate limits",
        opening: "We're getting HTTP 429 from the API during our nightly sync. What are the limits?",
        customer: &[
            "We send roughly 20 requests per second in bursts.",
            "Can the limit be raised for our account?",
            "Batching sounds good, we'll try that.",
        ],
        agent: &[
            "The default limit is 10 requests per second per API key, with bursts up to 50.",
            "For the growth plan I can raise it to 25/s. I'd also suggest using the batch endpoint.",
            "Done: the new limit is active now. Let us know how the next sync goes.",
        ],
    },
    Topic {
        title: "Invoice with VAT number",
        opening: "Could you reissue my last invoice with our company VAT number?",
        customer: &[
            "The VAT number is DE123456789.",
            "Perfect, received it.",
        ],
        agent: &[
            "Of course! Please share the VAT number and the billing address.",
            "I've reissued the invoice; you should have it in your inbox now.",
        ],
    },
    Topic {
        title: "Change of plan",
        opening: "I'd like to downgrade from enterprise to growth at the end of the month.",
        customer: &[
            "Will we lose our data if we downgrade?",
            "Ok, go ahead please.",
        ],
        agent: &[
            "Sure, I can schedule that for you.",
            "No data is lost; only the extra seats above 20 are deactivated.",
            "Scheduled. The change takes effect on the 1st.",
        ],
    },
    Topic {
        title: "Bug: export crashes",
        opening: "The CSV export crashes when I select more than 10,000 rows.",
        customer: &[
            "It happens in Chrome and Firefox.",
            "Here's a screenshot of the error.",
            "Thanks, the workaround works for now.",
        ],
        agent: &[
            "Thanks for reporting this. Could you share a screenshot of the error?",
            "I've reproduced it and filed a bug with our engineers.",
            "Until the fix ships, exporting in two date ranges avoids the crash.",
        ],
    },
];

pub const SIMULATED_LINES: &[&str] = &[
    "Hello? Is anyone there?",
    "Any update on this?",
    "I have one more question.",
    "Thanks for the help so far!",
    "Can you check again please?",
    "Just following up on my earlier message.",
    "The problem happened again just now.",
    "Ok, that makes sense.",
];

pub const HTML_REPLIES: &[&str] = &[
    "<p>Here are the steps:</p><ol><li>Open <b>Settings</b></li><li>Choose <i>Billing</i></li><li>Click <b>Download invoice</b></li></ol>",
    "<p>You can read more in our <a href=\"https://example.invalid/help\">help centre</a>.</p>",
    "<p><b>Good news:</b> the fix has been deployed. Please refresh the page.</p>",
];

pub const INTERNAL_CHAT: &[&str] = &[
    "Can someone take the billing queue for an hour?",
    "On it.",
    "Heads up: the payment provider has an incident, expect refund questions.",
    "Thanks for the heads up!",
    "Reminder: team sync at 3pm.",
];
