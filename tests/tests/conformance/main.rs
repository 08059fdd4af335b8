//! One conformance suite for every adapter: each scenario is written once in
//! `scenarios.rs`, against the blocking harness in `harness.rs`, and [`suite!`] runs all of
//! them for each adapter, so an adapter cannot leave one out.

mod async_adapter;
mod async_service;
mod blocking_adapter;
mod blocking_service;
mod call_control;
mod convert;
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
            suite!(@calls $adapter;
                a_router_routes_calls_on_every_switch_and_survives_one_going_down,
                an_app_owns_the_calls_it_originates,
                loading_an_app_is_all_or_nothing,
                hanging_up_a_channel_already_gone_is_done,
                close_never_reconnects,
                a_reset_connection_reports_the_socket_error,
                the_call_table_follows_calls_and_is_rebuilt_after_a_reconnect,
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
    (@calls $adapter:expr; $($scenario:ident,)+) => {
        $(
            #[test]
            fn $scenario() {
                crate::call_control::$scenario(&$adapter);
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
