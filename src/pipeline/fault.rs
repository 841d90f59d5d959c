//! Test hooks that stop a run at a chosen point, as a crash, a kill or a failing stage would,
//! so the tests can show that a failed run leaves the published outputs untouched. The binary
//! reads one from the `PERSONAS_FAULT` environment variable; nothing sets it in production.

use std::str::FromStr;

/// Where and how a run is stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// `abort-after:<stage>`: the process aborts (no clean-up, like `kill -9`) once the stage
    /// (`land`, `transform`, `features`, `cluster`, `profile`, `write`) is done.
    AbortAfter(String),
    /// `fail-after:<stage>`: the run returns an internal error once the stage is done.
    FailAfter(String),
    /// `abort-in-publish:<n>`: the process aborts after `n` partitions were swapped into place.
    AbortInPublish(usize),
}

impl FromStr for Fault {
    type Err = String;

    fn from_str(s: &str) -> Result<Fault, String> {
        let (kind, arg) = s
            .split_once(':')
            .ok_or_else(|| format!("fault `{s}`: expected <kind>:<argument>"))?;
        match kind {
            "abort-after" => Ok(Fault::AbortAfter(arg.to_string())),
            "fail-after" => Ok(Fault::FailAfter(arg.to_string())),
            "abort-in-publish" => arg
                .parse()
                .map(Fault::AbortInPublish)
                .map_err(|e| format!("fault `{s}`: {e}")),
            _ => Err(format!(
                "fault `{s}`: unknown kind `{kind}` (abort-after, fail-after, abort-in-publish)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse() {
        assert_eq!(
            "abort-after:profile".parse(),
            Ok(Fault::AbortAfter("profile".into()))
        );
        assert_eq!("abort-in-publish:3".parse(), Ok(Fault::AbortInPublish(3)));
        assert!("abort-in-publish:x".parse::<Fault>().is_err());
        assert!("explode".parse::<Fault>().is_err());
    }
}
