//! Statements of the compiled subset: `if`/`else`, `let`/`const`, blocks, calls on `decision`
//! and expressions run for their failures. Each `let` gets its own slot, found lexically when
//! the file compiles (rhai's block scopes; shadowing is off in the sandbox, so a name means one
//! variable within its block).

use rhai::{ASTFlags, Expr, Stmt};

use super::Ctx;

/// The names the interpreter's scope holds before a rule runs.
const RESERVED: [&str; 4] = ["investor", "product", "order", "decision"];
use super::report::{C, NotCompiled};
use super::types::{Exec, Kind, Local, Typed};

impl Ctx<'_> {
    /// A block: its own scope, its statements in order.
    pub(crate) fn block(&mut self, stmts: &[Stmt]) -> C<Vec<Exec>> {
        self.scopes.push(Vec::new());
        let mut out = Vec::with_capacity(stmts.len());
        for s in stmts {
            if let Some(x) = self.stmt(s)? {
                out.push(x);
            }
        }
        self.scopes.pop();
        Ok(out)
    }

    fn stmt(&mut self, s: &Stmt) -> C<Option<Exec>> {
        self.nodes += 1;
        Ok(Some(match s {
            Stmt::Noop(_) => return Ok(None),
            Stmt::Block(b) => {
                let body = self.block(b.statements())?;
                Box::new(move |e| body.iter().try_for_each(|x| x(e)))
            }
            Stmt::If(fc, pos) => {
                let Typed::Bool(guard) = self.expr(&fc.expr)? else {
                    return Err(NotCompiled::at("an `if` on something not a boolean", *pos));
                };
                let then = self.block(fc.body.statements())?;
                let other = self.block(fc.branch.statements())?;
                Box::new(move |e| {
                    let branch = if guard(e)? { &then } else { &other };
                    branch.iter().try_for_each(|x| x(e))
                })
            }
            Stmt::Var(x, flags, pos) => {
                if flags.contains(ASTFlags::EXPORTED) {
                    return Err(NotCompiled::at("`export`", *pos));
                }
                // Shadowing is off in the sandbox: rhai fails on a `let` of a name already
                // defined (a fact, `decision`, or an outer variable), which the compiled code
                // leaves to the interpreter.
                let name = x.0.name.as_str();
                if RESERVED.contains(&name) || self.lookup(name).is_some() {
                    return Err(NotCompiled::at(format!("a second `let {name}`"), *pos));
                }
                let value = self.expr(&x.1)?;
                let kind = match &value {
                    Typed::Bool(_) => Kind::Bool,
                    Typed::Int(_) => Kind::Int,
                    Typed::Dec(_) => Kind::Dec,
                    Typed::Str(_) => Kind::Str,
                    Typed::List(_) => {
                        return Err(NotCompiled::at("a variable holding an array", *pos));
                    }
                };
                let slot = self.slots;
                self.slots += 1;
                if let Some(scope) = self.scopes.last_mut() {
                    scope.push((x.0.name.clone(), slot, kind));
                }
                match value {
                    Typed::Bool(f) => Box::new(move |e| {
                        e.locals[slot] = Local::Bool(f(e)?);
                        Ok(())
                    }),
                    Typed::Int(f) => Box::new(move |e| {
                        e.locals[slot] = Local::Int(f(e)?);
                        Ok(())
                    }),
                    Typed::Dec(f) => Box::new(move |e| {
                        e.locals[slot] = Local::Dec(f(e)?);
                        Ok(())
                    }),
                    Typed::Str(s) => Box::new(move |e| {
                        e.locals[slot] = Local::Str(s.owned(e)?);
                        Ok(())
                    }),
                    Typed::List(_) => return Err(NotCompiled::at("an array", *pos)),
                }
            }
            Stmt::Expr(expr) => match &**expr {
                Expr::Dot(bin, flags, pos)
                    if !flags.contains(ASTFlags::NEGATED)
                        && matches!(&bin.lhs, Expr::Variable(v, ..) if v.1 == "decision") =>
                {
                    match &bin.rhs {
                        Expr::MethodCall(call, _) => self.method(call, *pos)?,
                        other => self.discarded(other)?,
                    }
                }
                other => self.discarded(other)?,
            },
            // The optimizer turns an expression statement that is a call (`a + 1;`) into this.
            Stmt::FnCall(call, pos) => {
                let value = self.call(call, *pos)?;
                self.discard(value)
            }
            other => return Err(NotCompiled::at(describe(other), other.position())),
        }))
    }

    /// An expression whose value is not used still runs (and may fail, as in rhai).
    fn discarded(&mut self, expr: &Expr) -> C<Exec> {
        let value = self.expr(expr)?;
        Ok(self.discard(value))
    }

    fn discard(&self, value: Typed) -> Exec {
        match value {
            Typed::Bool(f) => Box::new(move |e| f(e).map(drop)),
            Typed::Int(f) => Box::new(move |e| f(e).map(drop)),
            Typed::Dec(f) => Box::new(move |e| f(e).map(drop)),
            Typed::Str(s) => Box::new(move |e| s.get(e).map(drop)),
            Typed::List(_) => Box::new(|_| Ok(())),
        }
    }
}

fn describe(s: &Stmt) -> String {
    match s {
        Stmt::Switch(..) => "`switch`".into(),
        Stmt::While(..) => "a `while` or `loop` loop".into(),
        Stmt::Do(..) => "a `do` loop".into(),
        Stmt::For(..) => "a `for` loop".into(),
        Stmt::Assignment(..) => "an assignment".into(),
        Stmt::TryCatch(..) => "`try`/`catch`".into(),
        Stmt::BreakLoop(..) => "`break` or `continue`".into(),
        Stmt::Return(..) => "`return` or `throw`".into(),
        _ => "a statement outside the compiled subset".into(),
    }
}
