//! The CRM side: one contact drawn from its persona's profile, the HubSpot CSV row of a
//! contact of either generator, and the draws both make (unique email addresses, phone numbers,
//! activity and birth dates).

use std::collections::HashSet;

use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus as XRng;

use super::profiles::{pick_trait, src, Emp, Profile, PROFILES};
use super::tables::{City, CITIES, FIRST, FREE_MAIL, LAST, OWNERS};
use super::util::{capitalize, fmt_time, pick};
use super::S;

/// A CRM contact, kept while its Mailchimp and GA4 rows are drawn; `P` is its planted persona
/// (the sample's persona index, or a design's, `None` in its `null` design).
pub(super) struct Contact<P> {
    /// HubSpot Record ID (the GA4 user_id).
    pub(super) id: u64,
    pub(super) persona: P,
    pub(super) first: S,
    pub(super) last: S,
    pub(super) email: String,
    pub(super) phone: String,
    pub(super) city: &'static City,
    /// Create date (epoch seconds).
    pub(super) created: i64,
    /// `MM/DD`, as Mailchimp writes birthdays (empty when unknown).
    pub(super) birthday: String,
}

impl<P> Contact<P> {
    /// Contact `id` of `persona`, named `first last`, reached at `email` and `phone`, living in
    /// `city`, created at `created` (epoch seconds), with the birthday of its traits `t`
    /// (`MM/DD`, as Mailchimp writes it).
    pub(super) fn new(
        id: u64,
        persona: P,
        (first, last): (S, S),
        (email, phone): (String, String),
        city: &'static City,
        created: i64,
        t: &Traits,
    ) -> Contact<P> {
        Contact {
            id,
            persona,
            first,
            last,
            email,
            phone,
            city,
            created,
            birthday: t.born.map_or_else(String::new, |b| fmt_time(b, "%m/%d")),
        }
    }

    /// Writes the contact's HubSpot row (the columns of [`HUBSPOT_HEADER`](super::HUBSPOT_HEADER)),
    /// with its newline, into `line` (cleared first): every value quoted, empty values as
    /// nothing. The columns only the CRM export has are its
    /// `owner`, lifecycle `stage`, `last_activity` (epoch seconds), `company` and traits `t`.
    pub(super) fn write_row(
        &self,
        owner: &str,
        stage: &str,
        last_activity: i64,
        company: &str,
        t: &Traits,
        line: &mut String,
    ) {
        let (id, created, last_activity) = (
            self.id.to_string(),
            fmt_time(self.created, "%Y-%m-%d %H:%M"),
            fmt_time(last_activity, "%Y-%m-%d %H:%M"),
        );
        let dob = t.born.map(|b| fmt_time(b, "%Y-%m-%d")).unwrap_or_default();
        let fields: [&str; 21] = [
            &id,
            self.first,
            self.last,
            &self.email,
            &self.phone,
            owner,
            stage,
            &created,
            &last_activity,
            &t.title,
            company,
            &t.industry,
            &t.employees,
            self.city.city,
            self.city.country,
            &dob,
            &t.gender,
            &t.role,
            t.source,
            &t.revenue,
            t.marketing,
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
    }
}

/// A phone number in `city`'s format.
pub(super) fn phone_number(rng: &mut XRng, city: &City) -> String {
    let (a, b) = (rng.gen_range(200..1000), rng.gen_range(0..10_000));
    format!("{} {a:03} {b:04}", city.phone)
}

/// Last activity and create date (epoch seconds) of a contact last active `inactive_days`
/// before the export day starting at `day0`.
pub(super) fn activity_dates(rng: &mut XRng, day0: i64, inactive_days: i64) -> (i64, i64) {
    let last_activity = day0 - inactive_days * 86_400 + rng.gen_range(0..86_400);
    let created = last_activity - rng.gen_range(0..900) * 86_400 - rng.gen_range(0..86_400);
    (last_activity, created)
}

/// A birth time (epoch seconds) of someone `age` years old on the export day `day0`.
pub(super) fn birth_time(rng: &mut XRng, day0: i64, age: i64) -> i64 {
    day0 - (age * 365 + age / 4 + rng.gen_range(0..365)) * 86_400
}

/// Draws contact `id` of persona `p` from the profiles, writes its HubSpot row into `line` and
/// returns the contact.
pub(super) fn make_contact(
    rng: &mut XRng,
    id: u64,
    p: usize,
    keep: f64,
    day0: i64,
    seen: &mut HashSet<String>,
    line: &mut String,
) -> Contact<usize> {
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
        phone_number(rng, city)
    };
    let stage = *pick_trait(rng, p, keep, |x| x.stages);
    let inactive = PROFILES[src(rng, p, keep)].inactive_days;
    let inactive = rng.gen_range(inactive.0..=inactive.1);
    let (last_activity, created) = activity_dates(rng, day0, inactive);
    let t = Traits::draw(rng, p, keep, day0);
    let owner = *pick(rng, OWNERS);
    let contact = Contact::new(id, p, (first, last), (email, phone), city, created, &t);
    contact.write_row(owner, stage, last_activity, &company, &t, line);
    contact
}

/// The traits of a contact that either generator draws after its activity dates, each its own
/// way: the columns of its HubSpot row that only the CRM export has (but the owner, stage and
/// company), and its birth date, which Mailchimp has too.
pub(super) struct Traits {
    /// Job title.
    pub(super) title: String,
    /// Industry.
    pub(super) industry: String,
    /// Number of employees (a count or a size band).
    pub(super) employees: String,
    /// Birth time (epoch seconds), `None` when unknown.
    pub(super) born: Option<i64>,
    /// Gender.
    pub(super) gender: String,
    /// Buying role(s), joined by `;`.
    pub(super) role: String,
    /// Original source.
    pub(super) source: S,
    /// Total revenue.
    pub(super) revenue: String,
    /// Marketing contact status.
    pub(super) marketing: S,
}

impl Traits {
    /// The traits of a sample contact of persona `p`, each from the profile [`src`] chooses.
    fn draw(rng: &mut XRng, p: usize, keep: f64, day0: i64) -> Traits {
        let pr = |rng: &mut XRng| -> &'static Profile { &PROFILES[src(rng, p, keep)] };
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
        let born = birth_time(rng, day0, age);
        let born = (rng.gen::<f64>() >= 0.07).then_some(born);
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
        Traits {
            title: title.to_string(),
            industry: industry.to_string(),
            employees,
            born,
            gender: gender.to_string(),
            role: role.to_string(),
            source,
            revenue,
            marketing,
        }
    }
}

/// A fresh email for the name at `domain`; ~15 % keep the capitals people typed.
pub(super) fn unique_email(
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
