//! The schema of every persona table, defined once. Each table is a module with one constant
//! per column name and `columns()`, the columns in file order with their types (every column
//! nullable); the writers in [`super`] build their arrays in that order, and the history reader
//! (`pipeline::history`) reads the same tables back by the same constants.

use datafusion::arrow::datatypes::DataType;

/// A table's columns in file order: name and type.
pub type Columns = Vec<(&'static str, DataType)>;

/// Defines a table module: a constant per column (`NAME = "name": Type, "doc";`) and
/// `columns()` in the order given.
macro_rules! table {
    ($(#[$doc:meta])* $table:ident { $($konst:ident = $name:literal: $ty:ident, $cdoc:literal;)+ }) => {
        $(#[$doc])*
        pub mod $table {
            use datafusion::arrow::datatypes::DataType;
            /// The table's name: its folder in the output.
            pub const TABLE: &str = stringify!($table);
            $(#[doc = $cdoc] pub const $konst: &str = $name;)+
            /// The columns in file order, with their types.
            pub fn columns() -> super::Columns {
                vec![$(($konst, DataType::$ty)),+]
            }
        }
    };
}

table! {
    /// `personas`: one row per persona.
    personas {
        RUN_DATE = "run_date": Utf8, "The run's logical date.";
        PERSONA_ID = "persona_id": Utf8, "Stable persona id (`persona_3`).";
        PERSONA_NAME = "persona_name": Utf8, "Persona name.";
        BUCKET = "bucket": Utf8, "Bucket (`all`, `buyer`, `user`).";
        NEGATIVE = "negative": Boolean, "A negative persona (whom not to target).";
        SIZE = "size": UInt64, "Contacts.";
        SHARE = "share": Float64, "Share of the bucket's contacts.";
        SHARE_CI_LOW = "share_ci_low": Float64, "Wilson interval of the share, low end.";
        SHARE_CI_HIGH = "share_ci_high": Float64, "Wilson interval of the share, high end.";
        STABILITY = "stability": Float64, "Bootstrap stability.";
        FLAGS = "flags": Utf8, "Flags, comma-separated.";
        FLAG_REASONS = "flag_reasons": Utf8, "The reason of each flag.";
        PUBLISHABLE = "publishable": Boolean, "Whether the persona goes to the CRM files.";
        TOP_TRAITS = "top_traits": Utf8, "The traits that set it apart.";
        DESCRIPTION = "description": Utf8, "One-paragraph description.";
        DEMOGRAPHICS = "demographics": Utf8, "Card: the \"who\".";
        GOALS = "goals": Utf8, "Card: goals.";
        MOTIVATIONS = "motivations": Utf8, "Card: motivations.";
        FRUSTRATIONS = "frustrations": Utf8, "Card: frustrations.";
        ONLINE_BEHAVIOUR = "online_behaviour": Utf8, "Card: online behaviour.";
        OFFLINE_BEHAVIOUR = "offline_behaviour": Utf8, "Card: offline behaviour.";
        PREFERRED_CHANNEL = "preferred_channel": Utf8, "Card: preferred channel.";
        VS_SOCIAL_AUDIENCE = "vs_social_audience": Utf8, "Card: against the social audience.";
        PRIORITY = "priority": Utf8, "Where to focus: `primary`, `secondary`, `other` or `not_ranked`.";
        PRIORITY_SCORE = "priority_score": Float64, "The score it was ranked by (`[profile.priority]`).";
        BARRIERS = "barriers": Utf8, "Card: barriers (what stops them from buying).";
        VALUES = "values": Utf8, "Card: values (what they care about).";
    }
}

table! {
    /// `persona_members`: one row per contact and persona.
    persona_members {
        RUN_DATE = "run_date": Utf8, "The run's logical date.";
        CONTACT_ID = "contact_id": Utf8, "Contact id (the CRM's).";
        EMAIL = "email": Utf8, "Email.";
        BUCKET = "bucket": Utf8, "Bucket.";
        PERSONA_ID = "persona_id": Utf8, "Persona id.";
        PERSONA_NAME = "persona_name": Utf8, "Persona name.";
    }
}

table! {
    /// `persona_traits`: every feature level of every persona against the population.
    persona_traits {
        RUN_DATE = "run_date": Utf8, "The run's logical date.";
        PERSONA_ID = "persona_id": Utf8, "Persona id.";
        FEATURE = "feature": Utf8, "Feature column.";
        LEVEL = "level": Utf8, "Level of a categorical feature (empty for a numeric one).";
        PERSONA_VALUE = "persona_value": Float64, "The persona's share (or mean).";
        POPULATION_VALUE = "population_value": Float64, "The population's share (or mean).";
        LIFT = "lift": Float64, "Persona value over population value.";
        STD_DIFF = "std_diff": Float64, "Standardised difference.";
        AUDIENCE_SHARE = "audience_share": Float64, "The level's share of the social audience.";
        AUDIENCE_SOURCE = "audience_source": Utf8, "Where the audience share comes from.";
        P_VALUE = "p_value": Float64, "p-value of the difference.";
        P_ADJUSTED = "p_adjusted": Float64, "p-value adjusted for the number of tests.";
        SIGNIFICANT = "significant": Boolean, "Significant after adjustment.";
        DISTINCTIVE = "distinctive": Boolean, "Significant and large enough to describe the persona.";
    }
}

table! {
    /// `model_quality`: every k tried in every bucket.
    model_quality {
        RUN_DATE = "run_date": Utf8, "The run's logical date.";
        BUCKET = "bucket": Utf8, "Bucket.";
        K = "k": UInt64, "Number of clusters tried.";
        SILHOUETTE = "silhouette": Float64, "Mean silhouette.";
        INERTIA = "inertia": Float64, "Within-cluster sum of squares.";
        LOG_DISPERSION = "log_dispersion": Float64, "Log within-cluster dispersion.";
        NULL_LOG_DISPERSION_MEAN = "null_log_dispersion_mean": Float64, "Mean log dispersion of the permutation null.";
        NULL_LOG_DISPERSION_SD = "null_log_dispersion_sd": Float64, "Its standard deviation.";
        GAP = "gap": Float64, "Gap: null mean minus the data's log dispersion.";
        GAP_Z = "gap_z": Float64, "Gap in null standard deviations.";
        CHOSEN = "chosen": Boolean, "The k chosen.";
        CHOSEN_BY = "chosen_by": Utf8, "How k was chosen.";
        Z_NEEDED = "z_needed": Float64, "The gap z the structure test needs.";
        STRUCTURED = "structured": Boolean, "The bucket's structure verdict.";
        CRITERIA_WEIGHTS = "criteria_weights": Utf8, "The criteria with their columns and weights.";
        INDEPENDENCE_Z = "independence_z": Float64, "With k_choice = independence: the largest z of a cluster against its own null (empty when k was not tested).";
        INDEPENDENCE_Z_NEEDED = "independence_z_needed": Float64, "The z every cluster had to stay under.";
        CONTACTS = "contacts": UInt64, "Contacts in the bucket.";
        FITTED_CONTACTS = "fitted_contacts": UInt64, "Contacts the model was fitted on: all, or a sample of cluster.fit_contacts (every contact then assigned by the model's SQL).";
    }
}

table! {
    /// `crm_failures`: every record a push could not write.
    crm_failures {
        RUN_DATE = "run_date": Utf8, "The run's logical date.";
        CONTACT_ID = "contact_id": Utf8, "CRM id of the contact.";
        EMAIL = "email": Utf8, "Its email (empty when none).";
        PROPERTY = "property": Utf8, "Property written.";
        VALUE = "value": Utf8, "Value sent.";
        HTTP_STATUS = "http_status": Int32, "HTTP status of the last answer (null when no answer came).";
        MESSAGE = "message": Utf8, "The CRM's message (or the connection error).";
        FAILED_AT = "failed_at": Utf8, "When the push gave up on it.";
    }
}

table! {
    /// `persona_trends`: each persona against the previous run, and its history.
    persona_trends {
        RUN_DATE = "run_date": Utf8, "The run's logical date.";
        DATE = "date": Utf8, "The date the row describes.";
        PERSONA_ID = "persona_id": Utf8, "Persona id.";
        PERSONA_NAME = "persona_name": Utf8, "Persona name.";
        BUCKET = "bucket": Utf8, "Bucket.";
        STATUS = "status": Utf8, "`new`, `stable`, `growing`, `shrinking`, `vanished`, ...";
        SIZE = "size": UInt64, "Contacts.";
        SHARE = "share": Float64, "Share of the bucket.";
        PREVIOUS_DATE = "previous_date": Utf8, "The previous run's date.";
        PREVIOUS_SIZE = "previous_size": UInt64, "Contacts then.";
        PREVIOUS_SHARE = "previous_share": Float64, "Share then.";
        SHARE_CHANGE = "share_change": Float64, "Share now minus share then.";
        SHARE_CHANGE_Z = "share_change_z": Float64, "The change in standard errors.";
        SHARE_CHANGE_SIGNIFICANT = "share_change_significant": Boolean, "Whether the change is significant.";
        MEMBER_OVERLAP = "member_overlap": Float64, "Members shared with the matched persona.";
        PROFILE_DISTANCE = "profile_distance": Float64, "Distance between the two profiles.";
        RELATED_PERSONA_IDS = "related_persona_ids": Utf8, "Personas it split from or merged with.";
        LIFT_CHANGES = "lift_changes": Utf8, "Traits whose lift changed most.";
        CONTACTS_CHANGED_SHARE = "contacts_changed_share": Float64, "Share of contacts that changed persona.";
    }
}

table! {
    /// `persona_funnel`: every persona's purchase funnel against the rest of its bucket.
    persona_funnel {
        RUN_DATE = "run_date": Utf8, "The run's logical date.";
        PERSONA_ID = "persona_id": Utf8, "Persona id.";
        BUCKET = "bucket": Utf8, "Bucket.";
        STEP = "step": Utf8, "`visit`, `product`, `cart`, `checkout`, `purchase`, then `repeat` (buyers who bought again).";
        STEP_ORDER = "step_order": UInt32, "1 to 5 for the steps, 6 for `repeat`.";
        CONTACTS = "contacts": UInt64, "The persona's contacts reaching the step (the step or a later one).";
        BASE = "base": UInt64, "What the rate is out of: all its contacts (visit), the step before's, its buyers with a counted order (repeat).";
        RATE = "rate": Float64, "contacts / base; null when the base is 0.";
        RATE_CI_LOW = "rate_ci_low": Float64, "95 % Wilson interval of the rate, low end.";
        RATE_CI_HIGH = "rate_ci_high": Float64, "95 % Wilson interval of the rate, high end.";
        REST_CONTACTS = "rest_contacts": UInt64, "The same count in the rest of the bucket.";
        REST_BASE = "rest_base": UInt64, "The same base in the rest of the bucket.";
        REST_RATE = "rest_rate": Float64, "The rest's rate; null when its base is 0.";
        P_VALUE = "p_value": Float64, "Two-proportion z test of the rate against the rest's.";
        BIGGEST_DROP = "biggest_drop": Boolean, "The step where the persona converts least against the rest, significant at the profile alpha (at most one per persona).";
    }
}
