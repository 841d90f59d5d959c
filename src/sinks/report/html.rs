//! The HTML persona report (`report/run_date=<date>/index.html`): one self-contained page
//! (inline CSS and SVG, no script, no network) that opens from disk or an object store. An
//! overview (the personas side by side, a map of contacts, how many personas each bucket has
//! and why, and the trends), then one card per persona ([`super::card`]), one printed page
//! each, then a collapsed appendix for the model-minded.

use std::fmt::Write;

use crate::profile::trends::TrendRow;

use super::avatar;
use super::card::{self, priorities, share_attrs, Priority};
use super::svg::{self, esc, Column, Series};
use super::words;
use super::ReportContext;

/// The page's stylesheet (screen and print).
const CSS: &str = include_str!("report.css");

/// Render the page.
pub fn render(ctx: &ReportContext<'_>) -> String {
    let prio = priorities(ctx.personas);
    let mut s = String::with_capacity(256 * 1024);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Personas: {} ({})</title><link rel=\"icon\" href=\"data:,\">\
         <style>{CSS}</style></head><body><main>",
        esc(ctx.pipeline),
        esc(ctx.run_date)
    );
    s.push_str(&intro(ctx));
    s.push_str(&overview(ctx, &prio));
    s.push_str(&trends(ctx));
    for (i, p) in prio.iter().enumerate() {
        s.push_str(&card::card(ctx, i, p));
    }
    s.push_str(&super::appendix::appendix(ctx));
    s.push_str("</main></body></html>\n");
    s
}

fn intro(ctx: &ReportContext<'_>) -> String {
    let criteria: Vec<String> = ctx.criteria.iter().map(|c| words::feature(c)).collect();
    format!(
        "<header class=\"top\"><h1>Personas: {}</h1><p class=\"meta\">Run of {} · organised by \
         {} · grouped on {}</p><p class=\"intro\">Each persona is a real group of contacts found \
         in the data, not a made-up character. Every number comes from this run's tables; the \
         bars show the persona, the dark ticks everyone in its bucket. The technical details \
         are in the appendix at the end.</p></header>",
        esc(ctx.pipeline),
        esc(ctx.run_date),
        esc(&ctx.framework.replace('_', " ")),
        esc(&criteria.join(", "))
    )
}

/// The structure verdict of a bucket in words.
fn structure_words(b: &crate::cluster::Bucket) -> &'static str {
    match &b.verdict {
        None => "Too few contacts to test whether they form groups.",
        Some(v) if v.structured => {
            "Clear groups: these personas are much tighter than chance would give."
        }
        Some(_) => "No clear groups: these personas may be chance; they are on hold.",
    }
}

fn overview(ctx: &ReportContext<'_>, prio: &[Priority]) -> String {
    let mut s = String::from(
        "<section id=\"overview\" class=\"overview\"><h2>The personas at a glance</h2>",
    );
    for b in ctx.buckets {
        let who = esc(&words::people(&b.name));
        let _ = write!(
            s,
            "<h3>{} · {} contacts</h3><p class=\"reading\">{}</p><div class=\"tiles\">",
            esc(&capitalise(&who)),
            b.rows.len(),
            structure_words(b)
        );
        for (i, p) in ctx.personas.iter().enumerate() {
            if p.bucket != b.name {
                continue;
            }
            let _ = write!(
                s,
                "<a class=\"tile{}\" href=\"#card-{}\" style=\"--accent:{}\">{}<div>\
                 <p class=\"tile-name\">{}</p><p><span class=\"share\"{}>{}</span> of {who} · {} people</p>{}\
                 <p><span class=\"badge {}\">{}</span></p><p class=\"small\">{}</p></div></a>",
                if p.negative { " negative" } else { "" },
                esc(&p.id),
                avatar::colour(&p.id),
                avatar::avatar(&p.id, &p.name, 40),
                esc(&p.name),
                share_attrs(p),
                words::pct1(p.share),
                p.size,
                svg::share_bar(p.share, p.share_ci.0, p.share_ci.1, avatar::colour(&p.id)),
                prio[i].class(),
                esc(&prio[i].label()),
                esc(&capitalise(&words::stability(p.stability)))
            );
        }
        s.push_str("</div>");
    }
    s.push_str(
        "<p class=\"reading\">Priority: in each bucket, the primary persona to focus on, then \
         the secondary, ranked by their share of the bucket's revenue, their share of its \
         contacts and their growth since the last run. \"Do not target\" personas are described \
         so sales can exclude them; personas on hold are too small or too unstable to act on.</p>",
    );
    s.push_str(&maps(ctx));
    s.push_str(&k_choice(ctx));
    s.push_str("</section>");
    s
}

fn maps(ctx: &ReportContext<'_>) -> String {
    if ctx.map.is_empty() {
        return String::new();
    }
    let mut s = String::from(
        "<h2>Where the contacts are</h2><p class=\"reading\">Each dot is a contact (a sample), \
         placed by how similar they are on the grouping criteria: close dots are alike. Colours \
         are personas; well-separated colours mean distinct personas.</p><div class=\"maps\">",
    );
    for m in ctx.map {
        let points: Vec<(f64, f64, &str)> = m
            .points
            .iter()
            .map(|pt| (pt.x, pt.y, avatar::colour(&ctx.personas[pt.persona].id)))
            .collect();
        let legend: String = ctx
            .personas
            .iter()
            .filter(|p| p.bucket == m.bucket)
            .map(|p| {
                format!(
                    "<span><span class=\"key\" style=\"background:{}\"></span>{}</span>",
                    avatar::colour(&p.id),
                    esc(&p.name)
                )
            })
            .collect();
        let _ = write!(
            s,
            "<figure class=\"map\" data-bucket=\"{}\" data-points=\"{}\"><figcaption>{}: {} of {} \
             contacts</figcaption>{}<p class=\"legend\">{legend}</p></figure>",
            esc(&m.bucket),
            m.points.len(),
            esc(&capitalise(&words::people(&m.bucket))),
            m.points.len(),
            m.contacts,
            svg::scatter(&points, "map of contacts coloured by persona")
        );
    }
    s.push_str("</div>");
    s
}

fn k_choice(ctx: &ReportContext<'_>) -> String {
    let mut s = String::from("<h2>How many personas</h2><div class=\"kchoice\">");
    for b in ctx.buckets {
        let (lo, hi) = match (b.model.scores.first(), b.model.scores.last()) {
            (Some(a), Some(z)) => (a.k, z.k),
            _ => (b.model.k, b.model.k),
        };
        let lowered = if b.proposed_k > b.model.k {
            format!(
                " {} fitted slightly better, but one of those personas was not found again \
                 reliably, so {} are kept.",
                b.proposed_k, b.model.k
            )
        } else {
            String::new()
        };
        let cols = |gap: bool| -> Vec<Column> {
            b.model
                .scores
                .iter()
                .map(|sc| {
                    let v = if gap {
                        b.gaps.iter().find(|g| g.k == sc.k).map_or(0.0, |g| g.gap())
                    } else {
                        sc.silhouette
                    };
                    Column {
                        label: sc.k.to_string(),
                        value: v,
                        value_text: format!("{v:.2}"),
                        highlight: sc.k == b.model.k,
                    }
                })
                .collect()
        };
        let _ = write!(
            s,
            "<figure class=\"kfig\"><figcaption>{}: tried {lo} to {hi} personas, kept {}.{lowered}</figcaption>\
             <div class=\"kcharts\"><div><p class=\"small\">How clearly the groups separate (higher is better)</p>{}</div>",
            esc(&capitalise(&words::people(&b.name))),
            b.model.k,
            svg::columns(&cols(false), "#2f6db5", "separation by number of personas")
        );
        if !b.gaps.is_empty() {
            let _ = write!(
                s,
                "<div><p class=\"small\">How much tighter than shuffled data</p>{}</div>",
                svg::columns(&cols(true), "#2e9e6b", "gap by number of personas")
            );
        }
        s.push_str("</div></figure>");
    }
    s.push_str("</div>");
    s
}

/// The trends: each bucket's shares over the runs as a line chart, and this run's status and
/// biggest changes per persona.
fn trends(ctx: &ReportContext<'_>) -> String {
    let mut dates: Vec<String> = ctx.trends.iter().map(|r| r.date.to_string()).collect();
    dates.sort();
    dates.dedup();
    let mut s = String::from("<section id=\"trends\" class=\"trends\"><h2>Trends</h2>");
    if dates.len() < 2 {
        s.push_str(
            "<p class=\"reading\">This is the first run: trends appear from the second run on.</p></section>",
        );
        return s;
    }
    let _ = write!(
        s,
        "<p class=\"reading\">Each persona's share of its bucket over the last {} runs. A \
         persona keeps its name while it is the same group of people.</p><div class=\"trendcharts\">",
        dates.len()
    );
    for b in ctx.buckets {
        s.push_str(&bucket_trend(ctx, &b.name, &dates));
    }
    s.push_str("</div>");
    s.push_str(&trend_table(ctx));
    s.push_str("</section>");
    s
}

fn bucket_trend(ctx: &ReportContext<'_>, bucket: &str, dates: &[String]) -> String {
    let rows: Vec<&TrendRow> = ctx.trends.iter().filter(|r| r.bucket == bucket).collect();
    let mut ids: Vec<(&str, &str)> = Vec::new();
    for r in &rows {
        if !ids.iter().any(|(id, _)| *id == r.persona_id) {
            ids.push((&r.persona_id, &r.persona_name));
        }
    }
    let series: Vec<Series> = ids
        .iter()
        .map(|(id, name)| Series {
            name: name.to_string(),
            colour: avatar::colour(id).to_string(),
            values: dates
                .iter()
                .map(|d| {
                    rows.iter()
                        .find(|r| r.persona_id == *id && r.date.to_string() == *d && r.size > 0)
                        .map(|r| r.share)
                })
                .collect(),
            attrs: format!(" data-trend-persona=\"{}\"", esc(id)),
        })
        .collect();
    let legend: String = series
        .iter()
        .map(|se| {
            format!(
                "<span><span class=\"key\" style=\"background:{}\"></span>{}</span>",
                se.colour,
                esc(&se.name)
            )
        })
        .collect();
    format!(
        "<figure class=\"trend\"><figcaption>{}: share of the bucket</figcaption>{}<p class=\"legend\">{legend}</p></figure>",
        esc(&capitalise(&words::people(bucket))),
        svg::lines(&series, dates, "share of the bucket over runs")
    )
}

fn trend_table(ctx: &ReportContext<'_>) -> String {
    let date = ctx.run_date;
    let mut s = String::from(
        "<table class=\"trendtable\"><thead><tr><th>Persona</th><th>Since the previous run</th>\
         <th>Share</th><th>Traits that changed most</th></tr></thead><tbody>",
    );
    for r in ctx.trends.iter().filter(|r| r.date.to_string() == date) {
        let status = r.status.as_deref().unwrap_or("");
        let share = match r.previous_share {
            Some(prev) => format!(
                "{} → {} ({:+.1} points)",
                words::pct1(prev),
                words::pct1(r.share),
                (r.share - prev) * 100.0
            ),
            None => words::pct1(r.share),
        };
        let changes: Vec<String> = r
            .lift_changes
            .as_deref()
            .map(words::lift_changes)
            .unwrap_or_default();
        let _ = write!(
            s,
            "<tr data-status=\"{}\" data-trend-row=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(status),
            esc(&r.persona_id),
            esc(&r.persona_name),
            esc(&capitalise(words::status(status))),
            esc(&share),
            if changes.is_empty() {
                "-".to_string()
            } else {
                changes.iter().map(|c| esc(c)).collect::<Vec<_>>().join("<br>")
            }
        );
    }
    s.push_str("</tbody></table>");
    s
}

/// `s` with its first letter upper-case.
pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
