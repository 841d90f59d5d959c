//! The house rules, checked on the source tree: which module may import which (`crate::...`
//! paths), no source file over 500 lines outside tests and data tables, no function over 100
//! lines. The README's "Architecture" section explains the rules.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The stages of the data path and the rooms beside them, as top-level modules of `src/`.
const STAGES: &[&str] = &[
    "config",
    "sources",
    "landing",
    "transform",
    "features",
    "cluster",
    "profile",
    "sinks",
    "pipeline",
    "output",
    "http",
    "memory",
    "engine",
];

/// (module, modules it must not import, why).
const RULES: &[(&str, &[&str], &str)] = &[
    (
        "config",
        STAGES,
        "config is a leaf: the stages read it, it imports none of them",
    ),
    (
        "sinks",
        &["sources", "pipeline"],
        "sinks never call sources or the run",
    ),
    (
        "profile",
        &["landing", "output", "sources", "sinks", "pipeline"],
        "modelling knows no file format",
    ),
    (
        "cluster",
        &[
            "landing", "output", "sources", "sinks", "pipeline", "profile",
        ],
        "modelling knows no file format",
    ),
    (
        "features",
        &[
            "landing", "output", "sources", "sinks", "pipeline", "profile",
        ],
        "features know no file format and come before profiling",
    ),
    (
        "http",
        STAGES,
        "the HTTP client is a leaf: sources and sinks use it, it uses neither",
    ),
    (
        "memory",
        STAGES,
        "the process's memory is a leaf: stages and the run use it, it uses none of them",
    ),
    (
        "engine",
        &[
            "sources",
            "landing",
            "transform",
            "features",
            "cluster",
            "profile",
            "sinks",
            "pipeline",
        ],
        "the engine runs what transform plans: it reads the config, writes through the output \
         folder's store copy and knows no stage",
    ),
    (
        "output",
        STAGES,
        "the output folder knows nothing about personas",
    ),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The top-level module a file of `src/` belongs to (`src/sinks/crm/push.rs` -> `sinks`).
fn module_of(file: &Path) -> String {
    let rel = file.strip_prefix(src()).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// The top-level modules a file names as `crate::<module>`, outside comments.
fn imports(text: &str) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + "crate::".len()..];
        match after.strip_prefix('{') {
            // `use crate::{a::X, b, c::{Y, Z}}`: the first name of each top-level item.
            Some(group) => {
                out.extend(group_items(group));
            }
            None => {
                let name = leading_name(after);
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        }
        rest = after;
    }
    out
}

/// The identifier at the start of `s`.
fn leading_name(s: &str) -> String {
    s.trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// The first name of each top-level item of a `{...}` use group (`s` starts after the `{`).
fn group_items(s: &str) -> Vec<String> {
    let (mut depth, mut start, mut items) = (0, 0, Vec::new());
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(leading_name(&s[start..i]));
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(leading_name(&s[start..i]));
                start = i + 1;
            }
            _ => {}
        }
    }
    items.into_iter().filter(|n| !n.is_empty()).collect()
}

/// Whether a file is tests or a data table, exempt from the size rule.
fn exempt_from_size(file: &Path) -> bool {
    let name = file.file_name().unwrap().to_string_lossy();
    let data_table = name == "tables.rs" && file.components().any(|c| c.as_os_str() == "tooling");
    name == "tests.rs" || data_table || file.components().any(|c| c.as_os_str() == "tests")
}

#[test]
fn imports_follow_the_house_rules() {
    let mut broken = Vec::new();
    for file in rust_files(&src()) {
        let module = module_of(&file);
        if module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let used = imports(&text);
        let rel = file.strip_prefix(src()).unwrap().display().to_string();
        for (m, forbidden, why) in RULES.iter().filter(|r| r.0 == module) {
            for f in forbidden.iter().filter(|f| *f != m && used.contains(**f)) {
                broken.push(format!("src/{rel} imports crate::{f}: {why}"));
            }
        }
        if module != "cli" && used.contains("cli") {
            broken.push(format!(
                "src/{rel} imports crate::cli: the library never calls the command line"
            ));
        }
        if (STAGES.contains(&module.as_str()) || module == "error") && used.contains("tooling") {
            broken.push(format!(
                "src/{rel} imports crate::tooling: the product never calls the developer tooling"
            ));
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn the_checker_sees_imports_in_use_lines_and_paths_but_not_comments() {
    let text = "use crate::sinks::{self, manifest};\nlet x = crate::output::partition(a);\n// crate::cli is not used\nuse crate::{\n    config::{A, B},\n    landing,\n};\n";
    let found: Vec<String> = imports(text).into_iter().collect();
    assert_eq!(found, ["config", "landing", "output", "sinks"]);
}

#[test]
fn no_source_file_over_500_lines() {
    let long: Vec<String> = rust_files(&src())
        .into_iter()
        .filter(|f| !exempt_from_size(f))
        .filter_map(|f| {
            let n = std::fs::read_to_string(&f).unwrap().lines().count();
            (n > 500).then(|| format!("{} has {n} lines", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "{}", long.join("\n"));
}

/// Functions longer than `max` lines (from the `fn` line to the closing brace at the same
/// indentation), outside `#[cfg(test)]` modules: (lines, file, first line, name).
fn long_functions(text: &str, max: usize) -> Vec<(usize, usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        // Inline test modules end the scan; `#[cfg(test)] mod tests;` (a file of its own) does not.
        let next = lines.get(i + 1).map_or("", |l| l.trim());
        if line.trim_start().starts_with("#[cfg(test)]") && !next.ends_with(';') {
            break;
        }
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let signature = trimmed
            .trim_start_matches("pub(crate) ")
            .trim_start_matches("pub(super) ")
            .trim_start_matches("pub ")
            .trim_start_matches("async ")
            .trim_start_matches("const ");
        let Some(name) = signature.strip_prefix("fn ") else {
            continue;
        };
        let close = format!("{indent}}}");
        if let Some(end) = lines[i..].iter().position(|l| *l == close) {
            let name: String = name
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if end + 1 > max {
                out.push((end + 1, i + 1, name));
            }
        }
    }
    out
}

#[test]
fn no_function_over_100_lines() {
    let mut long = Vec::new();
    for file in rust_files(&src()) {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line, name) in long_functions(&text, 100) {
            long.push(format!("{}:{line} fn {name} has {n} lines", file.display()));
        }
    }
    assert!(long.is_empty(), "{}", long.join("\n"));
}

#[test]
fn the_function_counter_counts_to_the_closing_brace() {
    let body: String = (0..101).map(|i| format!("    let x{i} = {i};\n")).collect();
    let text = format!("fn short() {{\n}}\n\npub async fn long() {{\n{body}}}\n");
    assert_eq!(
        long_functions(&text, 100),
        vec![(103, 4, "long".to_string())]
    );
}
