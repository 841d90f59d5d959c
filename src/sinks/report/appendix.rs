//! The HTML report's appendix for the model-minded, collapsed by default (`<details>`): every k
//! tried with its silhouette, inertia and gap (the `model_quality` table), the structure test,
//! each persona's stability and flags as the tables word them, the criteria and their weights,
//! and the significance settings.

use std::fmt::Write;

use super::svg::esc;
use super::ReportContext;

/// The appendix.
pub fn appendix(ctx: &ReportContext<'_>) -> String {
    let mut s = String::from(
        "<details class=\"appendix\" id=\"appendix\"><summary>For the model-minded: model \
         quality, structure test, stability, criteria and weights</summary>",
    );
    s.push_str(&quality(ctx));
    s.push_str(&stability(ctx));
    s.push_str(&criteria(ctx));
    let p = ctx.profile;
    let _ = write!(
        s,
        "<h3>Traits and flags</h3><p>A trait is listed when it is significant at {} after the \
         <code>{}</code> correction and large (lift at least {} and held by {} % of the persona, \
         or {} standard deviations apart). Flags: <code>insufficient_sample</code> under {} \
         contacts (bucket under {}), <code>unstable</code> under a mean Jaccard of {}, \
         <code>negative</code> when at least {} % meet the negative rule.</p></details>",
        p.alpha,
        esc(&format!("{:?}", p.correction).to_lowercase()),
        p.min_lift,
        p.min_rate * 100.0,
        p.min_std_diff,
        p.min_persona_size,
        p.min_sample,
        p.min_stability,
        p.negative.min_share * 100.0
    );
    s
}

fn quality(ctx: &ReportContext<'_>) -> String {
    let mut s = String::from("<h3>Model quality (<code>model_quality</code>)</h3>");
    for b in ctx.buckets {
        let _ = write!(
            s,
            "<p><strong>{}</strong>: {} contacts; {}; {}.</p>\
             <table class=\"tech\"><thead><tr><th>k</th><th>silhouette</th><th>inertia</th>\
             <th>log W</th><th>null mean</th><th>null sd</th><th>gap</th><th>z</th><th>chosen</th>\
             </tr></thead><tbody>",
            esc(&b.name),
            b.rows.len(),
            esc(&b.choice_text()),
            esc(&b.structure_text())
        );
        for sc in &b.model.scores {
            let g = b.gaps.iter().find(|g| g.k == sc.k);
            let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{:.3}</td><td>{:.3}</td><td>{}</td><td>{}</td><td>{}</td>\
                 <td>{}</td><td>{}</td><td>{}</td></tr>",
                sc.k,
                sc.silhouette,
                sc.inertia,
                f(g.map(|g| g.log_w)),
                f(g.map(|g| g.null_mean)),
                f(g.map(|g| g.null_sd)),
                f(g.map(|g| g.gap())),
                f(g.map(|g| g.z())),
                if sc.k == b.model.k { "yes" } else { "" }
            );
        }
        s.push_str("</tbody></table>");
    }
    s
}

fn stability(ctx: &ReportContext<'_>) -> String {
    let mut s = String::from(
        "<h3>Stability and flags</h3><table class=\"tech\"><thead><tr><th>persona</th>\
         <th>bucket</th><th>size</th><th>share [95 % Wilson]</th><th>stability (mean \
         Jaccard)</th><th>flags</th><th>top traits</th></tr></thead><tbody>",
    );
    for p in ctx.personas {
        let reasons: Vec<String> = p
            .flags
            .iter()
            .zip(&p.flag_reasons)
            .map(|(f, r)| format!("{f}: {r}"))
            .collect();
        let _ = write!(
            s,
            "<tr><td>{} (<code>{}</code>)</td><td>{}</td><td>{}</td><td>{:.3} [{:.3}-{:.3}]</td>\
             <td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&p.name),
            esc(&p.id),
            esc(&p.bucket),
            p.size,
            p.share,
            p.share_ci.0,
            p.share_ci.1,
            p.stability.map_or("-".into(), |v| format!("{v:.2}")),
            esc(&reasons.join("; ")),
            esc(&p.top_traits.join("; "))
        );
    }
    s.push_str("</tbody></table>");
    s
}

fn criteria(ctx: &ReportContext<'_>) -> String {
    let mut s = String::from("<h3>Criteria and their weights</h3>");
    for b in ctx.buckets {
        let _ = write!(
            s,
            "<p><strong>{}</strong></p><table class=\"tech\"><thead><tr><th>criterion</th>\
             <th>columns</th><th>weight</th><th>variance</th><th>matrix columns</th></tr></thead><tbody>",
            esc(&b.name)
        );
        for w in &b.weights {
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{:.2}</td><td>{:.3}</td><td>{}</td></tr>",
                esc(&w.criterion),
                esc(&w.columns.join(", ")),
                w.weight,
                w.variance,
                w.encoded
            );
        }
        s.push_str("</tbody></table>");
    }
    let maps: Vec<String> = ctx
        .map
        .iter()
        .map(|m| {
            format!(
                "{}: the two axes show {:.0} % and {:.0} % of the spread",
                m.bucket,
                m.explained[0] * 100.0,
                m.explained[1] * 100.0
            )
        })
        .collect();
    if !maps.is_empty() {
        let _ = write!(
            s,
            "<p>The map: the first two principal components of the design matrix of an evenly \
             spaced sample of each bucket ({}).</p>",
            esc(&maps.join("; "))
        );
    }
    s
}
