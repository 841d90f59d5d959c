-- Staging: Salesforce accounts (Data Loader / Bulk API CSV of Account), one row per account
-- record. Ids were made 18 characters and numbers checked at landing. The company fields the
-- Salesforce contacts of the account get in int_salesforce__contacts. No joins here.
with source as (
    select * from raw_salesforce__accounts
),

renamed as (
    select
        -- ids
        trim("Id") as account_id,
        nullif(trim("Name"), '') as account_name,

        -- company
        nullif(trim("Industry"), '') as industry,
        cast(nullif(trim("NumberOfEmployees"), '') as double) as employees,
        -- the company's own yearly revenue (a measure of its size), not money it spent with us
        cast(nullif(trim("AnnualRevenue"), '') as double) as annual_revenue,
        nullif(trim("BillingCountry"), '') as billing_country,

        -- lineage
        _source_file, _source_line, _loaded_at
    from source
)

select * from renamed
