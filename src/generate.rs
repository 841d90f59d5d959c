//! Synthetic exports with planted buyer personas, in the formats the real tools write: a HubSpot
//! contacts CSV, a Mailchimp audience export, GA4 BigQuery NDJSON (one file per day), Meta page
//! insights and `truth.csv` with each contact's true persona.
//!
//! Every draw comes from `Xoshiro256PlusPlus` streams seeded from [`GenerateOptions::seed`], one
//! stream per output (and per GA4 day), so a seed always gives the same bytes. Each trait of a
//! contact is drawn from its own persona's profile for ~85 % of draws and from the population mix
//! otherwise; [`GenerateOptions::overlap`] moves that share toward zero (1.0 = no signal at all).

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{NaiveDate, NaiveTime};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus as XRng;
use serde::Serialize;

use crate::error::{Error, Result};

/// The four planted personas, as written to `truth.csv`; the optional fifth is [`NICHE_PERSONA`].
pub const PERSONAS: &[&str] = &[
    "enterprise_decision_maker",
    "hands_on_developer",
    "bargain_founder",
    "passive_subscriber",
];
/// Label of the small planted group added by [`GenerateOptions::small_group`].
pub const NICHE_PERSONA: &str = "niche_researcher";
/// Exact header of the HubSpot contacts export.
pub const HUBSPOT_HEADER: &str = r#""Record ID","First Name","Last Name","Email","Phone Number","Contact owner","Lifecycle Stage","Create Date","Last Activity Date","Job Title","Company Name","Industry","Number of Employees","City","Country/Region","Date of birth","Gender","Buying Role","Original Source","Total Revenue","Marketing contact status""#;
const MC_HEADER: &[&str] = &[
    "Email Address",
    "First Name",
    "Last Name",
    "Address",
    "Phone Number",
    "Birthday",
    "MEMBER_RATING",
    "OPTIN_TIME",
    "OPTIN_IP",
    "CONFIRM_TIME",
    "CONFIRM_IP",
    "LATITUDE",
    "LONGITUDE",
    "GMTOFF",
    "DSTOFF",
    "TIMEZONE",
    "CC",
    "REGION",
    "LAST_CHANGED",
    "LEID",
    "EUID",
    "NOTES",
    "TAGS",
];
const MC_UNSUB: &[&str] = &[
    "UNSUB_TIME",
    "UNSUB_CAMPAIGN_TITLE",
    "UNSUB_CAMPAIGN_ID",
    "UNSUB_REASON",
    "UNSUB_REASON_OTHER",
];
const MC_CLEAN: &[&str] = &["CLEAN_TIME", "CLEAN_CAMPAIGN_TITLE", "CLEAN_CAMPAIGN_ID"];
/// Share of draws that follow the persona's own profile at overlap 0.
const FIDELITY: f64 = 0.85;
/// Days of GA4 data, ending at the export date.
const DAYS: usize = 30;
/// Most events in one session.
const MAX_SESSION_EVENTS: u32 = 40;
const SITE: &str = "https://www.stackpilot.io";
const FLUSH: usize = 1 << 20;

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// Number of CRM contacts of the four main personas (equal shares).
    pub contacts: usize,
    /// Seed of every random stream.
    pub seed: u64,
    /// Date of the exports; GA4 covers the 30 days ending at (and including) it.
    pub export_date: NaiveDate,
    /// Mean web events per CRM contact (anonymous visitors add ~20 % on top).
    pub events_per_contact: f64,
    /// 0.0 = well-separated personas, 1.0 = personas share all traits (indistinguishable).
    pub overlap: f64,
    /// Extra contacts of the small planted persona [`NICHE_PERSONA`] (0 = none).
    pub small_group: usize,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            contacts: 2000,
            seed: 42,
            export_date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default(),
            events_per_contact: 10.0,
            overlap: 0.0,
            small_group: 0,
        }
    }
}

/// A pipeline config (TOML) reading the exports [`generate`] writes into `data_dir`; relative
/// paths are relative to the config file's folder.
pub fn pipeline_config(name: &str, data_dir: &str, output_dir: &str, sql_dir: &Path) -> String {
    format!(
        r#"name = "{name}"
output_dir = "{output_dir}"
sql_dir = "{sql}"

[[sources]]
name = "crm"
kind = "hubspot_contacts"
path = "{data_dir}/hubspot-crm-exports-all-contacts-*.csv"

[[sources]]
name = "email"
kind = "mailchimp_members"
path = "{data_dir}/mailchimp/*_members_export_*.csv"

[[sources]]
name = "web"
kind = "ga4_events"
path = "{data_dir}/ga4/events_*.json"

[[sources]]
name = "social"
kind = "meta_page_insights"
path = "{data_dir}/meta/page_insights.json"
"#,
        sql = sql_dir.display()
    )
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, Default)]
pub struct GenerateSummary {
    /// CRM contacts written (`contacts + small_group`).
    pub contacts: usize,
    /// GA4 events written, anonymous visitors included.
    pub events: u64,
    /// Bytes of GA4 NDJSON written.
    pub ga4_bytes: u64,
    /// Every file written.
    pub files: Vec<PathBuf>,
}

type S = &'static str;
enum Emp {
    Label(S),
    Num(u32, u32),
    Missing,
}
struct Device {
    category: S,
    os: S,
    browser: S,
}
struct Traffic {
    source: S,
    medium: S,
    name: S,
}
type Page = (S, S);
struct City {
    country: S,
    region: S,
    city: S,
    cc: S,
    mc_region: S,
    lat: S,
    lon: S,
    tz: S,
    gmt: S,
    dst: S,
    phone: S,
}

/// One persona's trait distributions (lists are drawn uniformly; repeat entries to weight them).
struct Profile {
    titles: &'static [S],
    industries: &'static [S],
    co_prefix: &'static [S],
    co_suffix: &'static [S],
    tld: S,
    free_mail: f64,
    employees: &'static [Emp],
    roles: &'static [S],
    stages: &'static [S],
    age: (u32, u32),
    male: f64,
    revenue: (f64, f64, f64),
    rating: (u32, u32),
    churn: (f64, f64),
    tags: &'static [S],
    sources: &'static [S],
    marketing: f64,
    inactive_days: (i64, i64),
    events: f64,
    per_session: f64,
    zero: f64,
    devices: &'static [Device],
    traffic: &'static [Traffic],
    sections: &'static [&'static [Page]],
    extra_event: S,
    buy: (f64, f64, f64),
}

const fn dv(category: S, os: S, browser: S) -> Device {
    Device {
        category,
        os,
        browser,
    }
}
const fn tr(source: S, medium: S, name: S) -> Traffic {
    Traffic {
        source,
        medium,
        name,
    }
}

const PRICING: &[Page] = &[
    ("/pricing/plans", "Plans and Pricing | StackPilot"),
    ("/pricing/enterprise", "Enterprise Plan | StackPilot"),
    ("/pricing/compare", "Compare Plans | StackPilot"),
];
const CASES: &[Page] = &[
    (
        "/case-studies/global-bank-migration",
        "How a Global Bank Migrated 4,000 Services | StackPilot",
    ),
    (
        "/case-studies/telco-scale-out",
        "Telco Scale-Out Story | StackPilot",
    ),
    (
        "/case-studies/insurer-compliance",
        "Insurer Compliance at Scale | StackPilot",
    ),
];
const SECURITY: &[Page] = &[
    ("/security/soc2", "SOC 2 Type II | StackPilot Security"),
    ("/security/sso-saml", "SSO and SAML | StackPilot Security"),
    (
        "/security/data-residency",
        "Data Residency | StackPilot Security",
    ),
];
const PRODUCT: &[Page] = &[
    ("/product/overview", "Product Overview | StackPilot"),
    ("/product/integrations", "Integrations | StackPilot"),
    ("/product/roadmap", "Roadmap | StackPilot"),
];
const DOCS: &[Page] = &[
    ("/docs/getting-started", "Getting Started | StackPilot Docs"),
    ("/docs/cli-reference", "CLI Reference | StackPilot Docs"),
    ("/docs/webhooks", "Webhooks | StackPilot Docs"),
    (
        "/docs/deploy-kubernetes",
        "Deploy to Kubernetes | StackPilot Docs",
    ),
];
const BLOG: &[Page] = &[
    (
        "/blog/zero-downtime-deploys",
        "Zero-Downtime Deploys | StackPilot Blog",
    ),
    ("/blog/rust-vs-go", "Rust vs Go for CLIs | StackPilot Blog"),
    (
        "/blog/ci-cost-cutting",
        "Cutting CI Costs | StackPilot Blog",
    ),
    ("/blog/company-news", "Company News | StackPilot Blog"),
];
const API: &[Page] = &[
    ("/api/v2-reference", "API v2 Reference | StackPilot"),
    ("/api/rate-limits", "Rate Limits | StackPilot API"),
    ("/api/authentication", "Authentication | StackPilot API"),
];
const CHANGELOG: &[Page] = &[
    ("/changelog/2026-11", "Changelog November 2026 | StackPilot"),
    ("/changelog/2026-10", "Changelog October 2026 | StackPilot"),
];
const DISCOUNTS: &[Page] = &[
    ("/discounts/black-friday", "Black Friday Deal | StackPilot"),
    ("/discounts/startup-deal", "Startup Discount | StackPilot"),
    (
        "/discounts/annual-plan",
        "Save with Annual Billing | StackPilot",
    ),
];
const TEMPLATES: &[Page] = &[
    (
        "/templates/landing-page",
        "Landing Page Template | StackPilot",
    ),
    ("/templates/invoice", "Invoice Template | StackPilot"),
    (
        "/templates/onboarding-checklist",
        "Onboarding Checklist | StackPilot",
    ),
];
const RESEARCH: &[Page] = &[
    (
        "/research/benchmark-2026",
        "Build Benchmark 2026 | StackPilot Research",
    ),
    (
        "/research/distributed-builds",
        "Whitepaper: Distributed Builds | StackPilot Research",
    ),
    (
        "/research/academic-program",
        "Academic Program | StackPilot Research",
    ),
];

/// Indexed like [`PERSONAS`], then the niche persona at index 4.
static PROFILES: [Profile; 5] = [
    Profile {
        titles: &[
            "VP of Engineering",
            "CTO",
            "Head of IT",
            "Director of Operations",
            "Chief Information Officer",
        ],
        industries: &[
            "Financial Services",
            "Banking",
            "Insurance",
            "Telecommunications",
        ],
        co_prefix: &[
            "Tyrell",
            "Globex",
            "Initech",
            "Nakatomi",
            "Oscorp",
            "Cyberdyne",
            "Monarch",
            "Northwind",
            "Sterling",
            "Vanguard",
            "Meridian",
            "Atlas",
        ],
        co_suffix: &[
            "Bank",
            "Insurance",
            "Financial",
            "Telecom",
            "Capital",
            "Group",
        ],
        tld: ".com",
        free_mail: 0.02,
        employees: &[
            Emp::Label("1001-5000"),
            Emp::Label("5001-10000"),
            Emp::Label("10001+"),
            Emp::Num(1200, 20000),
            Emp::Num(1200, 20000),
        ],
        roles: &[
            "Decision Maker",
            "Budget Holder",
            "Executive Sponsor",
            "Decision Maker;Budget Holder",
            "Executive Sponsor;Decision Maker",
        ],
        stages: &["Opportunity", "Customer"],
        age: (42, 60),
        male: 0.65,
        revenue: (0.92, 20000.0, 120000.0),
        rating: (4, 5),
        churn: (0.03, 0.01),
        tags: &["Enterprise", "Webinar-attendee"],
        sources: &["Referrals", "Organic Search", "Offline Sources"],
        marketing: 0.9,
        inactive_days: (0, 60),
        events: 0.7,
        per_session: 2.0,
        zero: 0.0,
        devices: &[
            dv("desktop", "Windows", "Chrome"),
            dv("desktop", "Windows", "Edge"),
            dv("desktop", "Macintosh", "Chrome"),
            dv("desktop", "Macintosh", "Safari"),
        ],
        traffic: &[
            tr("google", "organic", "(organic)"),
            tr("linkedin.com", "referral", "(referral)"),
            tr("gartner.com", "referral", "(referral)"),
            tr("bing", "organic", "(organic)"),
        ],
        sections: &[PRICING, CASES, SECURITY, PRODUCT],
        extra_event: "generate_lead",
        buy: (0.3, 5000.0, 60000.0),
    },
    Profile {
        titles: &[
            "Backend Developer",
            "Frontend Developer",
            "Software Engineer",
            "DevOps Engineer",
            "Data Engineer",
        ],
        industries: &[
            "Computer Software",
            "Internet",
            "Information Technology and Services",
        ],
        co_prefix: &[
            "Hooli",
            "Pied Piper",
            "Aperture",
            "Massive Dynamic",
            "Soylent",
            "Wonka",
            "Blue Sun",
            "Umbrella",
            "Vandelay",
            "Stark",
            "Wayne",
            "Dunder",
        ],
        co_suffix: &[
            "Labs",
            "Software",
            "Technologies",
            "Cloud",
            "Systems",
            "Data",
        ],
        tld: ".io",
        free_mail: 0.1,
        employees: &[
            Emp::Num(51, 1000),
            Emp::Num(51, 1000),
            Emp::Label("51-200"),
            Emp::Label("201-500"),
            Emp::Label("501-1000"),
        ],
        roles: &["End User", "Champion", "End User"],
        stages: &["Lead", "Marketing Qualified Lead", "Customer"],
        age: (23, 35),
        male: 0.75,
        revenue: (0.12, 100.0, 2000.0),
        rating: (3, 4),
        churn: (0.06, 0.02),
        tags: &["newsletter", "product-updates"],
        sources: &[
            "Organic Search",
            "Organic Search",
            "Referrals",
            "Direct Traffic",
        ],
        marketing: 0.9,
        inactive_days: (0, 60),
        events: 2.5,
        per_session: 3.0,
        zero: 0.0,
        devices: &[
            dv("desktop", "Linux", "Chrome"),
            dv("desktop", "Linux", "Firefox"),
            dv("desktop", "Macintosh", "Chrome"),
            dv("desktop", "Macintosh", "Firefox"),
        ],
        traffic: &[
            tr("google", "organic", "(organic)"),
            tr("google", "organic", "(organic)"),
            tr("duckduckgo", "organic", "(organic)"),
            tr("github.com", "referral", "(referral)"),
        ],
        sections: &[DOCS, BLOG, API, CHANGELOG],
        extra_event: "file_download",
        buy: (0.05, 49.0, 499.0),
    },
    Profile {
        titles: &["Founder", "Co-Founder", "Owner", "Founder and Owner", "CEO"],
        industries: &[
            "Retail",
            "Construction",
            "Consumer Services",
            "Marketing and Advertising",
        ],
        co_prefix: &[
            "Sunny",
            "Brick & Beam",
            "Little Fox",
            "Green Leaf",
            "Urban",
            "Maple",
            "Coastal",
            "Golden Crumb",
            "Bright",
            "Nordic",
        ],
        co_suffix: &["Bakery", "Studio", "Builders", "Boutique", "Design", "Shop"],
        tld: ".com",
        free_mail: 0.8,
        employees: &[Emp::Num(1, 10), Emp::Num(1, 10), Emp::Label("1-10")],
        roles: &[
            "Decision Maker",
            "Decision Maker",
            "Decision Maker;Budget Holder",
        ],
        stages: &["Lead", "Sales Qualified Lead", "Customer"],
        age: (25, 40),
        male: 0.55,
        revenue: (0.85, 200.0, 3000.0),
        rating: (3, 5),
        churn: (0.08, 0.03),
        tags: &["promo", "coupon"],
        sources: &["Paid Social", "Paid Search", "Paid Social"],
        marketing: 0.95,
        inactive_days: (0, 60),
        events: 0.5,
        per_session: 2.5,
        zero: 0.05,
        devices: &[
            dv("mobile", "iOS", "Safari"),
            dv("mobile", "Android", "Chrome"),
            dv("mobile", "iOS", "Chrome"),
            dv("tablet", "iOS", "Safari"),
        ],
        traffic: &[
            tr("facebook.com", "cpc", "black_friday_2026"),
            tr("instagram.com", "paid_social", "founders_promo"),
            tr("facebook.com", "paid_social", "founders_promo"),
            tr("google", "cpc", "brand_search"),
        ],
        sections: &[DISCOUNTS, PRICING, TEMPLATES],
        extra_event: "generate_lead",
        buy: (0.35, 19.0, 299.0),
    },
    Profile {
        titles: &[
            "Coordinator",
            "Assistant",
            "Marketing Assistant",
            "Office Manager",
            "Student",
        ],
        industries: &[
            "Retail",
            "Banking",
            "Education Management",
            "Hospital & Health Care",
            "Computer Software",
            "Nonprofit Organization Management",
            "Real Estate",
        ],
        co_prefix: &[
            "Acme",
            "Contoso",
            "Fabrikam",
            "Lakeside",
            "Riverside",
            "Summit",
            "Harbor",
            "Pinecrest",
        ],
        co_suffix: &["Corp", "Services", "Partners", "Trading", "Agency", "Co"],
        tld: ".com",
        free_mail: 0.6,
        employees: &[
            Emp::Num(1, 50000),
            Emp::Label("11-50"),
            Emp::Label("201-500"),
            Emp::Label("10001+"),
            Emp::Missing,
            Emp::Missing,
        ],
        roles: &["Other", "Influencer", "", ""],
        stages: &["Subscriber", "Subscriber", "Lead"],
        age: (18, 70),
        male: 0.45,
        revenue: (0.0, 0.0, 0.0),
        rating: (1, 2),
        churn: (0.35, 0.15),
        tags: &["cold", "imported-list"],
        sources: &["Email Marketing", "Offline Sources", "Direct Traffic"],
        marketing: 0.55,
        inactive_days: (200, 400),
        events: 0.3,
        per_session: 2.5,
        zero: 0.3,
        devices: &[
            dv("mobile", "Android", "Chrome"),
            dv("mobile", "iOS", "Safari"),
            dv("mobile", "Android", "Samsung Internet"),
            dv("desktop", "Windows", "Chrome"),
        ],
        traffic: &[
            tr("newsletter", "email", "weekly_digest"),
            tr("mailchimp", "email", "monthly_update"),
        ],
        sections: &[BLOG],
        extra_event: "page_view",
        buy: (0.0, 0.0, 0.0),
    },
    Profile {
        titles: &["Research Fellow", "PhD Candidate"],
        industries: &["Higher Education"],
        co_prefix: &[
            "Oxford",
            "Heidelberg",
            "Delft",
            "Kyoto",
            "Toronto",
            "Melbourne",
            "Trinity",
            "Bangalore",
        ],
        co_suffix: &["University", "Institute of Technology"],
        tld: ".edu",
        free_mail: 0.0,
        employees: &[Emp::Label("5001-10000")],
        roles: &["Influencer", "End User"],
        stages: &["Lead", "Subscriber"],
        age: (26, 45),
        male: 0.5,
        revenue: (0.0, 0.0, 0.0),
        rating: (3, 4),
        churn: (0.05, 0.02),
        tags: &["research", "academic"],
        sources: &["Organic Search", "Referrals"],
        marketing: 0.8,
        inactive_days: (0, 60),
        events: 1.5,
        per_session: 4.0,
        zero: 0.0,
        devices: &[
            dv("desktop", "Linux", "Firefox"),
            dv("desktop", "Macintosh", "Safari"),
            dv("desktop", "Windows", "Firefox"),
        ],
        traffic: &[
            tr("scholar.google.com", "referral", "(referral)"),
            tr("google", "organic", "(organic)"),
        ],
        sections: &[RESEARCH, RESEARCH, RESEARCH, BLOG],
        extra_event: "file_download",
        buy: (0.0, 0.0, 0.0),
    },
];
const NICHE: usize = 4;

#[allow(clippy::too_many_arguments)]
const fn ct(
    country: S,
    region: S,
    city: S,
    cc: S,
    mc_region: S,
    lat: S,
    lon: S,
    tz: S,
    gmt: S,
    dst: S,
    phone: S,
) -> City {
    City {
        country,
        region,
        city,
        cc,
        mc_region,
        lat,
        lon,
        tz,
        gmt,
        dst,
        phone,
    }
}
static CITIES: &[City] = &[
    ct(
        "United States",
        "New York",
        "New York",
        "US",
        "NY",
        "40.7128",
        "-74.0060",
        "America/New_York",
        "-5",
        "-4",
        "+1 212",
    ),
    ct(
        "United States",
        "California",
        "San Francisco",
        "US",
        "CA",
        "37.7749",
        "-122.4194",
        "America/Los_Angeles",
        "-8",
        "-7",
        "+1 415",
    ),
    ct(
        "United States",
        "Texas",
        "Austin",
        "US",
        "TX",
        "30.2672",
        "-97.7431",
        "America/Chicago",
        "-6",
        "-5",
        "+1 512",
    ),
    ct(
        "United Kingdom",
        "England",
        "London",
        "GB",
        "ENG",
        "51.5074",
        "-0.1278",
        "Europe/London",
        "0",
        "1",
        "+44 20",
    ),
    ct(
        "United Kingdom",
        "England",
        "Manchester",
        "GB",
        "ENG",
        "53.4808",
        "-2.2426",
        "Europe/London",
        "0",
        "1",
        "+44 161",
    ),
    ct(
        "Germany",
        "Berlin",
        "Berlin",
        "DE",
        "BE",
        "52.5200",
        "13.4050",
        "Europe/Berlin",
        "1",
        "2",
        "+49 30",
    ),
    ct(
        "Netherlands",
        "North Holland",
        "Amsterdam",
        "NL",
        "NH",
        "52.3676",
        "4.9041",
        "Europe/Amsterdam",
        "1",
        "2",
        "+31 20",
    ),
    ct(
        "Ireland",
        "County Dublin",
        "Dublin",
        "IE",
        "D",
        "53.3498",
        "-6.2603",
        "Europe/Dublin",
        "0",
        "1",
        "+353 1",
    ),
    ct(
        "Japan",
        "Tokyo",
        "Tokyo",
        "JP",
        "13",
        "35.6762",
        "139.6503",
        "Asia/Tokyo",
        "9",
        "9",
        "+81 3",
    ),
    ct(
        "India",
        "Karnataka",
        "Bengaluru",
        "IN",
        "KA",
        "12.9716",
        "77.5946",
        "Asia/Kolkata",
        "5.5",
        "5.5",
        "+91 80",
    ),
    ct(
        "Canada",
        "Ontario",
        "Toronto",
        "CA",
        "ON",
        "43.6532",
        "-79.3832",
        "America/Toronto",
        "-5",
        "-4",
        "+1 416",
    ),
    ct(
        "Australia",
        "New South Wales",
        "Sydney",
        "AU",
        "NSW",
        "-33.8688",
        "151.2093",
        "Australia/Sydney",
        "10",
        "11",
        "+61 2",
    ),
];
const FIRST: &[S] = &[
    "María",
    "José",
    "Sofía",
    "Lukas",
    "Jürgen",
    "Zoë",
    "Chloé",
    "Aoife",
    "Siobhán",
    "Priya",
    "Arjun",
    "Yuki",
    "Haruto",
    "Mei",
    "Olga",
    "Søren",
    "François",
    "Björn",
    "Ana",
    "Marco",
    "James",
    "Emily",
    "Michael",
    "Sarah",
    "David",
    "Laura",
    "Daniel",
    "Anna",
    "Thomas",
    "Fatima",
    "Mohammed",
    "Wei",
    "Liam",
    "Noah",
    "Emma",
    "Olivia",
    "Lucas",
    "Mia",
    "Kwame",
    "Amara",
];
const LAST: &[S] = &[
    "Núñez",
    "García",
    "Müller",
    "Schmidt",
    "O'Brien",
    "Walker",
    "Smith",
    "Johnson",
    "Brown",
    "Tanaka",
    "Sato",
    "Kumar",
    "Patel",
    "Sharma",
    "Nguyen",
    "Kim",
    "Rossi",
    "Dubois",
    "Lefèvre",
    "Jensen",
    "Nielsen",
    "Kowalski",
    "Novak",
    "Murphy",
    "Kelly",
    "Okafor",
    "Mensah",
    "Silva",
    "Santos",
    "Ivanova",
    "Fischer",
    "Weber",
    "de Vries",
    "van Dijk",
    "Andersson",
    "Hernández",
    "López",
    "Martin",
    "Öztürk",
    "Wilson",
];
const FREE_MAIL: &[S] = &["gmail.com", "outlook.com", "gmx.de", "gmail.com"];
const OWNERS: &[S] = &["Sarah Chen", "Tom Becker", "Priya Nair", "Lucas Martin", ""];
const CAMPAIGNS: &[S] = &[
    "November Newsletter",
    "Product Update: Pipelines 2.0",
    "Black Friday Preview",
    "Webinar Invite: Scaling CI",
];
const UNSUB_REASONS: &[S] = &[
    "I no longer want to receive these emails",
    "I never signed up for this mailing list",
    "The emails are inappropriate",
    "The emails are spam and should be reported",
    "Other",
];
const STREETS: &[S] = &[
    "Market St",
    "High Street",
    "Hauptstraße",
    "Keizersgracht",
    "Main Road",
    "Queen St W",
];

/// Index of the profile a draw follows: the persona's own with probability `keep`, else a random main one.
fn src<R: Rng>(rng: &mut R, p: usize, keep: f64) -> usize {
    if rng.gen::<f64>() < keep {
        p
    } else {
        rng.gen_range(0..PERSONAS.len())
    }
}
fn pick<'a, R: Rng, T>(rng: &mut R, xs: &'a [T]) -> &'a T {
    &xs[rng.gen_range(0..xs.len())]
}
/// One entry of a list trait, from the profile [`src`] chooses.
fn pick_trait<T>(
    rng: &mut XRng,
    p: usize,
    keep: f64,
    list: fn(&'static Profile) -> &'static [T],
) -> &'static T {
    let xs = list(&PROFILES[src(rng, p, keep)]);
    pick(rng, xs)
}
/// Lower-case ASCII letters and digits of `s`, accents folded (`Núñez` -> `nunez`).
fn fold(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .filter_map(|c| match c {
            'á' | 'à' | 'â' | 'ä' | 'å' => Some('a'),
            'é' | 'è' | 'ê' | 'ë' => Some('e'),
            'í' | 'ï' => Some('i'),
            'ó' | 'ò' | 'ô' | 'ö' | 'ø' => Some('o'),
            'ú' | 'ü' => Some('u'),
            'ñ' => Some('n'),
            'ç' => Some('c'),
            'ß' => Some('s'),
            c if c.is_ascii_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}
fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
fn fmt_time(secs: i64, fmt: &str) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|d| d.format(fmt).to_string())
        .unwrap_or_default()
}
fn hex10<R: Rng>(rng: &mut R) -> String {
    format!("{:010x}", rng.gen::<u64>() & 0xff_ffff_ffff)
}
fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |e| Error::io(path, e)
}
fn create(path: &Path) -> Result<BufWriter<File>> {
    Ok(BufWriter::with_capacity(
        FLUSH,
        File::create(path).map_err(io_err(path))?,
    ))
}

/// A CRM contact, kept only while its rows are written.
struct Contact {
    id: u64,
    persona: usize,
    first: S,
    last: S,
    email: String,
    phone: String,
    city: &'static City,
    created: i64,
    birthday: String,
}

/// Writes the contact's HubSpot row into `line` and returns the contact.
fn make_contact(
    rng: &mut XRng,
    id: u64,
    p: usize,
    keep: f64,
    day0: i64,
    seen: &mut HashSet<String>,
    line: &mut String,
) -> Contact {
    let (first, last, city) = (*pick(rng, FIRST), *pick(rng, LAST), pick(rng, CITIES));
    let co = &PROFILES[src(rng, p, keep)];
    let company = format!("{} {}", pick(rng, co.co_prefix), pick(rng, co.co_suffix));
    let domain = if rng.gen::<f64>() < co.free_mail {
        pick(rng, FREE_MAIL).to_string()
    } else {
        format!("{}{}", fold(&company), co.tld)
    };
    let email = unique_email(rng, first, last, &domain, seen);
    let phone = if rng.gen::<f64>() < 0.08 {
        String::new()
    } else {
        format!(
            "{} {:03} {:04}",
            city.phone,
            rng.gen_range(200..1000),
            rng.gen_range(0..10_000)
        )
    };
    let pr = |rng: &mut XRng| -> &'static Profile { &PROFILES[src(rng, p, keep)] };
    let stage = *pick_trait(rng, p, keep, |x| x.stages);
    let inactive = pr(rng).inactive_days;
    let last_act =
        day0 - rng.gen_range(inactive.0..=inactive.1) * 86_400 + rng.gen_range(0..86_400);
    let created = last_act - rng.gen_range(0..900) * 86_400 - rng.gen_range(0..86_400);
    let title = *pick_trait(rng, p, keep, |x| x.titles);
    let industry = if rng.gen::<f64>() < 0.07 {
        ""
    } else {
        *pick_trait(rng, p, keep, |x| x.industries)
    };
    let employees = match pick_trait(rng, p, keep, |x| x.employees) {
        Emp::Label(l) => l.to_string(),
        Emp::Num(lo, hi) => rng.gen_range(*lo..=*hi).to_string(),
        Emp::Missing => String::new(),
    };
    let age = pr(rng).age;
    let age = rng.gen_range(age.0..=age.1) as i64;
    let born = day0 - (age * 365 + age / 4 + rng.gen_range(0..365)) * 86_400;
    let has_dob = rng.gen::<f64>() >= 0.07;
    let (dob, birthday) = if has_dob {
        (fmt_time(born, "%Y-%m-%d"), fmt_time(born, "%m/%d"))
    } else {
        (String::new(), String::new())
    };
    let gender = if rng.gen::<f64>() < 0.07 {
        ""
    } else if rng.gen::<f64>() < pr(rng).male {
        "Male"
    } else {
        "Female"
    };
    let (role, source) = (
        *pick_trait(rng, p, keep, |x| x.roles),
        *pick_trait(rng, p, keep, |x| x.sources),
    );
    let rev = pr(rng).revenue;
    let revenue = if rng.gen::<f64>() < rev.0 {
        format!("{:.2}", rng.gen_range(rev.1..rev.2))
    } else {
        String::new()
    };
    let marketing = if rng.gen::<f64>() < pr(rng).marketing {
        "Marketing contact"
    } else {
        "Non-marketing contact"
    };
    let (id_s, owner) = (id.to_string(), *pick(rng, OWNERS));
    let (created_s, last_s) = (
        fmt_time(created, "%Y-%m-%d %H:%M"),
        fmt_time(last_act, "%Y-%m-%d %H:%M"),
    );
    let fields: [&str; 21] = [
        &id_s,
        first,
        last,
        &email,
        &phone,
        owner,
        stage,
        &created_s,
        &last_s,
        title,
        &company,
        industry,
        &employees,
        city.city,
        city.country,
        &dob,
        gender,
        role,
        source,
        &revenue,
        marketing,
    ];
    line.clear();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        if !f.is_empty() {
            line.push('"');
            line.push_str(&f.replace('"', "\"\""));
            line.push('"');
        }
    }
    line.push('\n');
    Contact {
        id,
        persona: p,
        first,
        last,
        email,
        phone,
        city,
        created,
        birthday,
    }
}

/// A fresh email for the name at `domain`; ~15 % keep the capitals people typed.
fn unique_email(
    rng: &mut XRng,
    first: &str,
    last: &str,
    domain: &str,
    seen: &mut HashSet<String>,
) -> String {
    let (f, l) = (fold(first), fold(last));
    let initial: String = f.chars().take(1).collect();
    let base = match rng.gen_range(0..5) {
        0 => format!("{f}.{l}"),
        1 => format!("{f}{l}"),
        2 => format!("{initial}.{l}"),
        3 => format!("{f}_{l}"),
        _ => format!("{l}.{f}"),
    };
    let mut local = base.clone();
    for attempt in 0u32.. {
        let email = format!("{local}@{domain}");
        if seen.insert(email.clone()) {
            return if rng.gen::<f64>() < 0.15 {
                format!("{}@{}", capitalize(&local), capitalize(domain))
            } else {
                email
            };
        }
        local = format!(
            "{base}{}",
            rng.gen_range(1..10u64.pow(2 + attempt.min(12) / 3))
        );
    }
    String::new()
}

/// Mailchimp audience writers: subscribed, unsubscribed, cleaned.
struct Audience {
    w: [csv::Writer<BufWriter<File>>; 3],
    leid: u64,
    end: i64,
}

impl Audience {
    /// Writes one member into the file of its status; `p` is the persona (None = list-only member).
    #[allow(clippy::too_many_arguments)]
    fn member(
        &mut self,
        rng: &mut XRng,
        email: &str,
        first: &str,
        last: &str,
        phone: &str,
        city: &City,
        birthday: &str,
        optin: i64,
        p: Option<usize>,
        keep: f64,
    ) -> Result<()> {
        let pr = |rng: &mut XRng| -> &'static Profile {
            &PROFILES[match p {
                Some(p) => src(rng, p, keep),
                None => rng.gen_range(0..PERSONAS.len()),
            }]
        };
        let churn = pr(rng).churn;
        let r = rng.gen::<f64>();
        let status = if r < churn.0 {
            1
        } else if r < churn.0 + churn.1 {
            2
        } else {
            0
        };
        let rating = pr(rng).rating;
        let rating = rng.gen_range(rating.0..=rating.1).to_string();
        let tags: Vec<S> = pr(rng)
            .tags
            .iter()
            .copied()
            .filter(|_| rng.gen::<f64>() < 0.75)
            .collect();
        let tags = if rng.gen_bool(0.5) {
            tags.join(", ")
        } else {
            tags.iter()
                .map(|t| format!("\"{t}\""))
                .collect::<Vec<_>>()
                .join(",")
        };
        let ts = |s: i64| fmt_time(s, "%Y-%m-%d %H:%M:%S");
        let ip = |rng: &mut XRng| {
            format!(
                "{}.{}.{}.{}",
                rng.gen_range(23..223),
                rng.gen::<u8>(),
                rng.gen::<u8>(),
                rng.gen_range(1..255)
            )
        };
        let confirm = optin + rng.gen_range(30..3600);
        let changed = confirm + rng.gen_range(0..(self.end - confirm).max(1));
        let geo = rng.gen_bool(0.6);
        let g = |s: S| if geo { s.to_string() } else { String::new() };
        let address = if rng.gen_bool(0.15) {
            format!(
                "{} {}  {}  {}  {}  {}",
                rng.gen_range(1..200),
                pick(rng, STREETS),
                city.city,
                city.mc_region,
                rng.gen_range(10_000..99_999),
                city.cc
            )
        } else {
            String::new()
        };
        let birthday = if rng.gen_bool(0.6) {
            birthday.to_string()
        } else {
            String::new()
        };
        let phone = if rng.gen_bool(0.2) {
            phone.to_string()
        } else {
            String::new()
        };
        self.leid += rng.gen_range(1..40);
        let mut row = vec![
            email.to_string(),
            first.to_string(),
            last.to_string(),
            address,
            phone,
            birthday,
            rating,
            ts(optin),
            ip(rng),
            ts(confirm),
            ip(rng),
            g(city.lat),
            g(city.lon),
            g(city.gmt),
            g(city.dst),
            g(city.tz),
            g(city.cc),
            g(city.mc_region),
            ts(changed),
            self.leid.to_string(),
            hex10(rng),
            String::new(),
            tags,
        ];
        match status {
            1 => {
                let reason = *pick(rng, UNSUB_REASONS);
                let other = if reason == "Other" && rng.gen_bool(0.5) {
                    "too many emails"
                } else {
                    ""
                };
                row.extend([
                    ts(changed),
                    pick(rng, CAMPAIGNS).to_string(),
                    hex10(rng),
                    reason.to_string(),
                    other.to_string(),
                ]);
            }
            2 => row.extend([ts(changed), pick(rng, CAMPAIGNS).to_string(), hex10(rng)]),
            _ => {}
        }
        self.w[status].write_record(&row)?;
        Ok(())
    }
}

/// The list's spelling of a CRM email: ~20 % differ in case, ~5 % carry a stray space.
fn list_email(rng: &mut XRng, email: &str) -> String {
    let mut e = if !rng.gen_bool(0.2) {
        email.to_string()
    } else if email.chars().any(char::is_uppercase) {
        email.to_lowercase()
    } else if rng.gen_bool(0.3) {
        email.to_uppercase()
    } else {
        email
            .split('@')
            .map(capitalize)
            .collect::<Vec<_>>()
            .join("@")
    };
    if rng.gen_bool(0.05) {
        if rng.gen_bool(0.5) {
            e.insert(0, ' ')
        } else {
            e.push(' ')
        }
    }
    e
}

/// One web visitor: a CRM contact (`user_id` > 0) or an anonymous one.
struct Visitor {
    user_id: u32,
    persona: u8,
    device: &'static Device,
    traffic: &'static Traffic,
    city: &'static City,
    pseudo: (u32, u32),
}
/// One session on one day.
#[derive(Clone, Copy)]
struct Session {
    visitor: u32,
    start: u32,
    events: u16,
    number: u16,
    purchase_cents: u32,
}

/// Plans sessions per day for every visitor (single RNG stream, so deterministic).
struct Planner {
    rng: XRng,
    keep: f64,
    mean_events: f64,
    day0: i64,
    visitors: Vec<Visitor>,
    days: Vec<Vec<Session>>,
    counts: Vec<u32>,
    times: Vec<(u8, u32)>,
}

impl Planner {
    fn visitor(&mut self, user_id: u32, p: usize, city: &'static City) -> u32 {
        let rng = &mut self.rng;
        let (device, traffic) = (
            pick_trait(rng, p, self.keep, |x| x.devices),
            pick_trait(rng, p, self.keep, |x| x.traffic),
        );
        let city = if rng.gen_bool(0.9) {
            city
        } else {
            pick(rng, CITIES)
        };
        let pseudo = (
            rng.gen_range(100_000_000..1_000_000_000),
            (self.day0 - rng.gen_range(0..400 * 86_400)) as u32,
        );
        self.visitors.push(Visitor {
            user_id,
            persona: p as u8,
            device,
            traffic,
            city,
            pseudo,
        });
        (self.visitors.len() - 1) as u32
    }

    /// Plans a CRM contact's sessions.
    fn contact(&mut self, c: &Contact) {
        let v = self.visitor(c.id as u32, c.persona, c.city);
        let (p, keep) = (c.persona, self.keep);
        let prof = &PROFILES[src(&mut self.rng, p, keep)];
        if self.rng.gen::<f64>() < prof.zero {
            return;
        }
        let x = self.mean_events * prof.events / (1.0 - prof.zero) * self.rng.gen_range(0.3..1.7);
        let n = x.floor() as u32 + u32::from(self.rng.gen::<f64>() < x.fract());
        let per_session = PROFILES[src(&mut self.rng, p, keep)].per_session;
        let buy = PROFILES[src(&mut self.rng, p, keep)].buy;
        let sessions = ((f64::from(n) / per_session).round() as u32)
            .max(n.div_ceil(MAX_SESSION_EVENTS))
            .min(n)
            .max(1);
        self.plan(v, n, sessions, buy);
    }

    /// Plans an anonymous visitor: one short session.
    fn anonymous(&mut self) {
        let p = self.rng.gen_range(0..PERSONAS.len());
        let city = pick(&mut self.rng, CITIES);
        let v = self.visitor(0, p, city);
        let n = self.rng.gen_range(1..=5);
        self.plan(v, n, 1, (0.0, 0.0, 0.0));
    }

    fn plan(&mut self, v: u32, n: u32, sessions: u32, buy: (f64, f64, f64)) {
        if n == 0 {
            return;
        }
        let rng = &mut self.rng;
        self.counts.clear();
        self.counts.resize(sessions as usize, 1);
        let mut rest = n - sessions;
        for c in self.counts.iter_mut() {
            if rest > 0 {
                *c += 1;
                rest -= 1;
            }
        }
        while rest > 0 {
            let i = rng.gen_range(0..self.counts.len());
            if self.counts[i] < MAX_SESSION_EVENTS {
                self.counts[i] += 1;
                rest -= 1;
            }
        }
        self.times.clear();
        self.times.extend(
            (0..sessions).map(|_| (rng.gen_range(0..DAYS as u8), rng.gen_range(0..82_000))),
        );
        self.times.sort_unstable();
        let base = rng.gen_range(1..12u16);
        let buyer = (rng.gen::<f64>() < buy.0).then(|| rng.gen_range(0..self.counts.len()));
        for (i, (&(day, start), &events)) in self.times.iter().zip(&self.counts).enumerate() {
            let purchase_cents = if buyer == Some(i) && events > 1 {
                (rng.gen_range(buy.1..buy.2) * 100.0) as u32
            } else {
                0
            };
            self.days[day as usize].push(Session {
                visitor: v,
                start,
                events: events as u16,
                number: base + i as u16,
                purchase_cents,
            });
        }
    }
}

fn put_u64(b: &mut Vec<u8>, mut v: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    while {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        v > 0
    } {}
    b.extend_from_slice(&tmp[i..]);
}
fn put_int(b: &mut Vec<u8>, v: u64, quoted: bool) {
    if quoted {
        b.push(b'"');
        put_u64(b, v);
        b.push(b'"');
    } else {
        put_u64(b, v);
    }
}
fn put_str(b: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|c| c == b'"' || c == b'\\' || c < 0x20) {
        let _ = serde_json::to_writer(&mut *b, s);
    } else {
        b.push(b'"');
        b.extend_from_slice(s.as_bytes());
        b.push(b'"');
    }
}
fn param_str(b: &mut Vec<u8>, key: &str, val: &str, verbose: bool) {
    b.extend_from_slice(b"{\"key\":\"");
    b.extend_from_slice(key.as_bytes());
    b.extend_from_slice(b"\",\"value\":{\"string_value\":");
    put_str(b, val);
    if verbose {
        b.extend_from_slice(b",\"int_value\":null,\"float_value\":null,\"double_value\":null");
    }
    b.extend_from_slice(b"}}");
}
fn param_int(b: &mut Vec<u8>, key: &str, v: u64, quoted: bool, verbose: bool) {
    b.extend_from_slice(b",{\"key\":\"");
    b.extend_from_slice(key.as_bytes());
    b.extend_from_slice(if verbose {
        b"\",\"value\":{\"string_value\":null,\"int_value\":"
    } else {
        b"\",\"value\":{\"int_value\":"
    });
    put_int(b, v, quoted);
    if verbose {
        b.extend_from_slice(b",\"float_value\":null,\"double_value\":null");
    }
    b.extend_from_slice(b"}}");
}

/// A GA4 day to write: index, date, file, sessions.
type DayJob = (usize, NaiveDate, PathBuf, Vec<Session>);

/// Writes one GA4 day file; returns (events, bytes).
fn write_day(
    path: &Path,
    date: NaiveDate,
    day: usize,
    sessions: &mut [Session],
    visitors: &[Visitor],
    seed: u64,
    keep: f64,
) -> Result<(u64, u64)> {
    let mut rng = XRng::seed_from_u64(seed ^ 0x9E37_79B9_7F4A_7C15u64.wrapping_mul(day as u64 + 7));
    let quoted = rng.gen_bool(0.5);
    let day_epoch = date.and_time(NaiveTime::MIN).and_utc().timestamp().max(0) as u64;
    let day_end_us = (day_epoch + 86_400) * 1_000_000 - 1;
    let head = format!(
        "{{\"event_date\":\"{}\",\"event_timestamp\":",
        date.format("%Y%m%d")
    );
    sessions.sort_by_key(|s| (s.start, s.visitor));
    let mut file = File::create(path).map_err(io_err(path))?;
    let (mut b, mut tail, mut loc) = (
        Vec::with_capacity(FLUSH + 8192),
        Vec::with_capacity(512),
        String::with_capacity(256),
    );
    let (mut events, mut bytes) = (0u64, 0u64);
    for s in sessions.iter() {
        let v = &visitors[s.visitor as usize];
        let prof = &PROFILES[v.persona as usize];
        tail.clear();
        tail.extend_from_slice(b"],\"user_id\":");
        if v.user_id > 0 && rng.gen_bool(0.9) {
            put_int(&mut tail, u64::from(v.user_id), true)
        } else {
            tail.extend_from_slice(b"null")
        }
        tail.extend_from_slice(b",\"user_pseudo_id\":\"");
        put_u64(&mut tail, u64::from(v.pseudo.0));
        tail.push(b'.');
        put_u64(&mut tail, u64::from(v.pseudo.1));
        let (d, c, t) = (v.device, v.city, v.traffic);
        for (i, part) in [
            "\",\"device\":{\"category\":",
            d.category,
            ",\"operating_system\":",
            d.os,
            ",\"web_info\":{\"browser\":",
            d.browser,
            "}},\"geo\":{\"country\":",
            c.country,
            ",\"region\":",
            c.region,
            ",\"city\":",
            c.city,
            "},\"traffic_source\":{\"source\":",
            t.source,
            ",\"medium\":",
            t.medium,
            ",\"name\":",
            t.name,
            "}",
        ]
        .iter()
        .enumerate()
        {
            if i % 2 == 0 {
                tail.extend_from_slice(part.as_bytes())
            } else {
                put_str(&mut tail, part)
            }
        }
        let sid = day_epoch + u64::from(s.start);
        let mut ts = sid * 1_000_000 + rng.gen_range(0..1_000_000);
        let utm = !matches!(t.medium, "organic" | "referral") && rng.gen_bool(0.8);
        let mut page = &("/", "");
        for k in 0..u32::from(s.events) {
            let purchase = s.purchase_cents > 0 && k + 1 == u32::from(s.events);
            let name = match k {
                0 => "session_start",
                _ if purchase => "purchase",
                1 => "page_view",
                _ => match rng.gen::<f64>() {
                    r if r < 0.6 => "page_view",
                    r if r < 0.88 => "scroll",
                    _ => prof.extra_event,
                },
            };
            if k == 0 || (k > 1 && name == "page_view") {
                let section: &&[Page] =
                    pick_trait(&mut rng, v.persona as usize, keep, |x| x.sections);
                page = pick(&mut rng, section);
                loc.clear();
                loc.push_str(SITE);
                loc.push_str(page.0);
                if k == 0 && utm {
                    loc.push_str(&format!(
                        "?utm_source={}&utm_medium={}&utm_campaign={}",
                        t.source, t.medium, t.name
                    ));
                }
            }
            let verbose = rng.gen_bool(0.3);
            b.extend_from_slice(head.as_bytes());
            put_int(&mut b, ts, quoted);
            b.extend_from_slice(b",\"event_name\":\"");
            b.extend_from_slice(name.as_bytes());
            b.extend_from_slice(b"\",\"event_params\":[");
            param_str(&mut b, "page_location", &loc, verbose);
            b.push(b',');
            param_str(&mut b, "page_title", page.1, verbose);
            param_int(&mut b, "ga_session_id", sid, quoted, verbose);
            param_int(
                &mut b,
                "ga_session_number",
                u64::from(s.number),
                quoted,
                verbose,
            );
            if k > 1 || purchase {
                param_int(
                    &mut b,
                    "engagement_time_msec",
                    rng.gen_range(300..60_000),
                    quoted,
                    verbose,
                );
            }
            b.extend_from_slice(&tail);
            if purchase {
                b.extend_from_slice(b",\"ecommerce\":{\"purchase_revenue\":");
                put_u64(&mut b, u64::from(s.purchase_cents / 100));
                b.extend_from_slice(
                    format!(
                        ".{:02},\"transaction_id\":\"T{}-{}\"}}",
                        s.purchase_cents % 100,
                        sid,
                        s.visitor
                    )
                    .as_bytes(),
                );
            }
            b.extend_from_slice(b",\"stream_id\":\"4178203391\",\"platform\":\"WEB\"}\n");
            events += 1;
            ts = (ts + rng.gen_range(1_000_000..90_000_000)).min(day_end_us);
            if b.len() >= FLUSH {
                file.write_all(&b).map_err(io_err(path))?;
                bytes += b.len() as u64;
                b.clear();
            }
        }
    }
    file.write_all(&b).map_err(io_err(path))?;
    Ok((events, bytes + b.len() as u64))
}

#[derive(Serialize)]
struct Insights {
    data: Vec<Metric>,
}
#[derive(Serialize)]
struct Metric {
    name: S,
    period: S,
    values: Vec<MetricValue>,
    title: S,
    description: S,
    id: String,
}
#[derive(Serialize)]
struct MetricValue {
    value: BTreeMap<String, u64>,
    end_time: String,
}

/// Meta page insights: fans by gender/age and by country, younger and more female than the buyers.
fn write_meta(path: &Path, rng: &mut XRng, contacts: usize, date: NaiveDate) -> Result<()> {
    const AGES: &[(S, f64)] = &[
        ("13-17", 0.02),
        ("18-24", 0.22),
        ("25-34", 0.36),
        ("35-44", 0.20),
        ("45-54", 0.11),
        ("55-64", 0.06),
        ("65+", 0.03),
    ];
    const GENDERS: &[(S, f64)] = &[("F", 0.57), ("M", 0.41), ("U", 0.02)];
    const COUNTRIES: &[(S, f64)] = &[
        ("US", 0.22),
        ("IN", 0.16),
        ("GB", 0.09),
        ("BR", 0.08),
        ("DE", 0.07),
        ("CA", 0.05),
        ("AU", 0.05),
        ("NL", 0.04),
        ("JP", 0.04),
        ("FR", 0.04),
        ("IE", 0.03),
        ("ES", 0.03),
        ("MX", 0.03),
    ];
    let fans = (contacts as f64 * 3.0).max(100.0);
    let gender_age: Vec<(String, f64)> = GENDERS
        .iter()
        .flat_map(|(g, gw)| {
            AGES.iter()
                .map(move |(a, aw)| (format!("{g}.{a}"), gw * aw))
        })
        .collect();
    let country: Vec<(String, f64)> = COUNTRIES.iter().map(|(c, w)| (c.to_string(), *w)).collect();
    let growth = 1.0 + rng.gen_range(0.001..0.01);
    let mut values = |weights: &[(String, f64)]| -> Vec<MetricValue> {
        let base: Vec<f64> = weights
            .iter()
            .map(|(_, w)| fans * w * rng.gen_range(0.93..1.07))
            .collect();
        (0..2u64)
            .map(|i| MetricValue {
                value: weights
                    .iter()
                    .zip(&base)
                    .map(|((k, _), b)| {
                        (
                            k.clone(),
                            (b * if i == 1 { growth } else { 1.0 }).round() as u64,
                        )
                    })
                    .collect(),
                end_time: date
                    .checked_sub_days(chrono::Days::new(2 - i))
                    .unwrap_or(date)
                    .format("%Y-%m-%dT08:00:00+0000")
                    .to_string(),
            })
            .collect()
    };
    let page = "104729381726354";
    let data = vec![
        Metric { name: "page_fans_gender_age", period: "lifetime", values: values(&gender_age), title: "Lifetime Likes by Gender and Age",
            description: "Lifetime: Aggregated demographic data about the people who like your Page based on the age and gender information they provide in their user profiles. (Unique Users)",
            id: format!("{page}/insights/page_fans_gender_age/lifetime") },
        Metric { name: "page_fans_country", period: "lifetime", values: values(&country), title: "Lifetime Likes by Country",
            description: "Lifetime: Aggregated Facebook location data, sorted by country, about the people who like your Page. (Unique Users)",
            id: format!("{page}/insights/page_fans_country/lifetime") },
    ];
    let mut w = create(path)?;
    serde_json::to_writer_pretty(&mut w, &Insights { data })?;
    w.flush().map_err(io_err(path))
}

fn label(p: usize) -> S {
    PERSONAS.get(p).copied().unwrap_or(NICHE_PERSONA)
}

/// Writes the sample exports (HubSpot, Mailchimp, GA4, Meta) and `truth.csv` under `out_dir`.
///
/// Deterministic for a given [`GenerateOptions`]; GA4 days are written by two threads, each day
/// from its own seeded stream.
pub fn generate(out_dir: &Path, opts: &GenerateOptions) -> Result<GenerateSummary> {
    let started = Instant::now();
    let bad = |reason: String| Error::BadInput {
        file: out_dir.display().to_string(),
        reason,
    };
    if !(0.0..=1.0).contains(&opts.overlap) {
        return Err(bad(format!(
            "overlap must be within 0..=1, got {}",
            opts.overlap
        )));
    }
    if !(opts.events_per_contact.is_finite() && opts.events_per_contact >= 0.0) {
        return Err(bad(format!(
            "events_per_contact must be >= 0, got {}",
            opts.events_per_contact
        )));
    }
    for d in [
        out_dir.to_path_buf(),
        out_dir.join("mailchimp"),
        out_dir.join("ga4"),
        out_dir.join("meta"),
    ] {
        fs::create_dir_all(&d).map_err(io_err(&d))?;
    }
    let (date, keep, total) = (
        opts.export_date,
        FIDELITY * (1.0 - opts.overlap),
        opts.contacts + opts.small_group,
    );
    let day0 = date.and_time(NaiveTime::MIN).and_utc().timestamp();
    let mut crm_rng = XRng::seed_from_u64(opts.seed);
    let mut mc_rng = XRng::seed_from_u64(opts.seed ^ 0x6D61_696C_6368_696D);
    let mut personas: Vec<usize> = (0..opts.contacts)
        .map(|i| i % PERSONAS.len())
        .chain(std::iter::repeat_n(NICHE, opts.small_group))
        .collect();
    personas.shuffle(&mut crm_rng);

    // Scale events so that the expected mean over all contacts is `events_per_contact`.
    let mean4 = PROFILES[..PERSONAS.len()]
        .iter()
        .map(|p| p.events)
        .sum::<f64>()
        / PERSONAS.len() as f64;
    let niche = keep * PROFILES[NICHE].events + (1.0 - keep) * mean4;
    let norm = if total == 0 {
        1.0
    } else {
        (opts.contacts as f64 * mean4 + opts.small_group as f64 * niche) / total as f64
    };
    let anon = (0.2 * total as f64 * opts.events_per_contact / 3.0).round() as usize;
    let mut planner = Planner {
        rng: XRng::seed_from_u64(opts.seed ^ 0x7765_625F_706C_616E),
        keep,
        mean_events: opts.events_per_contact / norm,
        day0,
        visitors: Vec::with_capacity(total + anon),
        days: vec![Vec::new(); DAYS],
        counts: Vec::new(),
        times: Vec::new(),
    };

    let hub_path = out_dir.join(format!(
        "hubspot-crm-exports-all-contacts-{}.csv",
        date.format("%Y-%m-%d")
    ));
    let truth_path = out_dir.join("truth.csv");
    let hex = hex10(&mut mc_rng);
    let mc_paths = ["subscribed", "unsubscribed", "cleaned"].map(|k| {
        out_dir
            .join("mailchimp")
            .join(format!("{k}_members_export_{hex}.csv"))
    });
    let mut hub = create(&hub_path)?;
    hub.write_all(HUBSPOT_HEADER.as_bytes())
        .and_then(|_| hub.write_all(b"\n"))
        .map_err(io_err(&hub_path))?;
    let mut truth = csv::Writer::from_writer(create(&truth_path)?);
    truth.write_record(["record_id", "email", "persona"])?;
    let mut writers = Vec::with_capacity(3);
    for (path, extra) in mc_paths.iter().zip([&[][..], MC_UNSUB, MC_CLEAN]) {
        let mut w = csv::WriterBuilder::new()
            .quote_style(csv::QuoteStyle::Necessary)
            .from_writer(create(path)?);
        w.write_record(MC_HEADER.iter().chain(extra))?;
        writers.push(w);
    }
    let w: [csv::Writer<BufWriter<File>>; 3] = writers
        .try_into()
        .map_err(|_| bad("mailchimp writers".into()))?;
    let mut audience = Audience {
        w,
        leid: 41_000_000,
        end: day0 + 86_399,
    };

    let mut seen = HashSet::with_capacity(total + total / 20 + 16);
    let mut line = String::with_capacity(512);
    for (i, &p) in personas.iter().enumerate() {
        let c = make_contact(
            &mut crm_rng,
            i as u64 + 1,
            p,
            keep,
            day0,
            &mut seen,
            &mut line,
        );
        hub.write_all(line.as_bytes()).map_err(io_err(&hub_path))?;
        truth.write_record([c.id.to_string().as_str(), &c.email, label(p)])?;
        if mc_rng.gen_bool(0.85) {
            let email = list_email(&mut mc_rng, &c.email);
            let optin = (c.created + mc_rng.gen_range(0..30 * 86_400)).min(day0);
            audience.member(
                &mut mc_rng,
                &email,
                c.first,
                c.last,
                &c.phone,
                c.city,
                &c.birthday,
                optin,
                Some(p),
                keep,
            )?;
        }
        planner.contact(&c);
    }
    for _ in 0..(total as f64 * 0.03).round() as usize {
        let (first, last, city) = (
            *pick(&mut mc_rng, FIRST),
            *pick(&mut mc_rng, LAST),
            pick(&mut mc_rng, CITIES),
        );
        let domain = *pick(&mut mc_rng, FREE_MAIL);
        let email = unique_email(&mut mc_rng, first, last, domain, &mut seen);
        let optin = day0 - mc_rng.gen_range(1..1000 * 86_400);
        audience.member(
            &mut mc_rng,
            &email,
            first,
            last,
            "",
            city,
            "",
            optin,
            None,
            keep,
        )?;
    }
    hub.flush().map_err(io_err(&hub_path))?;
    truth.flush().map_err(io_err(&truth_path))?;
    for (w, path) in audience.w.iter_mut().zip(&mc_paths) {
        w.flush().map_err(io_err(path))?;
    }
    drop(seen);
    for _ in 0..anon {
        planner.anonymous();
    }

    // GA4: even days on one thread, odd days on the other; each day has its own seeded stream.
    let Planner { visitors, days, .. } = planner;
    let mut jobs: [Vec<DayJob>; 2] = [Vec::new(), Vec::new()];
    let mut ga4_paths = Vec::with_capacity(DAYS);
    for (d, sessions) in days.into_iter().enumerate() {
        let day = date
            .checked_sub_days(chrono::Days::new((DAYS - 1 - d) as u64))
            .ok_or_else(|| bad(format!("export date {date} too early")))?;
        let path = out_dir
            .join("ga4")
            .join(format!("events_{}.json", day.format("%Y%m%d")));
        ga4_paths.push(path.clone());
        jobs[d % 2].push((d, day, path, sessions));
    }
    let (seed, visitors) = (opts.seed, &visitors);
    let results = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .into_iter()
            .map(|job| {
                scope.spawn(move || -> Result<(u64, u64)> {
                    let mut sum = (0, 0);
                    for (d, day, path, mut sessions) in job {
                        let (e, b) = write_day(&path, day, d, &mut sessions, visitors, seed, keep)?;
                        sum = (sum.0 + e, sum.1 + b);
                    }
                    Ok(sum)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(bad("GA4 writer thread panicked".into())))
            })
            .collect::<Vec<_>>()
    });
    let (mut events, mut ga4_bytes) = (0, 0);
    for r in results {
        let (e, b) = r?;
        events += e;
        ga4_bytes += b;
    }

    let meta_path = out_dir.join("meta").join("page_insights.json");
    write_meta(
        &meta_path,
        &mut XRng::seed_from_u64(opts.seed ^ 0x6D65_7461),
        total,
        date,
    )?;
    let mut files = vec![hub_path];
    files.extend(mc_paths);
    files.extend(ga4_paths);
    files.extend([meta_path, truth_path]);
    let secs = started.elapsed().as_secs_f64();
    tracing::info!(contacts = total, events, ga4_bytes, secs, mb_per_s = ga4_bytes as f64 / 1e6 / secs.max(1e-9), out = %out_dir.display(), "generated sample exports");
    Ok(GenerateSummary {
        contacts: total,
        events,
        ga4_bytes,
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(opts: &GenerateOptions) -> (tempfile::TempDir, GenerateSummary) {
        let dir = tempfile::Builder::new()
            .prefix("personas-generate-")
            .tempdir()
            .unwrap();
        let summary = generate(dir.path(), opts).unwrap();
        (dir, summary)
    }
    fn small(contacts: usize) -> GenerateOptions {
        GenerateOptions {
            contacts,
            ..Default::default()
        }
    }
    fn rows(path: &Path) -> Vec<csv::StringRecord> {
        csv::Reader::from_path(path)
            .unwrap()
            .records()
            .map(|r| r.unwrap())
            .collect()
    }

    #[test]
    fn same_seed_same_bytes() {
        let ((a, sa), (b, sb), (c, sc)) = (
            run(&small(300)),
            run(&small(300)),
            run(&GenerateOptions {
                seed: 7,
                ..small(300)
            }),
        );
        assert_eq!(
            fs::read(&sa.files[0]).unwrap(),
            fs::read(&sb.files[0]).unwrap()
        );
        assert_ne!(
            fs::read(&sa.files[0]).unwrap(),
            fs::read(&sc.files[0]).unwrap()
        );
        let day =
            |d: &tempfile::TempDir| fs::read(d.path().join("ga4/events_20261105.json")).unwrap();
        assert_eq!(day(&a), day(&b));
        assert_ne!(day(&a), day(&c));
        assert_eq!((sa.events, sa.ga4_bytes), (sb.events, sb.ga4_bytes));
    }

    #[test]
    fn every_file_parses() {
        let n = 800;
        let (dir, s) = run(&small(n));
        assert_eq!((s.contacts, s.files.len()), (n, 1 + 3 + DAYS + 2));
        assert!(s.files.iter().all(|f| f.is_file()), "{:?}", s.files);
        assert!(s.files[0].ends_with("hubspot-crm-exports-all-contacts-2026-11-20.csv"));
        let hub_text = fs::read_to_string(&s.files[0]).unwrap();
        assert!(hub_text.starts_with(&format!("{HUBSPOT_HEADER}\n")));
        assert!(
            !hub_text.contains(",\"\""),
            "empty values are written as nothing"
        );
        let hub = rows(&s.files[0]);
        assert_eq!(hub.len(), n);
        assert!(hub
            .iter()
            .enumerate()
            .all(|(i, r)| r.len() == 21 && r[0] == (i + 1).to_string()));
        assert_eq!(
            hub.iter()
                .map(|r| r[3].to_lowercase())
                .collect::<HashSet<_>>()
                .len(),
            n,
            "emails are unique"
        );
        let missing_dob = hub.iter().filter(|r| r[15].is_empty()).count();
        assert!(
            (n / 50..n / 5).contains(&missing_dob),
            "missing DOB {missing_dob}"
        );
        assert!(
            hub.iter().any(|r| r[12].contains('-'))
                && hub.iter().any(|r| r[12].parse::<u32>().is_ok())
        );

        let truth = rows(&dir.path().join("truth.csv"));
        assert_eq!(truth.len(), n);
        assert!(truth
            .iter()
            .zip(&hub)
            .all(|(t, r)| t[0] == r[0] && t[1] == r[3]));
        for p in PERSONAS {
            let k = truth.iter().filter(|t| &t[2] == *p).count();
            assert!((n / 4 - 5..=n / 4 + 5).contains(&k), "{p}: {k}");
        }

        let mut members = 0;
        for (path, cols) in s.files[1..4].iter().zip([23, 28, 26]) {
            assert_eq!(
                csv::Reader::from_path(path)
                    .unwrap()
                    .headers()
                    .unwrap()
                    .len(),
                cols,
                "{}",
                path.display()
            );
            members += rows(path)
                .iter()
                .filter(|r| (1..=5).contains(&r[6].parse::<u32>().unwrap()))
                .count();
        }
        assert!(
            (n * 80 / 100..n * 95 / 100).contains(&members),
            "members {members}"
        );

        let (mut events, mut users) = (0u64, HashSet::new());
        for f in &s.files[4..4 + DAYS] {
            for line in fs::read_to_string(f).unwrap().lines() {
                let e: serde_json::Value = serde_json::from_str(line).unwrap();
                assert!(e["event_name"].is_string() && e["platform"] == "WEB");
                users.extend(e["user_id"].as_str().map(String::from));
                events += 1;
            }
        }
        assert_eq!(events, s.events);
        // ~10 per contact plus ~20 % anonymous
        assert!(
            (10.0..14.0).contains(&(events as f64 / n as f64)),
            "events {events}"
        );
        assert!(users.len() > n * 3 / 4);

        let meta: serde_json::Value =
            serde_json::from_slice(&fs::read(dir.path().join("meta/page_insights.json")).unwrap())
                .unwrap();
        assert_eq!(meta["data"][0]["name"], "page_fans_gender_age");
        assert_eq!(meta["data"][1]["values"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn small_group_adds_niche_rows() {
        let (dir, s) = run(&GenerateOptions {
            small_group: 17,
            ..small(200)
        });
        let truth = rows(&dir.path().join("truth.csv"));
        assert_eq!((s.contacts, truth.len()), (217, 217));
        assert_eq!(truth.iter().filter(|t| &t[2] == NICHE_PERSONA).count(), 17);
    }

    #[test]
    fn overlap_blurs_traits() {
        let own_title_share = |overlap: f64| {
            let (dir, s) = run(&GenerateOptions {
                overlap,
                events_per_contact: 1.0,
                ..small(400)
            });
            let (hub, truth) = (rows(&s.files[0]), rows(&dir.path().join("truth.csv")));
            let own = hub.iter().zip(&truth).filter(|(r, t)| {
                PROFILES[PERSONAS.iter().position(|p| *p == &t[2]).unwrap()]
                    .titles
                    .contains(&&r[9])
            });
            own.count() as f64 / hub.len() as f64
        };
        assert!(own_title_share(0.0) > 0.8);
        assert!(own_title_share(1.0) < 0.4);
        let dir = tempfile::tempdir().unwrap();
        assert!(generate(
            dir.path(),
            &GenerateOptions {
                overlap: 1.5,
                ..small(10)
            }
        )
        .is_err());
    }
}
