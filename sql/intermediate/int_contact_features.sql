-- One feature row per contact: the "who" (demographics, job, company) and the "why"
-- (email engagement, content, channels, devices, purchases, carts, revenue, recency). The clustering reads the
-- columns named in the pipeline's [features]; every other column describes personas.
with contacts as (
    select * from int_contacts_joined
),

features as (
    select
        -- ids
        contact_id,
        email,

        -- demographics
        case
            when date_of_birth is null then 'unknown'
            when age_years < 18 then 'under 18'
            when age_years < 25 then '18-24'
            when age_years < 35 then '25-34'
            when age_years < 45 then '35-44'
            when age_years < 55 then '45-54'
            when age_years < 65 then '55-64'
            else '65+'
        end as age_band,
        -- female, male, other or unknown, by the gender values in any of ten languages
        -- (src/transform/rules/gender.csv, then the config's own)
        {{ gender }} as gender,
        coalesce(country, 'unknown') as country,
        -- the numbers beside their bands (null when unknown)
        cast(age_years as double) as age,
        cast(employees as double) as employees,

        -- job and company
        -- executive, director, manager, entry or individual_contributor (unknown without a
        -- title), by the title rules in ten languages (src/transform/rules/job_seniority.csv,
        -- then the config's own)
        {{ job_seniority }} as job_seniority,
        case
            when employees is null then 'unknown'
            when employees <= 10 then '1-10'
            when employees <= 50 then '11-50'
            when employees <= 200 then '51-200'
            when employees <= 1000 then '201-1000'
            when employees <= 5000 then '1001-5000'
            else '5001+'
        end as company_size,
        coalesce(industry, 'unknown') as industry,

        -- relationship
        coalesce(buying_role, 'unknown') as buying_role,
        -- every buying role of the contact, `;`-separated (multi-valued)
        buying_roles,
        coalesce(lifecycle_stage, 'unknown') as lifecycle_stage,
        coalesce(original_source, 'unknown') as original_source,

        -- email engagement
        coalesce(email_status, 'not_on_list') as email_status,
        cast(email_rating as double) as email_rating,
        tags,

        -- web behaviour
        cast(coalesce(sessions, 0) as double) as sessions,
        cast(coalesce(page_views, 0) as double) as page_views,
        cast(coalesce(sections_visited, 0) as double) as sections_visited,
        -- shares of events by content group (`share_<group>`) and device; null (unknown, not zero) for
        -- contacts with no web activity
        {{ content_group_columns }}
        share_mobile,
        share_desktop,
        share_medium_organic,
        share_medium_cpc,
        share_medium_referral,
        share_medium_email,
        share_medium_social,
        share_medium_none,
        coalesce(top_section, 'none') as top_section,
        coalesce(top_medium, 'none') as top_medium,
        coalesce(main_device, 'none') as main_device,

        -- purchases (int_contact_orders): 0 orders and buyer type `none` without any; the
        -- other purchase columns are null (unknown, not zero) for contacts without an order
        cast(coalesce(orders, 0) as double) as orders,
        coalesce(buyer_type, 'none') as buyer_type,
        cast(aov as double) as aov,
        cast(order_revenue as double) as order_revenue,
        cast(discount_share as double) as discount_share,
        cast(refund_share as double) as refund_share,
        cast(days_between_orders as double) as days_between_orders,
        cast(first_order_at as date) as first_order_date,
        cast(last_order_at as date) as last_order_date,
        cast(
            (to_unixtime(cast({{ run_date }} as timestamp)) - to_unixtime(first_order_at)) / 86400
            as double
        ) as days_since_first_order,
        cast(
            (to_unixtime(cast({{ run_date }} as timestamp)) - to_unixtime(last_order_at)) / 86400
            as double
        ) as days_since_last_order,
        -- every category and product bought, `;`-separated (multi-valued)
        categories_bought,
        products_bought,

        -- carts and checkouts (GA4): 0 and false without any
        cast(coalesce(abandoned_carts, 0) as double) as abandoned_carts,
        cast(coalesce(abandoned_checkouts, 0) as double) as abandoned_checkouts,
        coalesce(abandoned_carts, 0) > 0 as cart_abandoned,
        coalesce(abandoned_checkouts, 0) > 0 as checkout_abandoned,

        -- your own CRM fields, typed as [[features.columns]] says
        {{ own_feature_columns }}

        -- value and recency
        coalesce(crm_revenue, 0.0) + coalesce(web_revenue, 0.0) as revenue,
        cast(
            (to_unixtime(cast({{ run_date }} as timestamp))
                - to_unixtime(greatest(
                    coalesce(last_activity_at, last_event_at),
                    coalesce(last_event_at, last_activity_at)))) / 86400 as double
        ) as days_since_activity
    from (
        select
            *,
            floor((to_unixtime(cast({{ run_date }} as timestamp))
                - to_unixtime(cast(date_of_birth as timestamp))) / 31557600.0) as age_years
        from contacts
    )
)

select * from features
