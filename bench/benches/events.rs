//! Events/s through each adapter's public event stream, against the bare memchr splitter in
//! the same run. `cargo bench -p esl-bench --bench events`, then `python3 bench/summary.py`.
//!
//! Each iteration connects, asks the stand-in switch for a blast of recorded events and
//! receives all of them, reading each one's name and a channel variable.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use esl_bench::clients::{self, Adapter};
use esl_bench::switch::StandIn;
use esl_bench::{ceiling, Format};

fn events(c: &mut Criterion) {
    let switch = StandIn::start();
    let runtime = clients::tokio_runtime();
    for (format, n) in [
        (Format::Plain, 100_000),
        (Format::Json, 100_000),
        (Format::Big, 4_000),
    ] {
        let mut group = c.benchmark_group(format!("events-{}", format.as_str()));
        group.sample_size(10);
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(4));
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function("splitter-ceiling", |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| ceiling::split_events(switch.addr(), format, n))
                    .sum()
            })
        });
        for adapter in Adapter::ALL {
            group.bench_function(adapter.as_str(), |b| {
                b.iter_custom(|iters| {
                    (0..iters)
                        .map(|_| clients::events(adapter, &runtime, switch.addr(), format, n).took)
                        .sum()
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, events);
criterion_main!(benches);
