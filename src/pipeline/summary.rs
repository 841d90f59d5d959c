//! The summary a run prints: rows per source, the personas of each bucket with their shares,
//! flags and distinctive traits, and where the outputs went.

use super::RunReport;
use crate::profile::{priority, Persona};
use crate::transform::survey;

impl RunReport {
    /// The short summary printed at the end of a run.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "personas: pipeline `{}`, run date {}\n\nSources (rows read = accepted + rejected):\n",
            self.pipeline, self.run_date
        );
        for r in &self.sources {
            s.push_str(&format!(
                "  {:<10} {:>10} read {:>10} accepted {:>8} rejected  ({} files)\n",
                r.name,
                r.counts.read,
                r.counts.accepted,
                r.counts.rejected,
                r.files.len()
            ));
        }
        if let Some(n) = self.duplicates_merged {
            s.push_str(&format!(
                "  {n} duplicate CRM records merged (same Record ID or email; the latest Last Activity Date wins)\n"
            ));
        }
        let rows = |name: &str| {
            self.models
                .iter()
                .find(|m| m.name == name)
                .and_then(|m| m.rows)
        };
        if let (Some(all @ 1..), Some(n)) = (rows(survey::RESPONDENTS), rows(survey::UNMATCHED)) {
            s.push_str(&format!(
                "  {n} of {all} survey respondents match no CRM contact by email (survey_respondents, matched = false)\n"
            ));
        }
        if let (Some(all @ 1..), Some(n @ 1..)) = (rows("int_orders"), rows("orders_unmatched")) {
            s.push_str(&format!(
                "  {n} of {all} orders match no CRM contact by contact id or email (orders_unmatched)\n"
            ));
        }
        s.push_str(&format!(
            "\n{} contacts, {} personas\n",
            self.contacts,
            self.personas.len()
        ));
        for b in &self.buckets {
            s.push_str(&format!(
                "\nBucket `{}`: {} contacts, {} personas ({})\n  {}\n",
                b.name,
                b.rows.len(),
                b.model.k,
                b.choice_text(),
                b.structure_text()
            ));
            if b.shared > 0 {
                s.push_str(&format!(
                    "  ({} of them are also in the other bucket: buying roles on both sides)\n",
                    b.shared
                ));
            }
            for p in self.personas.iter().filter(|p| p.bucket == b.name) {
                s.push_str(&persona_line(p));
            }
        }
        if let Some(push) = &self.push {
            s.push_str(&format!("\n{}\n", push.summary()));
        }
        s.push_str(&format!("\nOutputs under {}:\n", self.output_dir.display()));
        for rel in &self.published {
            if !rel.starts_with("landing") && !rel.starts_with("rejects") {
                s.push_str(&format!("  {}\n", rel.display()));
            }
        }
        s
    }
}

/// One persona's lines: id, name, size, share with its interval, stability, flags, traits.
fn persona_line(p: &Persona) -> String {
    let mut s = format!(
        "  {:<10} {:<22} {:>7} contacts {:>5.1} % [{:.1}-{:.1}]{}{}{}{}\n",
        p.id,
        p.name,
        p.size,
        p.share * 100.0,
        p.share_ci.0 * 100.0,
        p.share_ci.1 * 100.0,
        p.stability
            .map(|v| format!("  stability {v:.2}"))
            .unwrap_or_default(),
        match p.priority.as_str() {
            priority::PRIMARY => "  PRIMARY",
            priority::SECONDARY => "  SECONDARY",
            _ => "",
        },
        if p.negative {
            "  NEGATIVE (do not target)"
        } else {
            ""
        },
        if p.flags.is_empty() {
            String::new()
        } else {
            format!(
                "  FLAG {}: {}",
                p.flags.join(","),
                p.flag_reasons.join("; ")
            )
        }
    );
    for t in p.top_traits.iter().take(4) {
        s.push_str(&format!("      - {t}\n"));
    }
    s
}
