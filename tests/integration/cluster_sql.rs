//! What a cluster run writes or counts by SQL for a bucket fitted on a sample, against what
//! the driver makes from the members it holds. `persona_members` written from the engine's
//! rows: every bucket by SQL, or one by SQL merged with the members held for the other, gives
//! the very file the run published from the members in memory (contacts in both the buyer and
//! the user bucket included, the engine's rows in many small batches); members by SQL that
//! are not the bucket's contacts are an error naming the bucket, and leave no file behind.
//! The funnel counted by SQL (contacts the funnel model lacks, null steps and buyer types
//! included) is the one counted from the members; a contact twice in the funnel model is an
//! error naming the model.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BooleanArray, RecordBatch, StringArray};
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use personas::cluster::Bucket;
use personas::features::FeatureTable;
use personas::pipeline::funnel::count_funnels;
use personas::pipeline::members::write_merged;
use personas::pipeline::RunReport;
use personas::profile::funnel::{member_counts, ContactFunnel, FunnelCounts};

use crate::util::{block_on, run_date, Fixture};

/// A sample pipeline of 2,000 contacts run with two buckets (buyers, users) both fitted on a
/// sample and every contact assigned by their SQL, some contacts in both; its fixture and run.
fn two_sampled_buckets() -> (Fixture, RunReport) {
    let fx = Fixture::sample(2000, 4.0);
    // the sample pipeline's criteria: buying roles make the buckets
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
    assert_eq!(report.buckets.len(), 2);
    assert!(report.buckets.iter().all(|b| b.fitted < b.contacts));
    let both = report.buckets.iter().map(|b| b.contacts).sum::<usize>() - report.features.len();
    assert!(both > 0, "some contacts are in both buckets");
    (fx, report)
}

/// An engine session with the run's published `contact_features` as the table `features`,
/// in batches of 97 rows (what is merged or counted carries on across batches).
fn features_session(fx: &Fixture) -> SessionContext {
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_batch_size(97));
    let features = fx.path(&format!("out/contact_features/run_date={}/", run_date()));
    block_on(ctx.register_parquet("features", features.to_str().unwrap(), Default::default()))
        .unwrap();
    ctx
}

#[test]
fn members_written_by_sql_are_the_file_written_from_memory() {
    let (fx, report) = two_sampled_buckets();
    let (table, members, personas) = (&report.features, &report.members, &report.personas);
    let buckets: Vec<&Bucket> = report.buckets.iter().collect();
    let published = fx.path(&format!(
        "out/persona_members/run_date={}/part-0.parquet",
        run_date()
    ));
    let ctx = features_session(&fx);
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

/// A funnel model of the run's contacts: every seventh contact left out, the others with
/// steps and a buyer type drawn from their row (some flags and types null); with `twice`, the
/// first contact in two rows. The table's batch, and each feature-table row's steps as the
/// driver reads them.
fn funnel_model(t: &FeatureTable, twice: bool) -> (RecordBatch, Vec<ContactFunnel>) {
    const KINDS: [Option<&str>; 5] = [
        Some("none"),
        Some("one_time"),
        Some("repeat"),
        Some("frequent"),
        None,
    ];
    let mut contacts = vec![ContactFunnel::default(); t.len()];
    let (mut ids, mut kinds) = (Vec::new(), Vec::new());
    let mut flags: [Vec<Option<bool>>; 5] = Default::default();
    for (row, c) in contacts.iter_mut().enumerate() {
        if row % 7 == 3 {
            continue;
        }
        let h = row.wrapping_mul(2_654_435_761) >> 7;
        let took: Vec<Option<bool>> = (0..5)
            .map(|s| (row % 11 != s).then_some(h >> s & 1 == 1))
            .collect();
        let kind = KINDS[h % 5];
        *c = ContactFunnel {
            visited: took[0] == Some(true),
            viewed_product: took[1] == Some(true),
            added_to_cart: took[2] == Some(true),
            began_checkout: took[3] == Some(true),
            purchased: took[4] == Some(true),
            buyer: kind.is_some_and(|k| k != "none"),
            repeat: matches!(kind, Some("repeat" | "frequent")),
        };
        let copies = if twice && ids.is_empty() { 2 } else { 1 };
        for _ in 0..copies {
            ids.push(t.contact_ids[row].clone());
            kinds.push(kind);
            for (f, v) in flags.iter_mut().zip(&took) {
                f.push(*v);
            }
        }
    }
    let mut columns: Vec<(&str, ArrayRef)> = vec![("contact_id", Arc::new(StringArray::from(ids)))];
    let names = [
        "visited",
        "viewed_product",
        "added_to_cart",
        "began_checkout",
        "purchased",
    ];
    for (name, f) in names.into_iter().zip(flags) {
        columns.push((name, Arc::new(BooleanArray::from(f))));
    }
    columns.push(("buyer_type", Arc::new(StringArray::from(kinds))));
    (RecordBatch::try_from_iter(columns).unwrap(), contacts)
}

#[test]
fn the_funnel_counted_by_sql_is_the_one_counted_from_the_members() {
    let (fx, report) = two_sampled_buckets();
    let (t, personas) = (&report.features, &report.personas);
    let buckets: Vec<&Bucket> = report.buckets.iter().collect();
    let ctx = features_session(&fx);
    let register = |name: &str, batch: RecordBatch| {
        let table = MemTable::try_new(batch.schema(), vec![vec![batch]]).unwrap();
        ctx.register_table(name, Arc::new(table)).unwrap();
    };
    let (batch, contacts) = funnel_model(t, false);
    register("funnel", batch);
    let expected = member_counts(&contacts, personas.len(), &report.members);
    let mut by_sql = block_on(count_funnels(
        &ctx, "features", "funnel", &buckets, personas,
    ))
    .unwrap();
    by_sql.sort_by_key(|(p, _)| *p);
    let got: Vec<FunnelCounts> = by_sql.iter().map(|(_, c)| *c).collect();
    assert_eq!(by_sql.len(), personas.len());
    assert_eq!(got, expected);
    // not a trivial funnel: every step reached by some and not by others, repeat buyers
    assert!(expected
        .iter()
        .all(|c| c.reached.iter().all(|&r| r > 0 && r < c.size)));
    assert!(expected.iter().all(|c| c.repeat > 0 && c.repeat < c.buyers));

    // a contact twice in the funnel model would count twice: an error naming the model
    let (batch, _) = funnel_model(t, true);
    register("funnel_twice", batch);
    let err = block_on(count_funnels(
        &ctx,
        "features",
        "funnel_twice",
        &buckets,
        personas,
    ))
    .unwrap_err()
    .to_string();
    assert!(err.contains("more than one row of funnel_twice"), "{err}");
}
