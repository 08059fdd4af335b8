#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| esl_proto::fuzzing::event(esl_proto::EventFormat::Json, data));
