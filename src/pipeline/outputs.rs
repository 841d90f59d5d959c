//! The run's write stage: the persona tables, the CRM files and the report, written into the
//! staging folder (published together after the manifest, see [`super::stages`]).

use datafusion::prelude::SessionContext;

use super::continuity::Tracked;
use super::members;
use super::stages::{counted_there, features_table, Run, Segments};
use crate::error::Result;
use crate::features::FeatureTable;
use crate::output::partition;
use crate::output::publish;
use crate::profile::trends::TrendRow;
use crate::profile::{self, Profiled};
use crate::sinks;
use crate::sinks::trends::write_trends;

/// Write the persona tables, the CRM files and the report into the staging folder, from the
/// feature table and (the members of buckets counted on a cluster) the engine of `ctx`.
pub(super) async fn write_outputs(
    run: &mut Run<'_>,
    (ctx, table): (&SessionContext, &FeatureTable),
    segments: &Segments,
    profiled: &Profiled,
    tracked: &Tracked,
    crm_systems: &sinks::crm::ContactSystems,
    funnel: &[profile::funnel::FunnelStep],
) -> Result<()> {
    run.progress.start("writing the outputs");
    let (cfg, date_s) = (run.cfg, run.date_s.clone());
    let personas = &profiled.personas;
    sinks::write_personas(&run.part("personas"), &date_s, personas)?;
    let members = run.part("persona_members");
    let there = counted_there(cfg, &segments.buckets);
    if there.is_empty() {
        sinks::write_members(&members, &date_s, table, &profiled.members, personas)?;
    } else {
        let (model, held) = (features_table(cfg), (table, &profiled.members[..]));
        members::write_merged(ctx, model, &members, &date_s, held, &there, personas).await?;
    }
    sinks::write_traits(&run.part("persona_traits"), &date_s, &profiled.traits)?;
    sinks::write_model_quality(&run.part("model_quality"), &date_s, &segments.buckets)?;
    sinks::funnel::write_funnel(&run.part("persona_funnel"), &date_s, funnel)?;
    let trend_rows: Vec<TrendRow> = tracked
        .history
        .iter()
        .chain(&tracked.current)
        .cloned()
        .collect();
    write_trends(&run.part("persona_trends"), &trend_rows)?;
    let crm_rel = partition("crm", run.date);
    sinks::crm::write_crm_files_with(
        &sinks::crm::CrmContext {
            dir: &run.staging.join(&crm_rel),
            output_dir: run.out,
            run_date: run.date,
            table,
            primary: &profiled.primary,
            personas,
            systems: crm_systems,
        },
        &cfg.crm,
    )?;
    run.published.push(crm_rel);
    let report_rel = partition("report", run.date);
    let criteria: Vec<String> = segments
        .criteria
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let map = sinks::report::map::project(
        table,
        &segments.buckets,
        personas,
        &segments.criteria,
        &run.features,
    );
    sinks::report::write(
        &run.staging.join(&report_rel).join(sinks::report::FILE),
        &sinks::report::ReportContext {
            pipeline: &cfg.name,
            run_date: &date_s,
            framework: cfg.features.framework.as_str(),
            criteria: &criteria,
            buckets: &segments.buckets,
            personas,
            traits: &profiled.traits,
            trends: &trend_rows,
            profile: &cfg.profile,
            map: &map,
        },
        funnel,
    )?;
    run.published.push(report_rel);
    run.published.push(partition(publish::MANIFESTS, run.date));
    run.progress.done();
    run.watch.lap("write")
}
