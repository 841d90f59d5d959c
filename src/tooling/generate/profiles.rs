//! The persona profiles: each persona's trait distributions (CRM fields, email behaviour, devices,
//! traffic sources, sections of the site read), plus the draws that follow a profile.

use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus as XRng;

use super::ga4::Page;
use super::tables::{API, BLOG, CASES, CHANGELOG, DISCOUNTS, DOCS, PRICING, PRODUCT};
use super::tables::{RESEARCH, SECURITY, TEMPLATES};
use super::util::pick;
use super::{PERSONAS, S};

pub(super) enum Emp {
    Label(S),
    Num(u32, u32),
    Missing,
}
pub(super) struct Device {
    pub(super) category: S,
    pub(super) os: S,
    pub(super) browser: S,
}
pub(super) struct Traffic {
    pub(super) source: S,
    pub(super) medium: S,
    pub(super) name: S,
}

/// One persona's trait distributions (lists are drawn uniformly; repeat entries to weight them).
pub(super) struct Profile {
    pub(super) titles: &'static [S],
    pub(super) industries: &'static [S],
    pub(super) co_prefix: &'static [S],
    pub(super) co_suffix: &'static [S],
    pub(super) tld: S,
    pub(super) free_mail: f64,
    pub(super) employees: &'static [Emp],
    pub(super) roles: &'static [S],
    pub(super) stages: &'static [S],
    pub(super) age: (u32, u32),
    pub(super) male: f64,
    pub(super) revenue: (f64, f64, f64),
    pub(super) rating: (u32, u32),
    pub(super) churn: (f64, f64),
    pub(super) tags: &'static [S],
    pub(super) sources: &'static [S],
    pub(super) marketing: f64,
    pub(super) inactive_days: (i64, i64),
    pub(super) events: f64,
    pub(super) per_session: f64,
    pub(super) zero: f64,
    pub(super) devices: &'static [Device],
    pub(super) traffic: &'static [Traffic],
    pub(super) sections: &'static [&'static [Page]],
    pub(super) extra_event: S,
    pub(super) buy: (f64, f64, f64),
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

/// Indexed like [`PERSONAS`], then the niche persona at index 4. One line a trait (scalars
/// grouped by what they describe: the email domain, demographics, revenue and email behaviour,
/// activity).
#[rustfmt::skip]
pub(super) static PROFILES: [Profile; 5] = [
    // enterprise_decision_maker
    Profile {
        titles: &["VP of Engineering", "CTO", "Head of IT", "Director of Operations", "Chief Information Officer"],
        industries: &["Financial Services", "Banking", "Insurance", "Telecommunications"],
        co_prefix: &[
            "Tyrell", "Globex", "Initech", "Nakatomi", "Oscorp", "Cyberdyne",
            "Monarch", "Northwind", "Sterling", "Vanguard", "Meridian", "Atlas",
        ],
        co_suffix: &["Bank", "Insurance", "Financial", "Telecom", "Capital", "Group"],
        tld: ".com", free_mail: 0.02,
        employees: &[
            Emp::Label("1001-5000"), Emp::Label("5001-10000"), Emp::Label("10001+"),
            Emp::Num(1200, 20000), Emp::Num(1200, 20000),
        ],
        roles: &[
            "Decision Maker", "Budget Holder", "Executive Sponsor",
            "Decision Maker;Budget Holder", "Executive Sponsor;Decision Maker",
        ],
        stages: &["Opportunity", "Customer"],
        age: (42, 60), male: 0.65, revenue: (0.92, 20000.0, 120000.0), rating: (4, 5), churn: (0.03, 0.01),
        tags: &["Enterprise", "Webinar-attendee"],
        sources: &["Referrals", "Organic Search", "Offline Sources"],
        marketing: 0.9, inactive_days: (0, 60), events: 0.7, per_session: 2.0, zero: 0.0,
        devices: &[
            dv("desktop", "Windows", "Chrome"), dv("desktop", "Windows", "Edge"),
            dv("desktop", "Macintosh", "Chrome"), dv("desktop", "Macintosh", "Safari"),
        ],
        traffic: &[
            tr("google", "organic", "(organic)"), tr("linkedin.com", "referral", "(referral)"),
            tr("gartner.com", "referral", "(referral)"), tr("bing", "organic", "(organic)"),
        ],
        sections: &[PRICING, CASES, SECURITY, PRODUCT], extra_event: "generate_lead", buy: (0.3, 5000.0, 60000.0),
    },
    // hands_on_developer
    Profile {
        titles: &["Backend Developer", "Frontend Developer", "Software Engineer", "DevOps Engineer", "Data Engineer"],
        industries: &["Computer Software", "Internet", "Information Technology and Services"],
        co_prefix: &[
            "Hooli", "Pied Piper", "Aperture", "Massive Dynamic", "Soylent", "Wonka",
            "Blue Sun", "Umbrella", "Vandelay", "Stark", "Wayne", "Dunder",
        ],
        co_suffix: &["Labs", "Software", "Technologies", "Cloud", "Systems", "Data"],
        tld: ".io", free_mail: 0.1,
        employees: &[
            Emp::Num(51, 1000), Emp::Num(51, 1000),
            Emp::Label("51-200"), Emp::Label("201-500"), Emp::Label("501-1000"),
        ],
        roles: &["End User", "Champion", "End User"],
        stages: &["Lead", "Marketing Qualified Lead", "Customer"],
        age: (23, 35), male: 0.75, revenue: (0.12, 100.0, 2000.0), rating: (3, 4), churn: (0.06, 0.02),
        tags: &["newsletter", "product-updates"],
        sources: &["Organic Search", "Organic Search", "Referrals", "Direct Traffic"],
        marketing: 0.9, inactive_days: (0, 60), events: 2.5, per_session: 3.0, zero: 0.0,
        devices: &[
            dv("desktop", "Linux", "Chrome"), dv("desktop", "Linux", "Firefox"),
            dv("desktop", "Macintosh", "Chrome"), dv("desktop", "Macintosh", "Firefox"),
        ],
        traffic: &[
            tr("google", "organic", "(organic)"), tr("google", "organic", "(organic)"),
            tr("duckduckgo", "organic", "(organic)"), tr("github.com", "referral", "(referral)"),
        ],
        sections: &[DOCS, BLOG, API, CHANGELOG], extra_event: "file_download", buy: (0.05, 49.0, 499.0),
    },
    // bargain_founder
    Profile {
        titles: &["Founder", "Co-Founder", "Owner", "Founder and Owner", "CEO"],
        industries: &["Retail", "Construction", "Consumer Services", "Marketing and Advertising"],
        co_prefix: &[
            "Sunny", "Brick & Beam", "Little Fox", "Green Leaf", "Urban",
            "Maple", "Coastal", "Golden Crumb", "Bright", "Nordic",
        ],
        co_suffix: &["Bakery", "Studio", "Builders", "Boutique", "Design", "Shop"],
        tld: ".com", free_mail: 0.8,
        employees: &[Emp::Num(1, 10), Emp::Num(1, 10), Emp::Label("1-10")],
        roles: &["Decision Maker", "Decision Maker", "Decision Maker;Budget Holder"],
        stages: &["Lead", "Sales Qualified Lead", "Customer"],
        age: (25, 40), male: 0.55, revenue: (0.85, 200.0, 3000.0), rating: (3, 5), churn: (0.08, 0.03),
        tags: &["promo", "coupon"],
        sources: &["Paid Social", "Paid Search", "Paid Social"],
        marketing: 0.95, inactive_days: (0, 60), events: 0.5, per_session: 2.5, zero: 0.05,
        devices: &[
            dv("mobile", "iOS", "Safari"), dv("mobile", "Android", "Chrome"),
            dv("mobile", "iOS", "Chrome"), dv("tablet", "iOS", "Safari"),
        ],
        traffic: &[
            tr("facebook.com", "cpc", "black_friday_2026"),
            tr("instagram.com", "paid_social", "founders_promo"),
            tr("facebook.com", "paid_social", "founders_promo"),
            tr("google", "cpc", "brand_search"),
        ],
        sections: &[DISCOUNTS, PRICING, TEMPLATES], extra_event: "generate_lead", buy: (0.35, 19.0, 299.0),
    },
    // passive_subscriber
    Profile {
        titles: &["Coordinator", "Assistant", "Marketing Assistant", "Office Manager", "Student"],
        industries: &[
            "Retail", "Banking", "Education Management", "Hospital & Health Care", "Computer Software",
            "Nonprofit Organization Management", "Real Estate",
        ],
        co_prefix: &["Acme", "Contoso", "Fabrikam", "Lakeside", "Riverside", "Summit", "Harbor", "Pinecrest"],
        co_suffix: &["Corp", "Services", "Partners", "Trading", "Agency", "Co"],
        tld: ".com", free_mail: 0.6,
        employees: &[
            Emp::Num(1, 50000), Emp::Label("11-50"), Emp::Label("201-500"), Emp::Label("10001+"),
            Emp::Missing, Emp::Missing,
        ],
        roles: &["Other", "Influencer", "", ""],
        stages: &["Subscriber", "Subscriber", "Lead"],
        age: (18, 70), male: 0.45, revenue: (0.0, 0.0, 0.0), rating: (1, 2), churn: (0.35, 0.15),
        tags: &["cold", "imported-list"],
        sources: &["Email Marketing", "Offline Sources", "Direct Traffic"],
        marketing: 0.55, inactive_days: (200, 400), events: 0.3, per_session: 2.5, zero: 0.3,
        devices: &[
            dv("mobile", "Android", "Chrome"), dv("mobile", "iOS", "Safari"),
            dv("mobile", "Android", "Samsung Internet"), dv("desktop", "Windows", "Chrome"),
        ],
        traffic: &[tr("newsletter", "email", "weekly_digest"), tr("mailchimp", "email", "monthly_update")],
        sections: &[BLOG], extra_event: "page_view", buy: (0.0, 0.0, 0.0),
    },
    // niche_researcher
    Profile {
        titles: &["Research Fellow", "PhD Candidate"],
        industries: &["Higher Education"],
        co_prefix: &["Oxford", "Heidelberg", "Delft", "Kyoto", "Toronto", "Melbourne", "Trinity", "Bangalore"],
        co_suffix: &["University", "Institute of Technology"],
        tld: ".edu", free_mail: 0.0,
        employees: &[Emp::Label("5001-10000")],
        roles: &["Influencer", "End User"],
        stages: &["Lead", "Subscriber"],
        age: (26, 45), male: 0.5, revenue: (0.0, 0.0, 0.0), rating: (3, 4), churn: (0.05, 0.02),
        tags: &["research", "academic"],
        sources: &["Organic Search", "Referrals"],
        marketing: 0.8, inactive_days: (0, 60), events: 1.5, per_session: 4.0, zero: 0.0,
        devices: &[
            dv("desktop", "Linux", "Firefox"), dv("desktop", "Macintosh", "Safari"),
            dv("desktop", "Windows", "Firefox"),
        ],
        traffic: &[tr("scholar.google.com", "referral", "(referral)"), tr("google", "organic", "(organic)")],
        sections: &[RESEARCH, RESEARCH, RESEARCH, BLOG], extra_event: "file_download", buy: (0.0, 0.0, 0.0),
    },
];
pub(super) const NICHE: usize = 4;

/// Index of the profile a draw follows: the persona's own with probability `keep`, else a random main one.
pub(super) fn src<R: Rng>(rng: &mut R, p: usize, keep: f64) -> usize {
    if rng.gen::<f64>() < keep {
        p
    } else {
        rng.gen_range(0..PERSONAS.len())
    }
}
/// One entry of a list trait, from the profile [`src`] chooses.
pub(super) fn pick_trait<T>(
    rng: &mut XRng,
    p: usize,
    keep: f64,
    list: fn(&'static Profile) -> &'static [T],
) -> &'static T {
    let xs = list(&PROFILES[src(rng, p, keep)]);
    pick(rng, xs)
}
