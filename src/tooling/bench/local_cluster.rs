//! A Ballista cluster on this machine for `personas bench --executors N`: a scheduler and N
//! executors, each a child process of this executable (`personas scheduler`, `personas
//! executor`), logging to `<dir>/scheduler.log` and `<dir>/executor-<i>.log`; stopped on drop.
//! The run's `[engine]` then points at it, with a `file://` work folder all of them see.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// How long a node may take to listen on its port.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The scheduler and executors, killed when dropped.
#[derive(Debug)]
pub(super) struct LocalCluster {
    /// The scheduler's gRPC port.
    pub port: u16,
    /// Scheduler first, then the executors.
    children: Vec<Child>,
}

impl LocalCluster {
    /// Start a scheduler and `executors` executors (each running as many tasks at once as the
    /// machine has cores), logs and shuffle files under `dir`.
    ///
    /// # Errors
    /// [`Error::Io`] when a process cannot be started or does not listen in time.
    pub(super) fn start(executors: usize, dir: &Path) -> Result<LocalCluster> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let port = free_port(dir)?;
        let mut cluster = LocalCluster {
            port,
            children: Vec::new(),
        };
        let args = ["scheduler".to_string(), "--port".into(), port.to_string()];
        cluster.spawn(&args, &dir.join("scheduler.log"), port)?;
        for i in 0..executors {
            let (flight, grpc) = (free_port(dir)?, free_port(dir)?);
            let shuffle = dir.join(format!("shuffle-{i}"));
            std::fs::create_dir_all(&shuffle).map_err(|e| Error::io(&shuffle, e))?;
            let args = [
                "executor".to_string(),
                "--scheduler".into(),
                format!("127.0.0.1:{port}"),
                "--port".into(),
                flight.to_string(),
                "--grpc-port".into(),
                grpc.to_string(),
                "--work-dir".into(),
                shuffle.display().to_string(),
            ];
            cluster.spawn(&args, &dir.join(format!("executor-{i}.log")), flight)?;
        }
        Ok(cluster)
    }

    /// Start this executable with `args`, stderr to `log`, and wait until it listens on `port`.
    fn spawn(&mut self, args: &[String], log: &Path, port: u16) -> Result<()> {
        let exe = std::env::current_exe().map_err(|e| Error::io("personas", e))?;
        let file = std::fs::File::create(log).map_err(|e| Error::io(log, e))?;
        let child = Command::new(exe)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .map_err(|e| Error::io(log, e))?;
        self.children.push(child);
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let started = Instant::now();
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            let exited = self
                .children
                .last_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if exited.is_some() || started.elapsed() > START_TIMEOUT {
                let reason = format!(
                    "`personas {}` did not listen on {addr} (see the log)",
                    args.first().map_or("", String::as_str)
                );
                return Err(Error::io(log, std::io::Error::other(reason)));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        for child in self.children.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A port free on loopback now (the OS picks it).
fn free_port(dir: &Path) -> Result<u16> {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| Error::io(dir, e))
}
