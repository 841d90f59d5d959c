-- One row per answer of each survey respondent's latest response to each question, from every
-- survey source (Typeform, Google Forms, long answer CSVs: the staging models share one set of
-- columns, unioned by position), with the question's canonical text, type and card section,
-- and the contact the respondent is (null when none matches).
-- A respondent is their email (lower case, trimmed), else the response id of their source. A
-- question renamed between two exports is one question: its aliases under [surveys] read as its
-- declared text. When a respondent answered a question more than once, the latest submission's
-- answers are kept (all choices of a multiple selection), ties going to the file read last.
-- Types: the declared one, else `multi` when some answer is one choice of a multiple selection
-- (a Typeform choice column, a split Google Forms checkbox answer, several rows of one
-- submission), `scale` when every answer is a whole number from 0 to 10, `text` when over 20
-- answers are more than half distinct, else `single`.
-- Respondents match contacts by email: a respondent without a match keeps a null contact_id
-- and is counted by the run as unmatched (survey_respondents).
with answers as (
    select * from stg_typeform__answers
    union all
    select * from stg_google_forms__answers
    union all
    select * from stg_survey__answers
),

declared as {{ survey_declared_questions }},

canonical as (
    select
        *,
        coalesce(email, _source || ':' || respondent_id) as respondent,
        {{ survey_question }} as canonical_question
    from answers
),

ranked as (
    select
        *,
        rank() over (
            partition by respondent, canonical_question
            order by submitted_at desc nulls last, _source desc, _source_file desc, response desc
        ) as submission_rank
    from canonical
),

latest as (
    select * from ranked where submission_rank = 1
),

detected as (
    select
        canonical_question as question,
        case
            when bool_or(multi) then 'multi'
            when bool_and(regexp_like(answer, '^(10|[0-9])$')) then 'scale'
            when count(*) > 20 and count(distinct answer) * 2 > count(*) then 'text'
            else 'single'
        end as detected_type
    from latest
    group by canonical_question
),

question_types as (
    select
        d.question,
        coalesce(q.declared_type, d.detected_type) as question_type,
        q.section
    from detected d
    left join declared q on q.question = d.question
),

contacts as (
    select
        contact_id,
        lower(trim(email)) as email,
        row_number() over (partition by lower(trim(email)) order by contact_id) as email_rank
    from int_crm_contacts
    where email is not null and trim(email) <> ''
),

final as (
    select
        -- ids
        l.respondent,
        l.respondent_id,
        l.email,
        c.contact_id,
        -- answer
        l.submitted_at,
        l.canonical_question as question,
        t.question_type,
        t.section,
        l.answer,
        l.answer_index,
        -- lineage
        l._source,
        l._source_file,
        l._source_line,
        l._loaded_at
    from latest l
    join question_types t on t.question = l.canonical_question
    left join contacts c on c.email = l.email and c.email_rank = 1
)

select * from final
