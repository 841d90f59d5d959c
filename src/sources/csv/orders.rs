//! Order exports: the Shopify admin orders export ([`SHOPIFY_ORDERS`]) and any shop's orders CSV
//! read through a column mapping ([`CSV_ORDERS`], [`spec`]). Orders are not contacts: the SQL
//! (`stg_shopify__order_lines`, `stg_csv__orders`, `int_orders`) makes one row per order and
//! `int_contact_orders` matches orders to the CRM contacts by id or email.
//!
//! A Shopify export has one row per line item. The order-level fields (financial status,
//! totals, discount, refunded amount, addresses) are only on an order's first row and blank on
//! its other rows, so a blank total or status is not a reject; a cell that is there must have
//! its shape: money as numbers, times with their UTC offset (`2026-10-07 09:50:26 +0200`, landed
//! in UTC as `2026-10-07 07:50:26`). Zip codes lose the leading `'` Excel's "keep as text" trick
//! leaves (`'75008`). A point-of-sale order may have no email: it lands (and matches no contact).
//! Every other column of the export is kept as written.

use super::checks::{Check, EXPORT_DATETIME_FORMATS, EXPORT_DATE_FORMATS};
use super::mapping::{required_mapping, DEFAULT_DATETIME_FORMAT, DEFAULT_DATE_FORMAT};
use super::{CsvPreset, CsvSpec};
use crate::config::{OrderColumns, SourceColumns, SourceConfig};
use crate::error::Result;

/// The Shopify export's columns the SQL reads, in landed order: [`SHOPIFY_REQUIRED`] and the
/// optional ones (empty where a file lacks them).
const SHOPIFY_COLUMNS: &[&str] = &[
    "Name",
    "Email",
    "Financial Status",
    "Paid at",
    "Fulfillment Status",
    "Fulfilled at",
    "Currency",
    "Subtotal",
    "Shipping",
    "Taxes",
    "Total",
    "Discount Code",
    "Discount Amount",
    "Created at",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
    "Lineitem sku",
    "Lineitem discount",
    "Billing Zip",
    "Billing Country",
    "Shipping Zip",
    "Shipping Country",
    "Cancelled at",
    "Refunded Amount",
    "Vendor",
    "Source",
    "Id",
];

/// The columns every Shopify orders export must have: the order, its buyer, status, time and
/// total, and each line's quantity, name and price.
const SHOPIFY_REQUIRED: &[&str] = &[
    "Name",
    "Email",
    "Financial Status",
    "Created at",
    "Total",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
];

/// Shopify admin orders export (Orders > Export, "CSV for Excel" or "Plain CSV").
pub static SHOPIFY_ORDERS: CsvPreset = CsvPreset::export(
    "Shopify orders export",
    SHOPIFY_REQUIRED,
    SHOPIFY_COLUMNS,
    &[
        ("Name", Check::RequiredText),
        ("Email", Check::Email),
        ("Paid at", Check::OffsetDateTime),
        ("Fulfilled at", Check::OffsetDateTime),
        ("Created at", Check::OffsetDateTime),
        ("Cancelled at", Check::OffsetDateTime),
        ("Subtotal", Check::Number),
        ("Shipping", Check::Number),
        ("Taxes", Check::Number),
        ("Total", Check::Number),
        ("Discount Amount", Check::Number),
        ("Refunded Amount", Check::Number),
        ("Lineitem quantity", Check::Number),
        ("Lineitem price", Check::Number),
        ("Lineitem discount", Check::Number),
        ("Billing Zip", Check::Zip),
        ("Shipping Zip", Check::Zip),
    ],
)
.normalised(EXPORT_DATE_FORMATS, EXPORT_DATETIME_FORMATS);

/// A shop's orders CSV, after the mapping: one column per order field.
pub static CSV_ORDERS: CsvPreset = CsvPreset::export(
    "orders CSV",
    &["order_id", "ordered_at", "amount"],
    &OrderColumns::FIELDS,
    &[
        ("order_id", Check::RequiredText),
        ("email", Check::Email),
        ("ordered_at", Check::RequiredDateTime),
        ("amount", Check::RequiredNumber),
        ("discount", Check::Number),
        ("refunded", Check::Number),
    ],
)
.normalised(&[DEFAULT_DATE_FORMAT], &[DEFAULT_DATETIME_FORMAT]);

/// How an `orders_csv` source's files are read: its dialect, order mapping and date formats.
pub fn spec(source: &SourceConfig) -> Result<CsvSpec<'static>> {
    let mapped = source.columns.as_ref().and_then(SourceColumns::orders);
    required_mapping(source, &CSV_ORDERS, mapped.map(|c| c.mapped()), "order")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::landing::Reject;
    use crate::output::parquet::ParquetTable;
    use crate::output::PART;
    use crate::sources::{land, LandContext};

    /// Land `text` as a file named `file` of a source configured by `config` (the lines after
    /// `name`): the landed table, the rejects and the rows accepted.
    fn land_text(config: &str, file: &str, text: &str) -> (ParquetTable, Vec<Reject>, u64) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(file);
        std::fs::write(&path, text).unwrap();
        let source: SourceConfig =
            toml::from_str(&format!("name = \"shop\"\npath = \"{file}\"\n{config}")).unwrap();
        let landed_dir = dir.path().join("landed");
        let report = land(&LandContext {
            source: &source,
            files: vec![path],
            landed_dir: landed_dir.clone(),
            loaded_at: chrono::Utc::now(),
            hashes: Default::default(),
        })
        .unwrap();
        let table = ParquetTable::read(&landed_dir.join(PART)).unwrap();
        let c = report.counts;
        assert_eq!(c.read, c.accepted + c.rejected);
        (table, report.rejects, c.accepted)
    }

    fn texts(table: &ParquetTable, column: &str) -> Vec<Option<String>> {
        table.strings(column).unwrap()
    }

    fn some(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    /// A Shopify export cut to its usual first columns and a few more, in the tool's order.
    const SHOPIFY_HEADER: &str = "Name,Email,Financial Status,Paid at,Currency,Subtotal,Total,\
        Discount Code,Discount Amount,Created at,Lineitem quantity,Lineitem name,Lineitem price,\
        Billing Zip,Billing Country,Refunded Amount,Payment Method,Source\n";

    #[test]
    fn a_multi_line_shopify_order_lands_line_by_line_in_utc() {
        let text = format!(
            "{SHOPIFY_HEADER}\
            #1041,Ines.Moreau@example.fr,paid,2026-10-07 09:50:26 +0200,EUR,53.91,53.91,WELCOME10,5.99,2026-10-07 09:50:26 +0200,1,Linen shirt - M,39.90,'75008,FR,0.00,Shopify Payments,web\n\
            #1041,Ines.Moreau@example.fr,,,,,,,,2026-10-07 09:50:26 +0200,2,Cotton socks,10.00,,,,,\n\
            #1044,,paid,2026-11-05 15:31:40 +0100,EUR,25.00,25.00,,0.00,2026-11-05 15:31:40 +0100,1,Tote bag,25.00,,,0.00,Cash,pos\n"
        );
        let (table, rejects, accepted) =
            land_text("kind = \"shopify_orders\"", "orders_export_1.csv", &text);
        assert!(rejects.is_empty(), "{rejects:?}");
        // One row per line item; the point-of-sale order without an email lands too.
        assert_eq!(accepted, 3);
        assert_eq!(
            texts(&table, "Name"),
            [some("#1041"), some("#1041"), some("#1044")]
        );
        assert_eq!(texts(&table, "Email")[2], None);
        // Order-level fields are blank (null) on an order's later lines, not rejects.
        assert_eq!(texts(&table, "Total"), [some("53.91"), None, some("25.00")]);
        assert_eq!(texts(&table, "Financial Status")[1], None);
        assert_eq!(
            texts(&table, "Lineitem quantity"),
            [some("1"), some("2"), some("1")]
        );
        // Times land in UTC, whatever their offset.
        assert_eq!(
            texts(&table, "Created at"),
            [
                some("2026-10-07 07:50:26"),
                some("2026-10-07 07:50:26"),
                some("2026-11-05 14:31:40")
            ]
        );
        assert_eq!(texts(&table, "Paid at")[0], some("2026-10-07 07:50:26"));
        // Excel's text marker is dropped from zips; columns the SQL does not read are kept.
        assert_eq!(texts(&table, "Billing Zip")[0], some("75008"));
        assert_eq!(texts(&table, "Payment Method")[2], some("Cash"));
        // Optional columns the file lacks land empty, so the SQL can read them.
        assert_eq!(texts(&table, "Cancelled at"), [None, None, None]);
    }

    #[test]
    fn a_bad_shopify_total_or_time_is_a_reject_naming_line_column_and_value() {
        let text = format!(
            "{SHOPIFY_HEADER}\
            #1050,a@example.com,paid,,EUR,10.00,10.00,,0.00,2026-10-07 09:50:26 +0200,1,Cap,10.00,,,0.00,,web\n\
            #1051,b@example.com,paid,,EUR,12.00,12 EUR,,0.00,2026-10-07 09:50:26 +0200,1,Cap,12.00,,,0.00,,web\n\
            #1052,c@example.com,paid,,EUR,12.00,12.00,,0.00,2026-10-07 09:50:26,1,Cap,12.00,,,0.00,,web\n\
            ,d@example.com,paid,,EUR,12.00,12.00,,0.00,2026-10-07 09:50:26 +0200,1,Cap,12.00,,,0.00,,web\n"
        );
        let (table, rejects, accepted) =
            land_text("kind = \"shopify_orders\"", "orders_export_1.csv", &text);
        assert_eq!(accepted, 1);
        assert_eq!(rejects.len(), 3, "{rejects:?}");
        let at = |line: u64| rejects.iter().find(|r| r.line == line).unwrap();
        assert_eq!(at(3).file, "orders_export_1.csv");
        let why = &at(3).reason;
        assert!(why.contains("\"Total\"") && why.contains("12 EUR"), "{why}");
        let why = &at(4).reason;
        assert!(
            why.contains("\"Created at\"") && why.contains("+0200"),
            "{why}"
        );
        let why = &at(5).reason;
        assert!(why.contains("\"Name\"") && why.contains("empty"), "{why}");
        assert_eq!(texts(&table, "Name"), [some("#1050")]);
    }

    #[test]
    fn a_shopify_export_without_a_line_item_column_is_named() {
        let spec = CsvSpec::new(&SHOPIFY_ORDERS);
        let header: Vec<String> = SHOPIFY_HEADER
            .trim()
            .split(',')
            .filter(|c| *c != "Lineitem price")
            .map(String::from)
            .collect();
        assert_eq!(spec.missing_column(&header), Some("Lineitem price".into()));
        for r in SHOPIFY_ORDERS.required {
            assert!(SHOPIFY_ORDERS.columns.contains(r), "{r}");
        }
        for (c, _) in SHOPIFY_ORDERS.checks.iter().chain(CSV_ORDERS.checks) {
            assert!(
                SHOPIFY_ORDERS.columns.contains(c) || CSV_ORDERS.columns.contains(c),
                "{c}"
            );
        }
    }

    #[test]
    fn an_orders_csv_lands_under_the_order_fields_with_rejects() {
        let config = "kind = \"orders_csv\"\ndelimiter = \";\"\n\
            datetime_format = \"%d.%m.%Y %H:%M\"\n\
            [columns]\norder_id = \"Beleg\"\nemail = \"Mail\"\n\
            ordered_at = \"Datum\"\namount = \"Betrag\"\ncategory = \"Warengruppe\"\n";
        let text = "Beleg;Mail;Datum;Betrag;Warengruppe;Filiale\n\
            A-1;anna@example.de;03.11.2026 10:15;19.90;Books;Köln\n\
            A-2;bert@example.de;03.11.2026;5.00;Books;Köln\n\
            A-3;carl@example.de;04.11.2026 11:00;;Toys;Bonn\n\
            A-4;;05.11.2026 12:00;7.50;Toys;Bonn\n";
        let (table, rejects, accepted) = land_text(config, "kasse.csv", text);
        assert_eq!(accepted, 2);
        assert_eq!(rejects.len(), 2, "{rejects:?}");
        let why = &rejects.iter().find(|r| r.line == 3).unwrap().reason;
        assert!(why.contains("Datum") && why.contains("03.11.2026"), "{why}");
        let why = &rejects.iter().find(|r| r.line == 4).unwrap().reason;
        assert!(why.contains("Betrag") && why.contains("empty"), "{why}");
        assert_eq!(texts(&table, "order_id"), [some("A-1"), some("A-4")]);
        assert_eq!(
            texts(&table, "ordered_at"),
            [some("2026-11-03 10:15:00"), some("2026-11-05 12:00:00")]
        );
        // Unmapped fields land empty; unmapped file columns are not landed.
        assert_eq!(texts(&table, "contact_id"), [None, None]);
        assert!(!table.has("Filiale"));
    }

    #[test]
    fn an_orders_csv_needs_an_order_mapping() {
        let source: SourceConfig = toml::from_str(
            "name = \"shop\"\nkind = \"orders_csv\"\npath = \"o.csv\"\n\
             [columns]\ncontact_id = \"id\"\nemail = \"mail\"\n",
        )
        .unwrap();
        let err = spec(&source).unwrap_err().to_string();
        assert!(err.contains("order fields"), "{err}");
    }
}
