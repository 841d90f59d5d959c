//! What the binary writes to stderr: in `--log-format json` every line is a JSON object, the
//! final error included; text logs carry no colour codes when stderr is not a terminal.

use std::process::Command;

use crate::util::Fixture;

/// Run the binary with `args`, stderr captured (not a terminal): (exit code, stderr lines).
fn personas(args: &[&str]) -> (Option<i32>, Vec<String>) {
    let out = Command::new(env!("CARGO_BIN_EXE_personas"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8(out.stderr).expect("stderr is UTF-8");
    (
        out.status.code(),
        stderr.lines().map(str::to_string).collect(),
    )
}

#[test]
fn json_logs_end_with_the_error_as_json() {
    let fx = Fixture::sample(50, 2.0);
    // A config error: a source path that matches no file.
    fx.edit_config(|c| c.replacen("hubspot-crm-exports-all-contacts-", "no-such-export-", 1));
    let config = fx.config.display().to_string();
    let args = [
        "--log-format",
        "json",
        "run",
        &config,
        "--date",
        "2026-11-20",
    ];
    let (code, lines) = personas(&args);
    assert_ne!(code, Some(0), "{lines:?}");
    assert!(!lines.is_empty());
    for line in &lines {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        assert!(v.get("level").is_some(), "{line}");
    }
    let last: serde_json::Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    assert_eq!(last["level"], "ERROR", "{last}");
    assert_eq!(
        last["fields"]["exit_code"].as_i64(),
        code.map(i64::from),
        "{last}"
    );
    assert!(
        last["fields"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("no-such-export-")),
        "the error names the missing files: {last}"
    );
}

#[test]
fn text_logs_have_no_colour_codes_when_stderr_is_not_a_terminal() {
    let fx = Fixture::sample(300, 4.0);
    let config = fx.config.display().to_string();
    let (code, lines) = personas(&["run", &config, "--date", "2026-11-20"]);
    assert_eq!(code, Some(0), "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("INFO")), "{lines:?}");
    assert!(
        lines.iter().all(|l| !l.contains('\u{1b}')),
        "ANSI escape codes in piped logs: {lines:?}"
    );
}
