//! Operators of the compiled subset, one closure per operator and pair of static types, each
//! doing what rhai's built-in for those types does (`func/builtin.rs`, `packages/arithmetic.rs`):
//! checked integer and decimal arithmetic, integers widened to decimals beside a decimal,
//! strings compared bytewise. Where rhai would fail (overflow, division by zero) the closure
//! bails and the evaluation reruns in the interpreter, which fails exactly as rhai does.

use rhai::{INT, Position};
use rust_decimal::Decimal;

use super::report::{C, NotCompiled};
use super::types::{Bail, F, ListSrc, StrSrc, Typed};

#[derive(Debug, Clone, Copy)]
pub(crate) enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    pub fn from_name(name: &str) -> Option<Cmp> {
        Some(match name {
            "==" => Cmp::Eq,
            "!=" => Cmp::Ne,
            "<" => Cmp::Lt,
            "<=" => Cmp::Le,
            ">" => Cmp::Gt,
            ">=" => Cmp::Ge,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl Arith {
    pub fn from_name(name: &str) -> Option<Arith> {
        Some(match name {
            "+" => Arith::Add,
            "-" => Arith::Sub,
            "*" => Arith::Mul,
            "/" => Arith::Div,
            "%" => Arith::Rem,
            _ => return None,
        })
    }
}

/// `a op b` for two values of one ordered type; the operator is chosen here, not per call.
fn ordered<T: PartialOrd + Send + Sync + 'static>(op: Cmp, a: F<T>, b: F<T>) -> F<bool> {
    match op {
        Cmp::Eq => Box::new(move |e| Ok(a(e)? == b(e)?)),
        Cmp::Ne => Box::new(move |e| Ok(a(e)? != b(e)?)),
        Cmp::Lt => Box::new(move |e| Ok(a(e)? < b(e)?)),
        Cmp::Le => Box::new(move |e| Ok(a(e)? <= b(e)?)),
        Cmp::Gt => Box::new(move |e| Ok(a(e)? > b(e)?)),
        Cmp::Ge => Box::new(move |e| Ok(a(e)? >= b(e)?)),
    }
}

fn strings(op: Cmp, a: StrSrc, b: StrSrc) -> F<bool> {
    let test: fn(&str, &str) -> bool = match op {
        Cmp::Eq => |x, y| x == y,
        Cmp::Ne => |x, y| x != y,
        Cmp::Lt => |x, y| x < y,
        Cmp::Le => |x, y| x <= y,
        Cmp::Gt => |x, y| x > y,
        Cmp::Ge => |x, y| x >= y,
    };
    // The common case, a fact against a literal (`investor.kind == "individual"`), reads the
    // fact in place and compares with the literal's bytes.
    match (a, b) {
        (StrSrc::Field(f), StrSrc::Lit(l)) => {
            let l: Box<str> = l.as_str().into();
            Box::new(move |e| Ok(test(f(e.facts).as_str(), &l)))
        }
        (StrSrc::Lit(l), StrSrc::Field(f)) => {
            let l: Box<str> = l.as_str().into();
            Box::new(move |e| Ok(test(&l, f(e.facts).as_str())))
        }
        (StrSrc::Verdict, StrSrc::Lit(l)) => {
            let l: Box<str> = l.as_str().into();
            Box::new(move |e| Ok(test(e.decision.verdict().as_str(), &l)))
        }
        (a, b) => Box::new(move |e| Ok(test(&a.get(e)?, &b.get(e)?))),
    }
}

/// An integer read as a decimal, as rhai widens one beside a decimal.
pub(crate) fn widen(f: F<INT>) -> F<Decimal> {
    Box::new(move |e| Ok(Decimal::from(f(e)?)))
}

pub(crate) fn compare(op: Cmp, a: Typed, b: Typed, pos: Position) -> C<Typed> {
    Ok(Typed::Bool(match (a, b) {
        (Typed::Int(a), Typed::Int(b)) => ordered(op, a, b),
        (Typed::Dec(a), Typed::Dec(b)) => ordered(op, a, b),
        (Typed::Int(a), Typed::Dec(b)) => ordered(op, widen(a), b),
        (Typed::Dec(a), Typed::Int(b)) => ordered(op, a, widen(b)),
        (Typed::Str(a), Typed::Str(b)) => strings(op, a, b),
        (Typed::Bool(a), Typed::Bool(b)) if matches!(op, Cmp::Eq | Cmp::Ne) => ordered(op, a, b),
        (a, b) => {
            return Err(NotCompiled::at(
                format!("comparison of {} with {}", a.type_name(), b.type_name()),
                pos,
            ));
        }
    }))
}

fn checked<T: Send + Sync + 'static>(a: F<T>, b: F<T>, f: fn(T, T) -> Option<T>) -> F<T> {
    Box::new(move |e| f(a(e)?, b(e)?).ok_or(Bail))
}

fn int_op(op: Arith) -> fn(INT, INT) -> Option<INT> {
    match op {
        Arith::Add => INT::checked_add,
        Arith::Sub => INT::checked_sub,
        Arith::Mul => INT::checked_mul,
        Arith::Div => INT::checked_div,
        Arith::Rem => INT::checked_rem,
    }
}

fn dec_op(op: Arith) -> fn(Decimal, Decimal) -> Option<Decimal> {
    match op {
        Arith::Add => Decimal::checked_add,
        Arith::Sub => Decimal::checked_sub,
        Arith::Mul => Decimal::checked_mul,
        Arith::Div => Decimal::checked_div,
        Arith::Rem => Decimal::checked_rem,
    }
}

pub(crate) fn arithmetic(op: Arith, a: Typed, b: Typed, pos: Position) -> C<Typed> {
    Ok(match (a, b) {
        (Typed::Int(a), Typed::Int(b)) => Typed::Int(checked(a, b, int_op(op))),
        (Typed::Dec(a), Typed::Dec(b)) => Typed::Dec(checked(a, b, dec_op(op))),
        (Typed::Int(a), Typed::Dec(b)) => Typed::Dec(checked(widen(a), b, dec_op(op))),
        (Typed::Dec(a), Typed::Int(b)) => Typed::Dec(checked(a, widen(b), dec_op(op))),
        (a, b) => {
            return Err(NotCompiled::at(
                format!("arithmetic on {} and {}", a.type_name(), b.type_name()),
                pos,
            ));
        }
    })
}

pub(crate) fn negate(a: Typed, pos: Position) -> C<Typed> {
    Ok(match a {
        Typed::Int(a) => Typed::Int(Box::new(move |e| a(e)?.checked_neg().ok_or(Bail))),
        Typed::Dec(a) => Typed::Dec(Box::new(move |e| Ok(-a(e)?))),
        a => return Err(NotCompiled::at(format!("`-` on {}", a.type_name()), pos)),
    })
}

pub(crate) fn not(a: Typed, pos: Position) -> C<Typed> {
    match a {
        Typed::Bool(a) => Ok(Typed::Bool(Box::new(move |e| Ok(!a(e)?)))),
        a => Err(NotCompiled::at(format!("`!` on {}", a.type_name()), pos)),
    }
}

/// `item in container`: rhai calls `contains(container, item)`; on an array it compares each
/// element with `==`, on a string it looks for a substring.
pub(crate) fn contains(container: Typed, item: Typed, pos: Position) -> C<Typed> {
    Ok(Typed::Bool(match (container, item) {
        (Typed::List(list), Typed::Str(item)) => Box::new(move |e| {
            let item = item.get(e)?;
            Ok(list.items(e).iter().any(|x| x.as_str() == item.as_ref()))
        }),
        (Typed::Str(s), Typed::Str(item)) => {
            Box::new(move |e| Ok(s.get(e)?.contains(item.get(e)?.as_ref())))
        }
        (c, i) => {
            return Err(NotCompiled::at(
                format!("`in` of {} in {}", i.type_name(), c.type_name()),
                pos,
            ));
        }
    }))
}

/// `a && b && …` or `a || b || …`, left to right, stopping as rhai does.
pub(crate) fn logic(and: bool, mut parts: Vec<F<bool>>) -> F<bool> {
    if parts.len() == 1 {
        return parts.remove(0);
    }
    if parts.len() == 2 {
        let b = parts.remove(1);
        let a = parts.remove(0);
        return if and {
            Box::new(move |e| Ok(a(e)? && b(e)?))
        } else {
            Box::new(move |e| Ok(a(e)? || b(e)?))
        };
    }
    if and {
        Box::new(move |e| {
            for p in &parts {
                if !p(e)? {
                    return Ok(false);
                }
            }
            Ok(true)
        })
    } else {
        Box::new(move |e| {
            for p in &parts {
                if p(e)? {
                    return Ok(true);
                }
            }
            Ok(false)
        })
    }
}

/// A literal array of strings, as the optimizer folds `["a", "b"]`.
pub(crate) fn string_list(items: &rhai::Array, pos: Position) -> C<ListSrc> {
    items
        .iter()
        .map(|d| d.clone().into_immutable_string())
        .collect::<Result<Vec<_>, _>>()
        .map(ListSrc::Lit)
        .map_err(|t| NotCompiled::at(format!("an array holding {t}"), pos))
}
