//! The router's matching: guards, patterns, parameters, order, stop-on-true, captures.

use std::path::Path;

use base64::Engine;
use esl_proto::route::{Captures, Match, Route, DEFAULT_FIELD};
use esl_proto::{
    ContentType, Dispatch, Event, EventFormat, Flow, Framer, Limits, Message, RouteError, Router,
};
use proptest::prelude::*;

fn park(direction: &str, destination: &str) -> Event {
    Event::builder("CHANNEL_PARK")
        .header("Unique-ID", "u-1")
        .header("Call-Direction", direction)
        .header("variable_sofia_profile", "external")
        .header("Caller-Context", "switchy")
        .header("Caller-Destination-Number", destination)
        .build()
}

/// switchy's example dialplan (docs: "Building a cluster service").
fn dialplan() -> Router<&'static str> {
    let mut router = Router::with_guards([("Call-Direction", "inbound")]);
    router
        .route("00(.*)|011(.*)", "bridge2dest")
        .unwrap()
        .param("response", "407");
    router
        .route("1(.*)", "bridge2dest")
        .unwrap()
        .param("gateway", "long_distance_trunk");
    router
        .route("2[1-9]{3}$", "bridge2dest")
        .unwrap()
        .param("out_profile", "internal")
        .param("proxy", "salespbx.com");
    router
        .route("4[1-9]{3}$", "bridge2dest")
        .unwrap()
        .param("out_profile", "internal")
        .param("proxy", "supportpbx.com");
    router
}

fn handlers<'r>(matches: &[Match<'r, &'static str>]) -> Vec<(usize, &'static str)> {
    matches.iter().map(|m| (m.route, *m.handler)).collect()
}

#[test]
fn routes_are_tried_in_registration_order_with_their_parameters() {
    let router = dialplan();
    let m = router.matches(&park("inbound", "011442071234567"));
    assert_eq!(handlers(&m), [(0, "bridge2dest")]);
    assert_eq!(m[0].param("response"), Some("407"));
    assert_eq!(m[0].param("gateway"), None);
    assert_eq!(m[0].params, [("response".to_string(), "407".to_string())]);

    let m = router.matches(&park("inbound", "2345"));
    assert_eq!(handlers(&m), [(2, "bridge2dest")]);
    assert_eq!(m[0].param("out_profile"), Some("internal"));
    assert_eq!(m[0].param("proxy"), Some("salespbx.com"));

    let m = router.matches(&park("inbound", "4999"));
    assert_eq!(m[0].param("proxy"), Some("supportpbx.com"));
}

#[test]
fn patterns_are_anchored_at_the_start_only_like_re_match() {
    let router = dialplan();
    // `1(.*)` matches what starts with 1, not what merely contains one.
    assert_eq!(
        handlers(&router.matches(&park("inbound", "18005550100"))),
        [(1, "bridge2dest")]
    );
    assert!(router.matches(&park("inbound", "5551")).is_empty());
    // Not anchored at the end unless the pattern says so: `2[1-9]{3}$` needs exactly 4
    // digits, `1(.*)` takes anything after the 1.
    assert!(router.matches(&park("inbound", "23456")).is_empty());
    // An alternation is anchored as a whole: `011` can only match at the start.
    assert!(router.matches(&park("inbound", "9011")).is_empty());
}

#[test]
fn several_routes_match_in_order_and_the_first_true_stops() {
    let mut router = Router::new();
    router.route("^1", "first").unwrap();
    router.route("^9", "never").unwrap();
    router.route(".*", "catch_all").unwrap();
    router.route("1(.*)", "third").unwrap().param("n", "3");
    let event = park("inbound", "1000");
    assert_eq!(
        handlers(&router.matches(&event)),
        [(0, "first"), (2, "catch_all"), (3, "third")]
    );

    // Nobody stops: every match runs.
    let mut ran = Vec::new();
    let outcome = router.dispatch(&event, |m| ran.push(*m.handler));
    assert_eq!(ran, ["first", "catch_all", "third"]);
    assert_eq!(
        outcome,
        Dispatch::Ran {
            count: 3,
            stopped: false
        }
    );

    // `catch_all` returns true: `third` is not tried.
    let mut ran = Vec::new();
    let outcome = router.dispatch(&event, |m| {
        ran.push(*m.handler);
        *m.handler == "catch_all"
    });
    assert_eq!(ran, ["first", "catch_all"]);
    assert_eq!(
        outcome,
        Dispatch::Ran {
            count: 2,
            stopped: true
        }
    );

    // The first stops.
    let outcome = router.dispatch(&event, |_| Flow::Stop);
    assert_eq!(
        outcome,
        Dispatch::Ran {
            count: 1,
            stopped: true
        }
    );
    assert_eq!(Flow::from(false), Flow::Continue);
    assert_eq!(Flow::from(()), Flow::Continue);
}

#[test]
fn guards_must_all_hold_exactly() {
    let mut router = Router::with_guards([
        ("Call-Direction", "inbound"),
        ("variable_sofia_profile", "external"),
    ]);
    router.route(".*", "any").unwrap();
    assert_eq!(router.guards().len(), 2);
    assert_eq!(router.matches(&park("inbound", "1")).len(), 1);
    // Header names are case-insensitive, as everywhere in ESL.
    let mut lower = Router::new();
    lower.guard("call-direction", "inbound");
    lower.route(".*", "any").unwrap();
    assert_eq!(lower.matches(&park("inbound", "1")).len(), 1);

    let outbound = park("outbound", "1");
    assert!(router.matches(&outbound).is_empty());
    assert_eq!(router.failed_guard(&outbound), Some("Call-Direction"));
    assert_eq!(
        router.dispatch(&outbound, |_| -> Flow {
            panic!("no handler runs behind a failed guard")
        }),
        Dispatch::Guarded {
            header: "Call-Direction".into()
        }
    );
    // Values are exact: no case folding, no prefix.
    assert!(router.matches(&park("Inbound", "1")).is_empty());
    assert!(router.matches(&park("inbound2", "1")).is_empty());
    // A missing header fails its guard.
    let bare = Event::builder("CHANNEL_PARK")
        .header("Caller-Destination-Number", "1")
        .build();
    assert_eq!(router.failed_guard(&bare), Some("Call-Direction"));

    // A guard on one route only.
    let mut router = Router::new();
    router
        .route(".*", "inbound_only")
        .unwrap()
        .guard("Call-Direction", "inbound");
    router.route(".*", "everyone").unwrap();
    assert_eq!(
        handlers(&router.matches(&park("outbound", "1"))),
        [(1, "everyone")]
    );
    assert_eq!(
        handlers(&router.matches(&park("inbound", "1"))),
        [(0, "inbound_only"), (1, "everyone")]
    );
}

#[test]
fn no_match_is_reported() {
    let router = dialplan();
    let event = park("inbound", "5000");
    assert!(router.matches(&event).is_empty());
    assert_eq!(router.failed_guard(&event), None);
    assert_eq!(
        router.dispatch(&event, |_| -> Flow { panic!("nothing matches") }),
        Dispatch::NoMatch
    );
    // A missing or empty field matches no pattern (switchio's `if value:`), not even `.*`.
    let mut router = Router::new();
    router.route(".*", "any").unwrap();
    let empty = park("inbound", "");
    assert!(router.matches(&empty).is_empty());
    assert!(router
        .matches(&Event::builder("CHANNEL_PARK").build())
        .is_empty());
    // No routes at all.
    assert_eq!(
        Router::<u8>::new().dispatch(&park("inbound", "1"), |_| Flow::Continue),
        Dispatch::NoMatch
    );
}

#[test]
fn captures_by_position_and_by_name() {
    let mut router = Router::new();
    router.route(r"^\*67(?P<did>\d+)$", "block_cid").unwrap();
    router.route(r"^1.*(\d)$", "last_digit").unwrap();
    router.route("00(.*)|011(.*)", "international").unwrap();
    let m = router.matches(&park("inbound", "*6718005550103"));
    assert_eq!(handlers(&m), [(0, "block_cid")]);
    let caps: &Captures<'_> = &m[0].captures;
    assert_eq!(caps.name("did"), Some("18005550103"));
    assert_eq!(caps.get(1), Some("18005550103"));
    assert_eq!(caps.get(0), Some("*6718005550103"));
    assert_eq!(m[0].matched(), "*6718005550103");
    assert_eq!(caps.name("nope"), None);
    assert_eq!(caps.get(5), None);
    assert_eq!(caps.len(), 2);
    assert!(!caps.is_empty());

    let m = router.matches(&park("inbound", "1103"));
    assert_eq!(m[0].captures.positional().collect::<Vec<_>>(), [Some("3")]);

    // A group that does not take part is None, as in Python's match.groups().
    let m = router.matches(&park("inbound", "011442071234567"));
    assert_eq!(
        m[0].captures.positional().collect::<Vec<_>>(),
        [None, Some("442071234567")]
    );
    // Without `$`, the match covers only the start the pattern reached.
    let mut router = Router::new();
    router.route("12", "prefix").unwrap();
    assert_eq!(router.matches(&park("inbound", "1234"))[0].matched(), "12");
}

#[test]
fn a_route_can_match_another_field() {
    let mut router = Router::new();
    router
        .route("^switchy$", "context")
        .unwrap()
        .field("Caller-Context");
    router.route("^switchy$", "destination").unwrap();
    let event = park("inbound", "1000");
    let m = router.matches(&event);
    assert_eq!(handlers(&m), [(0, "context")]);
    assert_eq!(m[0].field, "Caller-Context");
    assert_eq!(router.routes()[0].field_name(), "Caller-Context");
    assert_eq!(router.routes()[1].field_name(), DEFAULT_FIELD);
    assert_eq!(router.routes()[0].pattern(), "^switchy$");
    // Variables are headers like any other.
    let mut router = Router::new();
    router
        .route("ext", "profile")
        .unwrap()
        .field("variable_sofia_profile");
    assert_eq!(router.matches(&event).len(), 1);
}

#[test]
fn an_invalid_pattern_is_a_typed_error_and_registers_nothing() {
    let mut router: Router<u8> = Router::new();
    for bad in ["(", "a)|(b", "[z-a]", "x{2,1}"] {
        match router.route(bad, 1) {
            Err(RouteError::InvalidPattern { pattern, .. }) => assert_eq!(pattern, bad),
            Ok(_) => panic!("{bad} compiled"),
            Err(other) => panic!("{bad}: {other:?}"),
        }
    }
    assert!(router.routes().is_empty());
    let error = Router::<u8>::new().route("(", 1).err().unwrap();
    assert!(
        error.to_string().contains("invalid route pattern"),
        "{error}"
    );
    assert!(std::error::Error::source(&error).is_some());
}

#[test]
fn handlers_are_any_type() {
    fn answer() -> &'static str {
        "answered"
    }
    let mut by_fn: Router<fn() -> &'static str> = Router::new();
    by_fn.route(".*", answer).unwrap();
    let m = by_fn.matches(&park("inbound", "1"));
    assert_eq!((m[0].handler)(), "answered");
    let mut by_id = Router::new();
    let route: &mut Route<u32> = by_id.route("1", 42).unwrap();
    assert_eq!(*route.handler(), 42);
    route.param("a", "1").param("a", "2");
    assert_eq!(route.params().len(), 2);
    // The last value of a repeated parameter wins, as with Python kwargs.
    assert_eq!(
        by_id.matches(&park("inbound", "1"))[0].param("a"),
        Some("2")
    );
}

/// A CHANNEL_PARK as FreeSWITCH sent it (`inbound_events_plain`: the a-leg of
/// `originate loopback/tone &park`, outbound, destination `tone`, context `default`).
fn captured_park() -> Event {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/freeswitch/inbound_events_plain.jsonl");
    let text = std::fs::read_to_string(path).unwrap();
    let mut framer = Framer::new(Limits::default());
    for line in text.lines() {
        let chunk: serde_json::Value = serde_json::from_str(line).unwrap();
        if chunk["dir"] != "from_switch" {
            continue;
        }
        framer.push(
            &base64::engine::general_purpose::STANDARD
                .decode(chunk["b64"].as_str().unwrap())
                .unwrap(),
        );
        while let Some(frame) = framer.next_frame().unwrap() {
            let message = Message::from(frame);
            if message.content_type() == ContentType::EventPlain {
                let event =
                    Event::parse(EventFormat::Plain, message.body(), &Limits::default()).unwrap();
                if event.is("CHANNEL_PARK") {
                    return event;
                }
            }
        }
    }
    panic!("no CHANNEL_PARK in the capture");
}

#[test]
fn a_captured_park_event_is_routed() {
    let event = captured_park();
    let mut router = Router::with_guards([("Caller-Context", "default")]);
    router
        .route("^tone$", "tone")
        .unwrap()
        .guard("Call-Direction", "outbound");
    router
        .route("^loopback/(?P<ext>.+)-(?P<leg>[ab])$", "by_channel")
        .unwrap()
        .field("Channel-Name");
    let m = router.matches(&event);
    assert_eq!(
        m.iter().map(|m| *m.handler).collect::<Vec<_>>(),
        ["tone", "by_channel"]
    );
    assert_eq!(m[1].captures.name("ext"), Some("tone"));
    assert_eq!(m[1].captures.name("leg"), Some("a"));
    // The inbound guard of switchy's example keeps this outbound leg out.
    assert_eq!(dialplan().failed_guard(&event), Some("Call-Direction"));
}

proptest! {
    /// Any pattern, value and guard: an invalid pattern is an error value, matching never
    /// panics.
    #[test]
    fn any_pattern_and_value_never_panic(data in proptest::collection::vec(any::<u8>(), 0..64)) {
        esl_proto::fuzzing::router(&data);
    }

    #[test]
    fn any_text_pattern_never_panics(pattern in ".{0,12}", value in "[0-9*#]{0,12}") {
        esl_proto::fuzzing::router(format!("{pattern}\0{value}\0inbound").as_bytes());
    }
}

#[test]
fn an_owned_match_keeps_what_the_handler_reads() {
    let mut router = Router::new();
    router
        .route(r"(?P<country>00|011)(\d+)", "reject")
        .unwrap()
        .param("response", "407")
        .param("response", "403");
    let park = Event::builder("CHANNEL_PARK")
        .header("Caller-Destination-Number", "011441234567")
        .build();
    let owned: Vec<esl_proto::route::RouteMatch> =
        router.iter_matches(&park).map(|m| (&m).into()).collect();
    drop(router);
    let [m] = owned.as_slice() else {
        panic!("{owned:?}")
    };
    assert_eq!(m.route, 0);
    assert_eq!(m.field, "Caller-Destination-Number");
    assert_eq!(m.param("response"), Some("403"));
    assert_eq!(m.params().len(), 2);
    assert_eq!(m.named("country"), Some("011"));
    assert_eq!(m.capture(2), Some("441234567"));
    assert_eq!(
        m.positional().collect::<Vec<_>>(),
        [Some("011"), Some("441234567")]
    );
    assert_eq!(m.matched(), "011441234567");
    assert_eq!(m.named("nope"), None);
}
