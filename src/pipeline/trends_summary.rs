//! The lines a run prints about how its personas changed since the previous published run.

use super::RunReport;

impl RunReport {
    /// How the personas changed since the previous published run: one line per persona (and
    /// per vanished persona) with its status and its share then and now, and the share of
    /// contacts who changed persona. Empty on a first run.
    pub fn trends_summary(&self) -> String {
        let Some(previous) = self.previous_run else {
            return String::new();
        };
        let mut s = format!("\nChanges since {previous}:\n");
        for r in &self.trends {
            let status = r.status.as_deref().unwrap_or("");
            let share =
                |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{:.1} %", v * 100.0));
            s.push_str(&format!(
                "  {:<10} {:<22} {:<10} {:>7} -> {:>7}{}{}\n",
                r.persona_id,
                r.persona_name,
                status,
                share(r.previous_share),
                share(Some(r.share)),
                match r.share_change_significant {
                    Some(true) => "  (beyond the sampling error)",
                    _ => "",
                },
                r.related_persona_ids
                    .as_deref()
                    .map(|ids| format!("  [{ids}]"))
                    .unwrap_or_default(),
            ));
        }
        if let Some(changed) = self.manifest.contacts_changed_persona {
            s.push_str(&format!(
                "  {:.1} % of the contacts in both runs changed persona\n",
                changed * 100.0
            ));
        }
        s
    }
}
