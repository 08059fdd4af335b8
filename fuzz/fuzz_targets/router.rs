#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| esl_proto::fuzzing::router(data));
