//! The CRM side of a design: one contact drawn attribute by attribute from its persona's
//! profile or the population, written as a HubSpot export row.

use std::collections::HashSet;

use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus as XRng;

use super::super::crm::{activity_dates, birth_time, phone_number, unique_email};
use super::super::crm::{Contact, Traits};
use super::super::tables::{FIRST, FREE_MAIL, LAST, OWNERS};
use super::super::util::pick;
use super::catalog::Attr;
use super::plant::Model;
use super::tables::{BUYER_ROLES, COUNTRIES, CO_PREFIX, CO_SUFFIX, GENDERS, INDUSTRIES, LIFECYCLE};
use super::tables::{ROLES, SOURCES, TITLES};

/// Share of contacts missing each optional HubSpot field.
const MISSING: f64 = 0.05;
/// Share of contacts (outside `roles`) holding a second buying role.
const SECOND_ROLE: f64 = 0.15;

/// A design's CRM contact: its planted persona is `None` in `null`.
pub(super) type Person = Contact<Option<usize>>;

/// Draws contact `id` of persona `p`, writes its HubSpot row (with newline) into `line`.
pub(super) fn draw_contact(
    model: &Model,
    rng: &mut XRng,
    id: u64,
    p: Option<usize>,
    day0: i64,
    seen: &mut HashSet<String>,
    line: &mut String,
) -> Person {
    let (first, last) = (*pick(rng, FIRST), *pick(rng, LAST));
    let city = &COUNTRIES[model.source(rng, p, Attr::Country).country.draw(rng)];
    let company = format!("{} {}", pick(rng, CO_PREFIX), pick(rng, CO_SUFFIX));
    let domain = if rng.gen_bool(0.2) {
        pick(rng, FREE_MAIL).to_string()
    } else {
        let name: String = company
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        format!("{name}.com")
    };
    let email = unique_email(rng, first, last, &domain, seen);
    let phone = if rng.gen_bool(0.08) {
        String::new()
    } else {
        phone_number(rng, city)
    };
    let owner = *pick(rng, OWNERS);
    let stage = LIFECYCLE[model.source(rng, p, Attr::Lifecycle).lifecycle.draw(rng)];
    let inactive = if rng.gen_bool(0.6) {
        rng.gen_range(0..30)
    } else {
        rng.gen_range(30..400)
    };
    let (last_activity, created) = activity_dates(rng, day0, inactive);
    let traits = draw_traits(model, rng, p, day0);
    let contact = Person::new(id, p, (first, last), (email, phone), city, created, &traits);
    contact.write_row(owner, stage, last_activity, &company, &traits, line);
    contact
}

/// The traits of a contact drawn after its activity dates, each from its persona's profile or
/// the population, then each optional one left out with probability [`MISSING`].
fn draw_traits(model: &Model, rng: &mut XRng, p: Option<usize>, day0: i64) -> Traits {
    let level = model.source(rng, p, Attr::Seniority).seniority.draw(rng);
    let title = *pick(rng, TITLES[level]);
    let industry = INDUSTRIES[model.source(rng, p, Attr::Industry).industry.draw(rng)];
    let employees = model.source(rng, p, Attr::Employees).employees.draw(rng);
    let employees = (employees.round() as u64).clamp(1, 500_000).to_string();
    let age = model.source(rng, p, Attr::Age).age.draw(rng).min(67.0) as i64 + 18;
    let born = birth_time(rng, day0, age);
    let gender = GENDERS[model.source(rng, p, Attr::Gender).gender.draw(rng)];
    let roles = buying_roles(model, rng, p);
    let source = SOURCES[model.source(rng, p, Attr::Source).source.draw(rng)];
    let revenue = model.source(rng, p, Attr::Revenue).revenue.draw(rng);
    let revenue = format!("{:.2}", revenue.min(1e9));
    let marketing = if rng.gen_bool(0.9) {
        "Marketing contact"
    } else {
        "Non-marketing contact"
    };
    // Each optional field is left out with probability MISSING, drawn in this order.
    let title = kept(rng, title.to_string()).unwrap_or_default();
    let industry = kept(rng, industry.to_string()).unwrap_or_default();
    let employees = kept(rng, employees).unwrap_or_default();
    let born = kept(rng, born);
    let gender = kept(rng, gender.to_string()).unwrap_or_default();
    let roles = if model.roles_spread {
        roles
    } else {
        kept(rng, roles).unwrap_or_default()
    };
    Traits {
        title,
        industry,
        employees,
        born,
        gender,
        role: roles,
        source,
        revenue,
        marketing,
    }
}

/// `value`, or `None` with probability [`MISSING`].
fn kept<T>(rng: &mut XRng, value: T) -> Option<T> {
    (!rng.gen_bool(MISSING)).then_some(value)
}

/// The contact's buying roles, joined by `;`. In a design with spread roles every persona is
/// ~45 % buyers only, ~45 % users only and ~10 % both; otherwise one role from the profile,
/// sometimes with a second.
fn buying_roles(model: &Model, rng: &mut XRng, p: Option<usize>) -> String {
    if model.roles_spread {
        let buyer = ROLES[rng.gen_range(0..BUYER_ROLES)];
        let user = ROLES[rng.gen_range(BUYER_ROLES..ROLES.len())];
        return match rng.gen::<f64>() {
            r if r < 0.45 => buyer.to_string(),
            r if r < 0.90 => user.to_string(),
            r if r < 0.95 => format!("{buyer};{user}"),
            _ => format!("{user};{buyer}"),
        };
    }
    let roles = &model.source(rng, p, Attr::Roles).roles;
    let first = roles.draw(rng);
    if rng.gen_bool(SECOND_ROLE) {
        let second = roles.draw(rng);
        if second != first {
            return format!("{};{}", ROLES[first], ROLES[second]);
        }
    }
    ROLES[first].to_string()
}
