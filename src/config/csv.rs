//! The CSV options of mapped CSV sources (`[sources.columns]`: the file column holding each
//! contact field of a `csv` source, or each order field of an `orders_csv` source) and their pure
//! check: only those kinds take them, and each needs its mapping, single ASCII delimiter and
//! quote characters and valid date formats.

use chrono::format::{Item, StrftimeItems};
use serde::{Deserialize, Deserializer};

use super::{SourceConfig, SourceKind};

/// A source's `[sources.columns]` mapping: contact fields (a `csv` source) or order fields (an
/// `orders_csv` source). A table naming any order field (`order_id`, `ordered_at`, `amount`,
/// ...) is an order mapping; any other is a contact mapping.
#[derive(Debug, Clone)]
pub enum SourceColumns {
    /// The contact fields of a `csv` source.
    Contacts(CsvColumns),
    /// The order fields of an `orders_csv` source.
    Orders(OrderColumns),
}

impl<'de> Deserialize<'de> for SourceColumns {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let table = toml::Table::deserialize(d)?;
        let orders = table.keys().any(|k| OrderColumns::is_order_field(k));
        let value = toml::Value::Table(table);
        if orders {
            value.try_into().map(SourceColumns::Orders)
        } else {
            value.try_into().map(SourceColumns::Contacts)
        }
        .map_err(|e: toml::de::Error| D::Error::custom(e.message()))
    }
}

impl SourceColumns {
    /// The contact mapping, if this is one.
    pub fn contacts(&self) -> Option<&CsvColumns> {
        match self {
            SourceColumns::Contacts(c) => Some(c),
            SourceColumns::Orders(_) => None,
        }
    }

    /// The order mapping, if this is one.
    pub fn orders(&self) -> Option<&OrderColumns> {
        match self {
            SourceColumns::Orders(o) => Some(o),
            SourceColumns::Contacts(_) => None,
        }
    }

    /// `(field, file column)` of every mapped field, in the landed order.
    pub fn mapped(&self) -> Vec<(&'static str, &str)> {
        match self {
            SourceColumns::Contacts(c) => c.mapped(),
            SourceColumns::Orders(o) => o.mapped(),
        }
    }
}

/// The file column holding each order field of an `orders_csv` source (`[sources.columns]`).
/// A file has one row per order or one per order line: rows with the same `order_id` are one
/// order, whose amount, discount and refunded amount are the sums of its rows'.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderColumns {
    /// The order's id (any text; required).
    pub order_id: String,
    /// The buyer's contact id in the CRM (`contact_id` or `email` is required; an order is
    /// matched to its contact by id, else by email).
    pub contact_id: Option<String>,
    /// The buyer's email (matched to the CRM email ignoring case and spaces).
    pub email: Option<String>,
    /// When the order was placed, in the source's `datetime_format` (required).
    pub ordered_at: String,
    /// The row's amount, a number (required): the order's total, or a line's when the file has
    /// one row per line.
    pub amount: String,
    /// The currency code (`EUR`); amounts are read as written, not converted.
    pub currency: Option<String>,
    /// The product bought.
    pub product: Option<String>,
    /// The product's category.
    pub category: Option<String>,
    /// The discount granted, a number (an order with a discount above 0 is discounted).
    pub discount: Option<String>,
    /// The amount refunded, a number (an order refunded its whole amount is fully refunded).
    pub refunded: Option<String>,
    /// The order's status: `refunded`, `cancelled` (`canceled`) and `voided` orders are not
    /// counted as orders; any other value is.
    pub status: Option<String>,
}

impl OrderColumns {
    /// Every field of an order mapping, in the landed order (the `orders_csv` preset's
    /// columns).
    pub const FIELDS: [&'static str; 11] = [
        "order_id",
        "contact_id",
        "email",
        "ordered_at",
        "amount",
        "currency",
        "product",
        "category",
        "discount",
        "refunded",
        "status",
    ];

    /// Whether only an order mapping has the field `key` (a contact mapping has a contact id
    /// and an email too): a `[sources.columns]` naming one is an order mapping.
    pub fn is_order_field(key: &str) -> bool {
        Self::FIELDS.contains(&key) && !matches!(key, "contact_id" | "email")
    }

    /// `(field, file column)` of every mapped field, in the landed order.
    pub fn mapped(&self) -> Vec<(&'static str, &str)> {
        let columns = [
            Some(&self.order_id),
            self.contact_id.as_ref(),
            self.email.as_ref(),
            Some(&self.ordered_at),
            Some(&self.amount),
            self.currency.as_ref(),
            self.product.as_ref(),
            self.category.as_ref(),
            self.discount.as_ref(),
            self.refunded.as_ref(),
            self.status.as_ref(),
        ];
        (Self::FIELDS.into_iter().zip(columns))
            .filter_map(|(field, col)| col.map(|c| (field, c.as_str())))
            .collect()
    }
}

/// The file column holding each contact field of a `csv` source (`[sources.columns]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvColumns {
    /// The contact's id in the CRM (any text; required).
    pub contact_id: String,
    /// The contact's email (required).
    pub email: String,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Job title (the job seniority is derived from it).
    pub job_title: Option<String>,
    /// Date of birth, in the source's `date_format`.
    pub date_of_birth: Option<String>,
    /// Gender (`female`/`male`, `f`/`m`, any case).
    pub gender: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// The company's industry.
    pub industry: Option<String>,
    /// The company's number of employees: a number or a range like `1001-5000` or `10001+`.
    pub employees: Option<String>,
    /// Lifecycle stage (`Lead`, `Customer`, ...).
    pub lifecycle_stage: Option<String>,
    /// Buying role; the first of a `;`-separated list is used.
    pub buying_role: Option<String>,
    /// Where the contact came from (lead source).
    pub original_source: Option<String>,
    /// Revenue from the contact, a number.
    pub revenue: Option<String>,
    /// When the contact was created, in the source's `datetime_format`.
    pub created_at: Option<String>,
    /// The contact's last activity, in the source's `datetime_format`.
    pub last_activity_at: Option<String>,
}

impl CsvColumns {
    /// `(field, file column)` of every mapped field, in the landed order.
    pub fn mapped(&self) -> Vec<(&'static str, &str)> {
        let optional = [
            ("first_name", &self.first_name),
            ("last_name", &self.last_name),
            ("job_title", &self.job_title),
            ("date_of_birth", &self.date_of_birth),
            ("gender", &self.gender),
            ("city", &self.city),
            ("country", &self.country),
            ("industry", &self.industry),
            ("employees", &self.employees),
            ("lifecycle_stage", &self.lifecycle_stage),
            ("buying_role", &self.buying_role),
            ("original_source", &self.original_source),
            ("revenue", &self.revenue),
            ("created_at", &self.created_at),
            ("last_activity_at", &self.last_activity_at),
        ];
        [
            ("contact_id", self.contact_id.as_str()),
            ("email", self.email.as_str()),
        ]
        .into_iter()
        .chain(
            optional
                .into_iter()
                .filter_map(|(field, col)| col.as_deref().map(|c| (field, c))),
        )
        .collect()
    }
}

/// Whether a chrono format string is valid (for config checks: formatting with an invalid one
/// fails).
pub fn is_valid_format(format: &str) -> bool {
    !format.is_empty() && !StrftimeItems::new(format).any(|i| matches!(i, Item::Error))
}

/// Config check of a source's CSV options: only `csv` and `orders_csv` sources take them, and
/// each needs its mapping (contact fields, order fields), single ASCII delimiter and quote
/// characters and valid date formats.
pub(super) fn check_options(s: &SourceConfig) -> std::result::Result<(), String> {
    if !matches!(s.kind, SourceKind::Csv | SourceKind::OrdersCsv) {
        let set = [
            ("delimiter", s.delimiter.is_some()),
            ("quote", s.quote.is_some()),
            ("has_header", s.has_header.is_some()),
            ("date_format", s.date_format.is_some()),
            ("datetime_format", s.datetime_format.is_some()),
            ("columns", s.columns.is_some()),
        ];
        return match set.iter().find(|(_, is_set)| *is_set) {
            Some((key, _)) => Err(format!(
                "`{key}` is only for sources of kind `csv` or `orders_csv` (this one is {})",
                s.kind
            )),
            None => Ok(()),
        };
    }
    let columns = match (s.kind, &s.columns) {
        (SourceKind::Csv, Some(SourceColumns::Contacts(c))) => c.mapped(),
        (SourceKind::Csv, Some(SourceColumns::Orders(_))) => {
            return Err(
                "a `csv` source maps contact fields, not order fields (order_id, ordered_at, \
                 amount, ...): use a source of kind `orders_csv` for orders"
                    .into(),
            )
        }
        (SourceKind::Csv, None) => {
            return Err(
                "a `csv` source needs a [sources.columns] table naming at least the contact_id and email columns"
                    .into(),
            )
        }
        (_, Some(SourceColumns::Orders(o))) => {
            if o.contact_id.is_none() && o.email.is_none() {
                return Err(
                    "an `orders_csv` source's [sources.columns] must name contact_id or email \
                     (or both): the column that ties each order to its buyer"
                        .into(),
                );
            }
            o.mapped()
        }
        (_, _) => {
            return Err(
                "an `orders_csv` source needs a [sources.columns] table naming at least the \
                 order_id, ordered_at and amount columns, and contact_id or email"
                    .into(),
            )
        }
    };
    if let Some((field, _)) = columns.iter().find(|(_, c)| c.trim().is_empty()) {
        return Err(format!("columns.{field} is empty"));
    }
    for (key, c) in [("delimiter", s.delimiter), ("quote", s.quote)] {
        if let Some(c) = c {
            if !c.is_ascii() || c == '\n' || c == '\r' {
                return Err(format!(
                    "{key} must be one ASCII character other than a line break, got {c:?}"
                ));
            }
        }
    }
    if s.delimiter.unwrap_or(',') == s.quote.unwrap_or('"') {
        return Err("delimiter and quote must differ".into());
    }
    for (key, f) in [
        ("date_format", &s.date_format),
        ("datetime_format", &s.datetime_format),
    ] {
        if let Some(f) = f {
            if !is_valid_format(f) {
                return Err(format!(
                    "{key} {f:?} is not a valid chrono format (like %Y-%m-%d)"
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source of `kind` with the `[columns]` lines `columns`, checked.
    fn check(kind: &str, columns: &str) -> std::result::Result<SourceConfig, String> {
        let text = format!("name = \"s\"\nkind = \"{kind}\"\npath = \"o.csv\"\n{columns}");
        let source: SourceConfig = toml::from_str(&text).map_err(|e| e.message().to_string())?;
        check_options(&source).map(|()| source)
    }

    #[test]
    fn an_order_mapping_needs_its_fields_and_a_buyer() {
        let order =
            "[columns]\norder_id = \"Beleg\"\nordered_at = \"Datum\"\namount = \"Betrag\"\n";
        let s = check("orders_csv", &format!("{order}email = \"Mail\"\n")).unwrap();
        let mapped = s.columns.as_ref().unwrap().mapped();
        assert_eq!(
            mapped,
            [
                ("order_id", "Beleg"),
                ("email", "Mail"),
                ("ordered_at", "Datum"),
                ("amount", "Betrag")
            ]
        );
        // Neither contact id nor email: no way to find the buyer.
        let err = check("orders_csv", order).unwrap_err();
        assert!(err.contains("contact_id or email"), "{err}");
        // A required order field missing, an unknown one: named.
        let err = check(
            "orders_csv",
            "[columns]\norder_id = \"B\"\namount = \"A\"\nemail = \"M\"\n",
        )
        .unwrap_err();
        assert!(err.contains("ordered_at"), "{err}");
        let err = check(
            "orders_csv",
            &format!("{order}email = \"M\"\nsku = \"S\"\n"),
        )
        .unwrap_err();
        assert!(err.contains("sku"), "{err}");
        // A contact mapping or none at all is not an order mapping.
        let err = check(
            "orders_csv",
            "[columns]\ncontact_id = \"id\"\nemail = \"m\"\n",
        )
        .unwrap_err();
        assert!(err.contains("order_id, ordered_at and amount"), "{err}");
        assert!(check("orders_csv", "").is_err());
        // And an order mapping is not a `csv` source's.
        let err = check("csv", &format!("{order}email = \"M\"\n")).unwrap_err();
        assert!(err.contains("orders_csv"), "{err}");
        assert!(check("csv", "[columns]\ncontact_id = \"id\"\nemail = \"m\"\n").is_ok());
        // Dialect options are for mapped CSVs only.
        let err = check("shopify_orders", "delimiter = \";\"\n").unwrap_err();
        assert!(
            err.contains("delimiter") && err.contains("shopify_orders"),
            "{err}"
        );
        assert!(check("shopify_orders", "").is_ok());
    }
}
