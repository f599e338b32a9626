//! Expressions of the compiled subset: literals, variables, fact properties, `decision.verdict`,
//! operators, `in`, `&&`/`||` and interpolated strings. Anything else is reported, and the file
//! is interpreted.

use std::fmt::Write;

use rhai::ImmutableString;
use rhai::Position;
use rhai::{Expr, FnCallExpr};

use super::super::sandbox::limits;
use super::fields;
use super::ops::{self, Arith, Cmp};
use super::report::{C, NotCompiled};
use super::types::{Bail, F, Kind, Local, StrSrc, Typed};
use super::{Ctx, TEXT_COST};

impl Ctx<'_> {
    pub(crate) fn expr(&mut self, expr: &Expr) -> C<Typed> {
        self.nodes += 1;
        Ok(match expr {
            Expr::BoolConstant(b, _) => {
                let b = *b;
                Typed::Bool(Box::new(move |_| Ok(b)))
            }
            Expr::IntegerConstant(i, _) => {
                let i = *i;
                Typed::Int(Box::new(move |_| Ok(i)))
            }
            Expr::StringConstant(s, _) => Typed::Str(StrSrc::Lit(s.clone())),
            Expr::DynamicConstant(d, pos) => {
                if let Ok(d) = d.as_decimal() {
                    Typed::Dec(Box::new(move |_| Ok(d)))
                } else if let Ok(i) = d.as_int() {
                    Typed::Int(Box::new(move |_| Ok(i)))
                } else if let Ok(b) = d.as_bool() {
                    Typed::Bool(Box::new(move |_| Ok(b)))
                } else if d.is_string() {
                    Typed::Str(StrSrc::Lit(
                        d.clone().into_immutable_string().unwrap_or_default(),
                    ))
                } else if let Ok(a) = d.as_array_ref() {
                    Typed::List(ops::string_list(&a, *pos)?)
                } else {
                    return Err(NotCompiled::at(
                        format!("a {} literal", d.type_name()),
                        *pos,
                    ));
                }
            }
            Expr::InterpolatedString(parts, pos) => self.interpolated(parts, *pos)?,
            // A list of text literals, as `special_callback` takes its checks.
            Expr::Array(items, pos) => {
                let mut list = Vec::with_capacity(items.len());
                for item in items.iter() {
                    match item {
                        Expr::StringConstant(s, _) => list.push(s.clone()),
                        _ => return Err(NotCompiled::at("an array with computed items", *pos)),
                    }
                }
                Typed::List(super::types::ListSrc::Lit(list))
            }
            Expr::Variable(x, _, pos) => self.variable(&x.1, *pos)?,
            Expr::Dot(bin, flags, pos) => {
                if flags.contains(rhai::ASTFlags::NEGATED) {
                    return Err(NotCompiled::at("`?.`", *pos));
                }
                let (Expr::Variable(object, ..), Expr::Property(p, _)) = (&bin.lhs, &bin.rhs)
                else {
                    return Err(NotCompiled::at(describe(&bin.rhs), *pos));
                };
                let (object, name) = (object.1.as_str(), p.2.as_str());
                match (object, name) {
                    ("decision", "verdict") => Typed::Str(StrSrc::Verdict),
                    _ => fields::property(object, name).ok_or_else(|| {
                        NotCompiled::at(format!("property `{object}.{name}`"), *pos)
                    })?,
                }
            }
            Expr::FnCall(call, pos) => self.call(call, *pos)?,
            // `${expr}` inside backticks is a block holding the one expression.
            Expr::Stmt(block) => match block.statements() {
                [rhai::Stmt::Expr(e)] => self.expr(e)?,
                [rhai::Stmt::FnCall(call, pos)] => self.call(call, *pos)?,
                _ => {
                    return Err(NotCompiled::at(
                        "a block used as a value",
                        expr.start_position(),
                    ));
                }
            },
            Expr::And(parts, _) | Expr::Or(parts, _) => {
                let and = matches!(expr, Expr::And(..));
                let mut fs = Vec::with_capacity(parts.len());
                for p in parts.iter() {
                    match self.expr(p)? {
                        Typed::Bool(f) => fs.push(f),
                        other => {
                            return Err(NotCompiled::at(
                                format!("`&&` or `||` on {}", other.type_name()),
                                p.start_position(),
                            ));
                        }
                    }
                }
                Typed::Bool(ops::logic(and, fs))
            }
            other => return Err(NotCompiled::at(describe(other), other.start_position())),
        })
    }

    fn variable(&mut self, name: &str, pos: Position) -> C<Typed> {
        let Some((slot, kind)) = self.lookup(name) else {
            return Err(NotCompiled::at(
                format!("variable `{name}` used as a value"),
                pos,
            ));
        };
        Ok(match kind {
            Kind::Bool => Typed::Bool(Box::new(move |e| match e.locals[slot] {
                Local::Bool(b) => Ok(b),
                _ => Err(Bail),
            })),
            Kind::Int => Typed::Int(Box::new(move |e| match e.locals[slot] {
                Local::Int(i) => Ok(i),
                _ => Err(Bail),
            })),
            Kind::Dec => Typed::Dec(Box::new(move |e| match e.locals[slot] {
                Local::Dec(d) => Ok(d),
                _ => Err(Bail),
            })),
            Kind::Str => {
                self.cost += TEXT_COST;
                Typed::Str(StrSrc::Built(Box::new(move |e| match &e.locals[slot] {
                    Local::Str(s) => Ok(s.clone()),
                    _ => Err(Bail),
                })))
            }
        })
    }

    pub(crate) fn call(&mut self, call: &FnCallExpr, pos: Position) -> C<Typed> {
        if call.capture_parent_scope {
            return Err(NotCompiled::at(format!("call of `{}!`", call.name), pos));
        }
        let name = call.name.as_str();
        let mut args = Vec::with_capacity(call.args.len());
        for a in call.args.iter() {
            args.push(self.expr(a)?);
        }
        // Comparing or searching texts costs up to their length; a list, up to all its items.
        for a in &args {
            self.cost += match a {
                Typed::Str(_) => TEXT_COST,
                Typed::List(_) => 16 * TEXT_COST,
                _ => 0,
            };
        }
        match (name, args.len()) {
            ("!", 1) => ops::not(args.remove(0), pos),
            ("-", 1) => ops::negate(args.remove(0), pos),
            ("contains", 2) => {
                let item = args.remove(1);
                ops::contains(args.remove(0), item, pos)
            }
            (op, 2) if Cmp::from_name(op).is_some() || Arith::from_name(op).is_some() => {
                let b = args.remove(1);
                let a = args.remove(0);
                match Cmp::from_name(op) {
                    Some(c) => ops::compare(c, a, b, pos),
                    None => ops::arithmetic(
                        Arith::from_name(op).ok_or_else(|| unknown(name, pos))?,
                        a,
                        b,
                        pos,
                    ),
                }
            }
            _ => Err(unknown(name, pos)),
        }
    }

    /// `` `text ${expr} text` ``: strings as they are, other values as `to_string` writes them
    /// (integers plainly, decimals with their scale, booleans as `true`/`false`).
    fn interpolated(&mut self, parts: &[Expr], _pos: Position) -> C<Typed> {
        enum Piece {
            Str(StrSrc),
            Int(F<rhai::INT>),
            Dec(F<rust_decimal::Decimal>),
            Bool(F<bool>),
        }
        let mut pieces = Vec::with_capacity(parts.len());
        // Each piece may copy up to a text's limit.
        self.cost += TEXT_COST * parts.len() as u64;
        for p in parts {
            pieces.push(match self.expr(p)? {
                Typed::Str(s) => Piece::Str(s),
                Typed::Int(f) => Piece::Int(f),
                Typed::Dec(f) => Piece::Dec(f),
                Typed::Bool(f) => Piece::Bool(f),
                Typed::List(_) => {
                    return Err(NotCompiled::at(
                        "an array in an interpolation",
                        p.start_position(),
                    ));
                }
            });
        }
        let built: F<ImmutableString> = Box::new(move |e| {
            let mut s = String::with_capacity(128);
            for p in &pieces {
                match p {
                    Piece::Str(x) => s.push_str(&x.get(e)?),
                    Piece::Int(f) => write!(s, "{}", f(e)?).map_err(|_| Bail)?,
                    Piece::Dec(f) => write!(s, "{}", f(e)?).map_err(|_| Bail)?,
                    Piece::Bool(f) => write!(s, "{}", f(e)?).map_err(|_| Bail)?,
                }
                // After each piece, as rhai checks it: the text never grows past the limit.
                if s.len() > limits::MAX_STRING_SIZE {
                    return Err(Bail);
                }
            }
            Ok(s.into())
        });
        Ok(Typed::Str(StrSrc::Built(built)))
    }
}

fn unknown(name: &str, pos: Position) -> NotCompiled {
    NotCompiled::at(format!("call of `{name}`"), pos)
}

/// How the report names a construct outside the subset.
pub(crate) fn describe(e: &Expr) -> String {
    match e {
        Expr::CharConstant(..) => "a character literal".into(),
        Expr::Array(..) => "an array with computed items".into(),
        Expr::Map(..) => "an object map".into(),
        Expr::Unit(..) => "`()`".into(),
        Expr::ThisPtr(..) => "`this`".into(),
        Expr::Property(p, _) => format!("property `{}` of something other than a fact", p.2),
        Expr::MethodCall(m, _) => format!("method `{}`", m.name),
        Expr::Stmt(..) => "a block used as a value".into(),
        Expr::Dot(b, ..) => describe(&b.rhs),
        Expr::Index(..) => "indexing `[…]`".into(),
        Expr::Coalesce(..) => "`??`".into(),
        _ => "an expression outside the compiled subset".into(),
    }
}
