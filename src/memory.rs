//! Per-thread accounting of heap use, so the rule sandbox can hold an evaluation to a memory
//! budget: the global allocator adds every allocation to, and takes every free from, a counter
//! of the thread that makes it. An evaluation runs on one thread from start to end, so the
//! counter's rise since the evaluation began is what the evaluation holds.
//!
//! The cost is one thread-local add per allocation; nothing else changes (the system allocator
//! does the work).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The process's allocator: the system allocator, counted.
pub struct Counting;

thread_local! {
    /// Bytes allocated minus bytes freed by this thread (negative when it frees what another
    /// thread allocated).
    static LIVE: Cell<isize> = const { Cell::new(0) };
    /// The highest `LIVE` since the last `Mark` was taken.
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

#[inline]
fn add(delta: isize) {
    // `try_with`: during thread teardown the slot may be gone; an uncounted free then is fine.
    let _ = LIVE.try_with(|live| {
        let now = live.get().wrapping_add(delta);
        live.set(now);
        if delta > 0 {
            let _ = PEAK.try_with(|peak| {
                if now > peak.get() {
                    peak.set(now);
                }
            });
        }
    });
}

// SAFETY: every call is passed to `System` unchanged; the counters are plain thread-local cells
// with constant initialisers, so counting never allocates or re-enters the allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            add(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            add(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        add(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            add(new_size as isize - layout.size() as isize);
        }
        p
    }
}

/// The heap use of this thread at a point in time, to measure what was held since.
#[derive(Debug, Clone, Copy)]
pub struct Mark(isize);

impl Mark {
    /// Takes a mark and restarts the peak from here.
    pub fn now() -> Mark {
        let live = LIVE.with(Cell::get);
        PEAK.with(|p| p.set(live));
        Mark(live)
    }

    /// Bytes this thread holds beyond what it held at the mark.
    pub fn held(self) -> usize {
        LIVE.with(Cell::get).saturating_sub(self.0).max(0) as usize
    }

    /// The most this thread held beyond the mark at any moment since.
    pub fn peak(self) -> usize {
        PEAK.with(Cell::get).saturating_sub(self.0).max(0) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::Mark;

    #[test]
    fn counts_what_the_thread_holds_and_its_peak() {
        let mark = Mark::now();
        let big = vec![0u8; 1 << 20];
        assert!(mark.held() >= 1 << 20, "held {}", mark.held());
        drop(big);
        assert!(mark.held() < 1 << 16, "held {} after freeing", mark.held());
        assert!(mark.peak() >= 1 << 20, "peak {}", mark.peak());
    }
}
