//! The run manifest: one JSON per run, `manifests/run_date=<d>/manifest.json`, published with
//! the run's other partitions. It records what the run read (each input with its size and
//! SHA-256), how many rows each stage kept, the models chosen and their quality, the flags
//! raised, how the personas changed since the previous run, what it wrote, and which config and
//! tool version did it. The next run of the same date compares its inputs and config with it to
//! decide whether there is anything new to do.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One run's manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Pipeline name.
    pub pipeline: String,
    /// Logical date (`YYYY-MM-DD`).
    pub run_date: String,
    /// When the run started (RFC 3339, UTC).
    pub started_at: String,
    /// When its outputs were complete, just before they were published (RFC 3339, UTC).
    pub finished_at: String,
    /// `personas` version that ran.
    pub tool_version: String,
    /// The pipeline config file.
    pub config_path: String,
    /// SHA-256 of the config file's bytes.
    pub config_sha256: String,
    /// Every input file read.
    pub inputs: Vec<InputFile>,
    /// Rows read, accepted and rejected per source.
    pub sources: Vec<SourceRows>,
    /// Rows of each materialised SQL model.
    pub models: Vec<ModelRows>,
    /// CRM records merged into another record of the same contact.
    pub duplicates_merged: Option<u64>,
    /// Contacts with a feature row (profiled).
    pub contacts: usize,
    /// Each bucket's clustering: contacts, chosen k and the score of every k tried.
    pub buckets: Vec<BucketQuality>,
    /// Every persona with its status since the previous run.
    pub personas: Vec<PersonaEntry>,
    /// Flags raised, one line each (`persona_3 insufficient_sample: ...`).
    pub flags: Vec<String>,
    /// The published run the personas were matched against, if any.
    pub previous_run_date: Option<String>,
    /// Personas of the previous run found in none of this run's.
    pub vanished: Vec<String>,
    /// Share of the contacts in both runs whose persona changed.
    pub contacts_changed_persona: Option<f64>,
    /// Partition folders published, relative to the output folder.
    pub outputs: Vec<String>,
    /// Wall time of each stage in seconds.
    pub timings: Vec<StageTime>,
}

/// One input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFile {
    /// Source name.
    pub source: String,
    /// The file: for a local source its path, relative to the config file's folder when under
    /// it; for a remote one, the source's URL (without credentials) and the object's name.
    pub location: String,
    /// Bytes.
    pub size: u64,
    /// SHA-256 of the bytes, lower-case hex.
    pub sha256: String,
}

/// Row counts of one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRows {
    /// Source name.
    pub source: String,
    /// Files read.
    pub files: usize,
    /// Rows read.
    pub read: u64,
    /// Rows landed.
    pub accepted: u64,
    /// Rows rejected.
    pub rejected: u64,
}

/// Rows of one SQL model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelRows {
    /// Model name.
    pub model: String,
    /// Rows (`None` for a view, not counted).
    pub rows: Option<usize>,
}

/// The clustering of one bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BucketQuality {
    /// Bucket name.
    pub bucket: String,
    /// Contacts in the bucket.
    pub contacts: usize,
    /// The chosen number of personas.
    pub k: usize,
    /// Every k tried.
    pub scores: Vec<KQuality>,
    /// How k was proposed (`gap` or `silhouette`).
    #[serde(default)]
    pub chosen_by: String,
    /// The k proposed, before personas resampling did not find again lowered it.
    #[serde(default)]
    pub proposed_k: Option<usize>,
    /// Whether the chosen k's gap lies beyond the permutation null's range (`None`: too few
    /// contacts to test).
    #[serde(default)]
    pub structured: Option<bool>,
    /// The chosen k's gap in null spreads.
    #[serde(default)]
    pub gap_z: Option<f64>,
    /// The spreads the chosen k's gap had to pass.
    #[serde(default)]
    pub z_needed: Option<f64>,
    /// Each criterion, its columns, its weight and its total variance in the design matrix.
    #[serde(default)]
    pub criteria: Vec<CriterionQuality>,
}

/// One criterion of a bucket's design matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionQuality {
    /// Criterion name.
    pub criterion: String,
    /// Its feature columns.
    pub columns: Vec<String>,
    /// Its weight (1 unless the config names one).
    pub weight: f64,
    /// Its total variance in the design matrix (equals the weight unless it is constant).
    pub variance: f64,
}

/// Scores of one k.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KQuality {
    /// Number of clusters.
    pub k: usize,
    /// Mean silhouette.
    pub silhouette: f64,
    /// Inertia.
    pub inertia: f64,
    /// Gap against the permutation null (`None`: not tested).
    #[serde(default)]
    pub gap: Option<f64>,
    /// The null's mean log dispersion.
    #[serde(default)]
    pub null_mean: Option<f64>,
    /// The null's spread.
    #[serde(default)]
    pub null_sd: Option<f64>,
}

/// One persona of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonaEntry {
    /// Persona id (stable across runs while it is the same group).
    pub id: String,
    /// Persona name.
    pub name: String,
    /// Bucket.
    pub bucket: String,
    /// Contacts.
    pub size: usize,
    /// Share of the bucket.
    pub share: f64,
    /// Status since the previous run (`new`, `stable`, `growing`, ...).
    pub status: String,
    /// Flags.
    pub flags: Vec<String>,
}

/// Wall time of one stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageTime {
    /// Stage name.
    pub stage: String,
    /// Seconds.
    pub seconds: f64,
}

/// Write a manifest as pretty JSON.
pub fn write_manifest(path: &Path, manifest: &Manifest) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let mut text = serde_json::to_vec_pretty(manifest)?;
    text.push(b'\n');
    std::fs::write(path, text).map_err(|e| Error::io(path, e))
}

/// Read a manifest.
pub fn read_manifest(path: &Path) -> Result<Manifest> {
    let text = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_slice(&text).map_err(|e| Error::BadInput {
        file: path.display().to_string(),
        reason: format!("not a run manifest: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::checksums::sha256_bytes;
    use crate::output::MANIFEST_FILE;

    #[test]
    fn manifest_round_trips() {
        let m = Manifest {
            pipeline: "p".into(),
            run_date: "2026-11-20".into(),
            started_at: "2026-11-20T06:00:00Z".into(),
            finished_at: "2026-11-20T06:01:00Z".into(),
            tool_version: env!("CARGO_PKG_VERSION").into(),
            config_path: "p.toml".into(),
            config_sha256: sha256_bytes(b"name = \"p\""),
            inputs: vec![InputFile {
                source: "crm".into(),
                location: "/x/contacts.csv".into(),
                size: 10,
                sha256: sha256_bytes(b"0123456789"),
            }],
            sources: vec![],
            models: vec![],
            duplicates_merged: Some(0),
            contacts: 0,
            buckets: vec![],
            personas: vec![],
            flags: vec![],
            previous_run_date: None,
            vanished: vec![],
            contacts_changed_persona: None,
            outputs: vec!["personas/run_date=2026-11-20".into()],
            timings: vec![],
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m").join(MANIFEST_FILE);
        write_manifest(&path, &m).unwrap();
        assert_eq!(read_manifest(&path).unwrap(), m);
        std::fs::write(&path, "{}").unwrap();
        assert!(read_manifest(&path)
            .unwrap_err()
            .to_string()
            .contains("not a run manifest"));
    }
}
