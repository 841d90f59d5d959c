//! Rows of a GA4 Parquet extract as events: each leaf of the nested schema the landed table
//! needs (`device.web_info.browser`, `event_params[].value.int_value`, ...) found once per batch
//! and typed (text, or numbers as the file has them), then row `i` read into the same
//! [`Event`](super::events::Event) the NDJSON decoder builds. A null struct makes its fields
//! null; a value that cannot be typed is the row's reject reason.

use std::borrow::Cow;
use std::str::FromStr;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int64Array, ListArray, RecordBatch, StringArray,
    StructArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};

use super::events::{
    whole_number, Device, Ecommerce, Event, Geo, Param, ParamValue, TrafficSource, WebInfo,
};

/// A leaf's values, typed as the landed column needs them (text), or as found for numbers
/// (an INT64 column, a DOUBLE one, or numbers written as text, parsed per row).
enum Values {
    Text(StringArray),
    Int(Int64Array),
    Float(Float64Array),
    Absent,
}

/// One leaf of the nested schema (`device.web_info.browser`) with the struct arrays above it:
/// a null struct makes its fields null whatever its children hold.
struct Leaf {
    name: String,
    parents: Vec<ArrayRef>,
    values: Values,
}

impl Leaf {
    /// The leaf at `path` under `root` (absent when the file lacks it); `numeric` keeps integer
    /// and float columns as numbers.
    fn find(root: &StructArray, path: &[&str], numeric: bool) -> std::result::Result<Leaf, String> {
        let name = path.join(".");
        let absent = |parents| Leaf {
            name: name.clone(),
            parents,
            values: Values::Absent,
        };
        let mut parents: Vec<ArrayRef> = Vec::new();
        let mut node = root;
        for (depth, part) in path.iter().enumerate() {
            let Some(child) = node.column_by_name(part) else {
                return Ok(absent(parents));
            };
            if depth + 1 == path.len() {
                let values = typed(child, numeric)
                    .map_err(|e| format!("column {name:?} of type {}: {e}", child.data_type()))?;
                return Ok(Leaf {
                    name,
                    parents,
                    values,
                });
            }
            let Some(inner) = child.as_struct_opt() else {
                return Err(format!(
                    "column {:?} is {}, expected a struct",
                    path[..=depth].join("."),
                    child.data_type()
                ));
            };
            parents.push(child.clone());
            node = inner;
        }
        Ok(absent(parents))
    }

    /// A number written as text; the reason names the column and says it is not `what`.
    fn parse<T: FromStr>(&self, s: &str, what: &str) -> std::result::Result<Option<T>, String> {
        s.trim()
            .parse::<T>()
            .map(Some)
            .map_err(|_| format!("column {:?}: {s:?} is not {what}", self.name))
    }

    fn valid(&self, i: usize) -> bool {
        self.parents.iter().all(|p| p.is_valid(i))
    }

    fn text(&self, i: usize) -> Option<&str> {
        match &self.values {
            Values::Text(a) if self.valid(i) && a.is_valid(i) => Some(a.value(i)),
            _ => None,
        }
    }

    fn int(&self, i: usize) -> std::result::Result<Option<i64>, String> {
        if !self.valid(i) {
            return Ok(None);
        }
        match &self.values {
            Values::Int(a) => Ok(a.is_valid(i).then(|| a.value(i))),
            Values::Float(a) if a.is_valid(i) => {
                let f = a.value(i);
                match whole_number(f) {
                    Some(v) => Ok(Some(v)),
                    None => Err(format!("column {:?}: {f} is not an integer", self.name)),
                }
            }
            Values::Text(a) if a.is_valid(i) => self.parse(a.value(i), "an integer"),
            _ => Ok(None),
        }
    }

    fn float(&self, i: usize) -> std::result::Result<Option<f64>, String> {
        if !self.valid(i) {
            return Ok(None);
        }
        match &self.values {
            Values::Int(a) => Ok(a.is_valid(i).then(|| a.value(i) as f64)),
            Values::Float(a) => Ok(a.is_valid(i).then(|| a.value(i))),
            Values::Text(a) if a.is_valid(i) => self.parse(a.value(i), "a number"),
            _ => Ok(None),
        }
    }
}

/// A leaf column cast to the type it is read as.
fn typed(array: &ArrayRef, numeric: bool) -> std::result::Result<Values, String> {
    let t = array.data_type();
    if numeric && t.is_integer() {
        let a = cast(array, &DataType::Int64).map_err(|e| e.to_string())?;
        return Ok(Values::Int(a.as_primitive::<Int64Type>().clone()));
    }
    if numeric && t.is_floating() {
        let a = cast(array, &DataType::Float64).map_err(|e| e.to_string())?;
        return Ok(Values::Float(a.as_primitive::<Float64Type>().clone()));
    }
    if matches!(
        t,
        DataType::Struct(_) | DataType::List(_) | DataType::LargeList(_)
    ) {
        return Err("expected a single value".into());
    }
    let a = cast(array, &DataType::Utf8).map_err(|e| e.to_string())?;
    Ok(Values::Text(a.as_string::<i32>().clone()))
}

/// `event_params`: a list of `{key, value {string_value, int_value}}` per row.
struct Params {
    list: Option<ListArray>,
    element: Option<ArrayRef>,
    key: Leaf,
    string_value: Leaf,
    int_value: Leaf,
}

/// The leaves of one batch of exported events.
pub(super) struct Columns {
    event_date: Leaf,
    event_timestamp: Leaf,
    event_name: Leaf,
    user_id: Leaf,
    user_pseudo_id: Leaf,
    category: Leaf,
    operating_system: Leaf,
    browser: Leaf,
    country: Leaf,
    region: Leaf,
    city: Leaf,
    source: Leaf,
    medium: Leaf,
    purchase_revenue: Leaf,
    transaction_id: Leaf,
    params: Params,
}

impl Columns {
    pub(super) fn new(batch: &RecordBatch) -> std::result::Result<Columns, String> {
        let root = StructArray::from(batch.clone());
        let text = |path: &[&str]| Leaf::find(&root, path, false);
        let number = |path: &[&str]| Leaf::find(&root, path, true);
        Ok(Columns {
            event_date: text(&["event_date"])?,
            event_timestamp: number(&["event_timestamp"])?,
            event_name: text(&["event_name"])?,
            user_id: text(&["user_id"])?,
            user_pseudo_id: text(&["user_pseudo_id"])?,
            category: text(&["device", "category"])?,
            operating_system: text(&["device", "operating_system"])?,
            browser: text(&["device", "web_info", "browser"])?,
            country: text(&["geo", "country"])?,
            region: text(&["geo", "region"])?,
            city: text(&["geo", "city"])?,
            source: text(&["traffic_source", "source"])?,
            medium: text(&["traffic_source", "medium"])?,
            purchase_revenue: number(&["ecommerce", "purchase_revenue"])?,
            transaction_id: text(&["ecommerce", "transaction_id"])?,
            params: Params::new(batch)?,
        })
    }

    /// Row `i` as the event the NDJSON decoder would build; `Err` is the reject reason.
    pub(super) fn event(&self, i: usize) -> std::result::Result<Event<'_>, String> {
        let s = |leaf| cow(leaf, i);
        let device = Device {
            category: s(&self.category),
            operating_system: s(&self.operating_system),
            web_info: Some(WebInfo {
                browser: s(&self.browser),
            }),
        };
        let geo = Geo {
            country: s(&self.country),
            region: s(&self.region),
            city: s(&self.city),
        };
        let traffic = TrafficSource {
            source: s(&self.source),
            medium: s(&self.medium),
        };
        let ecommerce = Ecommerce {
            purchase_revenue: self.purchase_revenue.float(i)?,
            transaction_id: s(&self.transaction_id),
        };
        Ok(Event {
            event_date: s(&self.event_date),
            event_timestamp: self.event_timestamp.int(i)?,
            event_name: s(&self.event_name),
            event_params: self.params.row(i)?,
            user_id: s(&self.user_id),
            user_pseudo_id: s(&self.user_pseudo_id),
            device: Some(device),
            geo: Some(geo),
            traffic_source: Some(traffic),
            ecommerce: Some(ecommerce),
        })
    }
}

/// A leaf's text in row `i`, borrowed.
fn cow(leaf: &Leaf, i: usize) -> Option<Cow<'_, str>> {
    leaf.text(i).map(Cow::Borrowed)
}

impl Params {
    fn new(batch: &RecordBatch) -> std::result::Result<Params, String> {
        let none = || Leaf {
            name: String::new(),
            parents: Vec::new(),
            values: Values::Absent,
        };
        let Some(column) = batch.column_by_name("event_params") else {
            return Ok(Params {
                list: None,
                element: None,
                key: none(),
                string_value: none(),
                int_value: none(),
            });
        };
        let as_list = |a: &ArrayRef| {
            let target = match a.data_type() {
                DataType::LargeList(f) | DataType::List(f) => DataType::List(f.clone()),
                other => {
                    return Err(format!(
                        "column \"event_params\" is {other}, expected a list"
                    ))
                }
            };
            cast(a, &target)
                .map_err(|e| format!("column \"event_params\": {e}"))
                .map(|c| c.as_list::<i32>().clone())
        };
        let list = as_list(column)?;
        let element = list.values().clone();
        let Some(item) = element.as_struct_opt() else {
            return Err(format!(
                "column \"event_params\" holds {}, expected structs of key and value",
                element.data_type()
            ));
        };
        let leaf = |path: &[&str], numeric: bool| {
            let mut found = Leaf::find(item, path, numeric)?;
            found.name = format!("event_params.{}", found.name);
            found.parents.insert(0, element.clone());
            Ok::<_, String>(found)
        };
        Ok(Params {
            key: leaf(&["key"], false)?,
            string_value: leaf(&["value", "string_value"], false)?,
            int_value: leaf(&["value", "int_value"], true)?,
            element: Some(element.clone()),
            list: Some(list),
        })
    }

    /// The parameters of row `i` (`None` for a null list, as a JSON `null`).
    fn row(&self, i: usize) -> std::result::Result<Option<Vec<Param<'_>>>, String> {
        let (Some(list), Some(_)) = (&self.list, &self.element) else {
            return Ok(None);
        };
        if list.is_null(i) {
            return Ok(None);
        }
        let offsets = list.value_offsets();
        let (start, end) = (offsets[i] as usize, offsets[i + 1] as usize);
        let mut params = Vec::with_capacity(end - start);
        for j in start..end {
            let key = self.key.text(j).ok_or_else(|| {
                format!(
                    "column \"event_params.key\": parameter {} has no key",
                    j - start + 1
                )
            })?;
            params.push(Param {
                key: Cow::Borrowed(key),
                value: Some(ParamValue {
                    string_value: self.string_value.text(j).map(Cow::Borrowed),
                    int_value: self.int_value.int(j)?,
                }),
            });
        }
        Ok(Some(params))
    }
}
