//! The Meta page insights export: page fans by gender and age and by country, two days of values.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use chrono::NaiveDate;
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus as XRng;
use serde::Serialize;

use super::util::{create, io_err};
use super::S;
use crate::error::Result;

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
pub(super) fn write_meta(
    path: &Path,
    rng: &mut XRng,
    contacts: usize,
    date: NaiveDate,
) -> Result<()> {
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
