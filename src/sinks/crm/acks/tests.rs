//! Unit tests of the acknowledgements and the confirmed state.

use super::*;

fn row(id: &str, persona: &str) -> CrmRow<'static> {
    CrmRow::for_test(id, persona)
}

/// Publish a run of `date` whose snapshot gives contact 1 `persona` and has a HubSpot import.
fn publish(out: &Path, date: NaiveDate, persona: &str) {
    let dir = crm_dir(out, date);
    super::super::generic::write(
        &dir.join(super::super::GENERIC_FULL),
        [row("1", persona)].iter(),
        "x",
    )
    .unwrap();
    std::fs::write(
        dir.join(super::super::HUBSPOT_IMPORT),
        "Record ID,Email,Persona\n",
    )
    .unwrap();
    let marker = crate::output::success_marker(out, date);
    std::fs::create_dir_all(marker.parent().unwrap()).unwrap();
    std::fs::write(marker, "").unwrap();
}

#[test]
fn only_an_acknowledged_current_run_is_confirmed() {
    let out = tempfile::tempdir().unwrap();
    let out = out.path();
    let d = |day| NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
    let err = acknowledge(out, d(18), &[]).unwrap_err().to_string();
    assert!(err.contains("no published run of 2026-11-18"), "{err}");
    publish(out, d(18), "persona_1");
    publish(out, d(19), "persona_2");
    assert!(confirmed_before(out, d(20), CrmTarget::Hubspot)
        .unwrap()
        .is_none());
    let err = acknowledge(out, d(18), &[CrmTarget::Salesforce])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no salesforce import file") && err.contains("hubspot"),
        "{err}"
    );
    let done = acknowledge(out, d(18), &[]).unwrap();
    assert_eq!(done.files, [CrmTarget::Hubspot]);
    assert!(done.republished.is_empty());
    assert!(done.published_at.is_some());
    let c = confirmed_before(out, d(20), CrmTarget::Hubspot)
        .unwrap()
        .unwrap();
    assert_eq!(c.baseline.run_date, d(18));
    assert!(matches!(c.how, How::Acknowledged(_)));
    assert!(c.is_pending(&row("1", "persona_2")));
    assert!(!c.is_pending(&row("1", "persona_1")));
    assert!(confirmed_before(out, d(18), CrmTarget::Hubspot)
        .unwrap()
        .is_none());
    assert!(confirmed_before(out, d(20), CrmTarget::Generic)
        .unwrap()
        .is_none());
    // Acknowledging twice, or naming a file twice, keeps one entry; a rerun of the date makes
    // it stale.
    let done = acknowledge(out, d(18), &[CrmTarget::Hubspot, CrmTarget::Hubspot]).unwrap();
    assert_eq!(done.files, [CrmTarget::Hubspot]);
    assert_eq!(read(out).unwrap().len(), 1);
    publish(out, d(18), "persona_3");
    assert!(confirmed_before(out, d(20), CrmTarget::Hubspot)
        .unwrap()
        .is_none());
    // Acknowledging the rerun date again says the file imported may be the earlier version.
    let done = acknowledge(out, d(18), &[]).unwrap();
    assert_eq!(done.republished, [CrmTarget::Hubspot]);
    assert_eq!(read(out).unwrap().len(), 1);
    std::fs::write(path(out), "{\"acks\": [{\"file\": \"x\"}]}").unwrap();
    let err = read(out).unwrap_err().to_string();
    assert!(err.contains(FILE) && err.contains("line 1"), "{err}");
}

#[test]
fn a_run_without_import_files_has_nothing_to_acknowledge() {
    let out = tempfile::tempdir().unwrap();
    let out = out.path();
    let d = NaiveDate::from_ymd_opt(2026, 11, 18).unwrap();
    publish(out, d, "persona_1");
    std::fs::remove_file(crm_dir(out, d).join(super::super::HUBSPOT_IMPORT)).unwrap();
    let err = acknowledge(out, d, &[]).unwrap_err();
    assert_eq!(err.exit_code(), 3);
    let err = err.to_string();
    assert!(
        err.contains("the run of 2026-11-18 wrote no import file")
            && err.contains("nothing to acknowledge"),
        "{err}"
    );
    assert!(read(out).unwrap().is_empty());
}
