//! The persona card: demographics (the "who"), goals, motivations, frustrations, barriers and
//! values (the "why"), online and offline behaviour, the preferred channel, and how the persona
//! compares with the social audience. Demographics and behaviour come from the persona's most
//! common levels; the "why" from survey answers that set the persona apart, with their numbers
//! (added by [`super::answers`]), and from the team's own statements (`[[profile.statements]]`)
//! whose trait sets the persona apart, marked as the team's words ([`USER_WORDS`]), so nothing
//! on the card is made up.

use crate::config::{CardSection, Statement};

use super::tally::Tally;
use super::traits::Trait;

/// The mark before a statement the team wrote (`[[profile.statements]]`), so a reader of the
/// card, the report and the `personas` table can tell it from a measured one.
pub const USER_WORDS: &str = "(your words) ";

/// The card fields of one persona.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Card {
    /// Age band, gender, location, job and company size.
    pub demographics: String,
    /// Goals.
    pub goals: Vec<String>,
    /// Motivations.
    pub motivations: Vec<String>,
    /// Frustrations.
    pub frustrations: Vec<String>,
    /// Barriers: what stops them from buying.
    pub barriers: Vec<String>,
    /// Values: what they care about.
    pub values: Vec<String>,
    /// Online behaviour: content, channels, devices.
    pub online: Vec<String>,
    /// Offline behaviour, where the CRM has it.
    pub offline: Vec<String>,
    /// Preferred communication channel.
    pub channel: Vec<String>,
    /// How the persona compares with the social audience.
    pub audience: Vec<String>,
}

/// One persona of a bucket's tally.
#[derive(Debug, Clone, Copy)]
pub struct Members<'a> {
    /// The bucket's contacts counted per persona.
    pub tally: &'a Tally,
    /// The persona's label.
    pub persona: usize,
}

impl Members<'_> {
    /// "level (rate %)" of the mode, or `None`.
    fn mode_text(&self, column: &str) -> Option<String> {
        (self.tally.mode(column, self.persona)).map(|(l, r)| format!("{l} ({:.0} %)", r * 100.0))
    }
}

/// Build the card of one persona from its contacts and its traits (most distinctive first).
pub fn build(members: Members<'_>, traits: &[&Trait], statements: &[Statement]) -> Card {
    let mut card = Card::default();
    let m = |col: &str| members.mode_text(col);
    let who: Vec<String> = [
        m("age_band").map(|v| format!("aged {v}")),
        m("gender"),
        m("country").map(|v| format!("in {v}")),
        m("job_seniority").map(|v| format!("{v} seniority")),
        m("company_size").map(|v| format!("at companies of {v} employees")),
        m("industry").map(|v| format!("in {v}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    card.demographics = if who.is_empty() {
        "no demographic data".into()
    } else {
        format!("Mostly {}", who.join(", "))
    };
    for s in statements {
        let holds = traits.iter().any(|tr| {
            tr.distinctive && tr.feature == s.column && tr.key().eq_ignore_ascii_case(&s.level)
        });
        if holds {
            section(&mut card, s.section).push(format!("{USER_WORDS}{}", s.text));
        }
    }
    let online: Vec<String> = [
        m("top_section").map(|v| format!("reads mostly {v} pages")),
        m("top_medium").map(|v| format!("arrives via {v}")),
        m("main_device").map(|v| format!("on {v}")),
        (members.tally)
            .mean("sessions", members.persona)
            .map(|v| format!("{v:.1} sessions on average")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !online.is_empty() {
        card.online.push(capitalise(&online.join(", ")));
    }
    if let Some((source, rate)) = members.tally.mode("original_source", members.persona) {
        card.offline.push(format!(
            "First known through {source} ({:.0} %)",
            rate * 100.0
        ));
    }
    if let Some(v) = m("top_medium") {
        card.channel.push(format!("Most visits come from {v}"));
    }
    if let Some(v) = m("email_status") {
        card.channel.push(format!("Email status: {v}"));
    }
    for tr in traits {
        let Some(share) = tr.audience_share else {
            continue;
        };
        // Only the persona's own levels that differ from the audience by 5 points or more.
        if tr.persona_value >= 0.2 && (tr.persona_value - share).abs() >= 0.05 {
            card.audience.push(format!(
                "{} {}: {:.0} % of the persona vs {:.0} % of the {} audience",
                tr.feature,
                tr.key(),
                tr.persona_value * 100.0,
                share * 100.0,
                tr.audience_source.as_deref().unwrap_or("social")
            ));
        }
    }
    card
}

fn section(card: &mut Card, s: CardSection) -> &mut Vec<String> {
    match s {
        CardSection::Goals => &mut card.goals,
        CardSection::Motivations => &mut card.motivations,
        CardSection::Frustrations => &mut card.frustrations,
        CardSection::Barriers => &mut card.barriers,
        CardSection::Values => &mut card.values,
        CardSection::Online => &mut card.online,
        CardSection::Offline => &mut card.offline,
        CardSection::Channel => &mut card.channel,
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ProfileConfig;
    use crate::features::{CategoricalColumn, FeatureTable};

    #[test]
    fn the_teams_own_statements_are_shown_as_their_words_only_with_evidence() {
        let t = FeatureTable {
            contact_ids: vec!["1".into(), "2".into()],
            emails: vec![None; 2],
            numeric: vec![],
            categorical: vec![CategoricalColumn {
                name: "job_seniority".into(),
                values: vec!["executive", "unknown"].into(),
                segments: true,
            }],
            multi_raw: vec![],
        };
        let cfg: ProfileConfig = toml::from_str(
            r#"statements = [{ column = "job_seniority", level = "executive", section = "barriers", text = "Busy" }]"#,
        )
        .unwrap();
        assert!(ProfileConfig::default().statements.is_empty());
        let tally = Tally::of_rows(&t, &[0, 1], &[0, 1], 2, &cfg);
        let members = Members {
            tally: &tally,
            persona: 0,
        };
        let exec = Trait {
            persona_id: "persona_1".into(),
            feature: "job_seniority".into(),
            level: Some("executive".into()),
            persona_value: 1.0,
            population_value: 0.5,
            lift: Some(2.0),
            std_diff: 1.0,
            audience_share: None,
            audience_source: None,
            p_value: 0.0,
            p_adjusted: 0.0,
            significant: true,
            distinctive: true,
        };
        let card = build(members, &[&exec], &cfg.statements);
        assert_eq!(card.barriers, ["(your words) Busy"]);
        assert!(card.goals.is_empty() && card.values.is_empty());
        let not_apart = Trait {
            distinctive: false,
            ..exec
        };
        assert!(build(members, &[&not_apart], &cfg.statements)
            .barriers
            .is_empty());
    }
}
