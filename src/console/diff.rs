//! A line diff of two texts, for showing a rule set against the active one: the common start and
//! end are cut off first (an edit usually touches a few lines), the rest is a longest common
//! subsequence. Rule files are small; a pair too large to compare answers None.

use maud::{Markup, html};

/// The largest table the subsequence may fill (lines of one side times lines of the other).
const MAX_CELLS: usize = 4_000_000;
/// Unchanged lines shown around each change; longer unchanged runs are folded.
const CONTEXT: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line<'a> {
    Same(&'a str),
    Removed(&'a str),
    Added(&'a str),
}

/// The lines of `new` against `old`, in order; None when the texts are too large to compare.
pub fn lines<'a>(old: &'a str, new: &'a str) -> Option<Vec<Line<'a>>> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let start = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let end = a[start..]
        .iter()
        .rev()
        .zip(b[start..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (mid_a, mid_b) = (&a[start..a.len() - end], &b[start..b.len() - end]);
    let (n, m) = (mid_a.len(), mid_b.len());
    if (n + 1).saturating_mul(m + 1) > MAX_CELLS {
        return None;
    }
    // lcs[i][j]: the longest common subsequence of mid_a[i..] and mid_b[j..].
    let width = m + 1;
    let mut lcs = vec![0u32; (n + 1) * width];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i * width + j] = if mid_a[i] == mid_b[j] {
                lcs[(i + 1) * width + j + 1] + 1
            } else {
                lcs[(i + 1) * width + j].max(lcs[i * width + j + 1])
            };
        }
    }
    let mut out: Vec<Line> = a[..start].iter().map(|l| Line::Same(l)).collect();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && mid_a[i] == mid_b[j] {
            out.push(Line::Same(mid_a[i]));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i * width + j + 1] >= lcs[(i + 1) * width + j]) {
            out.push(Line::Added(mid_b[j]));
            j += 1;
        } else {
            out.push(Line::Removed(mid_a[i]));
            i += 1;
        }
    }
    out.extend(a[a.len() - end..].iter().map(|l| Line::Same(l)));
    Some(out)
}

/// The diff as a table: changed lines marked, unchanged runs folded beyond `CONTEXT` lines.
pub fn render(old: &str, new: &str) -> Markup {
    let Some(diff) = lines(old, new) else {
        return html! { p.muted { "文件过大，无法逐行比较。" } };
    };
    let near_change = |k: usize| {
        let lo = k.saturating_sub(CONTEXT);
        let hi = (k + CONTEXT + 1).min(diff.len());
        diff[lo..hi].iter().any(|l| !matches!(l, Line::Same(_)))
    };
    let mut rows = Vec::new();
    let mut folded = 0;
    for (k, line) in diff.iter().enumerate() {
        if matches!(line, Line::Same(_)) && !near_change(k) {
            folded += 1;
            continue;
        }
        if folded > 0 {
            rows.push(html! { tr.fold { td colspan="2" { "… " (folded) " 行未改动 …" } } });
            folded = 0;
        }
        rows.push(match line {
            Line::Same(t) => html! { tr { td.mark { " " } td { code { (t) } } } },
            Line::Removed(t) => html! { tr.removed { td.mark { "−" } td { code { (t) } } } },
            Line::Added(t) => html! { tr.added { td.mark { "+" } td { code { (t) } } } },
        });
    }
    if folded > 0 {
        rows.push(html! { tr.fold { td colspan="2" { "… " (folded) " 行未改动 …" } } });
    }
    html! { table.diff { tbody { @for r in rows { (r) } } } }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rebuilt<'a>(diff: &[Line<'a>], keep: fn(&Line<'a>) -> bool) -> Vec<&'a str> {
        diff.iter()
            .filter(|l| keep(l))
            .map(|l| match l {
                Line::Same(t) | Line::Removed(t) | Line::Added(t) => *t,
            })
            .collect()
    }

    #[test]
    fn a_changed_line_is_one_removal_and_one_addition() {
        let diff = lines("a\nb\nc\nd", "a\nB\nc\nd\ne").expect("small");
        assert_eq!(
            diff,
            vec![
                Line::Same("a"),
                Line::Added("B"),
                Line::Removed("b"),
                Line::Same("c"),
                Line::Same("d"),
                Line::Added("e"),
            ]
        );
    }

    #[test]
    fn both_texts_are_rebuilt_from_the_diff() {
        // A small deterministic generator: lines drawn from a few values, so matches are common.
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        for _ in 0..200 {
            let words = ["x", "y", "z", "let a = 1;", ""];
            let old: Vec<&str> = (0..next() % 12).map(|_| words[next() % 5]).collect();
            let new: Vec<&str> = (0..next() % 12).map(|_| words[next() % 5]).collect();
            let (old, new) = (old.join("\n"), new.join("\n"));
            let diff = lines(&old, &new).expect("small");
            let a = rebuilt(&diff, |l| !matches!(l, Line::Added(_)));
            let b = rebuilt(&diff, |l| !matches!(l, Line::Removed(_)));
            assert_eq!(a, old.lines().collect::<Vec<_>>());
            assert_eq!(b, new.lines().collect::<Vec<_>>());
        }
    }

    #[test]
    fn identical_texts_have_no_change() {
        let diff = lines("a\nb", "a\nb").expect("small");
        assert!(diff.iter().all(|l| matches!(l, Line::Same(_))));
    }
}
