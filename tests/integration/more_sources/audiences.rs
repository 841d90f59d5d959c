//! GA4 UI reports and LinkedIn follower statistics, landed and fed into the social audience.

use super::*;

/// Active users by level of one GA4 demographic or tech report.
const AGES: [(&str, u32); 7] = [
    ("18-24", 1184),
    ("25-34", 3306),
    ("35-44", 2711),
    ("45-54", 1452),
    ("55-64", 630),
    ("65+", 214),
    ("unknown", 977),
];
const GENDERS: [(&str, u32); 3] = [("female", 4213), ("male", 5507), ("unknown", 754)];
const DEVICES: [(&str, u32); 3] = [("desktop", 6911), ("mobile", 3290), ("tablet", 273)];

/// A GA4 UI CSV export of one dimension: comments, then a header and one row per level, each
/// metric derived from active users; `extra` rows are appended as written.
fn ga4_report(title: &str, dimension: &str, levels: &[(&str, u32)], extra: &[&str]) -> String {
    let mut s = format!(
        "# ----------------------------------------\n# {title}\n# Account: StackPilot\n# Property: stackpilot.io - GA4\n# ----------------------------------------\n#\n# All Users\n# Start date: 20261021\n# End date: 20261119\n{dimension},Active users,New users,Engaged sessions,Engagement rate\n"
    );
    for (level, users) in levels {
        let engaged = users * 13 / 10;
        s.push_str(&format!(
            "{level},{users},{},{engaged},{:.4}\n",
            users * 2 / 3,
            f64::from(engaged) / f64::from(users * 2)
        ));
    }
    for row in extra {
        s.push_str(row);
        s.push('\n');
    }
    s
}

/// The report files of the tests: age (with a row that cannot be typed), gender, device (with
/// a totals row) and a channel report with a second table; returns the rejected line's text.
pub(super) fn write_ga4_reports(dir: &Path) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).unwrap();
    let total: u32 = DEVICES.iter().map(|(_, n)| n).sum();
    let files = [
        (
            "ga4_demographics_age.csv",
            ga4_report("Demographic details: Age", "Age", &AGES, &["(other),n/a,3,4,0.5"]),
        ),
        (
            "ga4_demographics_gender.csv",
            ga4_report("Demographic details: Gender", "Gender", &GENDERS, &[]),
        ),
        (
            "ga4_tech_device.csv",
            ga4_report(
                "Tech details: Device category",
                "Device category",
                &DEVICES,
                &[&format!("Total,{total},{},{},0.6", total * 2 / 3, total * 13 / 10)],
            ),
        ),
        (
            "ga4_traffic_acquisition.csv",
            "# ----------------------------------------\n# Sessions by channel\n# Start date: 20261021\n# End date: 20261119\n\nSession primary channel group (Default Channel Group),Sessions,Key events\nOrganic Search,5120,133\nDirect,2210,41\nPaid Social,1804,12\nReferral,733,9\nEmail,512,27\n,10379,222\n\n# Sessions over time\nNth day,Sessions\n0000,341\n0001,352\n".to_string(),
        ),
    ];
    files
        .iter()
        .map(|(name, body)| {
            let p = dir.join(name);
            std::fs::write(&p, body).unwrap();
            p
        })
        .collect()
}

/// Share of `level` among `levels`.
fn share(levels: &[(&str, u32)], level: &str) -> f64 {
    let total: u32 = levels.iter().map(|(_, n)| n).sum();
    let n = levels.iter().find(|(l, _)| *l == level).unwrap().1;
    f64::from(n) / f64::from(total)
}

#[tokio::test]
async fn ga4_report_lands_long_rows_and_feeds_the_audience() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_ga4_reports(&dir.path().join("reports"));
    let report = land_files(&source("ga4_report"), files, &dir.path().join("landed")).unwrap();
    let data_rows = AGES.len() + 1 + GENDERS.len() + DEVICES.len() + 1 + 6 + 2;
    assert_eq!(report.counts.read as usize, data_rows);
    assert_eq!(report.counts.rejected, 1);
    let reject = &report.rejects[0];
    assert_eq!(
        (reject.file.as_str(), reject.line, reject.raw.as_str()),
        ("ga4_demographics_age.csv", 18, "(other),n/a,3,4,0.5")
    );
    assert!(
        reject
            .reason
            .contains("column \"Active users\": \"n/a\" is not a number"),
        "{}",
        reject.reason
    );

    let rows = landed(&report);
    let metrics_per_row = 4;
    let expected = (AGES.len() + GENDERS.len() + DEVICES.len() + 1) * metrics_per_row + 6 * 2 + 2;
    assert_eq!(rows.num_rows(), expected);
    let (dim, level, metric, value) = (
        text(&rows, "dimension"),
        text(&rows, "level"),
        text(&rows, "metric"),
        numbers(&rows, "value"),
    );
    let at = (0..rows.num_rows())
        .find(|&i| {
            level[i].as_deref() == Some("25-34") && metric[i].as_deref() == Some("Active users")
        })
        .unwrap();
    assert_eq!(dim[at].as_deref(), Some("Age"));
    assert_eq!(value[at], Some(3306.0));
    assert_eq!(text(&rows, "start_date")[at].as_deref(), Some("2026-10-21"));
    assert_eq!(text(&rows, "end_date")[at].as_deref(), Some("2026-11-19"));
    assert_eq!(
        text(&rows, "report")[at].as_deref(),
        Some("Demographic details: Age")
    );
    assert_eq!(text(&rows, "_source_line")[at].as_deref(), Some("12"));
    let totals = text(&rows, "is_total")
        .iter()
        .filter(|t| t.as_deref() == Some("true"))
        .count();
    assert_eq!(
        totals,
        metrics_per_row + 2,
        "the device total and the channel total"
    );

    let shares = audience(&[(SourceKind::Ga4Report, report.landed_dir.as_path())]).await;
    let get = |d: &str, l: &str| shares.get(&("ga4".into(), d.into(), l.into())).copied();
    assert!(close(
        get("age_band", "25-34").unwrap(),
        share(&AGES, "25-34")
    ));
    assert!(close(
        get("gender", "female").unwrap(),
        share(&GENDERS, "female")
    ));
    assert!(close(
        get("main_device", "mobile").unwrap(),
        share(&DEVICES, "mobile")
    ));
    let dims: std::collections::BTreeSet<&str> =
        shares.keys().map(|(_, d, _)| d.as_str()).collect();
    assert_eq!(
        dims.into_iter().collect::<Vec<_>>(),
        ["age_band", "gender", "main_device"],
        "channel groups and days describe no feature column"
    );
}

// LinkedIn follower statistics.

/// Organic and paid followers by seniority id.
const SENIORITIES: [(u32, i64, i64); 10] = [
    (1, 12, 0),
    (2, 31, 1),
    (3, 412, 8),
    (4, 986, 21),
    (5, 644, 15),
    (6, 337, 9),
    (7, 121, 4),
    (8, 92, 2),
    (9, 17, 0),
    (10, 63, 1),
];
const STAFF: [(&str, i64); 9] = [
    ("SIZE_1", 21),
    ("SIZE_2_TO_10", 148),
    ("SIZE_11_TO_50", 302),
    ("SIZE_51_TO_200", 417),
    ("SIZE_201_TO_500", 311),
    ("SIZE_501_TO_1000", 204),
    ("SIZE_1001_TO_5000", 383),
    ("SIZE_5001_TO_10000", 152),
    ("SIZE_10001_OR_MORE", 402),
];
const INDUSTRY_IDS: [(u32, i64); 6] = [
    (4, 911),
    (6, 297),
    (96, 508),
    (43, 203),
    (41, 148),
    (9999, 44),
];
const GEOS: [(u64, i64); 4] = [
    (103644278, 902),
    (101165590, 311),
    (101282230, 247),
    (90009, 52),
];

/// Entries of [`follower_statistics`]: one association type, three functions, and the tables.
pub(super) fn linkedin_entries() -> usize {
    1 + SENIORITIES.len() + 3 + INDUSTRY_IDS.len() + STAFF.len() + GEOS.len()
}

/// An `organizationalEntityFollowerStatistics` response, with one entry whose count is not a
/// number.
pub(super) fn follower_statistics() -> Value {
    let counts = |organic: i64, paid: i64| json!({"organicFollowerCount": organic, "paidFollowerCount": paid});
    json!({
        "paging": {"start": 0, "count": 10, "links": []},
        "elements": [{
            "followerCountsByAssociationType": [
                {"associationType": "EMPLOYEE", "followerCounts": counts(58, 0)}
            ],
            "followerCountsBySeniority": SENIORITIES.iter()
                .map(|(id, o, p)| json!({"seniority": format!("urn:li:seniority:{id}"), "followerCounts": counts(*o, *p)}))
                .collect::<Vec<_>>(),
            "followerCountsByFunction": [
                {"function": "urn:li:function:8", "followerCounts": counts(1204, 30)},
                {"function": "urn:li:function:13", "followerCounts": counts(702, 11)},
                {"function": "urn:li:function:25", "followerCounts": {"organicFollowerCount": "n/a", "paidFollowerCount": 2}}
            ],
            "followerCountsByIndustry": INDUSTRY_IDS.iter()
                .map(|(id, n)| json!({"industry": format!("urn:li:industry:{id}"), "followerCounts": counts(*n, 0)}))
                .collect::<Vec<_>>(),
            "followerCountsByStaffCountRange": STAFF.iter()
                .map(|(r, n)| json!({"staffCountRange": r, "followerCounts": counts(*n, 0)}))
                .collect::<Vec<_>>(),
            "followerCountsByGeoCountry": GEOS.iter()
                .map(|(id, n)| json!({"geo": format!("urn:li:geo:{id}"), "followerCounts": counts(*n, 0)}))
                .collect::<Vec<_>>(),
            "organizationalEntity": "urn:li:organization:2414183"
        }]
    })
}

#[tokio::test]
async fn linkedin_follower_statistics_land_labelled_and_feed_the_audience() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("follower_statistics.json");
    std::fs::write(
        &path,
        serde_json::to_vec_pretty(&follower_statistics()).unwrap(),
    )
    .unwrap();
    let report = land_files(
        &source("linkedin_follower_statistics"),
        vec![path],
        &dir.path().join("landed"),
    )
    .unwrap();
    let entries = linkedin_entries();
    assert_eq!(
        (report.counts.read as usize, report.counts.rejected),
        (entries, 1)
    );
    let reject = &report.rejects[0];
    assert_eq!(reject.file, "follower_statistics.json");
    assert!(
        reject
            .reason
            .starts_with("elements[0].followerCountsByFunction[2]: organicFollowerCount"),
        "{}",
        reject.reason
    );
    assert!(reject.raw.contains("urn:li:function:25"), "{}", reject.raw);

    let rows = landed(&report);
    assert_eq!(rows.num_rows(), entries - 1);
    let labels: BTreeMap<String, String> = text(&rows, "urn")
        .into_iter()
        .zip(text(&rows, "label"))
        .map(|(u, l)| (u.unwrap(), l.unwrap()))
        .collect();
    for (urn, label) in [
        ("urn:li:seniority:8", "CXO"),
        ("urn:li:seniority:4", "Senior"),
        ("urn:li:function:8", "Engineering"),
        ("urn:li:industry:96", "Information Technology and Services"),
        ("urn:li:industry:9999", "urn:li:industry:9999"),
        ("urn:li:geo:101165590", "United Kingdom"),
        ("SIZE_501_TO_1000", "201-1000"),
    ] {
        assert_eq!(labels[urn], label, "{urn}");
    }
    assert!(text(&rows, "organization")
        .iter()
        .all(|o| o.as_deref() == Some("urn:li:organization:2414183")));

    let shares = audience(&[(
        SourceKind::LinkedinFollowerStatistics,
        report.landed_dir.as_path(),
    )])
    .await;
    let get = |d: &str, l: &str| shares[&("linkedin".to_string(), d.to_string(), l.to_string())];
    let followers = |ids: &[u32]| -> i64 {
        SENIORITIES
            .iter()
            .filter(|(id, ..)| ids.contains(id))
            .map(|(_, o, p)| o + p)
            .sum()
    };
    let all = followers(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) as f64;
    assert!(close(
        get("job_seniority", "executive"),
        followers(&[8, 9, 10]) as f64 / all
    ));
    assert!(close(
        get("job_seniority", "director"),
        followers(&[6, 7]) as f64 / all
    ));
    assert!(close(
        get("job_seniority", "individual_contributor"),
        followers(&[4]) as f64 / all
    ));
    let staff: i64 = STAFF.iter().map(|(_, n)| n).sum();
    assert!(close(
        get("company_size", "201-1000"),
        (311 + 204) as f64 / staff as f64
    ));
    assert!(close(
        get("company_size", "5001+"),
        (152 + 402) as f64 / staff as f64
    ));
    let industries: i64 = INDUSTRY_IDS.iter().map(|(_, n)| n).sum();
    assert!(close(
        get("industry", "Computer Software"),
        911.0 / industries as f64
    ));
    assert!(close(get("industry", "unknown"), 44.0 / industries as f64));
    let geos: i64 = GEOS.iter().map(|(_, n)| n).sum();
    assert!(close(get("country", "United States"), 902.0 / geos as f64));
    assert!(
        !shares
            .keys()
            .any(|(_, d, _)| d == "function" || d == "association_type"),
        "facets without a feature column stay out of the mart"
    );
}

// Mailchimp zip, and the new sources in a whole run.
