//! Zipped Mailchimp exports, a run over every audience source, and `validate` on remote stores.

use super::audiences::{follower_statistics, linkedin_entries, write_ga4_reports};
use super::*;

/// Zip the generator's Mailchimp files as Mailchimp delivers them (plus macOS metadata), with
/// a row whose email is not an email appended to the unsubscribed file.
fn mailchimp_zip(fx: &Fixture, zip_path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut members = Vec::new();
    let mut files = walk(&fx.path("data/mailchimp"));
    files.sort();
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let mut body = std::fs::read(&f).unwrap();
        if name.starts_with("unsubscribed") {
            let columns = String::from_utf8_lossy(&body)
                .lines()
                .next()
                .unwrap()
                .split(',')
                .count();
            body.extend_from_slice(format!("not-an-email{}\n", ",".repeat(columns - 1)).as_bytes());
            std::fs::write(&f, &body).unwrap();
        }
        members.push((name, body));
    }
    let mut zip = zip::ZipWriter::new(std::fs::File::create(zip_path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, body) in &members {
        zip.start_file(name.as_str(), options).unwrap();
        zip.write_all(body).unwrap();
    }
    zip.start_file("__MACOSX/._subscribed_members_export_x.csv", options)
        .unwrap();
    zip.write_all(b"\x00\x05\x16\x07").unwrap();
    zip.finish().unwrap();
    members
}

#[test]
fn mailchimp_zip_lands_like_its_csvs() {
    let fx = Fixture::sample(80, 2.0);
    let zip_path = fx.path("data/members_export_5f3a9c.zip");
    let members = mailchimp_zip(&fx, &zip_path);
    let src = source("mailchimp_members");
    let mut csvs = walk(&fx.path("data/mailchimp"));
    csvs.sort();
    let from_csv = land_files(&src, csvs, &fx.path("landed/csv")).unwrap();
    let from_zip = land_files(&src, vec![zip_path], &fx.path("landed/zip")).unwrap();
    assert_eq!(from_csv.counts, from_zip.counts);
    assert_eq!(from_zip.counts.rejected, 1);
    let unsub = members
        .iter()
        .find(|(n, _)| n.starts_with("unsubscribed"))
        .unwrap();
    let reject = &from_zip.rejects[0];
    assert_eq!(
        reject.file,
        format!("members_export_5f3a9c.zip!/{}", unsub.0)
    );
    let last_line = String::from_utf8_lossy(&unsub.1).lines().count() as u64;
    assert_eq!(reject.line, last_line);
    assert!(reject.reason.contains("not-an-email"), "{}", reject.reason);

    let (a, b) = (landed(&from_csv), landed(&from_zip));
    assert_eq!(a.schema(), b.schema());
    for (i, field) in a.schema().fields().iter().enumerate() {
        match field.name().as_str() {
            "_source_file" => {
                let a = text(&a, "_source_file");
                let b = text(&b, "_source_file");
                for (x, y) in a.iter().zip(&b) {
                    assert_eq!(
                        y.as_deref().unwrap(),
                        format!("members_export_5f3a9c.zip!/{}", x.as_deref().unwrap())
                    );
                }
            }
            "_loaded_at" => {}
            name => assert!(a.column(i) == b.column(i), "column {name} differs"),
        }
    }
    // A zip without a CSV is an input error naming the archive.
    let empty = fx.path("data/empty.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&empty).unwrap());
    zip.start_file("README.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(b"exported from Mailchimp").unwrap();
    zip.finish().unwrap();
    let err = land_files(&src, vec![empty], &fx.path("landed/empty")).unwrap_err();
    assert!(
        err.to_string().contains("empty.zip") && err.to_string().contains("README.txt"),
        "{err}"
    );
}

#[test]
fn personas_are_compared_with_the_web_and_linkedin_audiences() {
    let fx = Fixture::sample(300, 4.0);
    write_ga4_reports(&fx.path("data/ga4_reports"));
    std::fs::create_dir_all(fx.path("data/linkedin")).unwrap();
    std::fs::write(
        fx.path("data/linkedin/follower_statistics.json"),
        follower_statistics().to_string(),
    )
    .unwrap();
    mailchimp_zip(&fx, &fx.path("data/members_export_5f3a9c.zip"));
    fx.edit_config(|c| {
        let config = c.replace(
            "data/mailchimp/*_members_export_*.csv",
            "data/members_export_5f3a9c.zip",
        );
        format!(
            "{config}\n[[sources]]\nname = \"web_reports\"\nkind = \"ga4_report\"\npath = \"data/ga4_reports/*.csv\"\nmax_reject_pct = 10\n\n[[sources]]\nname = \"linkedin\"\nkind = \"linkedin_follower_statistics\"\npath = \"data/linkedin/follower_statistics.json\"\nmax_reject_pct = 10\n"
        )
    });
    // `validate` checks each new input in place: the zip's members, each report, the response.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pipeline = Pipeline::load(&fx.config).unwrap();
    let checked = rt
        .block_on(personas::sources::validate::report(&pipeline))
        .unwrap();
    for expected in [
        "members_export_5f3a9c.zip: zip of 3 CSVs, all required columns present",
        "ga4_tech_device.csv: report \"Tech details: Device category\": dimension \"Device category\"",
        format!("follower_statistics.json: {} entries", linkedin_entries()).as_str(),
    ] {
        assert!(checked.contains(expected), "{expected:?} not in\n{checked}");
    }
    let report = fx.run().unwrap();
    let counts = |name: &str| {
        report
            .sources
            .iter()
            .find(|s| s.name == name)
            .unwrap()
            .counts
    };
    assert_eq!(counts("email").rejected, 1);
    assert_eq!(counts("web_reports").rejected, 1);
    assert_eq!(counts("linkedin").rejected, 1);

    // What the run compared each persona with: the audience of the source that has the trait.
    let landing = |table: &str| fx.path(&format!("out/landing/{table}/run_date=2026-11-20"));
    let shares = rt.block_on(audience(&[
        (SourceKind::Ga4Report, landing("raw_ga4__report").as_path()),
        (
            SourceKind::LinkedinFollowerStatistics,
            landing("raw_linkedin__follower_statistics").as_path(),
        ),
        (
            SourceKind::MetaPageInsights,
            landing("raw_meta__page_insights").as_path(),
        ),
    ]));
    let traits = read_parquet(&fx.path("out/persona_traits/run_date=2026-11-20/part-0.parquet"));
    let mut compared = BTreeMap::new();
    for b in &traits {
        let (f, l, s) = (
            text(b, "feature"),
            text(b, "level"),
            numbers(b, "audience_share"),
        );
        for i in 0..b.num_rows() {
            if let (Some(f), Some(l), Some(s)) = (&f[i], &l[i], s[i]) {
                compared.insert((f.clone(), l.clone()), s);
            }
        }
    }
    let expect = |source: &str, dim: &str, level: &str| {
        let want = shares[&(source.to_string(), dim.to_string(), level.to_string())];
        let got = compared.get(&(dim.to_string(), level.to_string()));
        assert!(
            got.is_some_and(|g| close(*g, want)),
            "{dim}={level}: {got:?} vs {source} {want}"
        );
    };
    expect("linkedin", "job_seniority", "executive");
    expect("linkedin", "company_size", "1-10");
    expect("ga4", "main_device", "desktop");
    // Meta and GA4 both count genders; the social audience's share is the one kept.
    assert!(shares.contains_key(&("ga4".into(), "gender".into(), "female".into())));
    expect("meta", "gender", "female");
}

// `personas validate` on remote sources.

#[tokio::test]
async fn validate_reaches_s3_lists_files_and_checks_headers() {
    let fx = Fixture::sample(40, 2.0);
    let zip_path = fx.path("members_export_5f3a9c.zip");
    mailchimp_zip(&fx, &zip_path);
    let reports = write_ga4_reports(&fx.path("reports"));
    let mut ga4_days = walk(&fx.path("data/ga4"));
    ga4_days.sort();
    let extract = fx.path("events_20261120.parquet");
    write_extract(
        &std::fs::read(ga4_days.last().unwrap()).unwrap(),
        bigquery_schema(DataType::Int64),
        &extract,
    );
    let moto = Moto::start();
    let bucket = "validate-exports";
    let s3 = moto.bucket(bucket).await;
    let objects = [
        ("crm/contacts.csv", fx.crm_export()),
        ("email/members_export_5f3a9c.zip", zip_path),
        ("web/events_20261120.parquet", extract),
        ("reports/ga4_demographics_age.csv", reports[0].clone()),
        ("reports/ga4_tech_device.csv", reports[2].clone()),
    ];
    let mut sizes = BTreeMap::new();
    for (key, file) in &objects {
        let body = std::fs::read(file).unwrap();
        sizes.insert(*key, body.len());
        s3.put(&ObjectPath::from(*key), body.into()).await.unwrap();
    }
    let linkedin = follower_statistics().to_string();
    let http = HttpServer::start(vec![Reply::ok(linkedin.as_bytes())]);
    let store = |endpoint: &str| {
        format!("[sources.store]\nendpoint = \"{endpoint}\"\npath_style = true\nallow_http = true\nretries = 1\ntimeout_secs = 5\n")
    };
    let config = |endpoint: &str, crm_key: &str| {
        format!(
            "name = \"remote\"\noutput_dir = \"out\"\n\n\
[[sources]]\nname = \"crm\"\nkind = \"hubspot_contacts\"\npath = \"s3://{bucket}/{crm_key}\"\n{s}\n\
[[sources]]\nname = \"email\"\nkind = \"mailchimp_members\"\npath = \"s3://{bucket}/email/*.zip\"\n{s}\n\
[[sources]]\nname = \"web\"\nkind = \"ga4_events\"\npath = \"s3://{bucket}/web/events_*.parquet\"\n{s}\n\
[[sources]]\nname = \"reports\"\nkind = \"ga4_report\"\npath = \"s3://{bucket}/reports/*.csv\"\n{s}\n\
[[sources]]\nname = \"linkedin\"\nkind = \"linkedin_follower_statistics\"\npath = \"{}\"\n",
            http.url("/linkedin/follower_statistics.json"),
            s = store(endpoint),
        )
    };
    let path = fx.path("remote.toml");
    let pipeline = Pipeline::parse(&config(&moto.endpoint, "crm/contacts.csv"), &path).unwrap();
    let out = personas::sources::validate::report(&pipeline)
        .await
        .unwrap();
    let line = |key: &str| {
        let origin = format!("s3://{bucket}/{key} ({} bytes): ", sizes[key]);
        out.lines()
            .find(|l| l.trim_start().starts_with(&origin))
            .unwrap_or_else(|| panic!("no line for {origin} in\n{out}"))
            .to_string()
    };
    assert!(
        line("crm/contacts.csv").ends_with("columns, all required ones present"),
        "{out}"
    );
    let zip = line("email/members_export_5f3a9c.zip");
    assert!(
        zip.contains("zip of 3 CSVs")
            && zip.contains("members_export_5f3a9c.zip!/subscribed_members_export_"),
        "{zip}"
    );
    for (key, says) in [
        ("web/events_20261120.parquet", "GA4 event columns present"),
        (
            "reports/ga4_tech_device.csv",
            "dimension \"Device category\"",
        ),
    ] {
        assert!(line(key).contains(says), "{out}");
    }
    let entries = format!("{} entries", linkedin_entries());
    for says in [
        "source reports    ga4_report: 2 files",
        "follower_statistics.json",
        entries.as_str(),
    ] {
        assert!(out.contains(says), "{out}");
    }
    assert_eq!(http.seen().len(), 1);
    assert!(!fx.path("out").exists(), "validate wrote nothing");

    // A CSV without a required column fails as it would locally, naming the object.
    let mut broken = std::fs::read_to_string(fx.crm_export()).unwrap();
    broken = broken.replacen("\"Email\",", "\"E-mail\",", 1);
    s3.put(
        &ObjectPath::from("crm/broken.csv"),
        broken.into_bytes().into(),
    )
    .await
    .unwrap();
    let pipeline = Pipeline::parse(&config(&moto.endpoint, "crm/broken.csv"), &path).unwrap();
    let err = personas::sources::validate::report(&pipeline)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::MissingColumn { ref column, .. } if column == "Email"),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("s3://validate-exports/crm/broken.csv"),
        "{err}"
    );

    // An endpoint where nothing listens is the run's Unreachable error.
    let dead = format!("http://127.0.0.1:{}", free_port());
    let pipeline = Pipeline::parse(&config(&dead, "crm/contacts.csv"), &path).unwrap();
    let err = personas::sources::validate::report(&pipeline)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unreachable { .. }), "{err}");
    assert_eq!(err.exit_code(), 4);
    assert!(
        err.to_string()
            .contains(&format!("s3://{bucket}/crm/contacts.csv")),
        "{err}"
    );
}
