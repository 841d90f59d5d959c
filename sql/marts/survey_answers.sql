-- The survey answers of respondents who are contacts: one row per answer of each contact's
-- latest response to each question (a multiple selection one row per choice, in answer_index
-- order), with the question's canonical text, type and persona card section. Respondents who
-- match no contact are left out here and counted in survey_respondents.
select
    contact_id,
    question,
    question_type,
    section,
    answer,
    answer_index,
    submitted_at
from int_survey_answers
where contact_id is not null
order by contact_id, question, answer_index, answer
