//! One persona's card in the HTML report: name, badge, priority, size and share with its
//! interval, the "who" (demographics against the bucket), the "why" (goals, motivations,
//! frustrations, barriers and values with the numbers behind them), online and offline behaviour,
//! preferred channel, the social audience, what sets them apart, and its flags in plain words.
//!
//! Every trait drawn carries `data-trait="persona|feature|level"` with its values
//! (`data-value`, `data-bucket-value`), and every share `data-persona-id` and `data-share`, so
//! the tests can check the page against the `personas` and `persona_traits` tables.

use std::fmt::Write;

use crate::config::{content_group_of, CardSection};
use crate::profile::card::USER_WORDS;
use crate::profile::{priority, Persona, Trait};

use super::avatar;
use super::svg::{self, esc, BarRow};
use super::words;
use super::ReportContext;

/// Demographic columns drawn in the "who", in order.
const WHO: [&str; 6] = [
    "age_band",
    "gender",
    "job_seniority",
    "company_size",
    "industry",
    "country",
];

/// Levels that say nothing about a persona.
const NOT_A_LEVEL: [&str; 4] = ["unknown", "none", "not_on_list", "other"];

/// A persona's place in the plan.
#[derive(Debug, Clone, PartialEq)]
pub enum Priority {
    /// Target: its rank in its bucket (`primary`, `secondary`, `other`) by the priority score.
    Target(String),
    /// A negative persona.
    DoNotTarget,
    /// Too small or unstable to act on.
    OnHold,
}

impl Priority {
    /// The badge text.
    pub fn label(&self) -> String {
        match self {
            Priority::Target(rank) => match rank.as_str() {
                priority::PRIMARY => "Primary persona".into(),
                priority::SECONDARY => "Secondary persona".into(),
                _ => "Target".into(),
            },
            Priority::DoNotTarget => "Do not target".into(),
            Priority::OnHold => "On hold: too small or unstable".into(),
        }
    }

    /// The badge's CSS class.
    pub fn class(&self) -> &'static str {
        match self {
            Priority::Target(_) => "prio",
            Priority::DoNotTarget => "dnt",
            Priority::OnHold => "hold",
        }
    }
}

/// Every persona's priority: the ones to target by their rank in their bucket (primary,
/// secondary, other; see `profile::priority`), negative ones "do not target", flagged ones on
/// hold.
pub fn priorities(personas: &[Persona]) -> Vec<Priority> {
    personas
        .iter()
        .map(|p| {
            if p.negative {
                Priority::DoNotTarget
            } else if !p.publishable() {
                Priority::OnHold
            } else {
                Priority::Target(p.priority.clone())
            }
        })
        .collect()
}

/// A trait's data attributes, its escaped name and its escaped reading for the bucket.
fn trait_parts(t: &Trait, bucket: &str) -> (String, String, String) {
    (
        trait_attrs(t),
        esc(&words::trait_name(t)),
        esc(&words::trait_reading(t, bucket)),
    )
}

/// The `data-*` attributes of a trait.
pub fn trait_attrs(t: &Trait) -> String {
    format!(
        " data-trait=\"{}|{}|{}\" data-value=\"{}\" data-bucket-value=\"{}\"",
        esc(&t.persona_id),
        esc(&t.feature),
        esc(t.level.as_deref().unwrap_or("")),
        t.persona_value,
        t.population_value
    )
}

/// The `data-*` attributes of a persona's share.
pub fn share_attrs(p: &Persona) -> String {
    format!(
        " data-persona-id=\"{}\" data-share=\"{}\"",
        esc(&p.id),
        p.share
    )
}

fn value_text(t: &Trait) -> String {
    if t.level.is_some() || t.feature.starts_with("share_") {
        words::pct0(t.persona_value)
    } else {
        words::number(t.persona_value)
    }
}

fn bar(t: &Trait, label: &str) -> BarRow {
    BarRow {
        label: label.to_string(),
        value: t.persona_value,
        reference: Some(t.population_value),
        value_text: value_text(t),
        attrs: trait_attrs(t),
    }
}

/// The persona's most common levels of a text column, most common first.
fn levels<'a>(mine: &[&'a Trait], feature: &str, n: usize) -> Vec<&'a Trait> {
    let mut out: Vec<&Trait> = mine
        .iter()
        .copied()
        .filter(|t| t.feature == feature)
        .filter(|t| matches!(&t.level, Some(l) if !NOT_A_LEVEL.contains(&l.as_str())))
        .collect();
    out.sort_by(|a, b| b.persona_value.total_cmp(&a.persona_value));
    out.truncate(n);
    out
}

/// A small titled bar chart of a text column's top levels; empty when the column is absent.
fn level_chart(mine: &[&Trait], feature: &str, colour: &str) -> String {
    let top = levels(mine, feature, 3);
    if top.is_empty() {
        return String::new();
    }
    let rows: Vec<BarRow> = top
        .iter()
        .map(|t| bar(t, &t.level.as_deref().unwrap_or("").replace('_', " ")))
        .collect();
    let title = words::feature(feature);
    format!(
        "<figure class=\"mini\"><figcaption>{}</figcaption>{}</figure>",
        esc(&title),
        svg::bars(&rows, 0.0, colour, &title)
    )
}

/// The card of `p` (index `i` in the run's personas).
pub fn card(ctx: &ReportContext<'_>, i: usize, priority: &Priority) -> String {
    let p = &ctx.personas[i];
    let colour = avatar::colour(&p.id);
    let mine: Vec<&Trait> = ctx.traits.iter().filter(|t| t.persona_id == p.id).collect();
    let mut s = format!(
        "<section class=\"card{}\" id=\"card-{}\" data-persona-id=\"{}\" \
         data-persona-name=\"{}\" style=\"--accent:{colour}\">",
        if p.negative { " negative" } else { "" },
        esc(&p.id),
        esc(&p.id),
        esc(&p.name)
    );
    s.push_str(&head(p, priority, colour));
    s.push_str(&flag_box(ctx, p));
    s.push_str("<div class=\"grid\">");
    s.push_str(&who(p, &mine, colour));
    s.push_str(&why(ctx, p, &mine));
    s.push_str(&online(p, &mine, colour));
    s.push_str(&offline_and_channel(p, &mine, colour));
    s.push_str(&audience(&mine, colour));
    s.push_str(&apart(p, &mine));
    s.push_str("</div></section>\n");
    s
}

fn head(p: &Persona, priority: &Priority, colour: &str) -> String {
    let who = esc(&words::people(&p.bucket));
    let dnt = if p.negative {
        "<span class=\"badge dnt\">⛔ Do not target</span>"
    } else {
        ""
    };
    let prio = if p.negative {
        String::new()
    } else {
        format!(
            "<span class=\"badge {}\">{}</span>",
            priority.class(),
            esc(&priority.label())
        )
    };
    format!(
        "<header class=\"card-head\">{}<div class=\"title\"><p class=\"kicker\">{} · <code>{}</code></p>\
         <h2 class=\"name\">{}</h2><p class=\"badges\">{prio}{dnt}<span class=\"badge soft\">{}</span></p></div>\
         <div class=\"sharebox\"><p><span class=\"share-big\"{}>{}</span> of {who}</p>{}\
         <p class=\"reading\">{} people; the true share is very likely between {} and {}.</p></div></header>",
        avatar::avatar(&p.id, &p.name, 64),
        esc(words::kind(&p.bucket)),
        esc(&p.id),
        esc(&p.name),
        esc(&words::stability(p.stability)),
        share_attrs(p),
        words::pct1(p.share),
        svg::share_bar(p.share, p.share_ci.0, p.share_ci.1, colour),
        p.size,
        words::pct1(p.share_ci.0),
        words::pct1(p.share_ci.1)
    )
}

fn flag_box(ctx: &ReportContext<'_>, p: &Persona) -> String {
    let bucket = ctx.buckets.iter().find(|b| b.name == p.bucket);
    let flags = words::flags(p, bucket, ctx.profile);
    if flags.is_empty() {
        return String::new();
    }
    let mut s = String::from("<ul class=\"flags\">");
    for (flag, text) in flags {
        let _ = write!(
            s,
            "<li class=\"flag flag-{}\" data-flag=\"{}\">{}</li>",
            esc(&flag),
            esc(&flag),
            esc(&text)
        );
    }
    s.push_str("</ul>");
    s
}

fn who(p: &Persona, mine: &[&Trait], colour: &str) -> String {
    let charts: String = WHO.iter().map(|f| level_chart(mine, f, colour)).collect();
    format!(
        "<div class=\"box who wide\"><h3>Who they are</h3><p class=\"lead\">{}.</p>\
         <p class=\"legend\"><span class=\"key\" style=\"background:{colour}\"></span> this persona \
         <span class=\"key tickkey\"></span> all {}</p><div class=\"minis\">{charts}</div></div>",
        esc(&p.card.demographics),
        esc(&words::people(&p.bucket))
    )
}

/// Goals, motivations, frustrations, barriers and values: survey answers with their numbers,
/// and the team's own statements marked as their words, each with the trait that supports it.
fn why(ctx: &ReportContext<'_>, p: &Persona, mine: &[&Trait]) -> String {
    let mut s = String::from("<div class=\"box why\"><h3>Why they buy</h3>");
    let sections = [
        ("Goals", CardSection::Goals, &p.card.goals),
        ("Motivations", CardSection::Motivations, &p.card.motivations),
        (
            "Frustrations",
            CardSection::Frustrations,
            &p.card.frustrations,
        ),
        ("Barriers", CardSection::Barriers, &p.card.barriers),
        ("Values", CardSection::Values, &p.card.values),
    ];
    for (title, section, items) in sections {
        let _ = write!(s, "<h4>{title}</h4>");
        if items.is_empty() {
            s.push_str("<p class=\"none\">Nothing the data supports.</p>");
            continue;
        }
        s.push_str("<ul>");
        for item in items.iter() {
            let yours = item.strip_prefix(USER_WORDS);
            let text = yours.unwrap_or(item);
            let evidence = ctx
                .profile
                .statements
                .iter()
                .filter(|st| yours.is_some() && st.section == section && st.text == text)
                .find_map(|st| {
                    mine.iter().find(|t| {
                        t.distinctive
                            && t.feature == st.column
                            && t.key().eq_ignore_ascii_case(&st.level)
                    })
                });
            let mark = if yours.is_some() {
                "<span class=\"yours\">Your words:</span> "
            } else {
                ""
            };
            let _ = write!(s, "<li>{mark}{}", esc(text));
            if let Some(t) = evidence {
                let (attrs, name, reading) = trait_parts(t, &p.bucket);
                let _ = write!(
                    s,
                    " <span class=\"evidence\"{attrs}>{name}: {reading}</span>"
                );
            }
            s.push_str("</li>");
        }
        s.push_str("</ul>");
    }
    s.push_str("</div>");
    s
}

fn online(p: &Persona, mine: &[&Trait], colour: &str) -> String {
    // Each content group's share of page views (`share_<group>`, see `[web]`).
    let content: Vec<BarRow> = mine
        .iter()
        .filter(|t| t.level.is_none())
        .filter_map(|t| content_group_of(&t.feature).map(|g| bar(t, &g.replace('_', " "))))
        .collect();
    let mut s = String::from("<div class=\"box online\"><h3>Online</h3>");
    for line in &p.card.online {
        let _ = write!(s, "<p class=\"lead\">{}</p>", esc(line));
    }
    if !content.is_empty() {
        let _ = write!(
            s,
            "<figure class=\"mini\"><figcaption>share of their page views</figcaption>{}</figure>",
            svg::bars(&content, 0.0, colour, "share of page views by content")
        );
    }
    s.push_str(&level_chart(mine, "top_medium", colour));
    s.push_str(&level_chart(mine, "main_device", colour));
    s.push_str("</div>");
    s
}

fn offline_and_channel(p: &Persona, mine: &[&Trait], colour: &str) -> String {
    let mut s = String::from("<div class=\"box offline\"><h3>Offline</h3>");
    list(&mut s, &p.card.offline);
    s.push_str(&level_chart(mine, "original_source", colour));
    s.push_str("<h3>Preferred channel</h3>");
    list(&mut s, &p.card.channel);
    s.push_str("</div>");
    s
}

fn audience(mine: &[&Trait], colour: &str) -> String {
    let mut rows: Vec<&Trait> = mine
        .iter()
        .copied()
        .filter(|t| t.audience_share.is_some() && t.persona_value >= 0.2)
        .collect();
    rows.sort_by(|a, b| {
        let gap = |t: &Trait| (t.persona_value - t.audience_share.unwrap_or(0.0)).abs();
        gap(b).total_cmp(&gap(a))
    });
    rows.truncate(4);
    let mut s = String::from("<div class=\"box audience\"><h3>Against the social audience</h3>");
    if rows.is_empty() {
        s.push_str("<p class=\"none\">No social audience data to compare with.</p></div>");
        return s;
    }
    let source = rows[0].audience_source.as_deref().unwrap_or("social");
    let bars: Vec<BarRow> = rows
        .iter()
        .map(|t| BarRow {
            reference: t.audience_share,
            attrs: format!(
                "{} data-audience=\"{}\"",
                trait_attrs(t),
                t.audience_share.unwrap_or(0.0)
            ),
            ..bar(t, &words::trait_name(t))
        })
        .collect();
    let _ = write!(
        s,
        "<p class=\"legend\">bar: this persona · tick: the {} audience</p>{}",
        esc(source),
        svg::bars(&bars, 0.0, colour, "persona against the social audience")
    );
    let t = rows[0];
    let _ = write!(
        s,
        "<p class=\"reading\">{}: {} of them vs {} of the {} audience.</p></div>",
        esc(&words::trait_name(t)),
        words::pct0(t.persona_value),
        words::pct0(t.audience_share.unwrap_or(0.0)),
        esc(source)
    );
    s
}

/// What sets the persona apart: its distinctive traits, strongest first, as on the tables'
/// `top_traits`.
fn apart(p: &Persona, mine: &[&Trait]) -> String {
    let mut top: Vec<&Trait> = mine.iter().copied().filter(|t| t.distinctive).collect();
    top.sort_by(|a, b| b.std_diff.abs().total_cmp(&a.std_diff.abs()));
    top.truncate(p.top_traits.len());
    let mut s = String::from("<div class=\"box apart wide\"><h3>What sets them apart</h3>");
    if top.is_empty() {
        s.push_str("<p class=\"none\">No trait is both significant and large.</p></div>");
        return s;
    }
    s.push_str("<ul class=\"apartlist\">");
    for t in top {
        let (attrs, name, reading) = trait_parts(t, &p.bucket);
        let _ = write!(s, "<li{attrs}><strong>{name}</strong>: {reading}</li>");
    }
    s.push_str("</ul></div>");
    s
}

fn list(s: &mut String, items: &[String]) {
    if items.is_empty() {
        s.push_str("<p class=\"none\">Nothing the data supports.</p>");
        return;
    }
    s.push_str("<ul>");
    for i in items {
        let _ = write!(s, "<li>{}</li>", esc(i));
    }
    s.push_str("</ul>");
}
