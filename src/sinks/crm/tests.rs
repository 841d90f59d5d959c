//! Unit tests of the CRM rows and options ([`super::crm_rows`], [`super::persona_options`]).
use super::*;
use crate::profile::INSUFFICIENT_SAMPLE;

fn persona(n: usize, name: &str) -> Persona {
    Persona {
        id: format!("persona_{n}"),
        name: name.into(),
        bucket: "all".into(),
        size: 10,
        share: 0.1,
        share_ci: (0.05, 0.15),
        ..Default::default()
    }
}

fn table(ids: &[&str]) -> FeatureTable {
    FeatureTable {
        contact_ids: ids.iter().map(|s| s.to_string()).collect(),
        emails: ids
            .iter()
            .map(|s| Some(format!("{s}@example.com")))
            .collect(),
        ..Default::default()
    }
}

/// `check` run on the context of a HubSpot pipeline's run of 2026-11-20 whose contacts `ids`
/// are in `personas` as `primary` says.
fn with_context<R>(
    personas: &[Persona],
    ids: &[&str],
    primary: &[Option<usize>],
    check: impl FnOnce(&CrmContext) -> R,
) -> R {
    let t = table(ids);
    let dir = Path::new("unused");
    check(&CrmContext {
        dir,
        output_dir: dir,
        run_date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        table: &t,
        primary,
        personas,
        systems: &ContactSystems::single(CrmTarget::Hubspot),
    })
}

#[test]
fn flagged_persona_gets_the_fallback_option_or_an_empty_value() {
    let mut small = persona(2, "Tiny Tim");
    small.flags.push(INSUFFICIENT_SAMPLE.into());
    let personas = vec![persona(1, "Curious Casey"), small];
    let primary = [Some(0), Some(1), None];
    with_context(&personas, &["1", "2", "3"], &primary, |ctx| {
        let cfg = CrmConfig {
            unclassified: crate::config::Unclassified::Clear,
            ..Default::default()
        };
        let rows = crm_rows(ctx).unwrap();
        assert_eq!(rows[0].persona_id, "persona_1");
        assert_eq!(rows[0].is_negative, Some(false));
        assert_eq!(rows[0].system, Some(CrmTarget::Hubspot));
        assert_eq!(
            (rows[1].value(&cfg, false), rows[1].value(&cfg, true)),
            ("", "")
        );
        assert_eq!(rows[2].persona_id, "");
        let options = persona_options(&personas, &cfg);
        assert_eq!(options.len(), 1);
        // By default the snapshot row stays empty and the CRM gets the fallback option.
        let cfg = CrmConfig::default();
        let rows = crm_rows(ctx).unwrap();
        assert_eq!(
            (rows[1].persona_id.as_ref(), rows[1].persona_name.as_ref()),
            ("", "")
        );
        assert_eq!(rows[1].value(&cfg, false), "persona_unassigned");
        assert_eq!(rows[1].label(&cfg), "Not classified");
        assert_eq!(rows[2].value(&cfg, false), "persona_unassigned");
        assert_eq!(rows[0].value(&cfg, false), "persona_1");
        let options = persona_options(&personas, &cfg);
        let values: Vec<&str> = options.iter().map(|o| o.value.as_str()).collect();
        assert_eq!(values, ["persona_1", "persona_unassigned"]);
    });
}

#[test]
fn duplicate_contact_id_is_refused() {
    let personas = vec![persona(1, "Curious Casey")];
    let primary = [Some(0), Some(0), Some(0)];
    let err = with_context(&personas, &["7", "8", "7"], &primary, |ctx| {
        crm_rows(ctx).unwrap_err().to_string()
    });
    assert!(
        err.contains("`7` appears twice (contacts 1 and 3)"),
        "{err}"
    );
}
