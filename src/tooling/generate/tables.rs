//! Shared lookup tables of the generator: cities (with Mailchimp geo fields and phone prefixes),
//! first and last names, free-mail domains, contact owners, campaigns, unsubscribe reasons,
//! streets, and the sample site's pages by section.

use super::ga4::Page;
use super::S;

/// A city contacts live in, with the fields the exports write for it.
pub(super) struct City {
    /// Country name.
    pub(super) country: S,
    /// Region (state, province) name.
    pub(super) region: S,
    /// City name.
    pub(super) city: S,
    /// ISO 3166-1 alpha-2 country code.
    pub(super) cc: S,
    /// Region code, as Mailchimp writes it.
    pub(super) mc_region: S,
    /// Latitude.
    pub(super) lat: S,
    /// Longitude.
    pub(super) lon: S,
    /// IANA time zone.
    pub(super) tz: S,
    /// UTC offset in hours, standard time.
    pub(super) gmt: S,
    /// UTC offset in hours, daylight saving time.
    pub(super) dst: S,
    /// Phone prefix (country and area code).
    pub(super) phone: S,
}

/// A [`City`] from its fields, in their order (for one-line tables).
#[allow(clippy::too_many_arguments)]
#[rustfmt::skip]
pub(super) const fn city(country: S, region: S, city: S, cc: S, mc_region: S, lat: S, lon: S, tz: S, gmt: S, dst: S, phone: S) -> City {
    City { country, region, city, cc, mc_region, lat, lon, tz, gmt, dst, phone }
}
/// The sample's cities.
pub(super) static CITIES: &[City] = &[
    city(
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
    city(
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
    city(
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
    city(
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
    city(
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
    city(
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
    city(
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
    city(
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
    city(
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
    city(
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
    city(
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
    city(
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
#[rustfmt::skip]
pub(super) const FIRST: &[S] = &[
    "María", "José", "Sofía", "Lukas", "Jürgen", "Zoë", "Chloé", "Aoife", "Siobhán", "Priya",
    "Arjun", "Yuki", "Haruto", "Mei", "Olga", "Søren", "François", "Björn", "Ana", "Marco",
    "James", "Emily", "Michael", "Sarah", "David", "Laura", "Daniel", "Anna", "Thomas",
    "Fatima", "Mohammed", "Wei", "Liam", "Noah", "Emma", "Olivia", "Lucas", "Mia", "Kwame",
    "Amara",
];
#[rustfmt::skip]
pub(super) const LAST: &[S] = &[
    "Núñez", "García", "Müller", "Schmidt", "O'Brien", "Walker", "Smith", "Johnson", "Brown",
    "Tanaka", "Sato", "Kumar", "Patel", "Sharma", "Nguyen", "Kim", "Rossi", "Dubois", "Lefèvre",
    "Jensen", "Nielsen", "Kowalski", "Novak", "Murphy", "Kelly", "Okafor", "Mensah", "Silva",
    "Santos", "Ivanova", "Fischer", "Weber", "de Vries", "van Dijk", "Andersson", "Hernández",
    "López", "Martin", "Öztürk", "Wilson",
];
pub(super) const FREE_MAIL: &[S] = &["gmail.com", "outlook.com", "gmx.de", "gmail.com"];
pub(super) const OWNERS: &[S] = &["Sarah Chen", "Tom Becker", "Priya Nair", "Lucas Martin", ""];
pub(super) const CAMPAIGNS: &[S] = &[
    "November Newsletter",
    "Product Update: Pipelines 2.0",
    "Black Friday Preview",
    "Webinar Invite: Scaling CI",
];
pub(super) const UNSUB_REASONS: &[S] = &[
    "I no longer want to receive these emails",
    "I never signed up for this mailing list",
    "The emails are inappropriate",
    "The emails are spam and should be reported",
    "Other",
];
#[rustfmt::skip]
pub(super) const STREETS: &[S] = &[
    "Market St", "High Street", "Hauptstraße", "Keizersgracht", "Main Road", "Queen St W",
];

// The sample site's pages, by section.
pub(super) const PRICING: &[Page] = &[
    ("/pricing/plans", "Plans and Pricing | StackPilot"),
    ("/pricing/enterprise", "Enterprise Plan | StackPilot"),
    ("/pricing/compare", "Compare Plans | StackPilot"),
];
pub(super) const CASES: &[Page] = &[
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
pub(super) const SECURITY: &[Page] = &[
    ("/security/soc2", "SOC 2 Type II | StackPilot Security"),
    ("/security/sso-saml", "SSO and SAML | StackPilot Security"),
    (
        "/security/data-residency",
        "Data Residency | StackPilot Security",
    ),
];
pub(super) const PRODUCT: &[Page] = &[
    ("/product/overview", "Product Overview | StackPilot"),
    ("/product/integrations", "Integrations | StackPilot"),
    ("/product/roadmap", "Roadmap | StackPilot"),
];
pub(super) const DOCS: &[Page] = &[
    ("/docs/getting-started", "Getting Started | StackPilot Docs"),
    ("/docs/cli-reference", "CLI Reference | StackPilot Docs"),
    ("/docs/webhooks", "Webhooks | StackPilot Docs"),
    (
        "/docs/deploy-kubernetes",
        "Deploy to Kubernetes | StackPilot Docs",
    ),
];
pub(super) const BLOG: &[Page] = &[
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
pub(super) const API: &[Page] = &[
    ("/api/v2-reference", "API v2 Reference | StackPilot"),
    ("/api/rate-limits", "Rate Limits | StackPilot API"),
    ("/api/authentication", "Authentication | StackPilot API"),
];
pub(super) const CHANGELOG: &[Page] = &[
    ("/changelog/2026-11", "Changelog November 2026 | StackPilot"),
    ("/changelog/2026-10", "Changelog October 2026 | StackPilot"),
];
pub(super) const DISCOUNTS: &[Page] = &[
    ("/discounts/black-friday", "Black Friday Deal | StackPilot"),
    ("/discounts/startup-deal", "Startup Discount | StackPilot"),
    (
        "/discounts/annual-plan",
        "Save with Annual Billing | StackPilot",
    ),
];
pub(super) const TEMPLATES: &[Page] = &[
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
pub(super) const RESEARCH: &[Page] = &[
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
