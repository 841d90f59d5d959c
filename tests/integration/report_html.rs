//! The HTML persona report (`report/run_date=<date>/index.html`) on the bundled sample, run on
//! two dates with `min_persona_size = 200` (so one persona is flagged as too small; the sample
//! has a negative persona): checked against the `personas`, `persona_traits` and
//! `persona_trends` tables of the same run without a browser, then opened in headless Chromium
//! over the DevTools protocol (console, network, visible text, screenshots, print to PDF).
//!
//! Without Chromium the browser test prints a skip message, or fails when
//! `PERSONAS_REQUIRE_CHROMIUM=1` (CI). `PERSONAS_UPDATE_SCREENSHOT=1` copies the first card's
//! screenshot to `pipelines/sample/report.png` (the README's picture).

mod cdp;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::Float64Type;
use serde_json::json;

use crate::util::{block_on, read_parquet, strings};

const FIRST: &str = "2026-11-19";
const SECOND: &str = "2026-11-20";

/// The output folder of the two sample runs, made once for every test of this file.
fn scenario() -> &'static Path {
    static OUT: OnceLock<PathBuf> = OnceLock::new();
    OUT.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report_html");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("out");
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let config = root.join("pipelines/sample.toml");
        let text = std::fs::read_to_string(&config)
            .unwrap()
            .replace(
                "output_dir = \"../out/sample\"",
                &format!("output_dir = {:?}", out.display().to_string()),
            )
            .replace("min_persona_size = 30", "min_persona_size = 200");
        let pipeline = personas::config::Pipeline::parse(&text, &config).unwrap();
        for date in [FIRST, SECOND] {
            let opts = personas::pipeline::RunOptions::new(date.parse().unwrap());
            block_on(personas::pipeline::run(&pipeline, &opts)).unwrap();
        }
        out
    })
}

fn part(table: &str, date: &str) -> PathBuf {
    scenario().join(format!("{table}/run_date={date}/part-0.parquet"))
}

fn html(date: &str) -> String {
    std::fs::read_to_string(scenario().join(format!("report/run_date={date}/index.html"))).unwrap()
}

fn floats(path: &Path, column: &str) -> Vec<Option<f64>> {
    read_parquet(path)
        .iter()
        .flat_map(|b| {
            let a = b
                .column_by_name(column)
                .unwrap()
                .as_primitive::<Float64Type>();
            (0..a.len())
                .map(|i| a.is_valid(i).then(|| a.value(i)))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Every start tag of the page with its attributes, and the text right after it.
fn tags(html: &str) -> Vec<(BTreeMap<String, String>, String)> {
    let mut out = Vec::new();
    for chunk in html.split('<').skip(1) {
        let Some((tag, rest)) = chunk.split_once('>') else {
            continue;
        };
        let mut attrs = BTreeMap::new();
        let mut s = tag;
        while let Some(eq) = s.find("=\"") {
            let name = s[..eq].rsplit(' ').next().unwrap_or("").to_string();
            let value_end = s[eq + 2..].find('"').unwrap();
            attrs.insert(name, unescape(&s[eq + 2..eq + 2 + value_end]));
            s = &s[eq + 2 + value_end + 1..];
        }
        out.push((attrs, unescape(rest)));
    }
    out
}

/// The personas table of a run: id -> (name, share).
fn persona_rows(date: &str) -> Vec<(String, String, f64)> {
    let p = part("personas", date);
    let (ids, names, shares) = (
        strings(&p, "persona_id"),
        strings(&p, "persona_name"),
        floats(&p, "share"),
    );
    ids.into_iter()
        .zip(names)
        .zip(shares)
        .map(|((i, n), s)| (i.unwrap(), n.unwrap(), s.unwrap()))
        .collect()
}

#[test]
fn the_html_report_matches_the_tables_of_its_run() {
    for date in [FIRST, SECOND] {
        check_against_tables(date);
    }
}

fn check_against_tables(date: &str) {
    let page = html(date);
    let tags = tags(&page);
    let rows = persona_rows(date);
    // One card per persona of the table, in its order, with its name.
    let cards: Vec<&BTreeMap<String, String>> = tags
        .iter()
        .map(|t| &t.0)
        .filter(|a| {
            a.get("class")
                .is_some_and(|c| c == "card" || c.starts_with("card "))
        })
        .collect();
    let card_ids: Vec<&str> = cards
        .iter()
        .map(|a| a["data-persona-id"].as_str())
        .collect();
    let table_ids: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(card_ids, table_ids, "{date}");
    for (card, (id, name, _)) in cards.iter().zip(&rows) {
        assert_eq!(&card["data-persona-name"], name, "{id}");
        assert!(
            page.contains(&format!("<h2 class=\"name\">{name}</h2>")),
            "{name}"
        );
    }
    // Every share on the page is its persona's share in the table, shown with one decimal.
    let shares: BTreeMap<&str, f64> = rows.iter().map(|r| (r.0.as_str(), r.2)).collect();
    let mut shown = 0;
    for (a, text) in tags.iter().filter(|t| t.0.contains_key("data-share")) {
        let id = a["data-persona-id"].as_str();
        let share: f64 = a["data-share"].parse().unwrap();
        assert_eq!(Some(&share), shares.get(id), "{id} on {date}");
        assert_eq!(text, &format!("{:.1} %", share * 100.0), "{id}");
        shown += 1;
    }
    assert_eq!(
        shown,
        2 * rows.len(),
        "a share on each card and each overview tile"
    );
    check_traits(date, &tags);
    // This run's trend rows, one line each.
    let trends = part("persona_trends", date);
    let current: BTreeSet<String> = strings(&trends, "date")
        .iter()
        .zip(strings(&trends, "persona_id"))
        .filter(|(d, _)| d.as_deref() == Some(date))
        .map(|(_, id)| id.unwrap())
        .collect();
    let on_page: BTreeSet<String> = tags
        .iter()
        .filter_map(|t| t.0.get("data-trend-row").cloned())
        .collect();
    if date == SECOND {
        assert_eq!(on_page, current);
    } else {
        assert!(page.contains("This is the first run"));
    }
}

/// Every trait on the page is a row of `persona_traits` of the same run, with its values.
fn check_traits(date: &str, tags: &[(BTreeMap<String, String>, String)]) {
    let p = part("persona_traits", date);
    let (ids, features, levels) = (
        strings(&p, "persona_id"),
        strings(&p, "feature"),
        strings(&p, "level"),
    );
    let (values, bucket_values, audience) = (
        floats(&p, "persona_value"),
        floats(&p, "population_value"),
        floats(&p, "audience_share"),
    );
    let mut table = BTreeMap::new();
    for i in 0..ids.len() {
        let key = format!(
            "{}|{}|{}",
            ids[i].as_deref().unwrap(),
            features[i].as_deref().unwrap(),
            levels[i].as_deref().unwrap_or("")
        );
        table.insert(key, (values[i], bucket_values[i], audience[i]));
    }
    let mut per_persona: BTreeMap<String, usize> = BTreeMap::new();
    for (a, _) in tags.iter().filter(|t| t.0.contains_key("data-trait")) {
        let key = &a["data-trait"];
        let row = table
            .get(key)
            .unwrap_or_else(|| panic!("{key} is not in persona_traits of {date}"));
        let value = |name: &str| a[name].parse::<f64>().ok();
        assert_eq!(value("data-value"), row.0, "{key}");
        assert_eq!(value("data-bucket-value"), row.1, "{key}");
        if a.contains_key("data-audience") {
            assert_eq!(value("data-audience"), row.2, "{key}");
        }
        *per_persona
            .entry(key.split('|').next().unwrap().to_string())
            .or_default() += 1;
    }
    let rows = persona_rows(date);
    for (id, _, _) in &rows {
        assert!(
            per_persona.get(id).copied().unwrap_or(0) >= 5,
            "{id}: {per_persona:?}"
        );
    }
}

#[test]
fn the_html_report_shows_flags_do_not_target_and_trend_lines() {
    let page = html(SECOND);
    let p = part("personas", SECOND);
    let (names, flags, negative) = (
        strings(&p, "persona_name"),
        strings(&p, "flags"),
        read_parquet(&p)[0]
            .column_by_name("negative")
            .unwrap()
            .as_boolean()
            .clone(),
    );
    let sizes: Vec<u64> = read_parquet(&p)[0]
        .column_by_name("size")
        .unwrap()
        .as_primitive::<datafusion::arrow::datatypes::UInt64Type>()
        .values()
        .to_vec();
    let flagged: Vec<usize> = (0..names.len())
        .filter(|&i| {
            flags[i]
                .as_deref()
                .unwrap_or("")
                .contains("insufficient_sample")
        })
        .collect();
    assert!(
        !flagged.is_empty(),
        "min_persona_size = 200 flags a persona"
    );
    for i in flagged {
        let words = format!(
            "Too few people to trust: {} contacts, at least 200 needed.",
            sizes[i]
        );
        assert!(page.contains(&words), "{words}");
    }
    let negatives = (0..names.len()).filter(|&i| negative.value(i)).count();
    assert!(negatives >= 1, "the sample has a negative persona");
    assert_eq!(
        page.matches("<section class=\"card negative\"").count(),
        negatives
    );
    assert!(page.matches("⛔ Do not target").count() >= negatives);
    assert!(page.contains("match the do-not-target rule"));
    // A line per persona over the two runs.
    for id in strings(&p, "persona_id") {
        let line = format!("data-trend-persona=\"{}\"><polyline", id.unwrap());
        assert!(page.contains(&line), "{line}");
    }
    assert!(
        page.contains(&format!(">{FIRST}</text>")) && page.contains(&format!(">{SECOND}</text>"))
    );
}

#[test]
fn the_html_report_opens_in_headless_chromium() {
    let Some(chromium) = cdp::find_chromium() else {
        let required = std::env::var("PERSONAS_REQUIRE_CHROMIUM").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "PERSONAS_REQUIRE_CHROMIUM=1 but no Chromium found (run .ci/install-chromium, or set PERSONAS_CHROMIUM)"
        );
        eprintln!("skipped: no Chromium on the PATH (run .ci/install-chromium)");
        return;
    };
    let index = scenario().join(format!("report/run_date={SECOND}/index.html"));
    let url = format!("file://{}", index.display());
    let shots = scenario().parent().unwrap().join("shots");
    std::fs::create_dir_all(&shots).unwrap();
    let mut b = cdp::Browser::launch(&chromium, &shots.join("profile"));
    for domain in ["Page", "Runtime", "Log", "Network"] {
        b.call(&format!("{domain}.enable"), json!({}));
    }
    b.call(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 1200, "height": 900, "deviceScaleFactor": 1, "mobile": false}),
    );
    b.call("Page.navigate", json!({ "url": url }));
    assert!(b.wait_for("Page.loadEventFired", Duration::from_secs(30)));
    b.drain(Duration::from_millis(500));
    check_visible_text(&mut b);
    screenshots(&mut b, &shots);
    check_print(&mut b, &chromium, &shots, &url);
    check_quiet(&b, &url);
}

/// Every persona's name and share are visible text; so are the flags and the do-not-target mark.
fn check_visible_text(b: &mut cdp::Browser) {
    let text = b.eval("document.body.innerText");
    let text = text.as_str().unwrap();
    for (id, name, share) in persona_rows(SECOND) {
        let card = b.eval(&format!(
            "(() => {{ const c = document.getElementById('card-{id}'); const r = c.getBoundingClientRect();
               return {{ name: c.querySelector('.name').innerText, share: c.querySelector('.share-big').innerText,
                         visible: r.width > 0 && r.height > 0 && getComputedStyle(c).visibility === 'visible' }}; }})()"
        ));
        assert_eq!(card["name"], json!(name), "{id}");
        assert_eq!(
            card["share"],
            json!(format!("{:.1} %", share * 100.0)),
            "{id}"
        );
        assert_eq!(card["visible"], json!(true), "{id}");
        assert!(text.contains(&name), "{name} not in the visible text");
    }
    assert!(text.contains("Too few people to trust:"), "flag in words");
    assert!(text.contains("Do not target"), "do-not-target mark");
    let lines = b.eval("document.querySelectorAll('#trends polyline').length");
    assert!(lines.as_u64().unwrap() >= 2, "trend lines: {lines}");
}

/// The first card and the overview as PNGs; the card also as the README's picture when asked.
fn screenshots(b: &mut cdp::Browser, dir: &Path) {
    for (what, selector) in [("card", "section.card"), ("overview", "#overview")] {
        let rect = b.eval(&format!(
            "(() => {{ const r = document.querySelector('{selector}').getBoundingClientRect();
               return {{ x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height }}; }})()"
        ));
        let mut clip = rect.clone();
        clip["scale"] = json!(1);
        let shot = b.call(
            "Page.captureScreenshot",
            json!({"format": "png", "clip": clip, "captureBeyondViewport": true}),
        );
        let png = base64(shot["data"].as_str().unwrap());
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 20_000,
            "{what}: {} bytes",
            png.len()
        );
        std::fs::write(dir.join(format!("{what}.png")), &png).unwrap();
        if what == "card" && std::env::var("PERSONAS_UPDATE_SCREENSHOT").is_ok_and(|v| v == "1") {
            let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/sample/report.png");
            std::fs::write(readme, &png).unwrap();
        }
    }
}

/// Chromium's `--print-to-pdf` gives one page per card or fewer, beside the overview's pages
/// (measured by printing the page with the cards hidden).
fn check_print(b: &mut cdp::Browser, chromium: &Path, dir: &Path, url: &str) {
    let pdf = dir.join("report.pdf");
    let status = std::process::Command::new(chromium)
        .args(cdp::headless_flags(&dir.join("print-profile")))
        .arg("--no-pdf-header-footer")
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "{status}");
    let pages = cdp::pdf_pages(&std::fs::read(&pdf).unwrap());
    let cards = persona_rows(SECOND).len();
    let print = |b: &mut cdp::Browser| {
        let r = b.call(
            "Page.printToPDF",
            json!({"printBackground": true, "preferCSSPageSize": true}),
        );
        cdp::pdf_pages(&base64(r["data"].as_str().unwrap()))
    };
    let all = print(b);
    b.eval("document.head.insertAdjacentHTML('beforeend', '<style>@media print { section.card { display: none } }</style>')");
    let overview = print(b);
    assert!(
        (1..=3).contains(&overview),
        "overview and trends: {overview} pages"
    );
    assert!(
        pages >= cards && pages <= cards + overview,
        "--print-to-pdf: {pages} pages for {cards} cards and {overview} overview pages"
    );
    assert_eq!(all, cards + overview, "Page.printToPDF: one page per card");
}

/// No console error, no exception, and no request but the page itself.
fn check_quiet(b: &cdp::Browser, url: &str) {
    let mut problems = Vec::new();
    for e in &b.events {
        let p = &e["params"];
        match e["method"].as_str().unwrap_or("") {
            "Runtime.consoleAPICalled"
                if matches!(p["type"].as_str(), Some("error" | "assert")) =>
            {
                problems.push(format!("console: {p}"))
            }
            "Runtime.exceptionThrown" => problems.push(format!("exception: {p}")),
            "Log.entryAdded" if p["entry"]["level"] == "error" => {
                problems.push(format!("log: {p}"))
            }
            "Network.requestWillBeSent" => {
                let u = p["request"]["url"].as_str().unwrap_or("");
                if u != url && u != "about:blank" {
                    problems.push(format!("request: {u}"));
                }
            }
            _ => {}
        }
    }
    let requests = b
        .events
        .iter()
        .filter(|e| e["method"] == "Network.requestWillBeSent")
        .count();
    assert!(requests >= 1, "the page's own request is recorded");
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Standard base64 (the DevTools protocol's binary encoding).
fn base64(s: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let bytes: Vec<u8> = s
        .bytes()
        .filter(|&c| c != b'=' && !c.is_ascii_whitespace())
        .collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let n = chunk
            .iter()
            .fold(0u32, |acc, &c| acc << 6 | u32::from(value(c)))
            << (6 * (4 - chunk.len()));
        let got = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&got[..chunk.len().saturating_sub(1)]);
    }
    out
}
