//! LinkedIn company page followers: the Marketing API `organizationalEntityFollowerStatistics`
//! response (`{"elements":[{"organizationalEntity":"urn:li:organization:…",
//! "followerCountsBySeniority":[{"seniority":"urn:li:seniority:5","followerCounts":
//! {"organicFollowerCount":…,"paidFollowerCount":…}}], "followerCountsByFunction":[…], …}]}`).
//! Aggregated, like the Meta audience: landed long in `raw_linkedin__follower_statistics`, one
//! row per (organization, facet, value) with its URN, a label (standard seniorities, functions,
//! staff-count ranges as our company-size bands, industries and countries by id; an unknown id
//! keeps its URN as label) and the organic and paid follower counts. An entry whose counts are
//! not whole numbers, or that names no value, is rejected with its JSON path and text.

use datafusion::arrow::datatypes::SchemaRef;
use serde_json::Value;
use tracing::info;

use super::{parse_json, top_level_list};
use crate::error::{Error, Result};
use crate::landing::{rows_schema, Counts, Reject, RowColumn};
use crate::sources::{land_documents, LandContext};

/// Schema of the landed follower statistics.
pub fn schema() -> SchemaRef {
    rows_schema(COLUMNS)
}

/// The landed follower statistics' columns.
const COLUMNS: &[RowColumn<Row>] = &[
    RowColumn::NullableText("organization", |r| r.organization.as_deref()),
    RowColumn::Text("facet", |r| &r.facet),
    RowColumn::Text("urn", |r| &r.urn),
    RowColumn::Text("label", |r| &r.label),
    RowColumn::Int("organic_followers", |r| r.organic),
    RowColumn::Int("paid_followers", |r| r.paid),
];

/// `urn:li:seniority:N`, N = 1..=10.
const SENIORITIES: [&str; 10] = [
    "Unpaid", "Training", "Entry", "Senior", "Manager", "Director", "VP", "CXO", "Partner", "Owner",
];

/// `urn:li:function:N`, N = 1..=26.
const FUNCTIONS: [&str; 26] = [
    "Accounting",
    "Administrative",
    "Arts and Design",
    "Business Development",
    "Community and Social Services",
    "Consulting",
    "Education",
    "Engineering",
    "Entrepreneurship",
    "Finance",
    "Healthcare Services",
    "Human Resources",
    "Information Technology",
    "Legal",
    "Marketing",
    "Media and Communication",
    "Military and Protective Services",
    "Operations",
    "Product Management",
    "Program and Project Management",
    "Purchasing",
    "Quality Assurance",
    "Real Estate",
    "Research",
    "Sales",
    "Support",
];

/// `urn:li:industry:N` of LinkedIn's industry codes, spelled as CRM exports spell them (the
/// industries of our B2B audience; other ids keep their URN).
const INDUSTRIES: &[(u32, &str)] = &[
    (3, "Computer Hardware"),
    (4, "Computer Software"),
    (5, "Computer Networking"),
    (6, "Internet"),
    (8, "Telecommunications"),
    (11, "Management Consulting"),
    (12, "Biotechnology"),
    (14, "Hospital & Health Care"),
    (15, "Pharmaceuticals"),
    (25, "Consumer Goods"),
    (27, "Retail"),
    (41, "Banking"),
    (42, "Insurance"),
    (43, "Financial Services"),
    (44, "Real Estate"),
    (46, "Investment Management"),
    (47, "Accounting"),
    (48, "Construction"),
    (53, "Automotive"),
    (67, "Primary/Secondary Education"),
    (68, "Higher Education"),
    (69, "Education Management"),
    (70, "Research"),
    (75, "Government Administration"),
    (80, "Marketing and Advertising"),
    (84, "Information Services"),
    (91, "Consumer Services"),
    (96, "Information Technology and Services"),
    (97, "Market Research"),
    (100, "Nonprofit Organization Management"),
    (104, "Staffing and Recruiting"),
    (116, "Logistics and Supply Chain"),
    (118, "Computer & Network Security"),
    (132, "E-Learning"),
    (133, "Wholesale"),
    (137, "Human Resources"),
];

/// `urn:li:geo:N` of countries, named as CRM exports name them.
const COUNTRIES: &[(u64, &str)] = &[
    (101165590, "United Kingdom"),
    (101174742, "Canada"),
    (101282230, "Germany"),
    (101355337, "Japan"),
    (101452733, "Australia"),
    (102454443, "Singapore"),
    (102713980, "India"),
    (102890719, "Netherlands"),
    (102890883, "China"),
    (103323778, "Mexico"),
    (103350119, "Italy"),
    (103644278, "United States"),
    (104738515, "Ireland"),
    (105015875, "France"),
    (105117694, "Sweden"),
    (105646813, "Spain"),
    (106057199, "Brazil"),
    (106693272, "Switzerland"),
];

/// LinkedIn's staff-count ranges as the company-size bands of `int_contact_features`.
fn company_size_band(range: &str) -> Option<&'static str> {
    Some(match range {
        "SIZE_1" | "SIZE_2_TO_10" => "1-10",
        "SIZE_11_TO_50" => "11-50",
        "SIZE_51_TO_200" => "51-200",
        "SIZE_201_TO_500" | "SIZE_501_TO_1000" => "201-1000",
        "SIZE_1001_TO_5000" => "1001-5000",
        "SIZE_5001_TO_10000" | "SIZE_10001_OR_MORE" => "5001+",
        _ => return None,
    })
}

/// The numeric id at the end of a URN of `kind` (`urn:li:seniority:5` -> 5).
fn urn_id(urn: &str, kind: &str) -> Option<u64> {
    urn.strip_prefix("urn:li:")?
        .strip_prefix(kind)?
        .strip_prefix(':')?
        .parse()
        .ok()
}

/// The label of a facet value; the value itself when the id is not a standard one.
fn label(facet: &str, value: &str) -> String {
    let by_index = |list: &[&'static str], kind: &str| {
        urn_id(value, kind)
            .and_then(|n| usize::try_from(n).ok()?.checked_sub(1))
            .and_then(|i| list.get(i).copied())
    };
    let found = match facet {
        "seniority" => by_index(&SENIORITIES, "seniority"),
        "function" => by_index(&FUNCTIONS, "function"),
        "industry" => urn_id(value, "industry").and_then(|n| {
            INDUSTRIES
                .iter()
                .find(|(id, _)| u64::from(*id) == n)
                .map(|(_, l)| *l)
        }),
        "geo_country" | "geo" => urn_id(value, "geo")
            .and_then(|n| COUNTRIES.iter().find(|(id, _)| *id == n).map(|(_, l)| *l)),
        "staff_count_range" => company_size_band(value),
        _ => None,
    };
    found.map_or_else(|| value.to_string(), str::to_string)
}

/// `followerCountsByStaffCountRange` -> `staff_count_range`.
fn facet_name(key: &str) -> Option<String> {
    let rest = key.strip_prefix("followerCountsBy")?;
    let mut out = String::new();
    for (i, c) in rest.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    (!out.is_empty()).then_some(out)
}

/// One landed entry.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    organization: Option<String>,
    facet: String,
    urn: String,
    label: String,
    organic: i64,
    paid: i64,
}

/// A count that must be a whole number (absent is 0, as the API omits zero paid counts).
fn count(counts: &Value, key: &str) -> std::result::Result<i64, String> {
    match counts.get(key) {
        None | Some(Value::Null) => Ok(0),
        Some(v) => v
            .as_i64()
            .filter(|n| *n >= 0)
            .ok_or_else(|| format!("{key} {v} is not a whole-number count")),
    }
}

/// One facet entry (`{"seniority":"urn:li:seniority:5","followerCounts":{…}}`).
fn entry(
    item: &Value,
    facet: &str,
    organization: Option<&str>,
) -> std::result::Result<Row, String> {
    let obj = item.as_object().ok_or("not an object")?;
    let (_, value) = obj
        .iter()
        .find(|(k, v)| k.as_str() != "followerCounts" && v.is_string())
        .ok_or("names no value (no URN or range next to followerCounts)")?;
    let urn = value.as_str().unwrap_or_default().to_string();
    let counts = obj
        .get("followerCounts")
        .filter(|c| c.is_object())
        .ok_or("no followerCounts object")?;
    Ok(Row {
        organization: organization.map(str::to_string),
        facet: facet.to_string(),
        label: label(facet, &urn),
        urn,
        organic: count(counts, "organicFollowerCount")?,
        paid: count(counts, "paidFollowerCount")?,
    })
}

/// Flatten one response; an entry that cannot be read becomes a reject.
fn flatten(doc: &Value, file: &str) -> Result<(Vec<Row>, Vec<Reject>, Counts)> {
    let what = "an organizationalEntityFollowerStatistics";
    let elements = top_level_list(doc, "elements", what, file)?;
    let (mut rows, mut rejects, mut counts) = (Vec::new(), Vec::new(), Counts::default());
    for (e, element) in elements.iter().enumerate() {
        let organization = element
            .get("organizationalEntity")
            .or_else(|| element.get("organization"))
            .and_then(Value::as_str);
        let Some(facets) = element.as_object() else {
            continue;
        };
        for (key, list) in facets {
            let Some(facet) = facet_name(key) else {
                continue;
            };
            for (i, item) in list.as_array().into_iter().flatten().enumerate() {
                match counts.tally(entry(item, &facet, organization)) {
                    Ok(row) => rows.push(row),
                    Err(why) => rejects.push(Reject::new(
                        file,
                        0,
                        item.to_string().as_bytes(),
                        format!("elements[{e}].{key}[{i}]: {why}"),
                    )),
                }
            }
        }
    }
    if counts.read == 0 {
        return Err(Error::BadInput {
            file: file.to_string(),
            reason: "no followerCountsBy… lists: expected lifetime follower statistics (a time-bound request returns follower gains, not demographics)".into(),
        });
    }
    Ok((rows, rejects, counts))
}

/// Parse and flatten one response document.
fn read(bytes: &[u8], label: &str, shown: &str) -> Result<(Vec<Row>, Vec<Reject>, Counts)> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let doc = parse_json(bytes, shown)?;
    flatten(&doc, label).map_err(|e| match e {
        Error::BadInput { reason, .. } => Error::BadInput {
            file: shown.to_string(),
            reason,
        },
        other => other,
    })
}

/// Read a whole response and count its entries (`personas validate`).
pub fn check_bytes(bytes: &[u8], file: &str) -> Result<String> {
    let (rows, _, counts) = read(bytes, file, file)?;
    let mut facets: Vec<&str> = rows.iter().map(|r| r.facet.as_str()).collect();
    facets.sort_unstable();
    facets.dedup();
    Ok(format!(
        "{} entries ({}), {} unreadable",
        counts.read,
        facets.join(", "),
        counts.rejected
    ))
}

/// Land every response file of the source as one Parquet part.
pub fn land(ctx: &LandContext<'_>) -> Result<(Counts, Vec<Reject>)> {
    land_documents(ctx, COLUMNS, read_file, |_| 0)
}

/// Read and flatten one response file; its rows are labelled `label`.
fn read_file(path: &std::path::Path, label: &str) -> Result<(Vec<Row>, Vec<Reject>, Counts)> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let read = read(&bytes, label, &path.display().to_string())?;
    info!(file = %path.display(), read = read.2.read, rejected = read.2.rejected,
        "Read LinkedIn follower statistics.");
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_from_standard_urns() {
        for (facet, value, expected) in [
            ("seniority", "urn:li:seniority:8", "CXO"),
            ("seniority", "urn:li:seniority:11", "urn:li:seniority:11"),
            ("function", "urn:li:function:8", "Engineering"),
            ("industry", "urn:li:industry:4", "Computer Software"),
            ("industry", "urn:li:industry:9999", "urn:li:industry:9999"),
            ("geo_country", "urn:li:geo:103644278", "United States"),
            ("staff_count_range", "SIZE_201_TO_500", "201-1000"),
            ("staff_count_range", "SIZE_10001_OR_MORE", "5001+"),
        ] {
            assert_eq!(label(facet, value), expected, "{facet} {value}");
        }
        for (key, expected) in [
            ("followerCountsByStaffCountRange", Some("staff_count_range")),
            ("followerCountsByGeoCountry", Some("geo_country")),
            ("organizationalEntity", None),
        ] {
            assert_eq!(facet_name(key).as_deref(), expected, "{key}");
        }
    }

    #[test]
    fn entries_and_rejects() {
        let doc: Value = serde_json::from_str(
            r#"{"paging":{"start":0,"count":10,"links":[]},"elements":[{
                "followerCountsBySeniority":[
                    {"seniority":"urn:li:seniority:5","followerCounts":{"organicFollowerCount":120,"paidFollowerCount":3}},
                    {"seniority":"urn:li:seniority:6","followerCounts":{"organicFollowerCount":"many","paidFollowerCount":0}}],
                "followerCountsByStaffCountRange":[
                    {"staffCountRange":"SIZE_11_TO_50","followerCounts":{"organicFollowerCount":40}}],
                "organizationalEntity":"urn:li:organization:2414183"}]}"#,
        )
        .unwrap();
        let (rows, rejects, counts) = flatten(&doc, "followers.json").unwrap();
        assert_eq!(counts.as_tuple(), (3, 2, 1));
        assert_eq!(rows[0].label, "Manager");
        assert_eq!((rows[0].organic, rows[0].paid), (120, 3));
        assert_eq!(
            rows[0].organization.as_deref(),
            Some("urn:li:organization:2414183")
        );
        assert_eq!((rows[1].label.as_str(), rows[1].paid), ("11-50", 0));
        assert!(
            rejects[0]
                .reason
                .starts_with("elements[0].followerCountsBySeniority[1]: organicFollowerCount"),
            "{}",
            rejects[0].reason
        );
        assert!(rejects[0].raw.contains("urn:li:seniority:6"));
    }
}
