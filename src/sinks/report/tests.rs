//! Tests of the HTML report on a small hand-made run: a buyer persona, a negative one and one
//! too small to trust, with two runs of trends.

use chrono::NaiveDate;

use super::*;
use crate::cluster::ClusterModel;
use crate::profile::Card;

fn persona(id: &str, name: &str, size: usize, share: f64) -> Persona {
    Persona {
        id: id.into(),
        name: name.into(),
        bucket: "user".into(),
        stability: Some(0.93),
        size,
        share,
        share_ci: (share - 0.05, share + 0.05),
        description: format!("{name}: an end-user persona."),
        card: Card {
            demographics: "Mostly aged 25-34 (40 %)".into(),
            goals: vec!["Get hands-on with the product and ship an integration fast".into()],
            ..Card::default()
        },
        ..Persona::default()
    }
}

fn tr(persona_id: &str, feature: &str, level: Option<&str>, value: f64, bucket: f64) -> Trait {
    Trait {
        persona_id: persona_id.into(),
        feature: feature.into(),
        level: level.map(str::to_string),
        persona_value: value,
        population_value: bucket,
        lift: Some(value / bucket),
        std_diff: (value - bucket) * 3.0,
        audience_share: None,
        audience_source: None,
        p_value: 1e-6,
        p_adjusted: 1e-5,
        significant: true,
        distinctive: true,
    }
}

fn trend(date: u32, id: &str, name: &str, share: f64, status: &str) -> TrendRow {
    let d = |day| NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
    let mut r = TrendRow::new(
        d(20),
        d(date),
        (id.into(), name.into(), "user".into()),
        (share * 200.0) as u64,
        share,
    );
    if date == 20 {
        r.status = Some(status.into());
        r.previous_share = Some(share - 0.1);
        r.lift_changes = Some("job_seniority=director 2.79 -> 2.04".into());
    }
    r
}

fn bucket() -> Bucket {
    Bucket {
        name: "user".into(),
        rows: (0..200).collect(),
        contacts: 200,
        fitted: 200,
        model: ClusterModel {
            k: 3,
            centroids: ndarray::Array2::zeros((3, 1)),
            labels: vec![0; 200],
            scores: Vec::new(),
            latent: None,
        },
        stability: vec![0.93, 0.9, 0.8],
        shared: 0,
        weights: Vec::new(),
        gaps: Vec::new(),
        verdict: None,
        k_choice: crate::config::KChoice::Gap,
        proposed_k: 3,
        independence: Vec::new(),
        assignment: Default::default(),
    }
}

fn page() -> String {
    let mut docs = persona("persona_1", "Hands-On Hugo", 120, 0.6);
    docs.top_traits = vec!["share_docs high (0.61 vs 0.36)".into()];
    let mut lapsed = persona("persona_2", "Lapsed Leo", 62, 0.31);
    lapsed.negative = true;
    lapsed.flags = vec![NEGATIVE.into()];
    lapsed.flag_reasons =
        vec!["71 % of its contacts meet the negative rule (at least 50 %)".into()];
    let mut tiny = persona("persona_3", "Niche Nora", 18, 0.09);
    tiny.flags = vec![INSUFFICIENT_SAMPLE.into()];
    tiny.flag_reasons = vec!["the persona has 18 contacts, below the minimum of 30".into()];
    let traits = vec![
        tr("persona_1", "share_docs", None, 0.61, 0.36),
        tr("persona_1", "age_band", Some("25-34"), 0.4, 0.3),
        tr("persona_2", "email_status", Some("unsubscribed"), 0.7, 0.2),
    ];
    let trends = vec![
        trend(19, "persona_1", "Hands-On Hugo", 0.5, ""),
        trend(19, "persona_2", "Lapsed Leo", 0.4, ""),
        trend(20, "persona_1", "Hands-On Hugo", 0.6, "growing"),
        trend(20, "persona_2", "Lapsed Leo", 0.31, "stable"),
        trend(20, "persona_3", "Niche Nora", 0.09, "new"),
    ];
    let personas = [docs, lapsed, tiny];
    render(
        "sample",
        "revenue",
        &personas,
        &traits,
        &trends,
        &Default::default(),
    )
}

/// The page of `pipeline`'s run of 2026-11-20, segmented on `criterion`, whose one bucket (see
/// [`bucket`]) holds `personas`.
fn render(
    pipeline: &str,
    criterion: &str,
    personas: &[Persona],
    traits: &[Trait],
    trends: &[TrendRow],
    profile: &ProfileConfig,
) -> String {
    html::render(&ReportContext {
        pipeline,
        run_date: "2026-11-20",
        framework: "jobs_to_be_done",
        criteria: &[criterion.to_string()],
        buckets: &[bucket()],
        personas,
        traits,
        trends,
        profile,
        map: &[],
    })
}

#[test]
fn html_report_shows_cards_flags_do_not_target_and_trends() {
    let html = page();
    for name in ["Hands-On Hugo", "Lapsed Leo", "Niche Nora"] {
        assert!(
            html.contains(&format!("<h2 class=\"name\">{name}</h2>")),
            "{name}"
        );
    }
    assert!(html.contains(">60.0 %</span>"), "the share as text");
    assert!(html.contains("Do not target"), "the do-not-target mark");
    assert!(
        html.contains("Too few people to trust: 18 contacts, at least 30 needed."),
        "the flag in plain words"
    );
    assert!(
        html.contains("71 % of its people match"),
        "the negative flag in words"
    );
    // Trend lines: one polyline per persona with two runs.
    assert!(html.contains("data-trend-persona=\"persona_1\"><polyline"));
    assert!(html.contains("Growing: its share rose by more than chance"));
    assert!(html.contains("seniority: director: 2.79 → 2.04"));
    // The goal comes with the trait behind it.
    assert!(html.contains("data-trait=\"persona_1|share_docs|\""));
    // Self-contained: no script, no external resource.
    assert!(!html.contains("<script"));
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert_eq!(html.matches("<section class=\"card").count(), 3);
    assert!(html.contains("<details class=\"appendix\""));
}

#[test]
fn priorities_skip_negative_and_flagged_personas() {
    let mut a = persona("persona_1", "A", 100, 0.5);
    let mut b = persona("persona_2", "B", 100, 0.3);
    b.negative = true;
    let mut c = persona("persona_3", "C", 10, 0.1);
    c.flags = vec![UNSTABLE.into()];
    a.bucket = "buyer".into();
    a.priority = "primary".into();
    let mut d = persona("persona_4", "D", 80, 0.1);
    d.priority = "secondary".into();
    let p = card::priorities(&[a, b, c, d]);
    use card::Priority::*;
    assert_eq!(
        p,
        [
            Target("primary".into()),
            DoNotTarget,
            OnHold,
            Target("secondary".into())
        ]
    );
    assert_eq!(p[0].label(), "Primary persona");
    assert_eq!(p[3].label(), "Secondary persona");
}

#[test]
fn names_levels_and_statements_with_markup_characters_are_escaped() {
    let mut odd = persona("persona_1", "Ops <Olga> & \"Co\"", 120, 0.6);
    odd.card.goals = vec!["Ship <fast> & \"cheap\"".into()];
    odd.top_traits = vec!["industry=R&D <labs> high".into()];
    let traits = vec![tr("persona_1", "industry", Some("R&D <labs>"), 0.4, 0.1)];
    let html = render(
        "sample <&>",
        "industry",
        &[odd],
        &traits,
        &[],
        &Default::default(),
    );
    assert!(
        html.contains("Ops &lt;Olga&gt; &amp; &quot;Co&quot;"),
        "the name, escaped"
    );
    assert!(
        html.contains("Ship &lt;fast&gt; &amp;"),
        "the statement, escaped"
    );
    // No raw markup from the data anywhere on the page.
    for raw in ["<Olga>", "<fast>", "<labs>", "sample <&>"] {
        assert!(!html.contains(raw), "{raw} is not escaped");
    }
}

#[test]
fn the_teams_own_statements_are_marked_with_their_evidence_and_measured_ones_are_not() {
    let mut p = persona("persona_1", "Hands-On Hugo", 120, 0.6);
    p.card.goals = vec!["(your words) Ship an integration fast".into()];
    p.card.barriers = vec![
        "70 % chose 'Price' for 'What stops you?', vs 15 % of the rest; 90 respondents".into(),
    ];
    let profile: ProfileConfig = toml::from_str(
        r#"statements = [{ column = "share_docs", level = "high", section = "goals", text = "Ship an integration fast" }]"#,
    )
    .unwrap();
    let traits = vec![tr("persona_1", "share_docs", None, 0.61, 0.36)];
    let html = render("sample", "revenue", &[p], &traits, &[], &profile);
    assert!(
        html.contains(
            "<li><span class=\"yours\">Your words:</span> Ship an integration fast \
             <span class=\"evidence\" data-trait=\"persona_1|share_docs|\""
        ),
        "{html}"
    );
    assert!(
        html.contains("<h4>Barriers</h4><ul><li>70 % chose &#39;Price&#39;"),
        "{html}"
    );
    assert!(html.contains("<h4>Values</h4><p class=\"none\">Nothing the data supports.</p>"));
}
