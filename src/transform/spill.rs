//! The memory pool of the SQL session (`[engine] memory_limit`): the partitions of DataFusion's
//! spilling operators (hash aggregations, sorts, repartitions) share a limit, past which a
//! partial aggregation passes its groups on early, and a final aggregation, a sort or a
//! repartition spills to disk. Every other reservation (a hash join's build side, a merge) is
//! counted and never refused; windows and the models a run holds reserve nothing.
//!
//! Why not DataFusion's own pools: they refuse a non-spilling operator too once the limit is
//! reached, and a hash join cannot spill, so a limit small enough to bound the aggregations
//! failed the run (`int_crm_contacts`: "Resources exhausted"). Here each spilling partition may
//! hold at least [`MIN_SHARE`] and, holding nothing, its next batch. Some operators DataFusion
//! marks as spilling cannot make progress when refused (an aggregation over sorted input, the
//! merge of an aggregation's spilled runs when one group outgrows the share): a model that
//! fails so is computed again with the limit lifted ([`hold_within_limit`]), so the limit
//! makes a run slower, never failed. The limit is shared per partition with that floor, so on a
//! machine with many cores the spilling operators can hold more than the limit together.
//!
//! What it bounds: an aggregation over events holds one entry a group, and with a constant
//! key column (a source's `_source`) DataFusion's partial aggregation keeps every group until
//! its input ends, so the distinct sessions of `int_web_sessions` were held twice, and grew
//! with the events. With the limit, 4x the events per contact at 100,000 contacts peaked at
//! 237 MB and 1x at 239 MB (293 MB and 235 MB without it; see the README's "Benchmark").

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use datafusion::error::{DataFusionError, Result};
use datafusion::execution::memory_pool::{
    MemoryConsumer, MemoryLimit, MemoryPool, MemoryReservation,
};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionContext;
use tracing::warn;

/// What a spilling operator's partition may hold whatever the limit and their number: below
/// this, sorts and aggregations spill so often that their merges cost more than the memory
/// saved.
pub const MIN_SHARE: usize = 16 << 20;

/// Spilling operators' partitions share `limit` evenly (at least [`MIN_SHARE`] each); the
/// others are counted and never refused.
#[derive(Debug)]
pub struct SpillPool {
    /// Bytes the spilling operators may hold together.
    limit: usize,
    /// Bytes each may hold whatever the limit ([`MIN_SHARE`] outside tests).
    floor: usize,
    /// Set while a model that failed within the limit is computed again without it.
    lifted: AtomicBool,
    /// What is registered and reserved now.
    state: Mutex<State>,
}

/// The pool's counts.
#[derive(Debug, Default)]
struct State {
    /// Spilling operators registered.
    spillers: usize,
    /// Bytes reserved, by every operator.
    reserved: usize,
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
            lifted: AtomicBool::new(false),
            state: Mutex::new(State::default()),
        }
    }

    /// The counts, whatever a panicking thread left them as (they are plain numbers).
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Run `attempt` (a model's computation) within the session's memory limit; when it fails
/// for want of memory (an operator refused past its share that cannot spill), run it again
/// with the limit lifted, and say so in the log.
pub async fn hold_within_limit<T, F, Fut>(
    ctx: &SessionContext,
    model: &str,
    attempt: F,
) -> Result<T>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let first = attempt().await;
    let runtime = ctx.runtime_env();
    let Some(pool) = runtime.memory_pool.downcast_ref::<SpillPool>() else {
        return first;
    };
    match first {
        Err(e) if matches!(e.find_root(), DataFusionError::ResourcesExhausted(_)) => {
            warn!(
                %model,
                error = %e.find_root(),
                "Model over [engine] memory_limit where it cannot spill: computed again without it."
            );
            pool.lifted.store(true, Ordering::Relaxed);
            let again = attempt().await;
            pool.lifted.store(false, Ordering::Relaxed);
            again
        }
        done => done,
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
            debug_assert!(state.spillers > 0, "unregistered more than registered");
            state.spillers = state.spillers.saturating_sub(1);
        }
    }

    fn grow(&self, _: &MemoryReservation, additional: usize) {
        self.state().reserved += additional;
    }

    fn shrink(&self, _: &MemoryReservation, shrink: usize) {
        let mut state = self.state();
        debug_assert!(state.reserved >= shrink, "shrunk by more than was reserved");
        state.reserved = state.reserved.saturating_sub(shrink);
    }

    fn try_grow(&self, reservation: &MemoryReservation, additional: usize) -> Result<()> {
        let mut state = self.state();
        let share = (self.limit / state.spillers.max(1)).max(self.floor);
        let held = reservation.size();
        let refused = reservation.consumer().can_spill()
            && held > 0
            && held + additional > share
            && !self.lifted.load(Ordering::Relaxed);
        if refused {
            return Err(DataFusionError::ResourcesExhausted(format!(
                "{} holds {held} bytes and may hold {share} ([engine] memory_limit)",
                reservation.consumer().name()
            )));
        }
        state.reserved += additional;
        Ok(())
    }

    fn reserved(&self) -> usize {
        self.state().reserved
    }

    fn memory_limit(&self) -> MemoryLimit {
        MemoryLimit::Finite(self.limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::RecordBatch;
    use datafusion::arrow::compute::concat_batches;
    use datafusion::execution::runtime_env::RuntimeEnvBuilder;
    use datafusion::prelude::SessionConfig;
    use std::sync::Arc;

    #[test]
    fn spillers_share_the_limit_and_the_others_are_never_refused() {
        let pool: Arc<dyn MemoryPool> = Arc::new(SpillPool::new(64 << 20));
        let spiller = |name: &str| {
            MemoryConsumer::new(name)
                .with_can_spill(true)
                .register(&pool)
        };
        let (a, b) = (spiller("a"), spiller("b"));
        let join = MemoryConsumer::new("join").register(&pool);
        // holding nothing, a spiller gets its first batch whatever its size
        a.try_grow(100 << 20).unwrap();
        a.free();
        // then at most its share: 64 MiB / 2
        a.try_grow(1 << 20).unwrap();
        a.try_grow(30 << 20).unwrap();
        let e = a.try_grow(2 << 20).unwrap_err().to_string();
        assert!(e.contains("may hold 33554432"), "{e}");
        b.try_grow(1 << 20).unwrap();
        // a join is counted, never refused
        join.try_grow(1 << 30).unwrap();
        assert_eq!(pool.reserved(), (1 << 30) + (31 << 20) + (1 << 20));
        // with many spillers, each still gets the floor
        let many: Vec<_> = (0..16).map(|i| spiller(&format!("s{i}"))).collect();
        b.try_grow(MIN_SHARE - (2 << 20)).unwrap();
        assert!(b.try_grow(2 << 20).is_err());
        // and once they are gone, the share is half the limit again
        drop(many);
        b.try_grow(2 << 20).unwrap();
        drop((a, b, join));
        assert_eq!(pool.reserved(), 0);
    }

    /// A session of two partitions and small batches whose memory pool is `pool` (DataFusion's
    /// unbounded one when `None`).
    fn session_with(pool: Option<SpillPool>) -> SessionContext {
        let config = SessionConfig::new()
            .with_target_partitions(2)
            .with_batch_size(1024);
        match pool {
            Some(pool) => {
                let runtime = RuntimeEnvBuilder::new()
                    .with_memory_pool(Arc::new(pool))
                    .build_arc()
                    .unwrap();
                SessionContext::new_with_config_rt(config, runtime)
            }
            None => SessionContext::new_with_config(config),
        }
    }

    /// `batches` as one batch, for comparing results however they were split.
    fn whole(batches: &[RecordBatch]) -> RecordBatch {
        concat_batches(&batches[0].schema(), batches).unwrap()
    }

    #[tokio::test]
    async fn a_query_over_its_limit_spills_and_returns_what_an_unlimited_one_does() {
        use datafusion::physical_plan::collect;
        // groups, a window and a sort over 300,000 rows, two partitions, with a constant key
        // column as `_source` is
        let sql = "with t as (select v % 100000 as k, 'web' as src, v from \
                   (select unnest(range(300000)) as v)), \
                   g as (select k, src, count(*) as n, sum(v) as s from t group by k, src) \
                   select k, n, s, row_number() over (partition by n order by s desc) as r \
                   from g order by s desc, k";
        let run = |pool: Option<SpillPool>| async move {
            let ctx = session_with(pool);
            let df = ctx.sql(sql).await.unwrap();
            let plan = df.create_physical_plan().await.unwrap();
            let batches = collect(plan.clone(), ctx.task_ctx()).await.unwrap();
            (whole(&batches), spilled_bytes(plan.as_ref()))
        };
        let (free, spilled) = run(None).await;
        assert_eq!(spilled, 0);
        let (limited, spilled) = run(Some(SpillPool::with_floor(1, 64 << 10))).await;
        assert!(spilled > 1 << 20, "{spilled} bytes spilled");
        assert_eq!(limited, free);
        assert_eq!(limited.num_rows(), 100_000);
    }

    #[tokio::test]
    async fn a_model_that_cannot_spill_within_the_limit_is_computed_again_without_it() {
        use datafusion::datasource::MemTable;
        use datafusion::prelude::col;
        // an aggregation over input sorted by its key cannot spill, and one key's text outgrows
        // the share
        let ctx = session_with(Some(SpillPool::with_floor(1, 64 << 10)));
        let rows = "select k, s from ( \
                    select v as k, repeat('y', 90) || cast(v as varchar) as s \
                    from (select unnest(range(4000)) as v) \
                    union all \
                    select 2000 as k, repeat('x', 90) || cast(v as varchar) as s \
                    from (select unnest(range(20000)) as v)) order by k";
        let batches = ctx.sql(rows).await.unwrap().collect().await.unwrap();
        let (a, b) = batches.split_at(batches.len() / 2);
        let table = MemTable::try_new(batches[0].schema(), vec![a.to_vec(), b.to_vec()])
            .unwrap()
            .with_sort_order(vec![vec![col("k").sort(true, false)]]);
        ctx.register_table("t", Arc::new(table)).unwrap();
        let sql = "select k, string_agg(s, ',') as s from t group by k";
        let attempt = || async { ctx.sql(sql).await?.collect().await };
        let refused = attempt().await.unwrap_err();
        assert!(
            matches!(refused.find_root(), DataFusionError::ResourcesExhausted(_)),
            "{refused}"
        );
        let held = hold_within_limit(&ctx, "t_by_k", attempt).await.unwrap();
        assert_eq!(whole(&held).num_rows(), 4000);
        // the limit holds again for what comes next
        assert!(attempt().await.is_err());
    }
}
