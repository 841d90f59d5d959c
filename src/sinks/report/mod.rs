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

/// Render the report.
pub fn render(ctx: &ReportContext<'_>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Personas: {} ({})\n", ctx.pipeline, ctx.run_date);
    let _ = writeln!(
        s,
        "Framework: **{}**. Segmented on: {}. Every statement below comes from the data; \
         traits are listed only when they are statistically significant and large.\n",
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
            card(&mut s, p);
        }
    }
    s
}

fn card(s: &mut String, p: &Persona) {
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
    s.push('\n');
}

/// Write the Markdown report to `path` and the HTML report ([`HTML_FILE`]) beside it.
pub fn write(path: &Path, ctx: &ReportContext<'_>) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    std::fs::write(path, render(ctx)).map_err(|e| Error::io(path, e))?;
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
            model: ClusterModel {
                k: 2,
                centroids: ndarray::Array2::zeros((2, 1)),
                labels: vec![0; 100],
                scores: Vec::new(),
            },
            stability: vec![0.91, 0.9],
            shared: 0,
            weights: Vec::new(),
            gaps: Vec::new(),
            verdict: None,
            k_choice: crate::config::KChoice::Gap,
            proposed_k: 2,
            independence: Vec::new(),
        };
        let text = render(&ReportContext {
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
        });
        assert!(text.contains("## End-user personas"), "{text}");
        assert!(
            text.contains("### Lapsed Leo (negative: do not target)"),
            "{text}"
        );
        assert!(
            text.contains("> **Negative persona** (`negative`)"),
            "{text}"
        );
        assert!(
            text.contains("- **Goals**: nothing the data supports"),
            "{text}"
        );
        assert!(text.contains("stability 0.91"), "{text}");
    }
}
