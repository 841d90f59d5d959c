//! A Ballista scheduler or executor in this process (`personas scheduler`, `personas
//! executor`): Ballista's own library entry points, with the S3 support of its core (the
//! store's settings from each job's `s3.*` session options, credentials from the process's
//! environment). Both run until the process is stopped.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use ballista_core::object_store::session_config_with_s3_support;
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_executor::executor_process::{start_executor_process, ExecutorProcessConfig};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;
use tracing::info;

use super::stores;
use crate::error::{Error, Result};

/// Where a scheduler listens (the options of `personas scheduler`).
#[derive(Debug, Clone, clap::Args)]
pub struct SchedulerOptions {
    /// Address to bind to (`127.0.0.1`, `0.0.0.0` for every interface, a host name).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Address the executors and drivers are told to reach it at (default: `--host`; give it
    /// when binding `0.0.0.0`).
    #[arg(long)]
    pub advertise_host: Option<String>,
    /// gRPC port the driver (`[engine] url`) and the executors connect to.
    #[arg(long, default_value_t = 50050)]
    pub port: u16,
}

/// Where an executor listens and which scheduler it serves (the options of `personas
/// executor`).
#[derive(Debug, Clone, clap::Args)]
pub struct ExecutorOptions {
    /// The scheduler, `host:port`.
    #[arg(long, default_value = "127.0.0.1:50050")]
    pub scheduler: String,
    /// Address to bind to (`127.0.0.1`, `0.0.0.0` for every interface, a host name).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Address the scheduler, the driver and the other executors are told to fetch results at
    /// (default: `--host`; give it when binding `0.0.0.0`).
    #[arg(long)]
    pub advertise_host: Option<String>,
    /// Arrow Flight port: the driver and the other executors fetch results here.
    #[arg(long, default_value_t = 50051)]
    pub port: u16,
    /// gRPC port the scheduler pushes tasks to.
    #[arg(long, default_value_t = 50052)]
    pub grpc_port: u16,
    /// Tasks run at once (default: the machine's cores).
    #[arg(long)]
    pub concurrent_tasks: Option<usize>,
    /// Folder of the shuffle files (default: a folder under the system's temp folder).
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
}

/// The functions an executor can run: Ballista's defaults and DataFusion's array functions
/// (`string_to_array`, `array_has`, ...), which the models use and Ballista 55's default
/// registry leaves out (a task calling one is rejected: "PhysicalExtensionCodec is not provided
/// for scalar function").
fn functions() -> BallistaFunctionRegistry {
    let mut registry = BallistaFunctionRegistry::default();
    for f in datafusion::functions_nested::all_default_nested_functions() {
        registry.scalar_functions.insert(f.name().to_string(), f);
    }
    registry
}

/// The error of a node that failed to start or stopped.
fn failed(node: &str, e: impl std::fmt::Display) -> Error {
    Error::Engine {
        message: format!("the {node} failed to start or stopped: {e}"),
        unsupported: false,
    }
}

/// Run a scheduler until the process is stopped.
///
/// # Errors
/// [`Error::Engine`] when it cannot bind its port or stops on an error.
pub async fn scheduler(opts: &SchedulerOptions) -> Result<()> {
    let address = format!("{}:{}", opts.host, opts.port);
    let addr: SocketAddr = tokio::net::lookup_host(&address)
        .await
        .map_err(|e| failed("scheduler", format!("cannot resolve {address}: {e}")))?
        .next()
        .ok_or_else(|| failed("scheduler", format!("{address} resolves to no address")))?;
    let mut config = SchedulerConfig::default()
        .with_override_config_producer(Arc::new(session_config_with_s3_support))
        .with_override_session_builder(Arc::new(stores::session_state));
    config.bind_host = opts.host.clone();
    config.external_host = opts.advertise_host.clone().unwrap_or(opts.host.clone());
    config.bind_port = opts.port;
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(|e| failed("scheduler", e))?;
    info!(%address, "Ballista scheduler listening.");
    start_server(cluster, addr, Arc::new(config))
        .await
        .map_err(|e| failed("scheduler", e))
}

/// Run an executor until the process is stopped.
///
/// # Errors
/// [`Error::Engine`] for a scheduler address that is not `host:port`, or when the executor
/// cannot bind its ports or stops on an error.
pub async fn executor(opts: &ExecutorOptions) -> Result<()> {
    let (host, port) = opts
        .scheduler
        .trim_start_matches("df://")
        .rsplit_once(':')
        .ok_or_else(|| failed("executor", "the scheduler must be given as host:port"))?;
    let scheduler_port: u16 = port.parse().map_err(|e| failed("executor", e))?;
    let defaults = ExecutorProcessConfig::default();
    let config = ExecutorProcessConfig {
        bind_host: opts.host.clone(),
        external_host: Some(opts.advertise_host.clone().unwrap_or(opts.host.clone())),
        port: opts.port,
        grpc_port: opts.grpc_port,
        scheduler_host: host.to_string(),
        scheduler_port,
        vcores: opts.concurrent_tasks.unwrap_or(defaults.vcores),
        work_dir: opts
            .work_dir
            .as_ref()
            .map(|d| d.display().to_string())
            .or(defaults.work_dir.clone()),
        override_config_producer: Some(Arc::new(session_config_with_s3_support)),
        override_runtime_producer: Some(Arc::new(stores::runtime_env)),
        override_function_registry: Some(Arc::new(functions())),
        ..defaults
    };
    info!(
        scheduler = %opts.scheduler,
        flight_port = opts.port,
        grpc_port = opts.grpc_port,
        tasks = config.vcores,
        "Ballista executor starting."
    );
    start_executor_process(Arc::new(config))
        .await
        .map_err(|e| failed("executor", e))
}
