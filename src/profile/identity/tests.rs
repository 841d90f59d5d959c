//! Tests of persona matching across runs.

use std::collections::BTreeMap;

use super::*;

/// A persona of bucket `all` with members `ids` and trait profile `rates` over the levels
/// `a`, `b`, `c` of `job_seniority` and a numeric `revenue` mean (population sd 100).
fn persona(
    id: &str,
    name: &str,
    ids: std::ops::Range<usize>,
    rates: [f64; 3],
    revenue: f64,
) -> Snapshot {
    let mut traits = BTreeMap::new();
    for (level, r) in ["a", "b", "c"].iter().zip(rates) {
        traits.insert(
            ("job_seniority".to_string(), Some(level.to_string())),
            TraitPoint {
                value: r,
                population: 1.0 / 3.0,
                lift: Some(r * 3.0),
                std_diff: (r - 1.0 / 3.0) / 0.47,
                distinctive: r > 0.5,
            },
        );
    }
    traits.insert(
        ("revenue".to_string(), None),
        TraitPoint {
            value: revenue,
            population: 500.0,
            lift: Some(revenue / 500.0),
            std_diff: (revenue - 500.0) / 100.0,
            distinctive: false,
        },
    );
    Snapshot {
        id: id.into(),
        name: name.into(),
        bucket: "all".into(),
        size: ids.len(),
        share: 0.0,
        traits,
        members: ids.map(|i| format!("c{i}")).collect(),
    }
}

fn previous() -> Vec<Snapshot> {
    vec![
        persona(
            "persona_1",
            "Executive Emma",
            0..300,
            [0.9, 0.05, 0.05],
            700.0,
        ),
        persona(
            "persona_2",
            "Hands-On Hugo",
            300..500,
            [0.05, 0.9, 0.05],
            400.0,
        ),
        persona(
            "persona_3",
            "Curious Casey",
            500..600,
            [0.05, 0.05, 0.9],
            300.0,
        ),
    ]
}

#[test]
fn same_groups_keep_their_ids_and_names_in_any_order() {
    // Current personas come numbered by size, in another order, with other names, one
    // grown by new contacts, and a few contacts moved.
    let current = vec![
        persona(
            "persona_1",
            "Executive Eve",
            0..310,
            [0.88, 0.07, 0.05],
            690.0,
        ),
        persona(
            "persona_2",
            "Curious Cleo",
            500..600,
            [0.06, 0.05, 0.89],
            310.0,
        ),
        persona(
            "persona_3",
            "Hands-On Hal",
            310..500,
            [0.05, 0.91, 0.04],
            405.0,
        ),
    ];
    let m = match_personas(&previous(), &current, 4);
    let ids: Vec<&str> = m.current.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["persona_1", "persona_3", "persona_2"]);
    let names: Vec<&str> = m.current.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["Executive Emma", "Curious Casey", "Hands-On Hugo"]);
    assert!(m.vanished.is_empty());
    assert!(m
        .current
        .iter()
        .all(|a| a.distance.unwrap() < DRIFT_DISTANCE));
    // Contacts 300..310 moved from persona_2 to persona_1: 10 of 600.
    assert!((m.changed_share.unwrap() - 10.0 / 600.0).abs() < 1e-12);
}

#[test]
fn a_new_group_gets_a_new_id_and_a_vanished_one_is_recorded() {
    let mut current = previous();
    current.remove(2);
    // Brand-new contacts unlike anyone before, named like a kept persona.
    current.push(persona(
        "persona_3",
        "Hands-On Hugo",
        1000..1100,
        [0.34, 0.33, 0.33],
        900.0,
    ));
    let m = match_personas(&previous(), &current, 7);
    assert_eq!(m.current[0].id, "persona_1");
    assert_eq!(m.current[1].id, "persona_2");
    assert_eq!(m.current[2].id, "persona_7");
    assert_eq!(m.current[2].previous, None);
    assert_eq!(m.current[2].name, "Hands-On Hugo 2", "names stay unique");
    assert_eq!(
        m.vanished,
        vec![Vanished {
            previous: 2,
            merged_into: None
        }]
    );
}

#[test]
fn splits_and_merges_are_detected() {
    // persona_1 splits into a big and a small half; persona_2 and persona_3 merge.
    let current = vec![
        persona("persona_1", "A", 0..200, [0.9, 0.05, 0.05], 700.0),
        persona("persona_2", "B", 300..600, [0.05, 0.6, 0.35], 370.0),
        persona("persona_3", "C", 200..300, [0.85, 0.1, 0.05], 650.0),
    ];
    let m = match_personas(&previous(), &current, 4);
    assert_eq!(m.current[0].id, "persona_1");
    assert_eq!(m.current[1].id, "persona_2");
    assert_eq!(m.current[1].absorbed, vec![2]);
    assert_eq!(m.current[2].id, "persona_4");
    assert_eq!(m.current[2].split_from, Some(0));
    assert_eq!(
        m.vanished,
        vec![Vanished {
            previous: 2,
            merged_into: Some(1)
        }]
    );
}

#[test]
fn newcomers_are_new_and_a_few_contacts_do_not_make_a_merge() {
    // persona_3 dissolves: 10 of its contacts join persona_1, 10 join a group of 200
    // newcomers unlike anyone before, the other 80 left the CRM.
    let mut grown = persona("persona_1", "A", 0..300, [0.9, 0.05, 0.05], 700.0);
    grown.members.extend((500..510).map(|i| format!("c{i}")));
    let mut newcomers = persona("persona_3", "C", 1000..1200, [0.34, 0.33, 0.33], 900.0);
    newcomers
        .members
        .extend((590..600).map(|i| format!("c{i}")));
    let current = vec![
        grown,
        persona("persona_2", "B", 300..500, [0.05, 0.9, 0.05], 400.0),
        newcomers,
    ];
    let m = match_personas(&previous(), &current, 4);
    assert_eq!(m.current[0].id, "persona_1");
    assert!(m.current[0].absorbed.is_empty(), "10 of 310 is no merge");
    assert_eq!(
        (m.current[2].id.as_str(), m.current[2].split_from),
        ("persona_4", None)
    );
    assert_eq!(
        m.vanished,
        vec![Vanished {
            previous: 2,
            merged_into: Some(0)
        }]
    );
}

#[test]
fn without_shared_contacts_profiles_decide_and_drift_is_measured() {
    // A re-keyed CRM: no contact id in common; profiles still match.
    let current = vec![
        persona("persona_1", "X", 5000..5300, [0.9, 0.05, 0.05], 700.0),
        persona("persona_2", "Y", 5300..5500, [0.05, 0.9, 0.05], 400.0),
    ];
    let m = match_personas(&previous(), &current, 4);
    assert_eq!(m.current[0].id, "persona_1");
    assert_eq!(m.current[1].id, "persona_2");
    assert_eq!(m.current[0].overlap, None);
    assert_eq!(m.changed_share, None);
    // Same members, profile moved a lot: still matched, but far.
    let drifted = vec![persona("persona_1", "D", 0..300, [0.4, 0.55, 0.05], 450.0)];
    let m = match_personas(&previous()[..1], &drifted, 2);
    assert_eq!(m.current[0].id, "persona_1");
    assert!(
        m.current[0].distance.unwrap() > DRIFT_DISTANCE,
        "{:?}",
        m.current[0]
    );
}

#[test]
fn personas_of_other_buckets_never_match() {
    let mut current = previous();
    for p in &mut current {
        p.bucket = "buyer".into();
    }
    let m = match_personas(&previous(), &current, 4);
    let ids: Vec<&str> = m.current.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["persona_4", "persona_5", "persona_6"]);
    assert_eq!(m.vanished.len(), 3);
}
