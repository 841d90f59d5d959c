//! What a run records about itself: its inputs with their sizes and checksums, the config's
//! checksum, the manifest, and whether there is anything new to do for a date at all.
//!
//! "Nothing new to do" means: the date is published, and its manifest was written by the same
//! tool version from a config file with the same SHA-256 and from exactly the same inputs (the
//! same files, sizes and SHA-256). Such a run would only write the same outputs again.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use tracing::warn;

use super::continuity::Tracked;
use crate::cluster::Bucket;
use crate::config::{Pipeline, SourceConfig};
use crate::error::{Error, Result};
use crate::output::checksums::sha256_bytes;
use crate::output::checksums::{Checksum, Pending};
use crate::output::{manifest_path, publish};
use crate::profile::Persona;
use crate::sinks::manifest::{
    read_manifest, BucketQuality, CriterionQuality, InputFile, KQuality, Manifest, ModelRows,
    PersonaEntry, SourceRows, StageTime,
};
use crate::sources::{store, SourceReport};
use crate::transform::ModelRun;

/// SHA-256 of the config file's bytes.
pub(super) fn config_sha256(pipeline: &Pipeline) -> Result<String> {
    let bytes = std::fs::read(&pipeline.path).map_err(|e| Error::io(&pipeline.path, e))?;
    Ok(sha256_bytes(&bytes))
}

/// Every input file of the run with its size and SHA-256 (`sums`, in the order of the files of
/// `resolved`); `scratch` is where remote sources
/// were fetched to. Local files are named relative to the config's folder (the same from any
/// working directory), or absolute when outside it.
pub(super) fn input_files(
    pipeline: &Pipeline,
    resolved: &[(&SourceConfig, Vec<PathBuf>)],
    scratch: &Path,
    sums: Vec<Checksum>,
) -> Vec<InputFile> {
    let mut out = Vec::with_capacity(sums.len());
    let mut sums = sums.into_iter();
    for (s, files) in resolved {
        for f in files {
            let Some((size, sha256)) = sums.next() else {
                break;
            };
            let location = if store::is_remote(&s.path) {
                let rel = f.strip_prefix(scratch.join(&s.name)).unwrap_or(f);
                format!("{} ({})", store::display_url(&s.path), rel.display())
            } else {
                f.strip_prefix(&pipeline.base_dir)
                    .unwrap_or(f)
                    .display()
                    .to_string()
            };
            out.push(InputFile {
                source: s.name.clone(),
                location,
                size,
                sha256,
            });
        }
    }
    out
}

/// The checksums of every input of `resolved`, as far as the cache in `out_dir` knows them;
/// the rest are hashed while landing (see [`Pending::finish`]).
pub(super) fn pending_checksums(
    resolved: &[(&SourceConfig, Vec<PathBuf>)],
    out_dir: &Path,
) -> Result<Pending> {
    let paths: Vec<PathBuf> = resolved
        .iter()
        .flat_map(|(_, files)| files.iter().cloned())
        .collect();
    Pending::new(out_dir, &paths)
}

/// The published manifest of `date`, when the date is published from the same tool version,
/// config and inputs: there is nothing new to do.
pub(super) fn unchanged(
    out: &Path,
    date: NaiveDate,
    config_sha256: &str,
    inputs: &[InputFile],
) -> Option<PathBuf> {
    if !publish::is_published(out, date) {
        return None;
    }
    let path = manifest_path(out, date);
    let m = match read_manifest(&path) {
        Ok(m) => m,
        Err(e) => {
            warn!(error = %e, "Cannot read the published manifest; running the date again.");
            return None;
        }
    };
    (m.tool_version == env!("CARGO_PKG_VERSION")
        && m.config_sha256 == config_sha256
        && m.inputs == inputs)
        .then_some(path)
}

/// Everything the manifest is made of.
pub(super) struct RunFacts<'a> {
    pub(super) pipeline: &'a Pipeline,
    pub(super) date: NaiveDate,
    pub(super) started_at: DateTime<Utc>,
    pub(super) config_sha256: String,
    pub(super) inputs: Vec<InputFile>,
    pub(super) sources: &'a [SourceReport],
    pub(super) models: &'a [ModelRun],
    pub(super) duplicates_merged: Option<u64>,
    pub(super) contacts: usize,
    pub(super) buckets: &'a [Bucket],
    pub(super) personas: &'a [Persona],
    pub(super) tracked: &'a Tracked,
    pub(super) outputs: &'a [PathBuf],
    pub(super) timings: &'a [(&'static str, std::time::Duration)],
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The run's manifest.
pub(super) fn manifest(f: RunFacts<'_>) -> Manifest {
    let status = |id: &str| {
        f.tracked
            .current
            .iter()
            .find(|r| r.persona_id == id)
            .and_then(|r| r.status.clone())
            .unwrap_or_default()
    };
    let matching = f.tracked.matching.as_ref();
    Manifest {
        pipeline: f.pipeline.config.name.clone(),
        run_date: f.date.to_string(),
        started_at: stamp(f.started_at),
        finished_at: stamp(Utc::now()),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        config_path: f.pipeline.path.display().to_string(),
        config_sha256: f.config_sha256,
        inputs: f.inputs,
        sources: f
            .sources
            .iter()
            .map(|r| SourceRows {
                source: r.name.clone(),
                files: r.files.len(),
                read: r.counts.read,
                accepted: r.counts.accepted,
                rejected: r.counts.rejected,
            })
            .collect(),
        models: f
            .models
            .iter()
            .map(|m| ModelRows {
                model: m.name.clone(),
                rows: m.rows,
            })
            .collect(),
        duplicates_merged: f.duplicates_merged,
        contacts: f.contacts,
        buckets: f.buckets.iter().map(bucket_quality).collect(),
        personas: f
            .personas
            .iter()
            .map(|p| PersonaEntry {
                id: p.id.clone(),
                name: p.name.clone(),
                bucket: p.bucket.clone(),
                size: p.size,
                share: p.share,
                status: status(&p.id),
                flags: p.flags.clone(),
            })
            .collect(),
        flags: f
            .personas
            .iter()
            .flat_map(|p| {
                p.flags.iter().enumerate().map(move |(i, flag)| {
                    let reason = p.flag_reasons.get(i).map(String::as_str).unwrap_or("");
                    format!("{} {flag}: {reason}", p.id)
                })
            })
            .collect(),
        previous_run_date: f.tracked.previous.map(|d| d.to_string()),
        vanished: f.tracked.vanished.clone(),
        contacts_changed_persona: matching.and_then(|m| m.changed_share),
        outputs: f.outputs.iter().map(|p| p.display().to_string()).collect(),
        timings: f
            .timings
            .iter()
            .map(|(stage, took)| StageTime {
                stage: stage.to_string(),
                seconds: took.as_secs_f64(),
            })
            .collect(),
    }
}

/// A bucket's clustering quality: every k's scores, how k was chosen, the structure verdict and
/// each criterion's weight.
fn bucket_quality(b: &Bucket) -> BucketQuality {
    BucketQuality {
        bucket: b.name.clone(),
        contacts: b.rows.len(),
        k: b.model.k,
        scores: b
            .model
            .scores
            .iter()
            .map(|s| {
                let g = b.gaps.iter().find(|g| g.k == s.k);
                KQuality {
                    k: s.k,
                    silhouette: s.silhouette,
                    inertia: s.inertia,
                    gap: g.map(|g| g.gap()),
                    null_mean: g.map(|g| g.null_mean),
                    null_sd: g.map(|g| g.null_sd),
                }
            })
            .collect(),
        chosen_by: b.chosen_by().to_string(),
        proposed_k: Some(b.proposed_k),
        structured: b.verdict.as_ref().map(|v| v.structured),
        gap_z: b.verdict.as_ref().map(|v| v.z),
        z_needed: b.verdict.as_ref().map(|v| v.z_needed),
        criteria: b
            .weights
            .iter()
            .map(|w| CriterionQuality {
                criterion: w.criterion.clone(),
                columns: w.columns.clone(),
                weight: w.weight,
                variance: w.variance,
            })
            .collect(),
    }
}
