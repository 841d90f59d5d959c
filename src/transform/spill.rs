//! The memory pool of the SQL session (`[engine] memory_limit`): DataFusion's spilling
//! operators (hash aggregations, sorts) share a limit, past which a partial aggregation passes
//! its groups on early and a final aggregation or a sort spills sorted runs to disk; every other
//! operator (a hash join's build side, a window's buffer, a merge) is counted, never refused.
//!
//! Why not DataFusion's own pools: they refuse a non-spilling operator too once the limit is
//! reached, and a hash join or a window cannot spill, so a limit small enough to bound the
//! aggregations failed the run (`int_crm_contacts`: "Resources exhausted"). Here a small limit
//! makes a run slower, never failed: a spilling operator may always hold [`MIN_SHARE`] and,
//! holding nothing, its next batch.
//!
//! What it bounds: an aggregation over events holds one entry a group, and with a constant
//! key column (a source's `_source`) DataFusion's partial aggregation keeps every group until
//! its input ends, so the distinct sessions of `int_web_sessions` were held twice, and grew
//! with the events. With the limit, 4x the events per contact at 100,000 contacts peaked at
//! 238 MB where 1x did at 238 MB (293 MB without it; see the README's "Benchmark").

use std::fmt;
use std::sync::Mutex;

use datafusion::error::{DataFusionError, Result};
use datafusion::execution::memory_pool::{
    MemoryConsumer, MemoryLimit, MemoryPool, MemoryReservation,
};
use datafusion::physical_plan::ExecutionPlan;

/// What a spilling operator may hold whatever the limit and their number: below this, sorts
/// and aggregations spill so often that their merges cost more than the memory saved.
pub const MIN_SHARE: usize = 16 << 20;

/// Spilling operators share `limit` evenly (at least [`MIN_SHARE`] each); the others are
/// counted and never refused.
#[derive(Debug)]
pub struct SpillPool {
    /// Bytes the spilling operators may hold together.
    limit: usize,
    /// Bytes each may hold whatever the limit ([`MIN_SHARE`] outside tests).
    floor: usize,
    /// What is registered and reserved now.
    state: Mutex<State>,
}

/// The pool's counts.
#[derive(Debug, Default)]
struct State {
    /// Spilling operators registered.
    spillers: usize,
    /// Bytes reserved by spilling operators.
    spillable: usize,
    /// Bytes reserved by the others.
    unspillable: usize,
}

impl SpillPool {
    /// A pool whose spilling operators share `limit` bytes, [`MIN_SHARE`] at least each.
    pub fn new(limit: usize) -> Self {
        SpillPool::with_floor(limit, MIN_SHARE)
    }

    /// A pool whose spilling operators share `limit` bytes, `floor` at least each.
    fn with_floor(limit: usize, floor: usize) -> Self {
        SpillPool {
            limit,
            floor,
            state: Mutex::new(State::default()),
        }
    }

    /// The counts, whatever a panicking thread left them as (they are plain numbers).
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Bytes the operators of an executed `plan` spilled to disk, all partitions together.
pub fn spilled_bytes(plan: &dyn ExecutionPlan) -> usize {
    let own = plan.metrics().and_then(|m| m.spilled_bytes()).unwrap_or(0);
    own + plan
        .children()
        .into_iter()
        .map(|c| spilled_bytes(c.as_ref()))
        .sum::<usize>()
}

impl fmt::Display for SpillPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "spill(limit: {} bytes)", self.limit)
    }
}

impl MemoryPool for SpillPool {
    fn name(&self) -> &str {
        "spill"
    }

    fn register(&self, consumer: &MemoryConsumer) {
        if consumer.can_spill() {
            self.state().spillers += 1;
        }
    }

    fn unregister(&self, consumer: &MemoryConsumer) {
        if consumer.can_spill() {
            let mut state = self.state();
            state.spillers = state.spillers.saturating_sub(1);
        }
    }

    fn grow(&self, reservation: &MemoryReservation, additional: usize) {
        let mut state = self.state();
        if reservation.consumer().can_spill() {
            state.spillable += additional;
        } else {
            state.unspillable += additional;
        }
    }

    fn shrink(&self, reservation: &MemoryReservation, shrink: usize) {
        let mut state = self.state();
        if reservation.consumer().can_spill() {
            state.spillable = state.spillable.saturating_sub(shrink);
        } else {
            state.unspillable = state.unspillable.saturating_sub(shrink);
        }
    }

    fn try_grow(&self, reservation: &MemoryReservation, additional: usize) -> Result<()> {
        let mut state = self.state();
        if !reservation.consumer().can_spill() {
            state.unspillable += additional;
            return Ok(());
        }
        let share = (self.limit / state.spillers.max(1)).max(self.floor);
        let held = reservation.size();
        if held > 0 && held + additional > share {
            return Err(DataFusionError::ResourcesExhausted(format!(
                "{} holds {held} bytes and may hold {share} ([engine] memory_limit)",
                reservation.consumer().name()
            )));
        }
        state.spillable += additional;
        Ok(())
    }

    fn reserved(&self) -> usize {
        let state = self.state();
        state.spillable + state.unspillable
    }

    fn memory_limit(&self) -> MemoryLimit {
        MemoryLimit::Finite(self.limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn spillers_share_the_limit_and_the_others_are_never_refused() {
        let pool: Arc<dyn MemoryPool> = Arc::new(SpillPool::new(64 << 20));
        let a = MemoryConsumer::new("a")
            .with_can_spill(true)
            .register(&pool);
        let b = MemoryConsumer::new("b")
            .with_can_spill(true)
            .register(&pool);
        let join = MemoryConsumer::new("join").register(&pool);
        // holding nothing, a spiller gets its first batch whatever its size
        a.try_grow(100 << 20).unwrap();
        a.free();
        // then at most its share: 64 MB / 2
        a.try_grow(1 << 20).unwrap();
        a.try_grow(30 << 20).unwrap();
        let e = a.try_grow(2 << 20).unwrap_err().to_string();
        assert!(e.contains("may hold 33554432"), "{e}");
        b.try_grow(1 << 20).unwrap();
        // a join is counted, never refused
        join.try_grow(1 << 30).unwrap();
        assert_eq!(pool.reserved(), (1 << 30) + (31 << 20) + (1 << 20));
        // with many spillers, each still gets the floor
        let many: Vec<_> = (0..16)
            .map(|i| {
                MemoryConsumer::new(format!("s{i}"))
                    .with_can_spill(true)
                    .register(&pool)
            })
            .collect();
        b.try_grow(MIN_SHARE - (2 << 20)).unwrap();
        assert!(b.try_grow(2 << 20).is_err());
        drop(many);
        join.free();
    }

    #[tokio::test]
    async fn a_query_over_its_limit_spills_and_returns_what_an_unlimited_one_does() {
        use datafusion::execution::runtime_env::RuntimeEnvBuilder;
        use datafusion::physical_plan::collect;
        use datafusion::prelude::{SessionConfig, SessionContext};
        // groups, a window and a sort over 300,000 rows, two partitions, with a constant key
        // column as `_source` is
        let sql = "with t as (select v % 100000 as k, 'web' as src, v from \
                   (select unnest(range(300000)) as v)), \
                   g as (select k, src, count(*) as n, sum(v) as s from t group by k, src) \
                   select k, n, s, row_number() over (partition by n order by s desc) as r \
                   from g order by s desc, k";
        let run = |pool: Option<SpillPool>| async move {
            let config = SessionConfig::new()
                .with_target_partitions(2)
                .with_batch_size(1024);
            let ctx = match pool {
                Some(pool) => {
                    let runtime = RuntimeEnvBuilder::new()
                        .with_memory_pool(Arc::new(pool))
                        .build_arc()
                        .unwrap();
                    SessionContext::new_with_config_rt(config, runtime)
                }
                None => SessionContext::new_with_config(config),
            };
            let plan = ctx
                .sql(sql)
                .await
                .unwrap()
                .create_physical_plan()
                .await
                .unwrap();
            let batches = collect(plan.clone(), ctx.task_ctx()).await.unwrap();
            (batches, super::spilled_bytes(plan.as_ref()))
        };
        let (free, spilled) = run(None).await;
        assert_eq!(spilled, 0);
        let (limited, spilled) = run(Some(SpillPool::with_floor(1, 64 << 10))).await;
        assert!(spilled > 1 << 20, "{spilled} bytes spilled");
        assert_eq!(limited, free);
        let rows: usize = limited.iter().map(|b| b.num_rows()).sum();
        assert_eq!(rows, 100_000);
    }
}
