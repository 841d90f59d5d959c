//! The generated `job_seniority` and `gender` expressions, run in DataFusion over small tables of
//! titles and values in each bundled language.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::prelude::SessionContext;

use super::*;

/// `expr` evaluated on each of `values`, given as the column `column`.
async fn eval(expr: &str, column: &str, values: &[Option<&str>]) -> Vec<String> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("i", DataType::Int64, false),
        Field::new(column, DataType::Utf8, true),
    ]));
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int64Array::from_iter_values(0..values.len() as i64)),
            Arc::new(StringArray::from(values.to_vec())),
        ],
    )
    .unwrap();
    let ctx = SessionContext::new();
    ctx.register_batch("t", batch).unwrap();
    let sql = format!("select {expr} as out from t order by i");
    let batches = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
    let mut out = Vec::new();
    for b in batches {
        let col = b.column(0).as_string::<i32>();
        out.extend((0..col.len()).map(|i| col.value(i).to_string()));
    }
    out
}

/// The level the bundled rules (after `extra`) give each title.
async fn levels(extra: &[TitleRule], titles: &[&str]) -> Vec<String> {
    let values: Vec<Option<&str>> = titles.iter().map(|t| Some(*t)).collect();
    eval(&job_seniority(extra).unwrap(), "job_title", &values).await
}

/// Assert each title gets its expected level, listing every miss.
async fn assert_levels(cases: &[(&str, &str)]) {
    let titles: Vec<&str> = cases.iter().map(|(t, _)| *t).collect();
    let got = levels(&[], &titles).await;
    let misses: Vec<String> = cases
        .iter()
        .zip(&got)
        .filter(|((_, want), got)| want != got)
        .map(|((title, want), got)| format!("{title}: want {want}, got {got}"))
        .collect();
    assert!(misses.is_empty(), "{}", misses.join("\n"));
}

/// English titles, with the level each gets.
const EN: &[(&str, &str)] = &[
    ("CEO", "executive"),
    ("Co-founder & CEO", "executive"),
    ("VP Sales", "director"),
    ("Head of Marketing", "director"),
    ("Engineering Manager", "manager"),
    ("Team Lead", "manager"),
    ("Marketing Intern", "entry"),
    ("Software Engineer", "individual_contributor"),
    ("Chef", "individual_contributor"),
    ("Sous-chef", "individual_contributor"),
];

/// German titles, with the level each gets.
const DE: &[(&str, &str)] = &[
    ("Geschäftsführer", "executive"),
    ("Geschäftsführerin", "executive"),
    ("GESCHÄFTSFÜHRER", "executive"),
    ("Vorstandsvorsitzender", "executive"),
    ("Mitgründerin", "executive"),
    ("Abteilungsleiter Einkauf", "director"),
    ("Vertriebsleiterin", "director"),
    ("Leiterin Marketing", "director"),
    ("Vertriebsdirektor", "director"),
    ("Teamleiter Kundenservice", "manager"),
    ("Projektleiterin", "manager"),
    ("Praktikantin Marketing", "entry"),
    ("Werkstudent Vertrieb", "entry"),
    ("Assistenz der Geschäftsführung", "entry"),
    ("Vorstandsassistentin", "entry"),
    ("Auszubildender Industriekaufmann", "entry"),
    ("Softwareentwickler", "individual_contributor"),
    ("Sachbearbeiterin Buchhaltung", "individual_contributor"),
];

/// French titles, with the level each gets.
const FR: &[(&str, &str)] = &[
    ("Président-directeur général", "executive"),
    ("PDG", "executive"),
    ("Directrice générale", "executive"),
    ("Cofondatrice", "executive"),
    ("Directeur commercial", "director"),
    ("DIRECTEUR", "director"),
    ("Vice-présidente marketing", "director"),
    ("Chef de projet", "manager"),
    ("Chef d'équipe", "manager"),
    ("Responsable marketing", "manager"),
    ("Stagiaire", "entry"),
    ("Assistante de direction", "entry"),
    ("Étudiante en alternance", "entry"),
    ("Ingénieur logiciel", "individual_contributor"),
    ("Comptable", "individual_contributor"),
];

/// Spanish titles, with the level each gets.
const ES: &[(&str, &str)] = &[
    ("Director general", "executive"),
    ("Consejera delegada", "executive"),
    ("Fundador", "executive"),
    ("Directora de marketing", "director"),
    ("Subdirector comercial", "director"),
    ("Vicepresidenta de ventas", "director"),
    ("Jefe de proyecto", "manager"),
    ("Gerente de ventas", "manager"),
    ("Becaria de marketing", "entry"),
    ("Auxiliar administrativo", "entry"),
    ("Ingeniero de software", "individual_contributor"),
    ("Contable", "individual_contributor"),
];

/// Dutch titles, with the level each gets.
const NL: &[(&str, &str)] = &[
    ("Algemeen directeur", "executive"),
    ("Eigenaar", "executive"),
    ("Medeoprichter", "executive"),
    ("Directeur", "director"),
    ("Hoofd marketing", "director"),
    ("Afdelingshoofd", "director"),
    ("Teamleider", "manager"),
    ("Projectleider", "manager"),
    ("Officemanager", "manager"),
    ("Stagiair marketing", "entry"),
    ("Directieassistente", "entry"),
    ("Accountmanager", "individual_contributor"),
    ("Medewerker klantenservice", "individual_contributor"),
];

/// Norwegian titles, with the level each gets.
const NO: &[(&str, &str)] = &[
    ("Daglig leder", "executive"),
    ("Administrerende direktør", "executive"),
    ("Gründer", "executive"),
    ("Salgsdirektør", "director"),
    ("Avdelingsleder", "director"),
    ("Prosjektleder", "manager"),
    ("Salgssjef", "manager"),
    ("Lærling", "entry"),
    ("Sommervikar", "entry"),
    ("Utvikler", "individual_contributor"),
    ("Selger", "individual_contributor"),
];

/// Danish titles, with the level each gets.
const DA: &[(&str, &str)] = &[
    ("Adm. direktør", "executive"),
    ("Medstifter", "executive"),
    ("Indehaver", "executive"),
    ("Økonomidirektør", "director"),
    ("Afdelingsleder", "director"),
    ("Salgschef", "manager"),
    ("Projektleder", "manager"),
    ("Kontorelev", "entry"),
    ("Studentermedhjælper", "entry"),
    ("Bogholder", "individual_contributor"),
    ("Udvikler", "individual_contributor"),
];

/// Swedish titles, with the level each gets.
const SV: &[(&str, &str)] = &[
    ("VD", "executive"),
    ("Verkställande direktör", "executive"),
    ("Delägare", "executive"),
    ("Försäljningsdirektör", "director"),
    ("Avdelningschef", "director"),
    ("Marknadschef", "manager"),
    ("IT-chef", "manager"),
    ("Projektledare", "manager"),
    ("Praktikant", "entry"),
    ("Lärling", "entry"),
    ("Utvecklare", "individual_contributor"),
    ("Säljare", "individual_contributor"),
];

/// Russian titles, with the level each gets.
const RU: &[(&str, &str)] = &[
    ("Генеральный директор", "executive"),
    ("ГЕНЕРАЛЬНЫЙ ДИРЕКТОР", "executive"),
    ("Соучредитель", "executive"),
    ("Коммерческий директор", "director"),
    ("Руководитель отдела продаж", "director"),
    ("Заместитель директора", "director"),
    ("Вице-президент по продажам", "director"),
    ("Руководитель проекта", "manager"),
    ("Начальник смены", "manager"),
    ("Стажёр", "entry"),
    ("Помощник руководителя", "entry"),
    ("Младший аналитик", "entry"),
    ("Бухгалтер", "individual_contributor"),
    ("Менеджер по продажам", "individual_contributor"),
    ("Программист", "individual_contributor"),
];

/// Vietnamese titles, with the level each gets.
const VI: &[(&str, &str)] = &[
    ("Tổng giám đốc", "executive"),
    ("TỔNG GIÁM ĐỐC", "executive"),
    ("Phó tổng giám đốc", "executive"),
    ("Chủ tịch hội đồng quản trị", "executive"),
    ("Nhà sáng lập", "executive"),
    ("CEO / Tổng giám đốc", "executive"),
    ("Giám đốc kinh doanh", "director"),
    ("Phó giám đốc", "director"),
    ("Trưởng phòng nhân sự", "manager"),
    ("Trưởng nhóm", "manager"),
    ("Quản lý dự án", "manager"),
    ("Thực tập sinh", "entry"),
    ("Trợ lý giám đốc", "entry"),
    ("Nhân viên kinh doanh", "individual_contributor"),
    ("Kỹ sư phần mềm", "individual_contributor"),
];

/// Every language's titles.
const LANGUAGES: [&[(&str, &str)]; 10] = [EN, DE, FR, ES, NL, NO, DA, SV, RU, VI];

#[tokio::test]
async fn english_titles() {
    assert_levels(EN).await;
}

#[tokio::test]
async fn german_titles() {
    assert_levels(DE).await;
}

#[tokio::test]
async fn french_titles() {
    assert_levels(FR).await;
}

#[tokio::test]
async fn spanish_titles() {
    assert_levels(ES).await;
}

#[tokio::test]
async fn dutch_titles() {
    assert_levels(NL).await;
}

#[tokio::test]
async fn norwegian_titles() {
    assert_levels(NO).await;
}

#[tokio::test]
async fn danish_titles() {
    assert_levels(DA).await;
}

#[tokio::test]
async fn swedish_titles() {
    assert_levels(SV).await;
}

#[tokio::test]
async fn russian_titles() {
    assert_levels(RU).await;
}

#[tokio::test]
async fn vietnamese_titles() {
    assert_levels(VI).await;
}

#[tokio::test]
async fn a_missing_title_is_unknown() {
    let expr = job_seniority(&[]).unwrap();
    let got = eval(&expr, "job_title", &[None, Some("")]).await;
    assert_eq!(got, ["unknown", "individual_contributor"]);
}

/// The generator's titles (`src/tooling/generate`), each with the level it is planted as.
#[rustfmt::skip]
const GENERATED: &[&str] = &[
    "CEO", "Founder", "Co-founder & CEO", "CTO", "Chief Marketing Officer", "Owner", "CFO",
    "VP of Engineering", "VP Sales", "Head of Marketing", "Director of Operations", "Head of IT",
    "Director of Product", "Engineering Manager", "Marketing Manager", "Team Lead",
    "Principal Engineer", "Product Manager", "Office Manager", "Marketing Intern",
    "Junior Developer", "Sales Assistant", "Marketing Coordinator", "Graduate Trainee",
    "Working Student", "Software Engineer", "Data Analyst", "Accountant", "UX Designer",
    "DevOps Engineer", "Account Executive", "Consultant", "Chief Information Officer",
    "Backend Developer", "Frontend Developer", "Data Engineer", "Co-Founder", "Founder and Owner",
    "Coordinator", "Assistant", "Marketing Assistant", "Student", "Research Fellow", "PhD Candidate",
];

/// More English titles, some on the edges of today's rules.
#[rustfmt::skip]
const ENGLISH: &[&str] = &[
    "Vice President of Sales", "Assistant Director", "Executive Assistant", "Managing Director",
    "Head Chef", "Chef", "Sous-chef", "Supervisor", "Lead Developer", "President", "COO",
    "Key Account Manager", "Sales Representative", "Customer Success Lead", "Store Manager",
    "Teacher", "Nurse", "Partner", "Senior Director", "Apprentice", "HR Generalist",
];

/// Today's English rules (before the rules files), as the reference.
fn legacy(title: &str) -> &'static str {
    let rules = [
        (
            r"\b(founder|co-founder|owner|ceo|cto|cio|cfo|coo|chief|president)\b",
            "executive",
        ),
        (r"\b(vp|vice president|head|director)\b", "director"),
        (r"\b(manager|lead|principal)\b", "manager"),
        (
            r"\b(intern|student|assistant|coordinator|trainee|junior)\b",
            "entry",
        ),
    ];
    rules
        .iter()
        .find(|(re, _)| {
            regex::Regex::new(&format!("(?i){re}"))
                .unwrap()
                .is_match(title)
        })
        .map_or("individual_contributor", |(_, level)| level)
}

#[tokio::test]
async fn english_titles_keep_todays_levels() {
    let titles: Vec<&str> = GENERATED.iter().chain(ENGLISH).copied().collect();
    let got = levels(&[], &titles).await;
    for (title, got) in titles.iter().zip(&got) {
        assert_eq!(got, legacy(title), "{title}");
    }
    // The reference itself tells the levels apart.
    assert_eq!(legacy("Head of IT"), "director");
    assert_eq!(legacy("Vice President of Sales"), "executive");
}

#[test]
fn each_bundled_level_is_one_alternation() {
    let sql = job_seniority(&[]).unwrap();
    assert_eq!(sql.matches("regexp_like").count(), 4, "{sql}");
    let order: Vec<usize> = ["'executive'", "'director'", "'manager'", "'entry'"]
        .iter()
        .map(|l| sql.find(l).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{sql}");
}

#[tokio::test]
async fn config_rules_come_first_and_are_quoted() {
    let rule = |level: &str, pattern: &str| TitleRule {
        level: level.into(),
        pattern: pattern.into(),
    };
    let extra = [
        rule("director", r"\bdirettore\b"),
        rule("manager", r"\bchef d'atelier\b"),
        rule("individual_contributor", "^head chef$"),
    ];
    let got = levels(
        &extra,
        &["Direttore commerciale", "Chef d'atelier", "Head Chef"],
    )
    .await;
    assert_eq!(got, ["director", "manager", "individual_contributor"]);
    // Without them: Italian is not bundled, and a head chef is a head.
    let got = levels(&[], &["Direttore commerciale", "Head Chef"]).await;
    assert_eq!(got, ["individual_contributor", "director"]);
}

#[tokio::test]
async fn gender_values_in_each_language() {
    #[rustfmt::skip]
    let cases = [
        ("female", "female"), ("F", "female"), ("Male", "male"), (" m ", "male"),
        ("weiblich", "female"), ("Männlich", "male"), ("divers", "other"), ("d", "other"),
        ("femme", "female"), ("Homme", "male"), ("h", "male"),
        ("mujer", "female"), ("hombre", "male"),
        ("vrouw", "female"), ("v", "female"), ("man", "male"),
        ("kvinne", "female"), ("mann", "male"), ("k", "female"),
        ("kvinde", "female"), ("mand", "male"),
        ("kvinna", "female"), ("manlig", "male"),
        ("Женский", "female"), ("мужской", "male"), ("ж", "female"),
        ("Nữ", "female"), ("nam", "male"),
        ("", "unknown"), ("u", "unknown"),
    ];
    let values: Vec<Option<&str>> = cases.iter().map(|(v, _)| Some(*v)).collect();
    let got = eval(&gender(&[]).unwrap(), "gender", &values).await;
    for ((value, want), got) in cases.iter().zip(&got) {
        assert_eq!(got, want, "{value:?}");
    }
    assert_eq!(
        eval(&gender(&[]).unwrap(), "gender", &[None]).await,
        ["unknown"]
    );
}

#[tokio::test]
async fn config_genders_come_first() {
    let extra = [
        GenderRule {
            value: "2".into(),
            gender: "female".into(),
        },
        GenderRule {
            value: "M".into(),
            gender: "female".into(),
        },
        GenderRule {
            value: "o'ther".into(),
            gender: "other".into(),
        },
    ];
    let got = eval(
        &gender(&extra).unwrap(),
        "gender",
        &[Some("2"), Some("m"), Some("O'ther"), Some("h")],
    )
    .await;
    assert_eq!(got, ["female", "female", "other", "male"]);
}

#[test]
fn bundled_genders_do_not_contradict_each_other() {
    let (_, genders) = bundled().unwrap();
    for a in genders {
        for b in genders.iter().filter(|b| b.value == a.value) {
            assert_eq!(a.gender, b.gender, "`{}`", a.value);
        }
    }
}

#[tokio::test]
async fn templates_replace_both_variables() {
    let sql = "select {{ job_seniority }} as s, {{ gender }} as g from t";
    let out = render(sql, &[], &[]).unwrap();
    assert!(!out.contains("{{"), "{out}");
    let values = [Some("Giám đốc")];
    let expr = out
        .trim_start_matches("select ")
        .split(" as s,")
        .next()
        .unwrap();
    assert_eq!(eval(expr, "job_title", &values).await, ["director"]);
}

#[test]
fn fast_boundaries_match_as_the_rules_are_written() {
    let titles = LANGUAGES
        .iter()
        .flat_map(|l| l.iter().map(|(t, _)| *t))
        .chain(GENERATED.iter().chain(ENGLISH).copied());
    let titles: Vec<&str> = titles.collect();
    let (rules, _) = bundled().unwrap();
    for r in rules {
        let (_, inner, _) = split_boundaries(&r.pattern);
        assert!(
            !inner.contains(r"\b"),
            "a `\\b` inside `{}` is slow",
            r.pattern
        );
        let written = regex::Regex::new(&format!("(?i){}", r.pattern)).unwrap();
        let fast = fast_alternation(std::slice::from_ref(r));
        let fast = regex::Regex::new(&format!("(?i){fast}")).unwrap();
        for t in &titles {
            assert_eq!(
                written.is_match(t),
                fast.is_match(t),
                "`{}` on {t}",
                r.pattern
            );
        }
    }
    assert_eq!(split_boundaries(r"\bvd\b"), (true, "vd", true));
    assert_eq!(split_boundaries(r"a\\b"), (false, r"a\\b", false));
    assert_eq!(split_boundaries(r"a\bb"), (false, r"a\bb", false));
    let rule = |pattern: &str| TitleRule {
        level: "manager".into(),
        pattern: pattern.into(),
    };
    assert_eq!(
        fast_alternation(&[rule(r"\ba\b"), rule("b"), rule(r"\bc\b"), rule(r"d\b")]),
        r"(?:(?:b))|(?:(?:d))(?:\W|$)|(?:^|\W)(?:(?:a)|(?:c))(?:\W|$)"
    );
}
