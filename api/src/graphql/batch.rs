//! Batching by turns: the keys a request's resolvers ask a loader for are read in one statement
//! when the request has nothing left to do but wait for them.
//!
//! async-graphql's DataLoader waits a fixed delay for the rest of a batch instead, on a timer
//! thread of its own (a cross-thread wake-up for every load) or on tokio's millisecond wheel (up
//! to a millisecond per nesting level of every read); and a list of a hundred orders, which
//! async-graphql resolves two items per poll, can outlast the delay and split the batch. Here the
//! request's execution is polled by [`in_turns`], which sees when it stops without asking to be
//! polled again (every resolver waits) and only then starts the loads queued meanwhile — all of
//! them at once, and the next turn's after they have all answered. So a query costs one
//! statement per loader and nesting level, however slow the machine, and no time on a clock.
//! A resolver that yields through tokio (`yield_now`, an exhausted budget) defers its wake-up
//! where this cannot see it: its keys then take a turn of their own, one statement more.
use std::collections::HashMap;
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Poll;

use futures::channel::oneshot;
use futures::future::BoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use futures::task::{ArcWake, AtomicWaker, waker};
use sea_orm::DbErr;
use uuid::Uuid;

use domain::DomainError;

/// What a failed load tells the resolver.
pub type LoadError = Arc<DomainError>;

/// Keys per statement at most: a longer batch is read in several, one after another.
const MOST_KEYS_PER_STATEMENT: usize = 1000;

/// One kind of thing, read by key.
pub trait Load: Send + Sync + 'static {
    type Value: Clone + Send + Sync + 'static;

    /// The values of these keys; a key with nothing is absent from the map.
    fn load(&self, keys: &[Uuid]) -> impl Future<Output = Result<HashMap<Uuid, Self::Value>, LoadError>> + Send;
}

/// Whatever holds a request's loaders: hands over the loads queued since the last turn.
pub trait Queued {
    fn take_queued(&self, loads: &mut FuturesUnordered<BoxFuture<'static, ()>>);
}

type Answer<V> = Result<HashMap<Uuid, V>, LoadError>;

/// The keys queued since the last turn, and who waits for which.
struct Queue<V> {
    keys: Vec<Uuid>,
    waiting: Vec<(Vec<Uuid>, oneshot::Sender<Answer<V>>)>,
}

impl<V> Default for Queue<V> {
    fn default() -> Self {
        Queue { keys: Vec::new(), waiting: Vec::new() }
    }
}

struct Shared<L: Load> {
    loader: L,
    queue: Mutex<Queue<L::Value>>,
    /// Values the request read another way (a whole order at once), answered without a load.
    primed: Mutex<HashMap<Uuid, L::Value>>,
}

/// A loader of one request: no cache beyond it, so nothing read here outlives the request.
pub struct Batcher<L: Load> {
    shared: Arc<Shared<L>>,
}

impl<L: Load> Batcher<L> {
    pub fn new(loader: L) -> Self {
        let shared = Shared { loader, queue: Mutex::new(Queue::default()), primed: Mutex::new(HashMap::new()) };
        Batcher { shared: Arc::new(shared) }
    }

    /// Gives the loader values the request has already read: a later load of these keys is
    /// answered from them, with no statement and no turn.
    pub fn prime(&self, values: impl IntoIterator<Item = (Uuid, L::Value)>) {
        self.shared.primed.lock().unwrap_or_else(PoisonError::into_inner).extend(values);
    }

    /// The value of one key, if there is one.
    pub async fn load_one(&self, key: Uuid) -> Result<Option<L::Value>, LoadError> {
        Ok(self.load_many([key]).await?.remove(&key))
    }

    /// The values of these keys; a key with nothing is absent from the map.
    pub async fn load_many(&self, keys: impl IntoIterator<Item = Uuid>) -> Answer<L::Value> {
        let mut keys: Vec<Uuid> = keys.into_iter().collect();
        let mut primed = HashMap::new();
        {
            let known = self.shared.primed.lock().unwrap_or_else(PoisonError::into_inner);
            if !known.is_empty() {
                keys.retain(|k| match known.get(k) {
                    Some(value) => {
                        primed.insert(*k, value.clone());
                        false
                    }
                    None => true,
                });
            }
        }
        if keys.is_empty() {
            return Ok(primed);
        }
        let (tell, answer) = oneshot::channel();
        {
            let mut queue = self.shared.queue.lock().unwrap_or_else(PoisonError::into_inner);
            queue.keys.extend_from_slice(&keys);
            queue.waiting.push((keys, tell));
        }
        // Dropped only with the turns that would have answered, which end with the request.
        let mut found = answer
            .await
            .unwrap_or_else(|_| Err(Arc::new(DomainError::Database(DbErr::Custom("a batched read stopped".into())))))?;
        found.extend(primed);
        Ok(found)
    }

    /// The load of everything queued since the last turn, if anything was.
    pub fn take_queued(&self) -> Option<BoxFuture<'static, ()>> {
        let queue = std::mem::take(&mut *self.shared.queue.lock().unwrap_or_else(PoisonError::into_inner));
        if queue.waiting.is_empty() {
            return None;
        }
        let shared = self.shared.clone();
        Some(Box::pin(async move { shared.load(queue).await }))
    }
}

impl<L: Load> Shared<L> {
    async fn load(&self, queue: Queue<L::Value>) {
        let Queue { mut keys, waiting } = queue;
        keys.sort_unstable();
        keys.dedup();
        let mut found = HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(MOST_KEYS_PER_STATEMENT) {
            match self.loader.load(chunk).await {
                Ok(part) => found.extend(part),
                Err(e) => {
                    for (_, tell) in waiting {
                        // A waiter that went away no longer needs its answer.
                        let _ = tell.send(Err(e.clone()));
                    }
                    return;
                }
            }
        }
        if let [_] = waiting.as_slice() {
            // One waiter (a single order's read): everything found is its answer, no copy.
            if let Some((_, tell)) = waiting.into_iter().next() {
                let _ = tell.send(Ok(found));
            }
            return;
        }
        for (wanted, tell) in waiting {
            let theirs = wanted.iter().filter_map(|k| found.get(k).map(|v| (*k, v.clone()))).collect();
            let _ = tell.send(Ok(theirs));
        }
    }
}

/// Tells whether the execution was woken while it was being polled: it yielded (async-graphql
/// resolves long lists a few items per poll), or a load answered one of its resolvers.
#[derive(Default)]
struct Watch {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl ArcWake for Watch {
    fn wake_by_ref(watch: &Arc<Self>) {
        watch.woken.store(true, Ordering::SeqCst);
        watch.task.wake();
    }
}

impl Watch {
    fn take(&self) -> bool {
        self.woken.swap(false, Ordering::SeqCst)
    }
}

/// Runs `execution` (a request's), loading what its resolvers queued in `loaders` each time it
/// has nothing else to do: when every resolver waits and no load of the last turn is still out.
pub async fn in_turns<F: Future>(loaders: &impl Queued, execution: F) -> F::Output {
    let mut execution = pin!(execution);
    let mut loads: FuturesUnordered<BoxFuture<'static, ()>> = FuturesUnordered::new();
    let watch = Arc::new(Watch::default());
    let execution_waker = waker(watch.clone());
    poll_fn(|cx| {
        watch.task.register(cx.waker());
        loop {
            watch.take();
            if let Poll::Ready(output) = execution.as_mut().poll(&mut std::task::Context::from_waker(&execution_waker))
            {
                return Poll::Ready(output);
            }
            let yielded = watch.take();
            // The loads run on this task: their sockets wake it directly, their answers through
            // `watch`, which is how we know to poll the execution again at once.
            while let Poll::Ready(Some(())) = loads.poll_next_unpin(cx) {}
            if watch.take() {
                continue;
            }
            if yielded || !loads.is_empty() {
                // Woken already (`watch` passed the wake-up on), or a turn is still out.
                return Poll::Pending;
            }
            loaders.take_queued(&mut loads);
            if loads.is_empty() {
                // Waiting on something else (a resolver's own statement).
                return Poll::Pending;
            }
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use futures::future::join_all;

    use super::*;

    /// Answers every key with itself, counting the statements it would have sent.
    #[derive(Default)]
    struct Echo {
        calls: AtomicUsize,
        fail: bool,
    }

    impl Load for Arc<Echo> {
        type Value = Uuid;

        async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Uuid>, LoadError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            // A read takes a turn of the runtime, like a socket.
            tokio::task::yield_now().await;
            if self.fail {
                return Err(Arc::new(DomainError::Database(DbErr::Custom("down".into()))));
            }
            Ok(keys.iter().map(|k| (*k, *k)).collect())
        }
    }

    struct One(Batcher<Arc<Echo>>);

    impl Queued for One {
        fn take_queued(&self, loads: &mut FuturesUnordered<BoxFuture<'static, ()>>) {
            loads.extend(self.0.take_queued());
        }
    }

    fn key(i: u128) -> Uuid {
        Uuid::from_u128(i + 1)
    }

    /// Gives the turn back the way async-graphql's lists do: wakes itself, then waits.
    async fn yield_once() {
        let mut yielded = false;
        poll_fn(|cx| {
            if yielded {
                return Poll::Ready(());
            }
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        })
        .await
    }

    #[tokio::test]
    async fn resolvers_that_ask_at_different_polls_share_one_read_per_level() {
        let echo = Arc::new(Echo::default());
        let loaders = One(Batcher::new(echo.clone()));
        let batcher = &loaders.0;
        // A hundred resolvers, each yielding a different number of times before it asks (as
        // async-graphql's lists and objects do), then asking again with what it got.
        let resolvers = (0..100u128).map(|i| async move {
            for _ in 0..(i % 7) {
                yield_once().await;
            }
            let first = batcher.load_one(key(i)).await.expect("first level");
            let second = batcher.load_many([key(i + 1000), key(0)]).await.expect("second level");
            (first, second)
        });
        let answers = in_turns(&loaders, join_all(resolvers)).await;
        assert_eq!(echo.calls.load(Ordering::SeqCst), 2, "one read per level");
        for (i, (first, second)) in (0..100u128).zip(answers) {
            assert_eq!(first, Some(key(i)));
            assert_eq!(second.len(), 2);
            assert_eq!(second.get(&key(i + 1000)), Some(&key(i + 1000)));
        }
    }

    #[tokio::test]
    async fn a_batch_longer_than_a_statement_takes_is_read_in_parts() {
        let echo = Arc::new(Echo::default());
        let loaders = One(Batcher::new(echo.clone()));
        let keys: Vec<Uuid> = (0..2500u128).map(key).collect();
        let found = in_turns(&loaders, loaders.0.load_many(keys.clone())).await.expect("read");
        assert_eq!(found.len(), 2500);
        assert_eq!(echo.calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_failed_read_reaches_every_resolver_that_waited_for_it() {
        let echo = Arc::new(Echo { fail: true, ..Echo::default() });
        let loaders = One(Batcher::new(echo.clone()));
        let batcher = &loaders.0;
        let answers = in_turns(&loaders, join_all((0..3u128).map(|i| batcher.load_one(key(i))))).await;
        assert!(answers.iter().all(Result::is_err), "{answers:?}");
        assert_eq!(echo.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn primed_keys_are_answered_without_a_read() {
        let echo = Arc::new(Echo::default());
        let loaders = One(Batcher::new(echo.clone()));
        let batcher = &loaders.0;
        // Primed with values a read would not give, to tell where each answer came from.
        batcher.prime([(key(1), key(100)), (key(2), key(200))]);
        let primed = in_turns(&loaders, batcher.load_many([key(1), key(2)])).await.expect("primed");
        assert_eq!(primed, HashMap::from([(key(1), key(100)), (key(2), key(200))]));
        assert_eq!(echo.calls.load(Ordering::SeqCst), 0, "nothing to read");
        // A key asked twice is primed twice; only the key nobody primed is read.
        let mixed = in_turns(&loaders, batcher.load_many([key(1), key(3)])).await.expect("mixed");
        assert_eq!(mixed, HashMap::from([(key(1), key(100)), (key(3), key(3))]));
        assert_eq!(echo.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn nothing_asked_reads_nothing() {
        let echo = Arc::new(Echo::default());
        let loaders = One(Batcher::new(echo.clone()));
        let found = in_turns(&loaders, loaders.0.load_many([])).await.expect("nothing");
        assert!(found.is_empty());
        assert_eq!(echo.calls.load(Ordering::SeqCst), 0);
    }
}
