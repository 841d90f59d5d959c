-- Salesforce contacts with their company and buying roles, one row per row of
-- stg_salesforce__contacts and with its columns (int_crm_contacts unions it by position):
-- - industry and employees (NumberOfEmployees) from the contact's account, and country from the
--   account's BillingCountry when the contact has no MailingCountry;
-- - buying_roles: every role of the contact over its opportunity contact roles, distinct, sorted,
--   `;`-separated; buying_role: the primary one, a role marked IsPrimary first, else the role on
--   the most opportunities, ties by name.
-- Accounts are matched on the first 15 characters of their id: that is the whole id, the last 3
-- of an 18-character id are a checksum of its case, so a report's 15-character AccountId and a
-- Data Loader's 18-character Id match. AnnualRevenue is the account's own revenue, not money it
-- spent with us: crm_revenue stays the contact's (null for Salesforce), and the revenue feature
-- is not inflated by company size. A contact whose account or roles were not exported (or a
-- pipeline without those sources: their raw tables are empty) keeps nulls.
with contacts as (
    select * from stg_salesforce__contacts
),

-- the AccountId of each contact record, by its lineage: stg_salesforce__contacts keeps only the
-- columns every CRM staging model shares
contact_accounts as (
    select
        _source_file,
        _source_line,
        max(left(nullif(trim("AccountId"), ''), 15)) as account_key
    from raw_salesforce__contacts
    group by _source_file, _source_line
),

accounts as (
    select * from stg_salesforce__accounts
),

roles as (
    select * from stg_salesforce__opportunity_contact_roles
),

-- one row per account (one exported twice: the row read last)
unique_accounts as (
    select account_key, industry, employees, billing_country
    from (
        select
            left(account_id, 15) as account_key,
            industry,
            employees,
            billing_country,
            row_number() over (
                partition by left(account_id, 15)
                order by _source_file desc, _source_line desc
            ) as account_rank
        from accounts
    )
    where account_rank = 1
),

-- one row per opportunity contact role with a role (one exported twice counts once)
unique_roles as (
    select contact_id, role, is_primary
    from (
        select
            *,
            row_number() over (
                partition by opportunity_contact_role_id
                order by _source_file desc, _source_line desc
            ) as role_rank
        from roles
    )
    where role_rank = 1 and role is not null
),

-- each role of each contact: on how many opportunities, and whether primary on any
role_counts as (
    select
        contact_id,
        role,
        count(*) as opportunities,
        bool_or(coalesce(is_primary, false)) as is_primary
    from unique_roles
    group by contact_id, role
),

contact_roles as (
    select
        contact_id,
        string_agg(role, ';' order by role) as buying_roles,
        first_value(role order by is_primary desc, opportunities desc, role) as buying_role
    from role_counts
    group by contact_id
),

final as (
    select
        -- ids
        c.contact_id,
        c.email,
        c.crm_system,

        -- person
        c.first_name,
        c.last_name,
        c.job_title,
        c.date_of_birth,
        c.gender,
        c.city,
        coalesce(nullif(c.country, ''), a.billing_country) as country,

        -- company
        coalesce(c.industry, a.industry) as industry,
        coalesce(c.employees, a.employees) as employees,

        -- relationship
        c.lifecycle_stage,
        cast(coalesce(c.buying_roles, r.buying_roles) as varchar) as buying_roles,
        cast(coalesce(c.buying_role, r.buying_role) as varchar) as buying_role,
        c.original_source,
        c.crm_revenue,
        c.created_at,
        c.last_activity_at,

        -- lineage
        c._source_file,
        c._source_line,
        c._loaded_at,
        c._source
    from contacts c
    left join contact_accounts ca
        on ca._source_file = c._source_file and ca._source_line = c._source_line
    left join unique_accounts a on a.account_key = ca.account_key
    left join contact_roles r on r.contact_id = c.contact_id
)

select * from final
