//! The level tables the designs draw from: job titles by seniority, industries, countries (with
//! the geo fields Mailchimp and GA4 write), lifecycle stages, sources, buying roles, tags, the
//! site's pages by content group, devices and traffic sources by medium.

use super::super::ga4::Page;
use super::super::tables::{city, City};
use super::super::S;

/// Seniority levels, in the order of [`TITLES`]; the feature model derives them from the title.
pub(super) const SENIORITY: &[S] = &[
    "executive",
    "director",
    "manager",
    "entry",
    "individual_contributor",
];
/// Job titles of each seniority level; each title matches its own level's regex only.
#[rustfmt::skip]
pub(super) const TITLES: &[&[S]] = &[
    &["CEO", "Founder", "Co-founder & CEO", "CTO", "Chief Marketing Officer", "Owner", "CFO"],
    &["VP of Engineering", "VP Sales", "Head of Marketing", "Director of Operations", "Head of IT", "Director of Product"],
    &["Engineering Manager", "Marketing Manager", "Team Lead", "Principal Engineer", "Product Manager", "Office Manager"],
    &["Marketing Intern", "Junior Developer", "Sales Assistant", "Marketing Coordinator", "Graduate Trainee", "Working Student"],
    &["Software Engineer", "Data Analyst", "Accountant", "UX Designer", "DevOps Engineer", "Account Executive", "Consultant"],
];
/// Industries; a design uses the first few.
#[rustfmt::skip]
pub(super) const INDUSTRIES: &[S] = &[
    "Software", "Financial Services", "Healthcare", "Retail", "Manufacturing",
    "Education", "Telecommunications", "Media", "Insurance", "Logistics",
    "Government", "Energy", "Real Estate", "Hospitality", "Automotive",
    "Pharmaceuticals", "Nonprofit", "Consulting", "Agriculture", "Gaming",
];

/// One city per country; a design uses the first few countries.
#[rustfmt::skip]
pub(super) static COUNTRIES: &[City] = &[
    city("United States", "New York", "New York", "US", "NY", "40.7128", "-74.0060", "America/New_York", "-5", "-4", "+1 212"),
    city("United Kingdom", "England", "London", "GB", "ENG", "51.5074", "-0.1278", "Europe/London", "0", "1", "+44 20"),
    city("Germany", "Berlin", "Berlin", "DE", "BE", "52.5200", "13.4050", "Europe/Berlin", "1", "2", "+49 30"),
    city("France", "Île-de-France", "Paris", "FR", "IDF", "48.8566", "2.3522", "Europe/Paris", "1", "2", "+33 1"),
    city("Netherlands", "North Holland", "Amsterdam", "NL", "NH", "52.3676", "4.9041", "Europe/Amsterdam", "1", "2", "+31 20"),
    city("Ireland", "County Dublin", "Dublin", "IE", "D", "53.3498", "-6.2603", "Europe/Dublin", "0", "1", "+353 1"),
    city("Spain", "Community of Madrid", "Madrid", "ES", "MD", "40.4168", "-3.7038", "Europe/Madrid", "1", "2", "+34 91"),
    city("Italy", "Lombardy", "Milan", "IT", "25", "45.4642", "9.1900", "Europe/Rome", "1", "2", "+39 02"),
    city("Sweden", "Stockholm County", "Stockholm", "SE", "AB", "59.3293", "18.0686", "Europe/Stockholm", "1", "2", "+46 8"),
    city("Poland", "Masovian Voivodeship", "Warsaw", "PL", "14", "52.2297", "21.0122", "Europe/Warsaw", "1", "2", "+48 22"),
    city("Canada", "Ontario", "Toronto", "CA", "ON", "43.6532", "-79.3832", "America/Toronto", "-5", "-4", "+1 416"),
    city("Brazil", "São Paulo", "São Paulo", "BR", "SP", "-23.5505", "-46.6333", "America/Sao_Paulo", "-3", "-3", "+55 11"),
    city("Mexico", "Mexico City", "Mexico City", "MX", "CMX", "19.4326", "-99.1332", "America/Mexico_City", "-6", "-6", "+52 55"),
    city("India", "Karnataka", "Bengaluru", "IN", "KA", "12.9716", "77.5946", "Asia/Kolkata", "5.5", "5.5", "+91 80"),
    city("Japan", "Tokyo", "Tokyo", "JP", "13", "35.6762", "139.6503", "Asia/Tokyo", "9", "9", "+81 3"),
    city("Singapore", "Singapore", "Singapore", "SG", "01", "1.3521", "103.8198", "Asia/Singapore", "8", "8", "+65 6"),
    city("Australia", "New South Wales", "Sydney", "AU", "NSW", "-33.8688", "151.2093", "Australia/Sydney", "10", "11", "+61 2"),
    city("South Africa", "Western Cape", "Cape Town", "ZA", "WC", "-33.9249", "18.4241", "Africa/Johannesburg", "2", "2", "+27 21"),
    city("Nigeria", "Lagos", "Lagos", "NG", "LA", "6.5244", "3.3792", "Africa/Lagos", "1", "1", "+234 1"),
    city("United Arab Emirates", "Dubai", "Dubai", "AE", "DU", "25.2048", "55.2708", "Asia/Dubai", "4", "4", "+971 4"),
];
/// HubSpot lifecycle stages.
pub(super) const LIFECYCLE: &[S] = &[
    "Subscriber",
    "Lead",
    "Marketing Qualified Lead",
    "Sales Qualified Lead",
    "Opportunity",
    "Customer",
];
/// HubSpot original sources.
pub(super) const SOURCES: &[S] = &[
    "Organic Search",
    "Paid Search",
    "Paid Social",
    "Social Media",
    "Email Marketing",
    "Referrals",
    "Direct Traffic",
    "Offline Sources",
];
/// Buying roles: the first [`BUYER_ROLES`] are buyers, the rest users.
pub(super) const ROLES: &[S] = &[
    "Decision Maker",
    "Budget Holder",
    "Executive Sponsor",
    "End User",
    "Champion",
    "Influencer",
];
/// Number of buyer roles at the head of [`ROLES`].
pub(super) const BUYER_ROLES: usize = 3;
/// Genders as HubSpot writes them.
pub(super) const GENDERS: &[S] = &["Male", "Female"];
/// Mailchimp member statuses, in the order of the audience files.
pub(super) const STATUSES: &[S] = &["subscribed", "unsubscribed", "cleaned"];
/// Mailchimp member ratings (1-5 stars).
pub(super) const RATINGS: &[S] = &["1", "2", "3", "4", "5"];
/// Mailchimp tags.
#[rustfmt::skip]
pub(super) const TAGS: &[S] = &[
    "newsletter", "webinar-attendee", "trial", "customer", "enterprise", "promo",
    "product-updates", "event-2026", "partner", "beta-tester",
];
/// Company name parts.
#[rustfmt::skip]
pub(super) const CO_PREFIX: &[S] = &[
    "Acme", "Globex", "Initech", "Northwind", "Umbrella", "Vandelay", "Stark", "Wayne", "Hooli",
    "Pied Piper", "Soylent", "Tyrell", "Wonka", "Cyberdyne", "Atlas", "Meridian", "Sterling",
    "Blue Sky", "Greenfield", "Summit",
];
/// Company name parts.
#[rustfmt::skip]
pub(super) const CO_SUFFIX: &[S] = &[
    "Labs", "Systems", "Group", "Holdings", "Solutions", "Partners", "Industries", "Technologies",
    "Co", "Works",
];

/// The site's pages by content group, in the order of the feature model's shares: docs
/// (docs, api, changelog), pricing (pricing, case-studies, security, product), discounts
/// (discounts, templates), blog, and pages in no group.
#[rustfmt::skip]
pub(super) const PAGES: &[&[Page]] = &[
    &[
        ("/docs/getting-started", "Getting Started | StackPilot Docs"),
        ("/docs/cli-reference", "CLI Reference | StackPilot Docs"),
        ("/docs/webhooks", "Webhooks | StackPilot Docs"),
        ("/api/v2-reference", "API v2 Reference | StackPilot"),
        ("/api/authentication", "Authentication | StackPilot API"),
        ("/changelog/2026-11", "Changelog November 2026 | StackPilot"),
    ],
    &[
        ("/pricing/plans", "Plans and Pricing | StackPilot"),
        ("/pricing/enterprise", "Enterprise Plan | StackPilot"),
        ("/case-studies/global-bank-migration", "How a Global Bank Migrated 4,000 Services | StackPilot"),
        ("/security/soc2", "SOC 2 Type II | StackPilot Security"),
        ("/product/overview", "Product Overview | StackPilot"),
        ("/product/integrations", "Integrations | StackPilot"),
    ],
    &[
        ("/discounts/black-friday", "Black Friday Deal | StackPilot"),
        ("/discounts/startup-deal", "Startup Discount | StackPilot"),
        ("/templates/landing-page", "Landing Page Template | StackPilot"),
        ("/templates/invoice", "Invoice Template | StackPilot"),
    ],
    &[
        ("/blog/zero-downtime-deploys", "Zero-Downtime Deploys | StackPilot Blog"),
        ("/blog/rust-vs-go", "Rust vs Go for CLIs | StackPilot Blog"),
        ("/blog/ci-cost-cutting", "Cutting CI Costs | StackPilot Blog"),
        ("/blog/company-news", "Company News | StackPilot Blog"),
    ],
    &[
        ("/", "StackPilot | Ship Faster"),
        ("/about/team", "Our Team | StackPilot"),
        ("/careers/open-roles", "Open Roles | StackPilot"),
        ("/research/benchmark-2026", "Build Benchmark 2026 | StackPilot Research"),
    ],
];
/// Device categories (`share_mobile` = mobile + tablet).
pub(super) const DEVICE_CATEGORIES: &[S] = &["mobile", "tablet", "desktop"];
/// Devices: index into [`DEVICE_CATEGORIES`], operating system, browser.
#[rustfmt::skip]
pub(super) const DEVICES: &[(u8, S, S)] = &[
    (0, "iOS", "Safari"), (0, "Android", "Chrome"), (0, "iOS", "Chrome"), (0, "Android", "Samsung Internet"),
    (1, "iOS", "Safari"), (1, "Android", "Chrome"),
    (2, "Windows", "Chrome"), (2, "Windows", "Edge"), (2, "Macintosh", "Safari"), (2, "Macintosh", "Chrome"),
    (2, "Linux", "Firefox"),
];
/// GA4 traffic mediums, one `share_medium_*` column each.
pub(super) const MEDIUMS: &[S] = &["organic", "cpc", "referral", "email", "social", "(none)"];
/// Traffic sources: index into [`MEDIUMS`], source, campaign name.
#[rustfmt::skip]
pub(super) const TRAFFIC: &[(u8, S, S)] = &[
    (0, "google", "(organic)"), (0, "bing", "(organic)"), (0, "duckduckgo", "(organic)"),
    (1, "google", "brand_search"), (1, "google", "generic_devops"), (1, "bing", "brand_search"),
    (2, "github.com", "(referral)"), (2, "linkedin.com", "(referral)"), (2, "g2.com", "(referral)"),
    (3, "newsletter", "weekly_digest"), (3, "mailchimp", "monthly_update"),
    (4, "linkedin.com", "launch_week"), (4, "facebook.com", "founders_promo"), (4, "x.com", "launch_week"),
    (5, "(direct)", "(direct)"),
];
/// Event names besides `session_start`, `page_view` and `scroll`.
pub(super) const EXTRA_EVENTS: &[S] = &["file_download", "video_start", "form_start", "click"];
