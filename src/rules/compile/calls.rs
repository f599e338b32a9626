//! `decision.method(…)` statements. A call whose arguments are all literals is checked when the
//! file compiles and becomes a prebuilt effect, so running it is a push; one with computed
//! arguments is checked when it runs, by the same constructors the interpreter's methods use.
//! A call the interpreter would refuse makes the compiled code bail (the rerun fails exactly).

use rhai::{Expr, FnCallExpr, INT, ImmutableString, Position};

use super::super::effect::Effect;
use super::Ctx;
use super::report::{C, NotCompiled};
use super::types::{Bail, Env, Exec, F, ListSrc, R, StrSrc, Typed};

/// An argument as the method takes it.
enum Arg {
    Str(StrSrc),
    Int(F<INT>),
    List(ListSrc),
}

fn literal(e: &Expr) -> bool {
    match e {
        Expr::StringConstant(..) | Expr::IntegerConstant(..) => true,
        Expr::DynamicConstant(d, _) => d.is_array(),
        Expr::Array(items, _) => items.iter().all(|i| matches!(i, Expr::StringConstant(..))),
        _ => false,
    }
}

fn record(e: &mut Env<'_>, effect: Effect) -> R<()> {
    e.decision.record(effect).map_err(|_| Bail)
}

impl Ctx<'_> {
    pub(crate) fn method(&mut self, call: &FnCallExpr, pos: Position) -> C<Exec> {
        let name = call.name.as_str();
        let shape: &[&str] = match name {
            "reject" | "mismatch" => &["s", "s"],
            "require" | "check" | "check_group" | "periodic" | "note" => &["s"],
            "special_callback" => &["s", "i", "l"],
            _ => return Err(NotCompiled::at(format!("method `decision.{name}`"), pos)),
        };
        if call.capture_parent_scope || call.args.len() != shape.len() {
            return Err(NotCompiled::at(
                format!("`decision.{name}` with {} arguments", call.args.len()),
                pos,
            ));
        }
        let constant = call.args.iter().all(literal);
        if !constant {
            // Computed texts are checked when the call runs (length, characters, codes).
            self.cost += super::TEXT_COST * call.args.len() as u64;
        }
        let mut args = Vec::with_capacity(shape.len());
        for (a, want) in call.args.iter().zip(shape) {
            args.push(match (self.expr(a)?, *want) {
                (Typed::Str(s), "s") => Arg::Str(s),
                (Typed::Int(f), "i") => Arg::Int(f),
                (Typed::List(l), "l") => Arg::List(l),
                (t, _) => {
                    return Err(NotCompiled::at(
                        format!("`decision.{name}` given {}", t.type_name()),
                        a.start_position(),
                    ));
                }
            });
        }
        let make = effect_maker(name, args);
        if constant {
            // Literals only: check once now. A call that can only fail bails when it runs.
            let facts = super::super::facts::Facts::default();
            let mut probe = super::super::decision::Decision::new(self.catalogue.clone());
            let mut locals = Vec::new();
            let env = Env {
                facts: &facts,
                decision: &mut probe,
                locals: &mut locals,
            };
            return Ok(match make(&env) {
                Ok(Ok(effect)) => Box::new(move |e| record(e, effect.clone())),
                _ => Box::new(|_| Err(Bail)),
            });
        }
        Ok(Box::new(move |e| match make(e)? {
            Ok(effect) => record(e, effect),
            Err(_) => Err(Bail),
        }))
    }
}

type Maker = Box<dyn Fn(&Env<'_>) -> R<Result<Effect, String>> + Send + Sync>;

/// The effect a call makes from its arguments' values.
fn effect_maker(name: &str, args: Vec<Arg>) -> Maker {
    let mut args = args.into_iter();
    let mut s = || match args.next() {
        Some(Arg::Str(s)) => s,
        _ => StrSrc::Lit(ImmutableString::new()),
    };
    match name {
        "reject" | "mismatch" => {
            let (code, message) = (s(), s());
            let reject = name == "reject";
            Box::new(move |e| {
                let (c, m) = (code.owned(e)?, message.owned(e)?);
                Ok(if reject {
                    Effect::reject(c, m)
                } else {
                    Effect::mismatch(c, m)
                })
            })
        }
        "require" => {
            let a = s();
            Box::new(move |e| Ok(Effect::require(a.owned(e)?)))
        }
        "check" => {
            let a = s();
            Box::new(move |e| Ok(Effect::check(e.decision.catalogue(), &a.get(e)?)))
        }
        "check_group" => {
            let a = s();
            Box::new(move |e| Ok(Effect::check_group(e.decision.catalogue(), a.owned(e)?)))
        }
        "periodic" => {
            let a = s();
            Box::new(move |e| Ok(Effect::periodic(&a.get(e)?)))
        }
        "note" => {
            let a = s();
            Box::new(move |e| Ok(Effect::note(a.owned(e)?)))
        }
        _ => {
            let reason = s();
            let (Some(Arg::Int(due)), Some(Arg::List(list))) = (args.next(), args.next()) else {
                return Box::new(|_| Err(Bail));
            };
            Box::new(move |e| {
                let codes = list.items(e).iter().map(|c| Ok(c.clone()));
                Ok(Effect::special(
                    e.decision.catalogue(),
                    reason.owned(e)?,
                    due(e)?,
                    codes,
                ))
            })
        }
    }
}
