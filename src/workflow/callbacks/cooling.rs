//! Cooling-off per investor (regulation.md §3: no contact during it): while the window of any
//! order of an investor is open, none of their callbacks is due. Every callback is planned
//! through [`plan`], which moves a start inside an open window to its end (keeping the time
//! allowed), and a new order's window moves the investor's open callbacks the same way.

use chrono::{DateTime, Utc};

use crate::store::callbacks::{self, Callback};
use crate::store::{Conn, orders};
use crate::workflow::Result;

/// When the investor's last open cooling-off window ends, if one is open at `t`.
pub async fn window_end(
    c: &mut Conn<'_>,
    investor_id: &str,
    t: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    Ok(orders::cooling_off_until(c, investor_id, t).await?)
}

/// `cb` moved out of `end`'s window: a start before it moves to it, the deadline with it.
pub(crate) fn deferred(mut cb: Callback, end: DateTime<Utc>) -> Callback {
    if cb.due_from < end {
        let shift = end - cb.due_from;
        cb.due_from = end;
        cb.due_by += shift;
    }
    cb
}

/// Stores a planned callback, deferred out of any open cooling-off window of its investor.
pub async fn plan(c: &mut Conn<'_>, cb: Callback, t: DateTime<Utc>) -> Result<Callback> {
    let cb = match window_end(c, &cb.investor_id, t).await? {
        Some(end) => deferred(cb, end),
        None => cb,
    };
    callbacks::insert(c, &cb).await?;
    Ok(cb)
}

/// Moves the investor's open callbacks that start before `end` (a new order's window) to it; an
/// overdue one stays as it is (its outcome waits for the window's end all the same).
pub async fn defer_open(c: &mut Conn<'_>, investor_id: &str, end: DateTime<Utc>) -> Result<()> {
    for cb in callbacks::open_for_investor(c, investor_id).await? {
        if cb.due_from < end {
            let moved = deferred(cb, end);
            callbacks::set_due(c, &moved.id, moved.due_from, moved.due_by).await?;
        }
    }
    Ok(())
}
