//! Command line: `personas run` (one date, or a backfill with `--since`/`--until`), `validate`,
//! `suggest-criteria`, `crm ack` and `crm status` (CRM imports), the developer tooling's
//! `generate`, `evaluate` and `bench` ([`crate::tooling`]), and with the `ballista` feature a
//! cluster's `scheduler` and `executor` (`engine::nodes`). Parses arguments into one
//! type and runs the library; `main.rs` only sets up logging and maps errors to exit codes.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{template, AutoKeyword, CriteriaSpec, CrmTarget, Pipeline};
use crate::error::{Error, Result};
use crate::output::lock::RunLock;
use crate::pipeline::{self, Fault, RunOptions};
use crate::sinks::crm::{self, PushMode};
use crate::sources;
use crate::tooling::bench::{self, BenchOptions};
use crate::tooling::evaluate::{self, EvaluateOptions, SuiteOptions};
use crate::tooling::generate::design::DesignOptions;
use crate::tooling::generate::{self, AddedContacts, GenerateOptions};

/// Data-driven buyer personas from your own CRM, email, web-analytics and social exports.
#[derive(Debug, Parser)]
#[command(name = "personas", version, about)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Log output formats.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a pipeline for one logical date, or a backfill of several (`--since`/`--until`).
    Run {
        /// Pipeline config, e.g. pipelines/sample.toml.
        config: PathBuf,
        /// Logical date (YYYY-MM-DD); default today in UTC.
        #[arg(long, conflicts_with_all = ["since", "until"])]
        date: Option<NaiveDate>,
        /// Backfill: first logical date to run (each date in order, a full run each).
        #[arg(long)]
        since: Option<NaiveDate>,
        /// Backfill: last logical date to run (inclusive); default today in UTC.
        #[arg(long, requires = "since")]
        until: Option<NaiveDate>,
        /// Run even when the date is already published from the same inputs and config
        /// (otherwise such a run does nothing and exits with 99).
        #[arg(long)]
        force: bool,
        /// Exit with 5 and publish nothing when no persona is big enough to trust.
        #[arg(long)]
        fail_on_insufficient_sample: bool,
        /// After the run, send the changed personas to HubSpot ([crm.hubspot]; token from its
        /// token_env).
        #[arg(long)]
        push: bool,
        /// With --push: only show what would change; send nothing.
        #[arg(long, requires = "push")]
        dry_run: bool,
    },
    /// Check a pipeline config and find its inputs, without writing anything.
    Validate {
        /// Pipeline config.
        config: PathBuf,
        /// Logical date the source paths are rendered for (YYYY-MM-DD); default today in UTC.
        #[arg(long)]
        date: Option<NaiveDate>,
    },
    /// Write sample exports with planted personas (and their true labels in truth.csv).
    Generate(GenerateArgs),
    /// Propose segmentation criteria from the data: runs the pipeline once into a temporary
    /// folder with `criteria = "auto"` and prints every candidate column ranked by the
    /// structure it shares with the others, and the criteria to paste into the config.
    SuggestCriteria {
        /// Pipeline config.
        config: PathBuf,
        /// Logical date the source paths are rendered for (YYYY-MM-DD); default today in UTC.
        #[arg(long)]
        date: Option<NaiveDate>,
    },
    /// CRM imports: say that a run's import file was imported, and show what each CRM has yet to
    /// get.
    #[command(subcommand)]
    Crm(CrmCommand),
    /// Check the modelling: generate exports with planted personas, run the pipeline on them
    /// and print the adjusted Rand index, the silhouette and each persona's stability.
    Evaluate(EvaluateArgs),
    /// Generate N contacts (about 10 web events each), run the pipeline on them, and print the
    /// wall time of each stage and the peak memory.
    Bench(BenchArgs),
    /// Start a Ballista scheduler for `[engine] kind = "ballista"`; runs until stopped.
    #[cfg(feature = "ballista")]
    Scheduler(crate::engine::nodes::SchedulerOptions),
    /// Start a Ballista executor serving a scheduler; runs until stopped.
    #[cfg(feature = "ballista")]
    Executor(crate::engine::nodes::ExecutorOptions),
}

/// `personas crm` subcommands.
#[derive(Debug, Subcommand)]
pub enum CrmCommand {
    /// Record that a run's CRM import file was imported: the next runs' files hold only the
    /// contacts whose persona changed since. Until then every run repeats them.
    Ack {
        /// Pipeline config.
        config: PathBuf,
        /// Run date of the imported file (YYYY-MM-DD).
        #[arg(long)]
        date: NaiveDate,
        /// Which import file was imported: hubspot, salesforce or generic (repeatable); default
        /// every import file of that run.
        #[arg(long = "file", value_parser = parse_crm_file)]
        files: Vec<CrmTarget>,
    },
    /// Show, for each import file of the latest run, what its CRM last confirmed, how many
    /// contacts it has yet to get, and which runs' imports were not acknowledged.
    Status {
        /// Pipeline config.
        config: PathBuf,
    },
}

/// An import file's name on the command line.
fn parse_crm_file(s: &str) -> std::result::Result<CrmTarget, String> {
    CrmTarget::ALL
        .into_iter()
        .find(|t| t.name() == s)
        .ok_or_else(|| format!("`{s}` is not hubspot, salesforce or generic"))
}

/// Arguments of `personas generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Folder to write into.
    #[arg(long)]
    pub out: PathBuf,
    /// Number of CRM contacts.
    #[arg(long, default_value_t = 2000)]
    pub contacts: usize,
    /// Random seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Date of the exports (GA4 covers the 30 days up to it).
    #[arg(long, default_value = "2026-11-20")]
    pub date: NaiveDate,
    /// Mean web events per contact.
    #[arg(long, default_value_t = 10.0)]
    pub events_per_contact: f64,
    /// 0 = well-separated personas, 1 = indistinguishable.
    #[arg(long, default_value_t = 0.0)]
    pub overlap: f64,
    /// Size of an extra, small planted group (0 = none).
    #[arg(long, default_value_t = 0)]
    pub small_group: usize,
    /// Contacts of a planted persona added after all the others, `<persona>=<count>`
    /// (repeatable), e.g. `--add bargain_founder=300 --add niche_researcher=150`: the
    /// exports of successive dates in which a persona grows or appears.
    #[arg(long = "add", value_name = "PERSONA=COUNT")]
    pub added: Vec<AddedContacts>,
    /// Write one of the robustness designs instead of the sample's personas (`firmographic`,
    /// `web`, `email`, `all`, `many`, `roles`, `buying` (with orders, carts and a survey),
    /// `null`; see `personas evaluate --design`).
    /// --overlap, --small-group and --add do not apply to designs.
    #[arg(long, conflicts_with_all = ["overlap", "small_group", "added"])]
    pub design: Option<String>,
}

/// Arguments of `personas evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Contacts of the four planted personas.
    #[arg(long, default_value_t = 2000)]
    pub contacts: usize,
    /// Random seed of the generator.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// 0 = well-separated personas, 1 = indistinguishable.
    #[arg(long, default_value_t = 0.0)]
    pub overlap: f64,
    /// Size of an extra, small planted group (0 = none).
    #[arg(long, default_value_t = 0)]
    pub small_group: usize,
    /// Run the robustness suite on these designs (repeatable, or `every`: every design but `buying`, which is run by name; `all` is the design with signal in every column): for each, the
    /// pipeline with the signal columns as criteria, with `criteria = "auto"`, with
    /// buyer/user buckets where roles are spread, and a plain k-means baseline.
    #[arg(long)]
    pub design: Vec<String>,
    /// Mean web events per contact (designs only).
    #[arg(long, default_value_t = 10.0)]
    pub events_per_contact: f64,
    /// Extra `[cluster]` setting for every run of the suite (repeatable), e.g.
    /// `--cluster 'k_choice = "silhouette"'`, to compare modelling choices.
    #[arg(long = "cluster", value_name = "TOML")]
    pub cluster_settings: Vec<String>,
    /// Folder for the generated data and outputs (default: a temporary folder, removed).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// SQL models folder (default: ./sql).
    #[arg(long, default_value = "sql")]
    pub sql_dir: PathBuf,
}

/// Arguments of `personas bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Numbers of contacts, comma-separated (`100000,250000,500000,1000000`): several are
    /// benchmarked one after the other, each in a process of its own, and compared.
    #[arg(long, value_delimiter = ',', default_value = "100000")]
    pub contacts: Vec<usize>,
    /// Mean web events per contact, comma-separated (`10,40`), each benchmarked at every size.
    #[arg(long, value_delimiter = ',', default_value = "10")]
    pub events_per_contact: Vec<f64>,
    /// Ballista executors, comma-separated (`1,2,4`): each run also on a cluster of that many
    /// executors started on this machine (`0`: the embedded engine, the default). Needs the
    /// `ballista` feature.
    #[arg(long, value_delimiter = ',', default_value = "0")]
    pub executors: Vec<usize>,
    /// Folder for the generated data and outputs (reused when the data is already there).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// SQL models folder (default: ./sql).
    #[arg(long, default_value = "sql")]
    pub sql_dir: PathBuf,
}

/// Run a parsed command line.
pub async fn execute(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run {
            config,
            date,
            since,
            until,
            force,
            fail_on_insufficient_sample,
            push,
            dry_run,
        } => {
            let pipeline = Pipeline::load(&config)?;
            // SIGTERM/SIGINT stop the run at the next stage boundary, publishing nothing.
            pipeline::interrupt::install_handlers();
            let today = Utc::now().date_naive();
            let opts = RunOptions {
                skip_unchanged: !force,
                fail_on_insufficient_sample,
                progress: std::io::stderr().is_terminal(),
                fault: fault_from_env()?,
                push: push.then_some(if dry_run {
                    PushMode::DryRun
                } else {
                    PushMode::Write
                }),
                ..RunOptions::new(date.unwrap_or(today))
            };
            match since {
                None => {
                    let report = pipeline::run(&pipeline, &opts).await?;
                    println!("{}{}", report.summary(), report.trends_summary());
                }
                Some(since) => backfill(&pipeline, since, until.unwrap_or(today), &opts).await?,
            }
        }
        Command::Validate { config, date } => {
            validate(&config, date.unwrap_or_else(|| Utc::now().date_naive())).await?
        }
        Command::Crm(command) => crm_command(command)?,
        Command::Generate(args) => args.run()?,
        Command::Evaluate(args) => args.run().await?,
        Command::Bench(args) => bench::bench(&args.into()).await?,
        #[cfg(feature = "ballista")]
        Command::Scheduler(opts) => crate::engine::nodes::scheduler(&opts).await?,
        #[cfg(feature = "ballista")]
        Command::Executor(opts) => crate::engine::nodes::executor(&opts).await?,
        Command::SuggestCriteria { config, date } => {
            suggest_criteria(&config, date.unwrap_or_else(|| Utc::now().date_naive())).await?
        }
    }
    Ok(())
}

impl GenerateArgs {
    /// Writes the sample exports, or the exports of `--design`, and says what was written.
    pub fn run(self) -> Result<()> {
        let out = self.out;
        let summary = match self.design {
            Some(design) => generate::design::generate_design(
                &out,
                &DesignOptions {
                    design,
                    contacts: self.contacts,
                    seed: self.seed,
                    export_date: self.date,
                    events_per_contact: self.events_per_contact,
                },
            )?,
            None => generate::generate(
                &out,
                &GenerateOptions {
                    contacts: self.contacts,
                    seed: self.seed,
                    export_date: self.date,
                    events_per_contact: self.events_per_contact,
                    overlap: self.overlap,
                    small_group: self.small_group,
                    added: self.added,
                },
            )?,
        };
        println!("{}", summary.wrote(&out));
        Ok(())
    }
}

impl EvaluateArgs {
    /// Runs the robustness suite on `--design`, or the sample's evaluation without it, and
    /// prints its report.
    pub async fn run(self) -> Result<()> {
        if !self.design.is_empty() {
            let opts = SuiteOptions {
                designs: self.design.into_iter().filter(|d| d != "every").collect(),
                contacts: self.contacts,
                seed: self.seed,
                events_per_contact: self.events_per_contact,
                dir: self.dir,
                sql_dir: self.sql_dir,
                cluster_settings: self.cluster_settings,
            };
            println!(
                "{}",
                evaluate::suite::summary(&evaluate::run_suite(&opts).await?)
            );
            return Ok(());
        }
        let opts = EvaluateOptions {
            contacts: self.contacts,
            seed: self.seed,
            overlap: self.overlap,
            small_group: self.small_group,
            dir: self.dir,
            sql_dir: self.sql_dir,
        };
        println!("{}", evaluate::evaluate(&opts).await?.summary());
        Ok(())
    }
}

impl From<BenchArgs> for BenchOptions {
    fn from(args: BenchArgs) -> BenchOptions {
        BenchOptions {
            contacts: args.contacts,
            events_per_contact: args.events_per_contact,
            executors: args.executors,
            dir: args.dir,
            sql_dir: args.sql_dir,
        }
    }
}

/// `personas crm ack` (under the run lock) and `personas crm status`.
fn crm_command(command: CrmCommand) -> Result<()> {
    match command {
        CrmCommand::Ack {
            config,
            date,
            files,
        } => {
            let pipeline = Pipeline::load(&config)?;
            let out = template::for_date(&pipeline, date)?.output_dir();
            let _lock = RunLock::acquire(&out, &pipeline.config.name, date)?;
            let done = crm::acks::acknowledge(&out, date, &files)?;
            let published = done.published_at.map_or("unknown".into(), |t| {
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            });
            for file in &done.files {
                println!(
                    "acknowledged the {file} import of {date} (files published {published}): later {file} files hold only the contacts changed since"
                );
            }
            for file in &done.republished {
                eprintln!(
                    "warning: {date} was rerun after its {file} import was last acknowledged; its files were published again at {published}: if the {file} file you imported is older, import the one in {} again",
                    crm::acks::crm_dir(&out, date).display()
                );
            }
        }
        CrmCommand::Status { config } => {
            let pipeline = Pipeline::load(&config)?;
            let out = template::for_date(&pipeline, Utc::now().date_naive())?.output_dir();
            let statuses = crm::status::status(&out)?;
            print!("{}", crm::status::summary(&statuses, &config));
        }
    }
    Ok(())
}

async fn suggest_criteria(config: &Path, date: NaiveDate) -> Result<()> {
    let mut pipeline = Pipeline::load(config)?;
    let tmp = std::env::temp_dir().join(format!("personas-suggest-{}", std::process::id()));
    pipeline.config.output_dir = tmp.clone();
    pipeline.config.features.criteria = Some(CriteriaSpec::Auto(AutoKeyword::Auto));
    let run = pipeline::run(&pipeline, &RunOptions::new(date)).await;
    let _ = std::fs::remove_dir_all(&tmp);
    match run?.suggestion {
        Some(s) => print!("{}", s.text()),
        None => println!("no criteria proposed"),
    }
    Ok(())
}

async fn validate(config: &Path, date: NaiveDate) -> Result<()> {
    let pipeline = Pipeline::load(config)?;
    let rendered = template::for_date(&pipeline, date)?;
    pipeline::columns::check(&rendered, date).await?;
    println!(
        "config {} is valid; every column it names is in the feature model",
        config.display()
    );
    print!("{}", sources::validate::report(&rendered).await?);
    Ok(())
}

/// The test hook of the `PERSONAS_FAULT` environment variable (see [`Fault`]).
fn fault_from_env() -> Result<Option<Fault>> {
    match std::env::var("PERSONAS_FAULT") {
        Ok(v) if !v.is_empty() => v.parse().map(Some).map_err(|message| Error::Config {
            path: PathBuf::from("$PERSONAS_FAULT"),
            message,
        }),
        _ => Ok(None),
    }
}

/// Run every date of a backfill in order, printing each run's summary; all dates skipped as
/// having nothing new to do is [`Error::NothingToDo`] (exit code 99).
async fn backfill(
    pipeline: &Pipeline,
    since: NaiveDate,
    until: NaiveDate,
    opts: &RunOptions,
) -> Result<()> {
    if since > until {
        return Err(Error::Config {
            path: pipeline.path.clone(),
            message: format!("backfill: --since {since} is after --until {until}"),
        });
    }
    let (ran, skipped) = pipeline::backfill(pipeline, since, until, opts, |report| {
        println!("{}{}", report.summary(), report.trends_summary());
    })
    .await?;
    println!(
        "backfill {since}..{until}: {} dates run, {} skipped (nothing new to do)",
        ran.len(),
        skipped.len()
    );
    if ran.is_empty() {
        return Err(Error::NothingToDo {
            run_date: format!("{since}..{until}"),
            manifest: pipeline.output_dir().join(crate::output::MANIFESTS),
        });
    }
    Ok(())
}
