//! The stand-in switch as a process of its own: see `esl_bench::child` for its protocol.

// This binary talks to its parent on stdout.
#![allow(clippy::print_stdout)]

use std::io::BufRead;

use esl_bench::dialer::Dialer;
use esl_bench::switch::StandIn;

fn main() {
    let switch = StandIn::start();
    println!("listening {}", switch.addr());
    let mut dialer = Dialer::new();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["dial", addr, n] => {
                let dialed = match (addr.parse(), n.parse()) {
                    (Ok(addr), Ok(n)) => dialer.dial(addr, n).map_err(|e| e.to_string()),
                    _ => Err("usage: dial <addr> <n>".to_owned()),
                };
                match dialed {
                    Ok(()) => println!("dialed {}", dialer.calls()),
                    Err(error) => println!("error {error}"),
                }
            }
            ["hangup"] => {
                dialer.hang_up();
                println!("hung-up");
            }
            _ => println!("error unknown command {line:?}"),
        }
    }
}
