//! One conformance suite for every adapter: each scenario is written once in
//! `scenarios.rs`, against the blocking harness in `harness.rs`, and [`suite!`] runs all of
//! them for each adapter, so an adapter cannot leave one out.

mod async_adapter;
mod blocking_adapter;
mod harness;
mod scenarios;

/// One `#[test]` per scenario for `$adapter`.
macro_rules! suite {
    ($module:ident, $adapter:expr) => {
        mod $module {
            suite!(@tests $adapter;
                auth_ok,
                auth_failed,
                unreachable_switch,
                api_and_its_errors,
                bgapi_jobs,
                execute_waits_for_completion,
                events_in_three_formats,
                filters,
                handlers,
                outbound_call_end_to_end,
                close_in_the_middle_of_a_request,
                every_pending_request_fails_when_the_connection_dies,
                a_timeout_does_not_steal_the_next_reply,
                many_concurrent_callers_get_their_own_replies,
                reconnect_replays_subscriptions,
                a_consumer_that_stops_reading,
                backpressure_loses_nothing,
            );
        }
    };
    (@tests $adapter:expr; $($scenario:ident,)+) => {
        $(
            #[test]
            fn $scenario() {
                crate::scenarios::$scenario(&$adapter);
            }
        )+
    };
}

suite!(
    tokio,
    crate::async_adapter::AsyncAdapter::new(crate::async_adapter::Tokio::new())
);
suite!(
    async_std,
    crate::async_adapter::AsyncAdapter::new(crate::async_adapter::AsyncStd)
);
suite!(
    smol,
    crate::async_adapter::AsyncAdapter::new(crate::async_adapter::Smol)
);
suite!(blocking, crate::blocking_adapter::BlockingAdapter::new());
