//! `persona_members` written from the engine's rows (what a cluster run does for the buckets
//! fitted on a sample): every bucket by SQL, or one by SQL merged with the members held for
//! the other, gives the very file the run published from the members in memory (contacts in
//! both the buyer and the user bucket included, and the engine's rows in many small batches);
//! members by SQL that are not the bucket's contacts are an error naming the bucket, and leave
//! no file behind.

use std::path::Path;

use datafusion::prelude::{SessionConfig, SessionContext};
use personas::cluster::Bucket;
use personas::pipeline::members::write_merged;

use crate::util::{block_on, run_date, Fixture};

#[test]
fn members_written_by_sql_are_the_file_written_from_memory() {
    let fx = Fixture::sample(2000, 4.0);
    // both buckets (buyers, users) fitted on a sample, every contact assigned by their SQL
    // (the sample pipeline's criteria: buying roles make the buckets)
    fx.edit_config(|c| {
        c + "\n[features]\ncriteria = [\"job_seniority\", \"company_size\", \"revenue\", \
             \"email_rating\"]\n\n[cluster]\nfit_contacts = 500\n\n[cluster.buckets]\n\
             column = \"buying_roles\"\n"
    });
    // every third end user also decides: in both buckets
    let crm = fx.path(&format!(
        "data/hubspot-crm-exports-all-contacts-{}.csv",
        run_date()
    ));
    let text = std::fs::read_to_string(&crm).unwrap();
    let text: Vec<String> = (text.lines().enumerate())
        .map(|(i, l)| match i % 3 {
            0 => l.replace(",\"End User\",", ",\"End User;Decision Maker\","),
            _ => l.to_string(),
        })
        .collect();
    std::fs::write(&crm, text.join("\n") + "\n").unwrap();
    let report = fx.run().unwrap();
    let (table, members, personas) = (&report.features, &report.members, &report.personas);
    let buckets: Vec<&Bucket> = report.buckets.iter().collect();
    assert_eq!(buckets.len(), 2);
    assert!(buckets.iter().all(|b| b.fitted < b.contacts));
    let both = buckets.iter().map(|b| b.contacts).sum::<usize>() - table.len();
    assert!(both > 0, "some contacts are in both buckets");

    let out = fx.path("out");
    let published = out.join(format!(
        "persona_members/run_date={}/part-0.parquet",
        run_date()
    ));
    // small batches: the merge carries on across the engine's batches
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_batch_size(97));
    let features = out.join(format!("contact_features/run_date={}/", run_date()));
    block_on(ctx.register_parquet("features", features.to_str().unwrap(), Default::default()))
        .unwrap();
    let date = run_date().to_string();
    let write = |path: &Path, by_sql: &[&Bucket]| {
        block_on(write_merged(
            &ctx,
            "features",
            path,
            &date,
            (table, members),
            by_sql,
            personas,
        ))
    };
    let bytes = |p: &Path| std::fs::read(p).unwrap();

    let all = fx.path("all.parquet");
    assert_eq!(write(&all, &buckets).unwrap(), members.len() as u64);
    assert!(bytes(&all) == bytes(&published), "every bucket by SQL");
    // whatever the order the buckets are given in
    let reversed: Vec<&Bucket> = buckets.iter().rev().copied().collect();
    let backwards = fx.path("reversed.parquet");
    write(&backwards, &reversed).unwrap();
    assert!(bytes(&backwards) == bytes(&published), "buckets reversed");
    for one in &buckets {
        let mixed = fx.path(&format!("{}.parquet", one.name));
        assert_eq!(write(&mixed, &[one]).unwrap(), members.len() as u64);
        assert!(bytes(&mixed) == bytes(&published), "{} by SQL", one.name);
    }

    // a bucket whose SQL does not give its contacts
    let mut wrong = report.buckets[1].clone();
    wrong.contacts += 1;
    let failed = fx.path("failed.parquet");
    let err = write(&failed, &[&wrong]).unwrap_err().to_string();
    assert!(err.contains(&format!("bucket {}", wrong.name)), "{err}");
    assert!(err.contains("its SQL gave"), "{err}");
    assert!(!failed.exists());
}
