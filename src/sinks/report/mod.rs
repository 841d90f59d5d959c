//! The persona report, two files per run in `report/run_date=<date>/`: `personas.md`
//! (Markdown, rendered here: every bucket's personas as cards, with their flags explained and
//! the numbers behind each statement) and `index.html` ([`html`]: one self-contained page for
//! marketers, with cards, charts, a map of contacts and trends, checked in a headless browser
//! by the tests). The HTML is made of [`card`], [`appendix`], the SVG charts of [`svg`], the
//! badges of [`avatar`], the plain words of [`words`] and the contact map of [`map`].

pub mod appendix;
pub mod avatar;
pub mod card;
pub mod html;
pub mod map;
pub mod svg;
pub mod words;

use std::fmt::Write;
use std::path::Path;

use crate::cluster::Bucket;
use crate::config::ProfileConfig;
use crate::error::{Error, Result};
use crate::profile::funnel::{FunnelStep, REPEAT};
use crate::profile::trends::TrendRow;
use crate::profile::{priority, Persona, Trait, INSUFFICIENT_SAMPLE, NEGATIVE, UNSTABLE};

pub use map::{BucketMap, MapPoint};

/// File name of the Markdown report in its partition.
pub const FILE: &str = "personas.md";
/// File name of the HTML report, beside the Markdown one.
pub const HTML_FILE: &str = "index.html";

/// What the report shows.
#[derive(Debug, Clone, Copy)]
pub struct ReportContext<'a> {
    /// Pipeline name.
    pub pipeline: &'a str,
    /// Logical date.
    pub run_date: &'a str,
    /// The organising framework.
    pub framework: &'a str,
    /// The criteria that segmented contacts.
    pub criteria: &'a [String],
    /// The buckets.
    pub buckets: &'a [Bucket],
    /// The personas of every bucket.
    pub personas: &'a [Persona],
    /// Every trait of every persona (the rows of `persona_traits`).
    pub traits: &'a [Trait],
    /// The rows of `persona_trends`: the earlier runs', then this run's.
    pub trends: &'a [TrendRow],
    /// The thresholds, the negative rule and the card's statements.
    pub profile: &'a ProfileConfig,
    /// The 2-D map of each bucket's contacts (HTML only; may be empty).
    pub map: &'a [BucketMap],
}

/// Render the report; each card tells its persona's rows of `funnel` (`persona_funnel`).
pub fn render(ctx: &ReportContext<'_>, funnel: &[FunnelStep]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Personas: {} ({})\n", ctx.pipeline, ctx.run_date);
    let _ = writeln!(
        s,
        "Framework: **{}**. Segmented on: {}. Every statement below comes from the data \
         (survey answers are quoted with their numbers) except those marked \"(your words)\", \
         the team's own, shown where their trait sets the persona apart; traits are listed \
         only when they are statistically significant and large.\n",
        ctx.framework.replace('_', " "),
        ctx.criteria.join(", ")
    );
    for b in ctx.buckets {
        let title = match b.name.as_str() {
            "buyer" => "Buyer personas (who decides or pays)".to_string(),
            "user" => "End-user personas (who uses the product)".to_string(),
            "all" => "Personas".to_string(),
            bucket => format!("Personas: {bucket}"),
        };
        let _ = writeln!(
            s,
            "## {title}\n\n{} contacts; {} personas ({}); {}.\n",
            b.rows.len(),
            b.model.k,
            b.choice_text(),
            b.structure_text()
        );
        for p in ctx.personas.iter().filter(|p| p.bucket == b.name) {
            let mine: Vec<&FunnelStep> = funnel.iter().filter(|f| f.persona_id == p.id).collect();
            card(&mut s, p, &mine);
        }
    }
    s
}

fn card(s: &mut String, p: &Persona, funnel: &[&FunnelStep]) {
    let _ = writeln!(
        s,
        "### {}{}\n",
        p.name,
        if p.negative {
            " (negative: do not target)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        s,
        "`{}` · {} contacts · {:.1} % of the bucket (95 % interval {:.1}-{:.1} %){}{}\n",
        p.id,
        p.size,
        p.share * 100.0,
        p.share_ci.0 * 100.0,
        p.share_ci.1 * 100.0,
        p.stability
            .map(|v| format!(" · stability {v:.2}"))
            .unwrap_or_default(),
        match (p.priority.as_str(), p.priority_score) {
            (priority::PRIMARY | priority::SECONDARY, Some(score)) => {
                format!(" · **{} persona** (priority score {score:.2})", p.priority)
            }
            _ => String::new(),
        }
    );
    for (flag, reason) in p.flags.iter().zip(&p.flag_reasons) {
        let what = match flag.as_str() {
            INSUFFICIENT_SAMPLE => "Too small to trust, \"Not classified\" in the CRM",
            UNSTABLE => "Unstable, \"Not classified\" in the CRM",
            NEGATIVE => "Negative persona",
            _ => "Flag",
        };
        let _ = writeln!(s, "> **{what}** (`{flag}`): {reason}.\n");
    }
    let _ = writeln!(s, "{}\n", p.description);
    let c = &p.card;
    let _ = writeln!(s, "- **Who**: {}", c.demographics);
    for (label, items) in [
        ("Goals", &c.goals),
        ("Motivations", &c.motivations),
        ("Frustrations", &c.frustrations),
        ("Barriers", &c.barriers),
        ("Values", &c.values),
        ("Online", &c.online),
        ("Offline", &c.offline),
        ("Preferred channel", &c.channel),
        ("Against the social audience", &c.audience),
    ] {
        let text = if items.is_empty() {
            "nothing the data supports".to_string()
        } else {
            items.join("; ")
        };
        let _ = writeln!(s, "- **{label}**: {text}");
    }
    if !p.top_traits.is_empty() {
        let _ = writeln!(s, "- **What sets them apart**: {}", p.top_traits.join("; "));
    }
    if let Some(line) = funnel_line(funnel) {
        let _ = writeln!(s, "{line}");
    }
    s.push('\n');
}

/// The card's funnel line: each step's rate from the one before, where the persona drops off
/// most against the rest (when significant) and how many of its buyers bought again; `None`
/// when no step has contacts.
fn funnel_line(steps: &[&FunnelStep]) -> Option<String> {
    if steps.iter().all(|f| f.contacts == 0) {
        return None;
    }
    let pct = |r: Option<f64>| r.map_or("–".to_string(), |r| format!("{:.0} %", r * 100.0));
    let chain: Vec<String> = steps
        .iter()
        .filter(|f| f.step != REPEAT)
        .map(|f| format!("{} {}", f.step, pct(f.rate)))
        .collect();
    let mut line = format!(
        "- **Funnel** (each step's rate from the step before): {}",
        chain.join(" → ")
    );
    if let Some(d) = steps.iter().find(|f| f.biggest_drop) {
        let _ = write!(
            line,
            "; drops most at {} ({} vs {} in the rest)",
            d.step,
            pct(d.rate),
            pct(d.rest_rate)
        );
    }
    if let Some(r) = steps.iter().find(|f| f.step == REPEAT && f.base > 0) {
        let _ = write!(
            line,
            "; {} of its {} buyers bought again (vs {} in the rest)",
            pct(r.rate),
            r.base,
            pct(r.rest_rate)
        );
    }
    Some(line)
}

/// Write the Markdown report to `path` and the HTML report ([`HTML_FILE`]) beside it; the
/// Markdown cards tell each persona's rows of `funnel`.
pub fn write(path: &Path, ctx: &ReportContext<'_>, funnel: &[FunnelStep]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    std::fs::write(path, render(ctx, funnel)).map_err(|e| Error::io(path, e))?;
    let html_path = path.with_file_name(HTML_FILE);
    std::fs::write(&html_path, html::render(ctx)).map_err(|e| Error::io(&html_path, e))
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod markdown_tests {
    use super::*;
    use crate::cluster::ClusterModel;
    use crate::profile::Card;

    #[test]
    fn report_shows_cards_flags_and_empty_sections_honestly() {
        let persona = Persona {
            id: "persona_1".into(),
            name: "Lapsed Leo".into(),
            bucket: "user".into(),
            negative: true,
            stability: Some(0.91),
            size: 40,
            share: 0.4,
            share_ci: (0.31, 0.5),
            flags: vec![NEGATIVE.into()],
            flag_reasons: vec!["70 % of its contacts meet the negative rule".into()],
            description: "Lapsed Leo: an end-user persona.".into(),
            top_traits: vec!["email_status=unsubscribed (60 % vs 10 %)".into()],
            card: Card {
                demographics: "Mostly aged 25-34 (40 %)".into(),
                channel: vec!["Has opted out of email: do not email".into()],
                ..Card::default()
            },
            ..Persona::default()
        };
        let bucket = Bucket {
            name: "user".into(),
            rows: (0..100).collect(),
            contacts: 100,
            fitted: 100,
            model: ClusterModel {
                k: 2,
                centroids: ndarray::Array2::zeros((2, 1)),
                labels: vec![0; 100],
                scores: Vec::new(),
                latent: None,
            },
            stability: vec![0.91, 0.9],
            shared: 0,
            weights: Vec::new(),
            gaps: Vec::new(),
            verdict: None,
            k_choice: crate::config::KChoice::Gap,
            proposed_k: 2,
            independence: Vec::new(),
            assignment: Default::default(),
        };
        let mut funnel: Vec<FunnelStep> = [
            ("visit", 32, 40),
            ("product", 16, 32),
            ("cart", 4, 16),
            ("checkout", 0, 4),
            ("purchase", 0, 0),
        ]
        .into_iter()
        .map(|(name, n, base)| step(name, n, base, Some(0.6)))
        .collect();
        funnel[3].biggest_drop = true;
        let text = render(
            &ReportContext {
                pipeline: "sample",
                run_date: "2026-11-20",
                framework: "jobs_to_be_done",
                criteria: &["revenue".to_string()],
                buckets: &[bucket],
                personas: &[persona],
                traits: &[],
                trends: &[],
                profile: &ProfileConfig::default(),
                map: &[],
            },
            &funnel,
        );
        for want in [
            "## End-user personas",
            "### Lapsed Leo (negative: do not target)",
            "> **Negative persona** (`negative`)",
            "- **Goals**: nothing the data supports",
            "- **Barriers**: nothing the data supports\n- **Values**: nothing",
            "stability 0.91",
            "- **Funnel** (each step's rate from the step before): visit 80 % → product 50 % → \
             cart 25 % → checkout 0 % → purchase –; drops most at checkout (0 % vs 60 % in the \
             rest)\n",
        ] {
            assert!(text.contains(want), "{want:?} not in {text}");
        }
    }

    #[test]
    fn a_card_without_funnel_contacts_has_no_funnel_line() {
        let none = step("visit", 0, 40, None);
        assert_eq!(funnel_line(&[&none]), None);
        let mut repeat = step(REPEAT, 2, 8, Some(0.5));
        repeat.rate = Some(0.25);
        let visit = step("visit", 4, 40, Some(0.2));
        let line = funnel_line(&[&visit, &repeat]).unwrap();
        assert!(
            line.ends_with("visit 10 %; 25 % of its 8 buyers bought again (vs 50 % in the rest)"),
            "{line}"
        );
    }

    /// A funnel row of `persona_1` with `contacts` of `base`, `rest_rate` in the rest.
    fn step(
        step: &'static str,
        contacts: usize,
        base: usize,
        rest_rate: Option<f64>,
    ) -> FunnelStep {
        FunnelStep {
            persona_id: "persona_1".into(),
            bucket: "user".into(),
            step,
            step_order: 1,
            contacts,
            base,
            rate: (base > 0).then(|| contacts as f64 / base as f64),
            rate_ci: None,
            rest_contacts: 0,
            rest_base: 0,
            rest_rate,
            p_value: None,
            biggest_drop: false,
        }
    }
}
