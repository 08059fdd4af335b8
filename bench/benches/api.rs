//! `api` calls/s on one connection: one caller against a bare request/reply loop, and 64
//! concurrent callers against a bare loop keeping 64 calls in flight, in the same run. Every
//! caller checks each reply is its own. `cargo bench -p esl-bench --bench api`, then
//! `python3 bench/summary.py`.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use esl_bench::ceiling;
use esl_bench::clients::{self, Adapter, Connected};
use esl_bench::switch::StandIn;

fn api(c: &mut Criterion) {
    let switch = StandIn::start();
    let runtime = clients::tokio_runtime();
    let adapters = [Adapter::Tokio, Adapter::Smol, Adapter::Blocking];
    let clients: Vec<(Adapter, Connected)> = adapters
        .into_iter()
        .map(|adapter| {
            (
                adapter,
                Connected::connect(adapter, &runtime, switch.addr()),
            )
        })
        .collect();
    for (callers, calls) in [(1, 4_096), (64, 16_384)] {
        let mut group = c.benchmark_group(format!("api-{callers}-callers"));
        group.sample_size(10);
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(4));
        group.throughput(Throughput::Elements(calls as u64));
        group.bench_function("bare-loop-ceiling", |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| match callers {
                        1 => ceiling::request_reply(switch.addr(), calls),
                        depth => ceiling::pipelined(switch.addr(), calls, depth),
                    })
                    .sum()
            })
        });
        for (adapter, client) in &clients {
            group.bench_function(adapter.as_str(), |b| {
                b.iter_custom(|iters| {
                    (0..iters)
                        .map(|_| client.api(&runtime, callers, calls))
                        .sum()
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, api);
criterion_main!(benches);
