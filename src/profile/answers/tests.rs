//! Tests of the survey answers on the card: a planted option is quoted with its numbers, an
//! option answered at random is not, a persona with too few respondents says so, a scale's
//! mean is compared, and free text gives its words and quotes.

use super::*;

/// A tiny seeded generator (xorshift), so "random" answers are the same every run.
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Labels: `a` contacts in persona 0, then `b` in persona 1.
fn labels(a: usize, b: usize) -> (Vec<usize>, Vec<usize>) {
    let labels: Vec<usize> = (0..a + b).map(|i| usize::from(i >= a)).collect();
    ((0..a + b).collect(), labels)
}

fn question(
    text: &str,
    kind: QuestionType,
    section: SurveySection,
    answer: impl Fn(usize) -> Option<Vec<String>>,
    n: usize,
) -> Question {
    Question {
        text: text.into(),
        kind,
        section,
        answers: (0..n).filter_map(|r| answer(r).map(|a| (r, a))).collect(),
    }
}

const STOPS: &str = "What stops you from buying?";
const COLOUR: &str = "Favourite colour?";

/// Answers to `questions`, quoted from 20 respondents on.
fn answers_to(questions: Vec<Question>) -> SurveyAnswers {
    SurveyAnswers {
        questions,
        min_respondents: 20,
    }
}

/// What the two personas of `labels` say in `answers`, with the default profile settings.
fn said_by_two(answers: &SurveyAnswers, rows: &[usize], labels: &[usize]) -> Vec<Vec<Said>> {
    bucket_statements(answers, rows, labels, 2, &ProfileConfig::default())
}

/// Persona 0 (100 contacts) chose Price 70 % of the time, persona 1 (200) 15 %; both answered
/// a colour question at random.
fn planted() -> SurveyAnswers {
    let mut rng = Rng(42);
    let colours: Vec<String> = (0..300)
        .map(|_| ["Red", "Green", "Blue"][(rng.unit() * 3.0) as usize].to_string())
        .collect();
    let stops = question(
        STOPS,
        QuestionType::Multi,
        SurveySection::Barriers,
        |r| {
            let price = if r < 100 { r % 10 < 7 } else { r % 20 < 3 };
            let mut a = vec!["Time".to_string()];
            if price {
                a.insert(0, "Price".into());
            }
            Some(a)
        },
        300,
    );
    let colour = question(
        COLOUR,
        QuestionType::Single,
        SurveySection::Values,
        |r| Some(vec![colours[r].clone()]),
        300,
    );
    answers_to(vec![stops, colour])
}

#[test]
fn a_planted_option_is_quoted_with_its_numbers_and_a_random_one_is_not() {
    let (rows, labels) = labels(100, 200);
    let said = said_by_two(&planted(), &rows, &labels);
    assert_eq!(
        said[0],
        vec![(
            SurveySection::Barriers,
            "70 % chose 'Price' for 'What stops you from buying?', vs 15 % of the rest; \
             100 respondents"
                .to_string()
        )]
    );
    // Persona 1 chose Price less and Time as often as persona 0: nothing sets it apart.
    assert!(said[1].is_empty(), "{:?}", said[1]);
    assert!(said.iter().flatten().all(|(_, t)| !t.contains(COLOUR)));
    let mut card = Card::default();
    fill(&mut card, &said[0]);
    assert_eq!(card.barriers.len(), 1);
    assert!(card.values.is_empty() && card.goals.is_empty());
}

#[test]
fn a_difference_too_small_to_be_large_is_not_quoted() {
    let (rows, labels) = labels(100, 200);
    // A 1.5x lift is needed: 70 % against 50 % is significant but not large enough.
    let q = question(
        STOPS,
        QuestionType::Single,
        SurveySection::Barriers,
        |r| {
            let price = if r < 100 { r % 10 < 7 } else { r % 2 == 0 };
            Some(vec![if price { "Price" } else { "Time" }.to_string()])
        },
        300,
    );
    let answers = answers_to(vec![q]);
    let said = said_by_two(&answers, &rows, &labels);
    assert!(said[0].is_empty(), "{said:?}");
    // Persona 1's 50 % "Time" against the rest's 30 % is large enough.
    assert_eq!(
        said[1],
        vec![(
            SurveySection::Barriers,
            "50 % chose 'Time' for 'What stops you from buying?', vs 30 % of the rest; \
             200 respondents"
                .to_string()
        )]
    );
    let loose = ProfileConfig {
        min_lift: 1.3,
        ..ProfileConfig::default()
    };
    let said = bucket_statements(&answers, &rows, &labels, 2, &loose);
    assert_eq!(said[0].len(), 1, "{said:?}");
    // Price (70 % vs 50 %) only; Time (30 % vs 50 %) is less common, never quoted.
    assert!(said[0][0].1.starts_with("70 % chose 'Price'"), "{said:?}");
}

#[test]
fn a_persona_with_too_few_respondents_says_so_in_each_section_instead_of_quoting() {
    let (rows, labels) = labels(100, 200);
    let mut answers = planted();
    // Only 12 of persona 0's contacts answered anything.
    for q in &mut answers.questions {
        q.answers.retain(|r, _| *r >= 88);
    }
    let said = said_by_two(&answers, &rows, &labels);
    let note = "Only 12 survey respondents: too few to say (20 needed)".to_string();
    assert_eq!(
        said[0],
        vec![
            (SurveySection::Barriers, note.clone()),
            (SurveySection::Values, note)
        ]
    );
    assert_eq!(
        too_few(1, 20),
        "Only 1 survey respondent: too few to say (20 needed)"
    );
}

#[test]
fn a_scale_mean_is_compared_with_welch_and_quoted_either_way() {
    let (rows, labels) = labels(60, 120);
    let q = question(
        "How likely are you to recommend us?",
        QuestionType::Scale,
        SurveySection::Values,
        |r| {
            let v = if r < 60 { 8 + r % 3 } else { 4 + r % 3 };
            Some(vec![v.to_string()])
        },
        180,
    );
    let answers = answers_to(vec![q]);
    let said = said_by_two(&answers, &rows, &labels);
    assert_eq!(
        said[0][0].1,
        "Rated 'How likely are you to recommend us?' 9.0 on average, vs 5.0 for the rest; \
         60 respondents"
    );
    assert_eq!(
        said[1][0].1,
        "Rated 'How likely are you to recommend us?' 5.0 on average, vs 9.0 for the rest; \
         120 respondents"
    );
    // The same spread with no difference: nothing to say.
    let mut flat = answers.clone();
    for (r, a) in flat.questions[0].answers.iter_mut() {
        a[0] = (4 + r % 3).to_string();
    }
    let said = said_by_two(&flat, &rows, &labels);
    assert!(said.iter().all(Vec::is_empty), "{said:?}");
}

#[test]
fn free_text_gives_the_words_that_set_a_persona_apart_and_short_quotes() {
    let (rows, labels) = labels(40, 80);
    let q = question(
        "What do you value most?",
        QuestionType::Text,
        SurveySection::Values,
        |r| {
            let text = match (r < 40, r % 4) {
                (true, 0) => "Fair PRICING, and the price of renewals".to_string(),
                (true, 1) => format!("Transparent pricing for team #{r}"),
                (true, _) => format!("Support that answers the phone, day {r}"),
                (false, 0) => "Pricing".to_string(),
                (false, _) => format!("Support that answers quickly, ticket {r}"),
            };
            Some(vec![text])
        },
        120,
    );
    let answers = answers_to(vec![q]);
    let per = Respondents::of(&answers.questions[0], &rows, &labels, 2);
    let top = text::top_words(&per, 0);
    let words: Vec<&str> = top.iter().map(|w| w.word.as_str()).collect();
    // "phone" and "day" are in half the answers and none of the rest's, "fair", "price" and
    // "renewals" in a quarter; "pricing" (20 of 40 against 20 of 80) is under twice as common,
    // "support" and "answers" less common than in the rest, "the" a stop word.
    assert_eq!(
        words,
        ["day", "phone", "fair", "price", "renewals"],
        "{top:?}"
    );
    assert!(!words.contains(&"support") && !words.contains(&"the"));
    assert_eq!(
        text::words("Fair PRICING, and the price!"),
        std::collections::BTreeSet::from(["fair", "price", "pricing"].map(String::from))
    );
    let said = said_by_two(&answers, &rows, &labels);
    assert_eq!(
        said[0][0].1,
        "Words that set their answers to 'What do you value most?' apart: 'day' (20 of 40 \
         answers, vs 0 % of the rest), 'phone' (20 of 40 answers, vs 0 % of the rest), 'fair' \
         (10 of 40 answers, vs 0 % of the rest), 'price' (10 of 40 answers, vs 0 % of the rest), \
         'renewals' (10 of 40 answers, vs 0 % of the rest); 40 respondents"
    );
    assert_eq!(
        said[0][1].1,
        "\"Support that answers the phone, day 2\" (a respondent, on 'What do you value most?')"
    );
    assert_eq!(said[0].len(), 3, "{:?}", said[0]);
    // A long answer is cut at 140 characters.
    let long = question(
        "Q",
        QuestionType::Text,
        SurveySection::Values,
        |_| Some(vec![format!("phone {}", "x".repeat(300))]),
        1,
    );
    let quoted = text::quotes(&Respondents::of(&long, &[0], &[0], 1), 0, "phone");
    assert_eq!(quoted[0].chars().count(), 140);
    assert!(quoted[0].ends_with('…'), "{quoted:?}");
}
