//! Persona continuity counted by SQL (what a cluster does for a bucket fitted on a sample):
//! the contacts each persona shares with each persona of the previous published run, counted
//! by joining that run's `persona_members` with the contacts the bucket's SQL assigns, are
//! those counted from the members held in memory, also with one bucket counted each way (no
//! pair twice); a previous members file with a member without its contact id is an error
//! naming the file.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Days;
use datafusion::arrow::array::{Array, RecordBatch, StringArray};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::SessionContext;
use personas::cluster::Bucket;
use personas::pipeline::overlap::count_pairs;
use personas::pipeline::{history, RunOptions};
use personas::profile::identity::Overlap;

use crate::util::{block_on, read_parquet, run_date, Fixture};

#[test]
fn personas_matched_by_sql_share_the_contacts_counted_in_memory() {
    let fx = Fixture::sample(2000, 4.0);
    let d0 = run_date() - Days::new(7);
    // another sample and seed the week before: personas that split and merge, not only the
    // same personas again; two buckets, so that the second's personas are not the first's,
    // and contacts that change bucket (two countries join Europe): only pairs of personas of
    // the same bucket count
    fx.edit_config(|c| {
        c + "\n[cluster]\nfit_contacts = 600\nseed = 11\n\n[cluster.buckets]\n\
             column = \"country\"\nregions = { Europe = [\"Germany\", \"Ireland\"] }\n"
    });
    fx.run_with(&RunOptions::new(d0)).unwrap();
    fx.edit_config(|c| {
        c.replace("seed = 11", "seed = 5").replace(
            "\"Ireland\"]",
            "\"Ireland\", \"Netherlands\", \"United Kingdom\"]",
        )
    });
    let report = fx.run().unwrap();
    assert_eq!(report.previous_run, Some(d0));
    let out = fx.path("out");
    let previous = history::load_run(&out, d0).unwrap();
    let (table, members, current) = (&report.features, &report.members, &report.personas);
    let in_memory =
        history::overlap(&out, d0, &previous, table, members, current, |_| false).unwrap();

    let ctx = SessionContext::new();
    let features = out.join(format!("contact_features/run_date={}/", run_date()));
    let buckets: Vec<&Bucket> = report.buckets.iter().collect();
    let engine = block_on(async {
        ctx.register_parquet("features", features.to_str().unwrap(), Default::default())
            .await
            .unwrap();
        count_pairs(&ctx, None, &out, d0, "features", &buckets, current).await
    })
    .unwrap();
    let mut by_sql = Overlap {
        pairs: BTreeMap::new(),
        current_sizes: in_memory.current_sizes.clone(),
    };
    engine.add_to(&mut by_sql, d0, &previous, current).unwrap();
    let by_sql = by_sql.pairs;
    assert_eq!(by_sql, in_memory.pairs);
    // one bucket counted by SQL, the other from the members: the same pairs, none twice
    let europe: Vec<&Bucket> = buckets
        .iter()
        .copied()
        .filter(|b| b.name == "Europe")
        .collect();
    let one = block_on(count_pairs(
        &ctx, None, &out, d0, "features", &europe, current,
    ))
    .unwrap();
    let elsewhere = |j: usize| current[j].bucket == "Europe";
    let mut mixed =
        history::overlap(&out, d0, &previous, table, members, current, elsewhere).unwrap();
    assert_ne!(
        mixed.pairs, in_memory.pairs,
        "Europe's pairs left to the SQL"
    );
    one.add_to(&mut mixed, d0, &previous, current).unwrap();
    assert_eq!(mixed.pairs, in_memory.pairs);
    let mut names: Vec<&str> = buckets.iter().map(|b| b.name.as_str()).collect();
    names.sort();
    assert_eq!(engine.buckets.iter().collect::<Vec<_>>(), names);
    assert_eq!(names.len(), 2, "{names:?}");
    let mut ids: Vec<&str> = previous.iter().map(|s| s.id.as_str()).collect();
    let mut found: Vec<&str> = engine.previous_ids.iter().map(String::as_str).collect();
    ids.sort();
    found.sort();
    assert_eq!(found, ids, "every previous persona's members were read");
    // a test of the diagonal alone would pass with the personas in the wrong order
    let off_diagonal = by_sql.keys().filter(|(i, j)| i != j).count();
    assert!(off_diagonal > 0, "{by_sql:?}");
    let shared: usize = by_sql.values().sum();
    println!(
        "{} pairs of personas ({off_diagonal} off the diagonal), {shared} contacts shared",
        by_sql.len()
    );

    // a member without its contact id: the previous run's members file is named
    let file = out.join(format!("persona_members/run_date={d0}/part-0.parquet"));
    let batch = read_parquet(&file).remove(0);
    let contact = batch.schema().index_of("contact_id").unwrap();
    let mut columns = batch.columns().to_vec();
    let ids = columns[contact]
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap();
    let broken: StringArray = (0..ids.len())
        .map(|i| (i != 3).then(|| ids.value(i)))
        .collect();
    columns[contact] = Arc::new(broken);
    let broken = RecordBatch::try_new(batch.schema(), columns).unwrap();
    let mut writer =
        ArrowWriter::try_new(std::fs::File::create(&file).unwrap(), broken.schema(), None).unwrap();
    writer.write(&broken).unwrap();
    writer.close().unwrap();
    let err = block_on(count_pairs(
        &ctx, None, &out, d0, "features", &buckets, current,
    ))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains(&file.display().to_string()) && err.contains("without a contact id"),
        "{err}"
    );
}
