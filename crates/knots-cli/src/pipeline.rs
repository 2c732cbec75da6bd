//! An ordered parallel map with bounded memory: the import parses files on every core while one
//! thread writes their results to the journal, in file order.
//!
//! Workers take items in order and may start one only within `window` items of what the consumer
//! has taken, so memory stays bounded whatever the number of items. Results are handed to the
//! consumer in item order, `batch` at a time (the last batch may be shorter), as soon as they are
//! ready: no worker waits for a slow item of some chunk (an earlier version parsed fixed chunks
//! of 512 files, and each chunk's end left a core idle while the last files were parsed).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// What the workers and the consumer share.
struct Shared<R> {
    state: Mutex<State<R>>,
    /// Signalled when the consumer takes a batch (workers may run further) or stops.
    moved: Condvar,
    /// Signalled when the next batch is complete, or a worker panicked.
    ready: Condvar,
}

struct State<R> {
    /// Results not yet taken, by item.
    done: BTreeMap<usize, R>,
    /// Items handed to the consumer (or being handed over) so far.
    taken: usize,
    /// The consumer stopped (at the end, or because it panicked): workers stop.
    stopped: bool,
    /// A worker panicked: the consumer stops waiting (the panic is raised when the threads are
    /// joined).
    broken: bool,
}

impl<R> Shared<R> {
    fn lock(&self) -> MutexGuard<'_, State<R>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<R> State<R> {
    /// How many results the next batch holds (the last batch may be shorter), if it is complete.
    fn next_batch(&self, batch: usize, total: usize) -> Option<usize> {
        let want = batch.min(total - self.taken);
        (self.done.range(self.taken..self.taken + want).count() == want).then_some(want)
    }
}

/// Marks the pipeline broken when a worker unwinds.
struct PanicGuard<'a, R>(&'a Shared<R>);

impl<R> Drop for PanicGuard<'_, R> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.lock().broken = true;
            self.0.ready.notify_all();
        }
    }
}

/// Stops the workers when the consumer leaves, however it leaves.
struct StopGuard<'a, R>(&'a Shared<R>);

impl<R> Drop for StopGuard<'_, R> {
    fn drop(&mut self) {
        self.0.lock().stopped = true;
        self.0.moved.notify_all();
    }
}

/// Runs `work` on every item on `workers` threads and hands the results to `take` on this thread,
/// in item order, `batch` results at a time (the last batch may be shorter). Workers start an
/// item only while it is fewer than `window` items past those handed to `take`. The consumer
/// wakes once per batch, not once per item (on one core each wake-up is a context switch).
pub fn ordered<I, R, W, T>(
    items: &[I],
    workers: usize,
    window: usize,
    batch: usize,
    work: W,
    mut take: T,
) where
    I: Sync,
    R: Send,
    W: Fn(&I) -> R + Sync,
    T: FnMut(Vec<R>),
{
    let total = items.len();
    let batch = batch.max(1);
    // A window no larger than a batch could stop every worker before a batch is complete.
    let window = window.max(batch + 1);
    let next = AtomicUsize::new(0);
    let shared = Shared {
        state: Mutex::new(State {
            done: BTreeMap::new(),
            taken: 0,
            stopped: false,
            broken: false,
        }),
        moved: Condvar::new(),
        ready: Condvar::new(),
    };
    std::thread::scope(|scope| {
        for _ in 0..workers.max(1) {
            let (next, shared, work) = (&next, &shared, &work);
            scope.spawn(move || {
                let _guard = PanicGuard(shared);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        return;
                    }
                    let mut state = shared.lock();
                    while !state.stopped && i >= state.taken + window {
                        state = shared
                            .moved
                            .wait(state)
                            .unwrap_or_else(PoisonError::into_inner);
                    }
                    if state.stopped {
                        return;
                    }
                    drop(state);
                    let result = work(&items[i]);
                    let mut state = shared.lock();
                    state.done.insert(i, result);
                    if i < state.taken + batch && state.next_batch(batch, total).is_some() {
                        shared.ready.notify_one();
                    }
                }
            });
        }
        let _stop = StopGuard(&shared);
        let mut taken = 0;
        while taken < total {
            let mut state = shared.lock();
            let want = loop {
                if let Some(want) = state.next_batch(batch, total) {
                    break want;
                }
                if state.broken {
                    return;
                }
                state = shared
                    .ready
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
            };
            let results: Vec<R> = (0..want)
                .filter_map(|_| state.done.pop_first().map(|(_, r)| r))
                .collect();
            taken += want;
            state.taken = taken;
            drop(state);
            shared.moved.notify_all();
            take(results);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn results_come_in_order_in_batches_within_the_window() {
        let items: Vec<usize> = (0..1000).collect();
        let started = AtomicUsize::new(0);
        let mut seen = Vec::new();
        let mut batches = Vec::new();
        let mut taken = 0;
        let mut most_ahead = 0;
        ordered(
            &items,
            3,
            40,
            16,
            |&i| {
                started.fetch_add(1, Ordering::SeqCst);
                // Uneven work, so that results arrive out of order.
                if i % 7 == 0 {
                    std::thread::sleep(std::time::Duration::from_micros(200));
                }
                i * 2
            },
            |batch| {
                most_ahead = most_ahead.max(started.load(Ordering::SeqCst) - taken);
                taken += batch.len();
                batches.push(batch.len());
                seen.extend(batch);
            },
        );
        assert_eq!(seen, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        assert!(batches[..batches.len() - 1].iter().all(|&n| n == 16));
        assert_eq!(batches.iter().sum::<usize>(), 1000);
        // The batch being handed over counts as taken for the workers.
        assert!(
            most_ahead <= 40 + 16,
            "workers ran {most_ahead} items ahead"
        );
    }

    #[test]
    fn one_worker_a_window_smaller_than_a_batch_and_no_items_all_finish() {
        let items: Vec<u8> = vec![1; 10];
        let mut total = 0;
        ordered(&items, 1, 1, 4, |&b| u32::from(b), |b| total += b.len());
        assert_eq!(total, 10);
        let mut calls = 0;
        ordered(&[] as &[u8], 2, 8, 4, |&b| b, |_| calls += 1);
        assert_eq!(calls, 0);
    }

    #[test]
    fn a_consumer_that_panics_does_not_leave_workers_waiting() {
        let items: Vec<usize> = (0..500).collect();
        let outcome = std::panic::catch_unwind(|| {
            ordered(&items, 2, 8, 4, |&i| i, |_| panic!("the journal is gone"));
        });
        assert!(outcome.is_err());
    }

    #[test]
    fn a_worker_that_panics_does_not_leave_the_consumer_waiting() {
        let items: Vec<usize> = (0..500).collect();
        let outcome = std::panic::catch_unwind(|| {
            let mut taken = 0;
            ordered(
                &items,
                2,
                8,
                4,
                |&i| {
                    assert!(i != 100, "a parser bug");
                    i
                },
                |b| taken += b.len(),
            );
        });
        assert!(outcome.is_err());
    }
}
