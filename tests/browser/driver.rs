//! A real browser for the console's tests: Debian's headless chromium driven through its
//! chromedriver (WebDriver) by fantoccini. The driver is started on a free port for the test and
//! killed with it; a missing chromium or chromedriver fails the test (`.ci/run` installs them),
//! never skips it. Every page it arrives at is checked (one `<h1>`, a label for every input, a
//! submit button in every form) and photographed under `target/screenshots/auto/`; named
//! screenshots go to `target/screenshots/`.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

pub struct Browser {
    pub client: Client,
    pub base: String,
    driver: Child,
    /// Pages seen so far: each is checked and photographed as `auto/NN-path.png`.
    pages: AtomicUsize,
}

/// WebDriver's codes for the keys a keyboard user presses.
pub const TAB: &str = "\u{e004}";
pub const ENTER: &str = "\u{e007}";
pub const SPACE: &str = " ";
pub const DOWN: &str = "\u{e015}";

/// What every page must hold, checked in the page itself: one `<h1>`; a label for every input
/// a person fills (a `<label for>`, a wrapping label or `aria-label`); a `<button
/// type="submit">` in every form. Returns the problems found.
const PAGE_CHECK: &str = r#"
var problems = [];
var h1 = document.querySelectorAll('h1').length;
if (h1 !== 1) problems.push(h1 + ' h1 elements');
document.querySelectorAll('input:not([type=hidden]), select, textarea').forEach(function (el) {
  var labelled = (el.labels && el.labels.length > 0) || el.getAttribute('aria-label');
  if (!labelled) problems.push('no label: ' + (el.name || el.id || el.outerHTML.slice(0, 80)));
});
document.querySelectorAll('form').forEach(function (f) {
  if (!f.querySelector('button[type=submit]')) problems.push('form without a submit button: ' + f.getAttribute('action'));
});
return problems;
"#;

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn tool(env: &str, default: &str) -> String {
    let path = std::env::var(env).unwrap_or_else(|_| default.to_string());
    assert!(
        std::path::Path::new(&path).exists(),
        "{path} is missing: install Debian's chromium and chromium-driver (.ci/run does), or set {env}"
    );
    path
}

impl Browser {
    /// Starts chromedriver and a headless chromium session against the service at `base`.
    pub async fn start(base: &str) -> Browser {
        let driver_bin = tool("SUITABILITY_CHROMEDRIVER", "/usr/bin/chromedriver");
        let chromium = tool("SUITABILITY_CHROMIUM", "/usr/bin/chromium");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not listen"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let auto = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots/auto");
        let _ = std::fs::remove_dir_all(&auto);
        let profile = tempfile::tempdir().expect("profile dir");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                    "--lang=zh-CN", format!("--user-data-dir={}", profile.path().display())],
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a browser session");
        // The profile folder must outlive the browser; the OS cleans /tmp.
        std::mem::forget(profile);
        Browser {
            client,
            base: base.to_string(),
            driver,
            pages: AtomicUsize::new(0),
        }
    }

    pub async fn open(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .expect("navigates");
        self.arrived().await;
    }

    /// A new page is shown: check what every page must hold, and photograph it.
    async fn arrived(&self) {
        let problems = self
            .client
            .execute(PAGE_CHECK, vec![])
            .await
            .expect("page check");
        let path = self.path().await;
        assert_eq!(problems, json!([]), "{path}");
        let n = self.pages.fetch_add(1, Ordering::Relaxed) + 1;
        // Ids and link codes vary from run to run: the file is named by the path's shape.
        let slug: String = path
            .trim_matches('/')
            .split('/')
            .map(|seg| if seg.len() > 20 { "id" } else { seg })
            .collect::<Vec<_>>()
            .join("-");
        self.screenshot(&format!("auto/{n:02}-{slug}")).await;
    }

    /// Presses `keys` on whatever has the focus, as a keyboard user would.
    pub async fn press(&self, keys: &str) {
        self.client
            .active_element()
            .await
            .expect("a focused element")
            .send_keys(keys)
            .await
            .expect("keys");
    }

    /// Types the date `yyyy-mm-dd` into the focused date input as a person would: its parts in
    /// the order the browser's locale shows them, each in full so the next part takes over.
    pub async fn type_date(&self, date: &str) {
        let order = self
            .client
            .execute(
                "return new Intl.DateTimeFormat().formatToParts(new Date(2001, 1, 3))
                    .map(function (p) { return p.type; })
                    .filter(function (t) { return t === 'year' || t === 'month' || t === 'day'; });",
                vec![],
            )
            .await
            .expect("the locale's date order");
        let (y, rest) = date.split_once('-').expect("yyyy-mm-dd");
        let (m, d) = rest.split_once('-').expect("yyyy-mm-dd");
        for part in order.as_array().expect("parts") {
            let typed = match part.as_str() {
                Some("year") => y,
                Some("month") => m,
                _ => d,
            };
            self.press(typed).await;
        }
    }

    /// The focused element's name (or id, or tag).
    pub async fn focused(&self) -> String {
        let v = self
            .client
            .execute(
                "var e = document.activeElement; return e.name || e.id || e.tagName.toLowerCase();",
                vec![],
            )
            .await
            .expect("focus");
        v.as_str().unwrap_or("").to_string()
    }

    /// Presses Tab until the element named `name` has the focus (at most 60 times).
    pub async fn tab_to(&self, name: &str) {
        for _ in 0..60 {
            if self.focused().await == name {
                return;
            }
            self.press(TAB).await;
        }
        panic!("{name} is not reachable with Tab");
    }

    /// Presses `keys` and waits for the next document (Enter on a form, say).
    pub async fn press_and_wait(&self, keys: &str) {
        self.client
            .execute("window.__before_click = true;", vec![])
            .await
            .expect("marks the page");
        self.press(keys).await;
        self.wait_for_next(keys).await;
    }

    pub async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("url")
            .path()
            .to_string()
    }

    pub async fn h1(&self) -> String {
        self.text("h1").await
    }

    pub async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .text()
            .await
            .expect("text")
    }

    pub async fn exists(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.is_ok()
    }

    /// Types `value` into the input named `name` (replacing what was there).
    pub async fn fill(&self, name: &str, value: &str) {
        let input = self
            .client
            .find(Locator::Css(&format!("[name=\"{name}\"]")))
            .await
            .unwrap_or_else(|e| panic!("input {name}: {e}"));
        // A date input's typing order follows the browser's locale: set its value as a form would.
        if input.attr("type").await.ok().flatten().as_deref() == Some("date") {
            let element = serde_json::to_value(&input).expect("element");
            self.client
                .execute(
                    "arguments[0].value = arguments[1];",
                    vec![element, json!(value)],
                )
                .await
                .expect("sets the date");
            return;
        }
        input.clear().await.expect("clears");
        input.send_keys(value).await.expect("types");
    }

    /// Sets the value of the input named `name` as a form would hold it (for date and time
    /// inputs, whose typing order follows the browser's locale).
    pub async fn set_value(&self, name: &str, value: &str) {
        self.client
            .execute(
                "document.querySelector('[name=\"' + arguments[0] + '\"]').value = arguments[1];",
                vec![json!(name), json!(value)],
            )
            .await
            .expect("sets the value");
    }

    /// Picks the option `value` of the select named `name`.
    pub async fn choose(&self, name: &str, value: &str) {
        let css = format!("select[name=\"{name}\"] option[value=\"{value}\"]");
        self.click(&css).await;
    }

    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .expect("clicks");
    }

    /// Clicks `css` and waits until the browser shows the next document (a link or a form).
    pub async fn follow(&self, css: &str) {
        self.client
            .execute("window.__before_click = true;", vec![])
            .await
            .expect("marks the page");
        self.click(css).await;
        self.wait_for_next(css).await;
    }

    async fn wait_for_next(&self, what: &str) {
        let started = Instant::now();
        loop {
            let old = self
                .client
                .execute(
                    "return window.__before_click === true && document.readyState;",
                    vec![],
                )
                .await;
            let loaded = self
                .client
                .execute("return document.readyState === 'complete';", vec![])
                .await;
            if matches!(old, Ok(serde_json::Value::Bool(false)))
                && matches!(loaded, Ok(serde_json::Value::Bool(true)))
            {
                self.arrived().await;
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "no new page after {what}"
            );
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }

    /// Submits the form of the page's main action (its `button[type=submit]` in `form_css`) and
    /// waits for the answer.
    pub async fn submit(&self, form_css: &str) {
        self.follow(&format!("{form_css} button[type=\"submit\"]"))
            .await;
    }

    /// Signs in with `token`; lands where the console sends this member.
    pub async fn sign_in(&self, token: &str) {
        self.client
            .delete_all_cookies()
            .await
            .expect("cookies cleared");
        self.open("/console/login").await;
        self.fill("token", token).await;
        self.submit("form.card").await;
    }

    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("target/screenshots")
            .join(format!("{name}.png"));
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).expect("screenshot dir");
        }
        std::fs::write(file, png).expect("screenshot written");
    }
}
