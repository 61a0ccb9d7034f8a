//! The office's formula language (M4.11) and the dynamic coefficient: parse, check, evaluate.
//!
//! A formula is arithmetic over named inputs with a few functions:
//! `+ - * /`, comparisons, `&&`, `||`, `!`, parentheses, numbers (`0.8`, `30%`) and
//! `min(a, b, …)`, `max(a, b, …)`, `clamp(x, lo, hi)`, `abs(x)`, `floor(x)`,
//! `ceil(x)`, `round(x, places)`, `if(condition, then, else)`.
//! Only functions that keep rational numbers rational are offered, so every
//! formula can be evaluated exactly. A formula is compiled once, when the plan is
//! loaded: unknown names, wrong arities and type errors are reported then, with the
//! character position, and never at scoring time.

use std::cmp::Ordering;
use std::fmt;

use crate::dec::Dec;
use crate::num::{Fail, Num};

/// Nesting deeper than this is refused, so that no input can exhaust the stack.
const MAX_DEPTH: usize = 64;

/// Longer formulas are refused: a flat chain `a + a + …` builds a tree as deep as it is
/// long, and evaluating or dropping it recurses once per term.
const MAX_TOKENS: usize = 1_000;

/// A compiled formula whose variables are resolved to positions in an input slice.
#[derive(Clone, Debug, PartialEq)]
pub struct Formula {
    source: String,
    root: Node,
}

#[derive(Clone, Debug, PartialEq)]
enum Node {
    Const(Dec),
    Var(usize),
    Neg(Box<Node>),
    Bin(BinOp, Box<Node>, Box<Node>),
    Cmp(Ordering, bool, Box<Node>, Box<Node>),
    Not(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Call(Func, Vec<Node>),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Func {
    Min,
    Max,
    Clamp,
    Abs,
    Floor,
    Ceil,
    Round,
    If,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Type {
    Number,
    Bool,
}

/// What is wrong with a formula, and where (a character offset into the text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormulaError {
    pub offset: usize,
    pub kind: FormulaErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormulaErrorKind {
    UnexpectedChar(char),
    UnexpectedEnd,
    /// What was expected, in Chinese and in English.
    Expected(&'static str, &'static str),
    BadNumber(String),
    UnknownVariable { name: String, known: Vec<String> },
    UnknownFunction(String),
    Arity { function: String, expected: &'static str, got: usize },
    NotANumber,
    NotACondition,
    TooDeep,
    TooLong,
}

impl FormulaError {
    pub fn message(&self, zh: bool) -> String {
        use FormulaErrorKind::*;
        let pos = self.offset + 1;
        match (&self.kind, zh) {
            (UnexpectedChar(c), true) => format!("第{pos}个字符处有无法识别的字符“{c}”"),
            (UnexpectedChar(c), false) => format!("unexpected character '{c}' at position {pos}"),
            (UnexpectedEnd, true) => "公式不完整：在结尾处缺少内容".into(),
            (UnexpectedEnd, false) => "the formula ends too early".into(),
            (Expected(what, _), true) => format!("第{pos}个字符处应为{what}"),
            (Expected(_, what), false) => format!("expected {what} at position {pos}"),
            (BadNumber(s), true) => format!("第{pos}个字符处的数字“{s}”无效"),
            (BadNumber(s), false) => format!("invalid number '{s}' at position {pos}"),
            (UnknownVariable { name, known }, true) => {
                format!("第{pos}个字符处的变量“{name}”未定义（可用：{}）", known.join("、"))
            }
            (UnknownVariable { name, known }, false) => {
                format!("unknown variable '{name}' at position {pos} (known: {})", known.join(", "))
            }
            (UnknownFunction(name), true) => format!(
                "第{pos}个字符处的函数“{name}”不存在（可用：min、max、clamp、abs、floor、ceil、round、if）"
            ),
            (UnknownFunction(name), false) => format!(
                "unknown function '{name}' at position {pos} (known: min, max, clamp, abs, floor, ceil, round, if)"
            ),
            (Arity { function, expected, got }, true) => {
                format!("第{pos}个字符处的函数 {function} 需要{expected}个参数，实际为{got}个")
            }
            (Arity { function, expected, got }, false) => {
                format!("function {function} at position {pos} takes {expected} arguments, got {got}")
            }
            (NotANumber, true) => format!("第{pos}个字符处需要数值，而不是条件"),
            (NotANumber, false) => format!("expected a number, not a condition, at position {pos}"),
            (NotACondition, true) => format!("第{pos}个字符处需要条件（比较），而不是数值"),
            (NotACondition, false) => format!("expected a condition (a comparison), not a number, at position {pos}"),
            (TooDeep, true) => "公式嵌套过深".into(),
            (TooDeep, false) => "the formula is nested too deeply".into(),
            (TooLong, true) => format!("公式过长（最多 {MAX_TOKENS} 个记号）"),
            (TooLong, false) => format!("the formula is too long (at most {MAX_TOKENS} tokens)"),
        }
    }
}

impl fmt::Display for FormulaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(false))
    }
}

impl std::error::Error for FormulaError {}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(Dec),
    Ident(String),
    LParen,
    RParen,
    Comma,
    Op(&'static str),
}

fn lex(src: &str) -> Result<Vec<(usize, Tok)>, FormulaError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())) {
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            if i < chars.len() && chars[i] == '%' {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            let d = Dec::parse(&text).map_err(|_| FormulaError { offset: start, kind: FormulaErrorKind::BadNumber(text) })?;
            out.push((start, Tok::Num(d)));
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push((start, Tok::Ident(chars[start..i].iter().collect())));
            continue;
        }
        let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
        let op2 = ["<=", ">=", "==", "!=", "&&", "||"].into_iter().find(|op| *op == two);
        if let Some(op) = op2 {
            out.push((start, Tok::Op(op)));
            i += 2;
            continue;
        }
        let tok = match c {
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            ',' => Tok::Comma,
            '+' => Tok::Op("+"),
            '-' => Tok::Op("-"),
            '*' => Tok::Op("*"),
            '/' => Tok::Op("/"),
            '<' => Tok::Op("<"),
            '>' => Tok::Op(">"),
            '!' => Tok::Op("!"),
            _ => return Err(FormulaError { offset: start, kind: FormulaErrorKind::UnexpectedChar(c) }),
        };
        out.push((start, tok));
        i += 1;
    }
    Ok(out)
}

struct Parser<'a> {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    end: usize,
    vars: &'a [&'a str],
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }

    fn offset(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end, |(o, _)| *o)
    }

    fn err(&self, kind: FormulaErrorKind) -> FormulaError {
        FormulaError { offset: self.offset(), kind }
    }

    fn eat_op(&mut self, ops: &[&'static str]) -> Option<&'static str> {
        if let Some(Tok::Op(op)) = self.peek() {
            if let Some(found) = ops.iter().find(|o| *o == op) {
                self.pos += 1;
                return Some(found);
            }
        }
        None
    }

    fn enter(&mut self) -> Result<(), FormulaError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH { Err(self.err(FormulaErrorKind::TooDeep)) } else { Ok(()) }
    }

    fn expect_type(&self, at: usize, got: Type, want: Type) -> Result<(), FormulaError> {
        if got == want {
            return Ok(());
        }
        let kind = if want == Type::Number { FormulaErrorKind::NotANumber } else { FormulaErrorKind::NotACondition };
        Err(FormulaError { offset: at, kind })
    }

    fn or(&mut self) -> Result<(Node, Type), FormulaError> {
        self.enter()?;
        let at = self.offset();
        let (mut left, mut ty) = self.and()?;
        while self.eat_op(&["||"]).is_some() {
            self.expect_type(at, ty, Type::Bool)?;
            let rat = self.offset();
            let (right, rty) = self.and()?;
            self.expect_type(rat, rty, Type::Bool)?;
            left = Node::Or(Box::new(left), Box::new(right));
            ty = Type::Bool;
        }
        self.depth -= 1;
        Ok((left, ty))
    }

    fn and(&mut self) -> Result<(Node, Type), FormulaError> {
        let at = self.offset();
        let (mut left, mut ty) = self.cmp()?;
        while self.eat_op(&["&&"]).is_some() {
            self.expect_type(at, ty, Type::Bool)?;
            let rat = self.offset();
            let (right, rty) = self.cmp()?;
            self.expect_type(rat, rty, Type::Bool)?;
            left = Node::And(Box::new(left), Box::new(right));
            ty = Type::Bool;
        }
        Ok((left, ty))
    }

    fn cmp(&mut self) -> Result<(Node, Type), FormulaError> {
        let at = self.offset();
        let (left, ty) = self.sum()?;
        if let Some(op) = self.eat_op(&["<", "<=", ">", ">=", "==", "!="]) {
            self.expect_type(at, ty, Type::Number)?;
            let rat = self.offset();
            let (right, rty) = self.sum()?;
            self.expect_type(rat, rty, Type::Number)?;
            // (ordering, negate): a < b is cmp == Less; a >= b is !(cmp == Less).
            let (ord, neg) = match op {
                "<" => (Ordering::Less, false),
                ">=" => (Ordering::Less, true),
                ">" => (Ordering::Greater, false),
                "<=" => (Ordering::Greater, true),
                "==" => (Ordering::Equal, false),
                _ => (Ordering::Equal, true),
            };
            return Ok((Node::Cmp(ord, neg, Box::new(left), Box::new(right)), Type::Bool));
        }
        Ok((left, ty))
    }

    fn sum(&mut self) -> Result<(Node, Type), FormulaError> {
        let at = self.offset();
        let (mut left, ty) = self.product()?;
        while let Some(op) = self.eat_op(&["+", "-"]) {
            self.expect_type(at, ty, Type::Number)?;
            let rat = self.offset();
            let (right, rty) = self.product()?;
            self.expect_type(rat, rty, Type::Number)?;
            let op = if op == "+" { BinOp::Add } else { BinOp::Sub };
            left = Node::Bin(op, Box::new(left), Box::new(right));
        }
        Ok((left, ty))
    }

    fn product(&mut self) -> Result<(Node, Type), FormulaError> {
        let at = self.offset();
        let (mut left, ty) = self.unary()?;
        while let Some(op) = self.eat_op(&["*", "/"]) {
            self.expect_type(at, ty, Type::Number)?;
            let rat = self.offset();
            let (right, rty) = self.unary()?;
            self.expect_type(rat, rty, Type::Number)?;
            let op = if op == "*" { BinOp::Mul } else { BinOp::Div };
            left = Node::Bin(op, Box::new(left), Box::new(right));
        }
        Ok((left, ty))
    }

    fn unary(&mut self) -> Result<(Node, Type), FormulaError> {
        self.enter()?;
        let at = self.offset();
        let r = if self.eat_op(&["-"]).is_some() {
            let (n, ty) = self.unary()?;
            self.expect_type(at + 1, ty, Type::Number)?;
            (Node::Neg(Box::new(n)), Type::Number)
        } else if self.eat_op(&["+"]).is_some() {
            let (n, ty) = self.unary()?;
            self.expect_type(at + 1, ty, Type::Number)?;
            (n, Type::Number)
        } else if self.eat_op(&["!"]).is_some() {
            let (n, ty) = self.unary()?;
            self.expect_type(at + 1, ty, Type::Bool)?;
            (Node::Not(Box::new(n)), Type::Bool)
        } else {
            self.primary()?
        };
        self.depth -= 1;
        Ok(r)
    }

    fn primary(&mut self) -> Result<(Node, Type), FormulaError> {
        let at = self.offset();
        match self.toks.get(self.pos).map(|(_, t)| t.clone()) {
            None => Err(self.err(FormulaErrorKind::UnexpectedEnd)),
            Some(Tok::Num(d)) => {
                self.pos += 1;
                Ok((Node::Const(d), Type::Number))
            }
            Some(Tok::LParen) => {
                self.pos += 1;
                let r = self.or()?;
                if self.peek() != Some(&Tok::RParen) {
                    return Err(self.err(FormulaErrorKind::Expected("“)”", "')'")));
                }
                self.pos += 1;
                Ok(r)
            }
            Some(Tok::Ident(name)) => {
                self.pos += 1;
                if self.peek() == Some(&Tok::LParen) {
                    self.pos += 1;
                    return self.call(at, &name);
                }
                match self.vars.iter().position(|v| *v == name) {
                    Some(i) => Ok((Node::Var(i), Type::Number)),
                    None => Err(FormulaError {
                        offset: at,
                        kind: FormulaErrorKind::UnknownVariable {
                            name,
                            known: self.vars.iter().map(|s| s.to_string()).collect(),
                        },
                    }),
                }
            }
            Some(_) => Err(self.err(FormulaErrorKind::Expected("数值、变量或“(”", "a number, a name or '('"))),
        }
    }

    fn call(&mut self, at: usize, name: &str) -> Result<(Node, Type), FormulaError> {
        let func = match name {
            "min" => Func::Min,
            "max" => Func::Max,
            "clamp" => Func::Clamp,
            "abs" => Func::Abs,
            "floor" => Func::Floor,
            "ceil" => Func::Ceil,
            "round" => Func::Round,
            "if" => Func::If,
            _ => return Err(FormulaError { offset: at, kind: FormulaErrorKind::UnknownFunction(name.to_string()) }),
        };
        let mut args = Vec::new();
        if self.peek() == Some(&Tok::RParen) {
            self.pos += 1;
        } else {
            loop {
                let aat = self.offset();
                let (n, ty) = self.or()?;
                args.push((aat, n, ty));
                match self.peek() {
                    Some(Tok::Comma) => self.pos += 1,
                    Some(Tok::RParen) => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.err(FormulaErrorKind::Expected("“,”或“)”", "',' or ')'"))),
                }
            }
        }
        let (ok, expected) = match func {
            Func::Min | Func::Max => (args.len() >= 2, "≥2"),
            Func::Clamp | Func::If => (args.len() == 3, "3"),
            Func::Abs | Func::Floor | Func::Ceil => (args.len() == 1, "1"),
            Func::Round => (args.len() == 2, "2"),
        };
        if !ok {
            return Err(FormulaError {
                offset: at,
                kind: FormulaErrorKind::Arity { function: name.to_string(), expected, got: args.len() },
            });
        }
        for (i, (aat, _, ty)) in args.iter().enumerate() {
            let want = if func == Func::If && i == 0 { Type::Bool } else { Type::Number };
            self.expect_type(*aat, *ty, want)?;
        }
        if func == Func::Round {
            let (aat, n, _) = &args[1];
            let ok = matches!(n, Node::Const(d) if d.scale() == 0 && (0..=6).contains(&d.mantissa()));
            if !ok {
                return Err(FormulaError { offset: *aat, kind: FormulaErrorKind::Expected("0–6 之间的整数位数", "a whole number of places from 0 to 6") });
            }
        }
        Ok((Node::Call(func, args.into_iter().map(|(_, n, _)| n).collect()), Type::Number))
    }
}

impl Formula {
    /// Parses and checks `src` against the variable names it may use; the variables
    /// are passed to [`Formula::eval`] in the same order.
    pub fn compile(src: &str, vars: &[&str]) -> Result<Formula, FormulaError> {
        let toks = lex(src)?;
        if toks.len() > MAX_TOKENS {
            return Err(FormulaError { offset: toks[MAX_TOKENS].0, kind: FormulaErrorKind::TooLong });
        }
        let end = src.chars().count();
        let mut p = Parser { toks, pos: 0, end, vars, depth: 0 };
        let (root, ty) = p.or()?;
        if p.pos < p.toks.len() {
            return Err(p.err(FormulaErrorKind::Expected("运算符或结尾", "an operator or the end")));
        }
        p.expect_type(0, ty, Type::Number)?;
        Ok(Formula { source: src.to_string(), root })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn eval<N: Num>(&self, vars: &[N]) -> Result<N, Fail> {
        eval_num(&self.root, vars)
    }
}

fn eval_num<N: Num>(n: &Node, vars: &[N]) -> Result<N, Fail> {
    Ok(match n {
        Node::Const(d) => N::from_dec(*d),
        Node::Var(i) => vars[*i].clone(),
        Node::Neg(a) => eval_num(a, vars)?.neg(),
        Node::Bin(op, a, b) => {
            let (a, b) = (eval_num(a, vars)?, eval_num(b, vars)?);
            match op {
                BinOp::Add => a.add(&b),
                BinOp::Sub => a.sub(&b),
                BinOp::Mul => a.mul(&b),
                BinOp::Div => a.div(&b)?,
            }
        }
        Node::Call(f, args) => match f {
            Func::If => {
                if eval_bool(&args[0], vars)? {
                    eval_num(&args[1], vars)?
                } else {
                    eval_num(&args[2], vars)?
                }
            }
            Func::Min | Func::Max => {
                let mut acc = eval_num(&args[0], vars)?;
                for a in &args[1..] {
                    let v = eval_num(a, vars)?;
                    acc = if *f == Func::Min { acc.min(&v)? } else { acc.max(&v)? };
                }
                acc
            }
            Func::Clamp => {
                let x = eval_num(&args[0], vars)?;
                x.clamp(&eval_num(&args[1], vars)?, &eval_num(&args[2], vars)?)?
            }
            Func::Abs => {
                let x = eval_num(&args[0], vars)?;
                x.max(&x.neg())?
            }
            Func::Floor => eval_num(&args[0], vars)?.floor()?,
            Func::Ceil => eval_num(&args[0], vars)?.neg().floor()?.neg(),
            Func::Round => {
                let x = eval_num(&args[0], vars)?;
                let places = match &args[1] {
                    Node::Const(d) => d.mantissa() as u32,
                    _ => unreachable!("checked at compile time"),
                };
                let scale = N::from_int(10i64.pow(places));
                let half = N::from_dec(Dec::new(5, 1));
                let scaled = x.mul(&scale);
                let r = if scaled.cmp(&N::from_int(0))? == Ordering::Less {
                    scaled.neg().add(&half).floor()?.neg()
                } else {
                    scaled.add(&half).floor()?
                };
                r.div(&scale)?
            }
        },
        Node::Cmp(..) | Node::Not(_) | Node::And(..) | Node::Or(..) => unreachable!("checked at compile time"),
    })
}

fn eval_bool<N: Num>(n: &Node, vars: &[N]) -> Result<bool, Fail> {
    Ok(match n {
        Node::Cmp(ord, neg, a, b) => (eval_num(a, vars)?.cmp(&eval_num(b, vars)?)? == *ord) != *neg,
        Node::Not(a) => !eval_bool(a, vars)?,
        Node::And(a, b) => eval_bool(a, vars)? && eval_bool(b, vars)?,
        Node::Or(a, b) => eval_bool(a, vars)? || eval_bool(b, vars)?,
        _ => unreachable!("checked at compile time"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::{Exact, Interval};

    fn eval(src: &str, vals: &[&str]) -> String {
        let names: Vec<&str> = ["a", "b", "c"].into_iter().take(vals.len()).collect();
        let f = Formula::compile(src, &names).unwrap();
        let v: Vec<Exact> = vals.iter().map(|s| Exact::from_dec(Dec::parse(s).unwrap())).collect();
        f.eval(&v).unwrap().display(4)
    }

    #[test]
    fn evaluates() {
        assert_eq!(eval("clamp(1 + 0.02 * (a - 7.0), 0.95, 1.05)", &["8.5"]), "1.0300");
        assert_eq!(eval("a * (0.8 * min(b, 1.2) + 20% * max(c, 0))", &["25", "1.05", "-1"]), "21.0000");
        assert_eq!(eval("if(a >= 10 && !(b < 2), a / b, -a)", &["10", "4"]), "2.5000");
        assert_eq!(eval("if(a != 10 || b == 2, 1, 2)", &["10", "4"]), "2.0000");
        assert_eq!(eval("round(a, 2) + floor(b) + ceil(c)", &["1.005", "-1.5", "1.2"]), "1.0100");
        assert_eq!(eval("abs(a - b)", &["1", "3"]), "2.0000");
    }

    #[test]
    fn interval_and_exact_agree_when_certain() {
        let f = Formula::compile("a / b * 3 - round(a, 1)", &["a", "b"]).unwrap();
        let i = f.eval(&[Interval::from_int(7), Interval::from_int(9)]).unwrap();
        let e = f.eval(&[Exact::from_int(7), Exact::from_int(9)]).unwrap();
        assert_eq!(i.round_cents().unwrap(), e.round_cents().unwrap());
    }

    #[test]
    fn errors_name_the_place() {
        let vars = ["actual", "target"];
        let cases: &[(&str, usize, &str)] = &[
            ("actual / tagret", 9, "unknown variable 'tagret'"),
            ("sqrt(actual)", 0, "unknown function 'sqrt'"),
            ("actual * (target", 16, "expected"),
            ("actual +", 8, "ends too early"),
            ("min(actual)", 0, "takes ≥2 arguments"),
            ("actual # 2", 7, "unexpected character '#'"),
            ("actual > 2", 0, "expected a number"),
            ("if(actual, 1, 2)", 3, "expected a condition"),
            ("1.2.3", 0, "invalid number"),
            ("round(actual, target)", 14, "whole number of places"),
            ("actual target", 7, "an operator or the end"),
        ];
        for (src, offset, text) in cases {
            let e = Formula::compile(src, &vars).unwrap_err();
            assert_eq!(e.offset, *offset, "{src}: {e}");
            assert!(e.message(false).contains(text), "{src}: {e}");
            assert!(!e.message(true).is_empty());
        }
        let deep = "(".repeat(200) + "1" + &")".repeat(200);
        assert_eq!(Formula::compile(&deep, &[]).unwrap_err().kind, FormulaErrorKind::TooDeep);
    }
}
