//! `Formula::compile` on arbitrary UTF-8; if it compiles, evaluation with the exact and the
//! interval arithmetic on arbitrary values. Neither may panic, and where the interval path
//! gives cents they must be the exact path's (the interval path may only defer).
#![no_main]

use libfuzzer_sys::fuzz_target;
use yardstick_engine::dec::{Dec, MAX_SCALE};
use yardstick_engine::formula::Formula;
use yardstick_engine::num::{Exact, Interval, Num};

fuzz_target!(|input: (String, [(i64, u8); 3])| {
    let (src, raw) = input;
    let Ok(f) = Formula::compile(&src, &["a", "b", "c"]) else { return };
    let vals: Vec<Dec> = raw.iter().map(|&(m, s)| Dec::new(m.max(-i64::MAX), s % (MAX_SCALE + 1))).collect();
    let ex: Vec<Exact> = vals.iter().map(|v| Exact::from_dec(*v)).collect();
    let iv: Vec<Interval> = vals.iter().map(|v| Interval::from_dec(*v)).collect();
    let exact = f.eval(&ex).map(|x| {
        let _ = x.display(4);
        x.round_cents()
    });
    if let Ok(Ok(fast)) = f.eval(&iv).map(|x| x.round_cents()) {
        assert_eq!(exact, Ok(Ok(fast)), "{src:?} with {vals:?}: the interval path decided {fast} cents");
    }
});
