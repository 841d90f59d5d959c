//! A bucket's contacts among the feature model's rows as a SQL condition, the split of
//! `segment` (buyer/user by role, or by value or region) read off the raw column.

use crate::config::{BucketSplit, BucketsConfig};
use crate::features::{level_sql, sql_ident, sql_str};

/// Whether a row of the feature model is in bucket `name` of `cfg`; `multi` when the bucket
/// column is a multi-valued one (read as it is, `unknown` when missing, instead of as a
/// categorical level).
pub fn bucket_filter(cfg: &BucketsConfig, name: &str, multi: bool) -> String {
    let value = if multi {
        format!(
            "coalesce(CAST({} AS VARCHAR), 'unknown')",
            sql_ident(&cfg.column)
        )
    } else {
        level_sql(&cfg.column)
    };
    match cfg.split() {
        BucketSplit::Roles {
            buyer,
            user,
            unmapped,
        } => {
            let (is_buyer, is_user) = (has_role(&value, &buyer), has_role(&value, &user));
            let (mine, other) = if name == "buyer" {
                (is_buyer, is_user)
            } else {
                (is_user, is_buyer)
            };
            if unmapped == name {
                format!("({mine}) OR NOT ({other})")
            } else {
                mine
            }
        }
        BucketSplit::Values { regions, unmapped } => {
            let key = format!("lower(regexp_replace({value}, '^\\s+|\\s+$', '', 'g'))");
            let Some(regions) = regions else {
                return format!("{key} = {}", sql_str(&name.trim().to_lowercase()));
            };
            let keys = |values: &mut dyn Iterator<Item = &String>| {
                let list: Vec<String> = values.map(|v| sql_str(&v.trim().to_lowercase())).collect();
                if list.is_empty() {
                    "false".to_string()
                } else {
                    format!("{key} IN ({})", list.join(", "))
                }
            };
            let in_region = keys(&mut regions.get(name).into_iter().flatten());
            if unmapped == name {
                let any = keys(&mut regions.values().flatten());
                format!("({in_region}) OR NOT ({any})")
            } else {
                in_region
            }
        }
    }
}

/// Whether one of the `;`-separated roles in `value` (trimmed, ASCII case ignored, as
/// `by_role` compares them) is one of `roles`.
fn has_role(value: &str, roles: &[String]) -> String {
    if roles.is_empty() {
        return "false".into();
    }
    let names: Vec<String> = roles.iter().map(|r| regex::escape(r)).collect();
    // ASCII case only (`eq_ignore_ascii_case`): `Einkäufer` is not `EINKÄUFER`
    let pattern = format!("(^|;)\\s*(?i-u:({}))\\s*(;|$)", names.join("|"));
    format!("regexp_like({value}, {})", sql_str(&pattern))
}
