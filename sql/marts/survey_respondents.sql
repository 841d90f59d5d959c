-- One row per survey respondent (their email, else their response id), matched or not to a
-- contact by email: the run prints and records how many match none (matched = false), so no
-- respondent is dropped silently.
select
    respondent,
    max(email) as email,
    max(contact_id) as contact_id,
    max(contact_id) is not null as matched,
    count(distinct question) as questions,
    count(*) as answers,
    max(submitted_at) as last_submitted_at,
    string_agg(distinct _source, ', ') as sources
from int_survey_answers
group by respondent
order by respondent
