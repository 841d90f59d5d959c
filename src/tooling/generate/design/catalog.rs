//! The catalogue of designs: what each plants (its [`DesignInfo`]), the persona shares and noise
//! it plants them with, and the attributes a contact is drawn by, with the feature-model
//! columns each attribute lands in.

use super::DesignInfo;

/// Feature-model columns of the firmographic attributes.
#[rustfmt::skip]
const FIRMOGRAPHIC: &[&str] = &[
    "industry", "employees", "company_size", "job_seniority", "revenue",
];
/// Feature-model columns of web behaviour.
#[rustfmt::skip]
const WEB: &[&str] = &[
    "share_docs", "share_pricing", "share_discounts", "share_blog", "share_mobile",
    "share_desktop", "share_medium_organic", "share_medium_cpc", "share_medium_referral",
    "share_medium_email", "share_medium_social", "share_medium_none", "sessions", "page_views",
];
/// Feature-model columns of email behaviour.
const EMAIL: &[&str] = &["email_rating", "tags", "email_status"];
/// Firmographic columns, country and web behaviour (`many`).
#[rustfmt::skip]
const FIRMOGRAPHIC_COUNTRY_WEB: &[&str] = &[
    "industry", "employees", "company_size", "job_seniority", "revenue", "country",
    "share_docs", "share_pricing", "share_discounts", "share_blog", "share_mobile", "share_desktop",
    "share_medium_organic", "share_medium_cpc", "share_medium_referral", "share_medium_email",
    "share_medium_social", "share_medium_none", "sessions", "page_views",
];
/// Firmographic columns and web behaviour (`roles`).
#[rustfmt::skip]
const FIRMOGRAPHIC_WEB: &[&str] = &[
    "industry", "employees", "company_size", "job_seniority", "revenue",
    "share_docs", "share_pricing", "share_discounts", "share_blog", "share_mobile", "share_desktop",
    "share_medium_organic", "share_medium_cpc", "share_medium_referral", "share_medium_email",
    "share_medium_social", "share_medium_none", "sessions", "page_views",
];
/// Every column a design can plant signal in (`all`).
#[rustfmt::skip]
pub(super) const ALL_COLUMNS: &[&str] = &[
    "job_seniority", "industry", "employees", "company_size", "country", "age", "gender",
    "buying_roles", "lifecycle_stage", "original_source", "revenue",
    "email_rating", "email_status", "tags",
    "share_docs", "share_pricing", "share_discounts", "share_blog", "share_mobile", "share_desktop",
    "share_medium_organic", "share_medium_cpc", "share_medium_referral", "share_medium_email",
    "share_medium_social", "share_medium_none", "sessions", "page_views",
];

/// The designs, in the order of [`PLANS`].
pub(super) static DESIGNS: [DesignInfo; 8] = [
    DesignInfo {
        name: "firmographic",
        description: "3 personas (50/30/20 %) told apart by industry, company size, seniority and revenue; 5 % noise",
        personas: 3,
        signal_columns: FIRMOGRAPHIC,
        roles_spread: false,
        ..PLAIN
    },
    DesignInfo {
        name: "web",
        description: "4 personas (40/30/20/10 %) told apart by web behaviour: sections, devices, mediums, activity; 5 % noise",
        personas: 4,
        signal_columns: WEB,
        roles_spread: false,
        ..PLAIN
    },
    DesignInfo {
        name: "email",
        description: "3 personas (45/35/20 %) told apart by Mailchimp rating, tags and status; 5 % noise",
        personas: 3,
        signal_columns: EMAIL,
        roles_spread: false,
        ..PLAIN
    },
    DesignInfo {
        name: "all",
        description: "5 personas (35/25/20/15/5 %) with signal in every column; 30 % noise",
        personas: 5,
        signal_columns: ALL_COLUMNS,
        roles_spread: false,
        ..PLAIN
    },
    DesignInfo {
        name: "many",
        description: "6 personas (30/22/18/14/10/6 %) told apart by firmographics, country and web behaviour, 20 industries and countries; 10 % noise",
        personas: 6,
        signal_columns: FIRMOGRAPHIC_COUNTRY_WEB,
        roles_spread: false,
        ..PLAIN
    },
    DesignInfo {
        name: "roles",
        description: "4 personas (30/30/20/20 %) told apart by firmographics and web behaviour, each half buyers and half users; 15 % noise",
        personas: 4,
        signal_columns: FIRMOGRAPHIC_WEB,
        roles_spread: true,
        ..PLAIN
    },
    DesignInfo {
        name: "buying",
        description: "3 buyer personas (35/35/30 %: repeat buyers, cart abandoners citing price, one-time buyers) told apart by firmographics, with a Shopify orders export, a Typeform survey and GA4 carts; 5 % noise",
        personas: 3,
        signal_columns: FIRMOGRAPHIC,
        roles_spread: false,
        persona_names: super::buying::PERSONAS,
        describe: super::buying::DESCRIBE,
        in_every: false,
    },
    DesignInfo {
        name: "null",
        description: "no personas: every attribute of every contact drawn independently from the population",
        personas: 0,
        signal_columns: &[],
        roles_spread: false,
        ..PLAIN
    },
];

/// The fields every design but `buying` shares: personas labelled `p1`, `p2`, ..., nothing
/// described beyond the defaults, run by `--design every`.
const PLAIN: DesignInfo = DesignInfo {
    name: "",
    description: "",
    personas: 0,
    signal_columns: &[],
    roles_spread: false,
    persona_names: &[],
    describe: &[],
    in_every: true,
};

/// How a design plants its personas.
pub(super) struct Plan {
    /// Persona shares (for `null`: of the hidden profiles the population is made from).
    pub(super) shares: &'static [f64],
    /// Probability that a signal attribute of a contact comes from the population instead.
    pub(super) noise: f64,
    /// Industry levels used.
    pub(super) industries: usize,
    /// Country levels used.
    pub(super) countries: usize,
    /// 0 to 1: how much more than the baseline the personas concentrate on their home levels
    /// and mixes (designs with few signal columns need sharper ones to be recoverable).
    pub(super) focus: f64,
    /// Distance of neighbouring personas' log-means, in within-persona sds.
    pub(super) gap: f64,
}

/// Indexed like [`DESIGNS`].
pub(super) static PLANS: [Plan; 8] = [
    plan(&[0.50, 0.30, 0.20], 0.05, (12, 12), 1.0, 3.0),
    plan(&[0.40, 0.30, 0.20, 0.10], 0.05, (12, 12), 1.0, 3.5),
    plan(&[0.45, 0.35, 0.20], 0.05, (12, 12), 0.95, 2.5),
    plan(&[0.35, 0.25, 0.20, 0.15, 0.05], 0.30, (15, 15), 0.0, 1.4),
    plan(
        &[0.30, 0.22, 0.18, 0.14, 0.10, 0.06],
        0.10,
        (20, 20),
        0.0,
        1.4,
    ),
    plan(&[0.30, 0.30, 0.20, 0.20], 0.15, (12, 12), 0.0, 1.4),
    plan(&[0.35, 0.35, 0.30], 0.05, (12, 12), 1.0, 3.0),
    plan(&[0.30, 0.25, 0.25, 0.20], 1.0, (15, 15), 0.0, 1.4),
];

const fn plan(
    shares: &'static [f64],
    noise: f64,
    levels: (usize, usize),
    focus: f64,
    gap: f64,
) -> Plan {
    Plan {
        shares,
        noise,
        industries: levels.0,
        countries: levels.1,
        focus,
        gap,
    }
}

/// An attribute of a contact: drawn as one piece from one profile (its persona's or the
/// population's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Attr {
    Seniority,
    Industry,
    Employees,
    Revenue,
    Country,
    Age,
    Gender,
    Roles,
    Lifecycle,
    Source,
    Rating,
    Status,
    Tags,
    Sections,
    Devices,
    Mediums,
    Activity,
}
/// Number of [`Attr`] variants.
pub(super) const ATTRS: usize = 17;

/// The attribute a feature-model column is drawn by.
pub(super) fn attr_of(column: &str) -> Option<Attr> {
    Some(match column {
        "job_seniority" => Attr::Seniority,
        "industry" => Attr::Industry,
        "employees" | "company_size" => Attr::Employees,
        "revenue" => Attr::Revenue,
        "country" => Attr::Country,
        "age" => Attr::Age,
        "gender" => Attr::Gender,
        "buying_roles" => Attr::Roles,
        "lifecycle_stage" => Attr::Lifecycle,
        "original_source" => Attr::Source,
        "email_rating" => Attr::Rating,
        "email_status" => Attr::Status,
        "tags" => Attr::Tags,
        "share_docs" | "share_pricing" | "share_discounts" | "share_blog" => Attr::Sections,
        "share_mobile" | "share_desktop" => Attr::Devices,
        c if c.starts_with("share_medium_") => Attr::Mediums,
        "sessions" | "page_views" => Attr::Activity,
        _ => return None,
    })
}

/// Which attributes carry a design's signal.
pub(super) fn signal_mask(info: &DesignInfo) -> [bool; ATTRS] {
    let mut mask = [false; ATTRS];
    for a in info.signal_columns.iter().filter_map(|c| attr_of(c)) {
        mask[a as usize] = true;
    }
    mask
}
