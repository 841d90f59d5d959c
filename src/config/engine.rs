//! `[engine]`: how the SQL models run. Today the embedded DataFusion engine, with the memory its
//! spilling operators may hold before they spill (`memory_limit`, see `transform::spill`).

use serde::Deserialize;

/// `[engine]`: settings of the engine that runs the SQL models.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineConfig {
    /// Memory DataFusion's spilling operators (hash aggregations, sorts, repartitions) may hold
    /// together before they pass partial groups on or spill to the system's temp folder
    /// (`TMPDIR`): `"256MiB"` (the default), `"1GiB"`, `"512MB"`, or `"unlimited"`. Shared by
    /// their partitions, each of which may hold at least 16 MiB and one batch, so with many
    /// cores they can hold more. Hash joins are counted, never refused; windows and the models
    /// the run holds are not limited. A model that fails within the limit (an operator that
    /// cannot spill) is computed again without it, with a warning: a small limit makes a run
    /// slower, never failed.
    #[serde(default)]
    pub memory_limit: MemoryLimit,
}

/// A size in bytes, or no limit; written `"256MiB"`, `"512 MB"`, `"2GB"`, `"unlimited"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct MemoryLimit(
    /// The bytes; `None`: unlimited.
    pub Option<usize>,
);

impl MemoryLimit {
    /// 256 MiB: the bench's 1,000,000 contacts spill 1.3 GB over the run at no measured cost in
    /// time, and 4x the events per contact at 100,000 contacts peak within 1 % of 1x (see the
    /// README's "Benchmark").
    pub const DEFAULT: MemoryLimit = MemoryLimit(Some(256 << 20));
}

impl Default for MemoryLimit {
    fn default() -> Self {
        MemoryLimit::DEFAULT
    }
}

impl TryFrom<String> for MemoryLimit {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("unlimited") {
            return Ok(MemoryLimit(None));
        }
        let split = t
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(t.len());
        let (number, unit) = t.split_at(split);
        let unit_bytes: f64 = match unit.trim().to_ascii_uppercase().as_str() {
            "B" => 1.0,
            "KB" => 1e3,
            "MB" => 1e6,
            "GB" => 1e9,
            "KIB" => 1024.0,
            "MIB" => 1024.0 * 1024.0,
            "GIB" => 1024.0 * 1024.0 * 1024.0,
            _ => return Err(bad(&text)),
        };
        let number: f64 = number.parse().map_err(|_| bad(&text))?;
        let bytes = number * unit_bytes;
        if !(bytes >= 1.0 && bytes < usize::MAX as f64) {
            return Err(bad(&text));
        }
        Ok(MemoryLimit(Some(bytes as usize)))
    }
}

/// The message for a memory limit that cannot be read.
fn bad(text: &str) -> String {
    format!(
        "memory_limit `{text}` is not a size: write a number and a unit (B, KB, MB, GB, KiB, MiB, \
         GiB), such as \"256MiB\", or \"unlimited\""
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(text: &str) -> Result<MemoryLimit, toml::de::Error> {
        toml::from_str::<EngineConfig>(&format!("memory_limit = \"{text}\""))
            .map(|e| e.memory_limit)
    }

    #[test]
    fn sizes_are_read_with_their_units_and_a_bad_one_is_named() {
        assert_eq!(
            toml::from_str::<EngineConfig>("").unwrap().memory_limit,
            MemoryLimit::DEFAULT
        );
        assert_eq!(limit("256MB").unwrap(), MemoryLimit(Some(256_000_000)));
        assert_eq!(limit("512 MiB").unwrap(), MemoryLimit(Some(512 << 20)));
        assert_eq!(limit("1.5gb").unwrap(), MemoryLimit(Some(1_500_000_000)));
        assert_eq!(limit("Unlimited").unwrap(), MemoryLimit(None));
        for wrong in ["256", "lots", "-1MB", "0MB", "MB", "1e9MB"] {
            let e = limit(wrong).unwrap_err().to_string();
            assert!(
                e.contains(&format!("memory_limit `{wrong}` is not a size")),
                "{e}"
            );
        }
        assert!(toml::from_str::<EngineConfig>("memory = \"1GB\"").is_err());
    }
}
