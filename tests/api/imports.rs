//! Imports of an existing book: investors, paper assessments and holdings from before the
//! service, uploaded as CSV or XLSX (`POST /v1/imports`) and through the CLI; a dry run writes
//! nothing; every bad row is reported and nothing of it written; the same file twice adds
//! nothing; imported holdings are confirmed and their periodic callbacks keep the cadence of
//! their confirmation.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::assessments::{answers_scoring, options_for};
use crate::common::{TestApp, assert_error, cli, days_ago, resident_id};
use crate::on_both;
use crate::suitability::product;

on_both!(
    a_book_is_imported_through_the_api_once_and_bad_rows_are_named,
    two_imports_of_the_same_people_at_once_onboard_each_once,
    two_imports_of_the_same_holdings_at_once_write_each_once,
    two_holdings_files_in_opposite_orders_import_at_once,
);

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Uploads `body` and waits for the job to finish; the finished job.
async fn import(app: &TestApp, query: &str, ct: &str, body: Vec<u8>) -> Value {
    let (status, _, text) = app
        .raw(
            reqwest::Method::POST,
            &format!("/v1/imports?{query}"),
            Some("admin"),
            Some(ct),
            body,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{text}");
    let job: Value = serde_json::from_str(&text).expect("json");
    let id = job["id"].as_str().expect("id").to_string();
    for _ in 0..200 {
        let (status, job) = app.get(&format!("/v1/imports/{id}"), "risk").await;
        assert_eq!(status, StatusCode::OK, "{job}");
        if job["status"] != "running" {
            assert_eq!(job["status"], "done", "{job}");
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the import did not finish");
}

/// The problems the job names at `row`, `column`, joined.
fn problems_at(job: &Value, row: i64, column: &str) -> String {
    job["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["row"] == row && p["column"] == column)
        .filter_map(|p| p["problem"].as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

fn counts(job: &Value) -> [i64; 3] {
    ["imported", "skipped", "failed"].map(|k| job[k].as_i64().expect(k))
}

async fn holdings_of(app: &TestApp, investor: &str) -> Vec<Value> {
    let (status, list) = app
        .get(&format!("/v1/investors/{investor}/holdings"), "risk")
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list["items"].as_array().cloned().unwrap_or_default()
}

async fn find(app: &TestApp, id_number: &str) -> Option<String> {
    let (status, found) = app
        .post(
            "/v1/investors/lookup",
            "admin",
            json!({"id_number": id_number}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    found["items"][0]["id"].as_str().map(String::from)
}

async fn a_book_is_imported_through_the_api_once_and_bad_rows_are_named(app: TestApp) {
    let (a, b) = (resident_id("1970-05-06"), resident_id("1982-11-30"));
    let investors = format!(
        "\u{feff}客户类型,姓名,证件号码,出生日期,手机号码,金融资产,证明类型,证明编号,证明日期,销售人员\n\
         个人,王一,{a},1970-05-06,13800000001,\"5,000,000\",资产证明,ZC-1,{d},sales\n\
         个人,王二,{b},1982/11/30,13800000002,6000000,资产证明,ZC-2,{d},\n\
         个人,王三,110101198001010000,1980-01-01,13800000003,6000000,,,,sales\n\
         个人,王一,{a},1970-05-06,13800000001,5000000,,,,sales\n",
        d = days_ago(20)
    );
    // Only risk and admin import; a file of another type is refused; an unknown column is
    // named before anything runs.
    let (status, _, _) = app
        .raw(
            reqwest::Method::POST,
            "/v1/imports?kind=investors",
            Some("sales"),
            Some("text/csv"),
            investors.clone().into_bytes(),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = app
        .raw(
            reqwest::Method::POST,
            "/v1/imports?kind=investors",
            Some("admin"),
            Some("application/pdf"),
            b"%PDF".to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, _, text) = app
        .raw(
            reqwest::Method::POST,
            "/v1/imports?kind=investors",
            Some("admin"),
            Some("text/csv"),
            "姓名,年龄\n张三,30\n".as_bytes().to_vec(),
        )
        .await;
    let body: Value = serde_json::from_str(&text).expect("json");
    assert_error(
        &(status, body.clone()),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("年龄"),
    );
    assert_error(
        &(status, body),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("kind"),
    );

    // A dry run checks every row and writes nothing.
    let q = "kind=investors&sales_owner=sales2";
    let job = import(
        &app,
        &format!("{q}&dry_run=true"),
        "text/csv",
        investors.clone().into_bytes(),
    )
    .await;
    assert_eq!(counts(&job), [2, 0, 2], "{job}");
    assert_eq!(job["dry_run"], true);
    let problems = job["problems"].as_array().expect("problems");
    assert!(
        problems
            .iter()
            .any(|p| p["row"] == 4 && p["column"] == "证件号码"),
        "{job}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p["row"] == 5 && p["problem"] == "repeats row 2"),
        "{job}"
    );
    assert_eq!(find(&app, &a).await, None);

    // The import keeps the good rows; the second run adds nothing.
    let job = import(&app, q, "text/csv", investors.clone().into_bytes()).await;
    assert_eq!(counts(&job), [2, 0, 2], "{job}");
    let again = import(&app, q, "text/csv", investors.into_bytes()).await;
    assert_eq!(counts(&again), [0, 2, 2], "{again}");
    let first = find(&app, &a).await.expect("imported");
    let second = find(&app, &b).await.expect("imported");
    // Owners: the row's, else the import's default; a sales person sees their own only.
    assert_eq!(
        app.get(&format!("/v1/investors/{first}"), "sales").await.0,
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/v1/investors/{second}"), "sales2")
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/v1/investors/{second}"), "sales").await.0,
        StatusCode::NOT_FOUND
    );

    // Paper assessments, as an XLSX workbook, with their own date.
    let qs = options_for(&app, "individual", "1970-05-06").await;
    let answers = answers_scoring(&qs, 70);
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    let mut head = vec!["证件号码".to_string(), "问卷".into(), "评估日期".into()];
    head.extend(answers.keys().cloned());
    for (col, h) in head.iter().enumerate() {
        ws.write_string(0, col as u16, h).expect("cell");
    }
    for (row, id) in [&a, &b].into_iter().enumerate() {
        let row = row as u32 + 1;
        ws.write_string(row, 0, id).expect("cell");
        ws.write_string(row, 1, "individual").expect("cell");
        ws.write_string(row, 2, days_ago(400)).expect("cell");
        for (col, v) in answers.values().enumerate() {
            let text = match v {
                Value::Array(items) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
                other => other.as_str().unwrap_or_default().to_string(),
            };
            ws.write_string(row, col as u16 + 3, text).expect("cell");
        }
    }
    let xlsx = book.save_to_buffer().expect("xlsx");
    let job = import(&app, "kind=assessments", XLSX, xlsx.clone()).await;
    assert_eq!(counts(&job), [2, 0, 0], "{job}");
    assert_eq!(
        counts(&import(&app, "kind=assessments", XLSX, xlsx).await),
        [0, 2, 0]
    );
    let (_, investor) = app.get(&format!("/v1/investors/{first}"), "risk").await;
    assert_eq!(investor["assessment"]["level"], "C4", "{investor}");

    // Holdings from before the service: confirmed, no cooling-off or confirmation callback, the
    // next periodic callback on the confirmation's cadence, after today.
    let p = product(&app, "OLD-R3", "R3").await;
    let holdings = format!(
        "证件号码,产品代码,认购金额,签约日期,确认日期\n\
         {a},OLD-R3,1000000,2024-03-01,2024-03-08\n\
         {b},NO-SUCH,1000000,2024-03-01,2024-03-08\n\
         {b},OLD-R3,1000000,2024-03-09,2024-03-08\n\
         {b},OLD-R3,2000000,2024-05-06,2024-05-06\n"
    );
    let job = import(
        &app,
        "kind=holdings",
        "text/csv",
        holdings.clone().into_bytes(),
    )
    .await;
    assert_eq!(counts(&job), [1, 0, 3], "{job}");
    // Confirmed within the cooling-off: a sale still in its course, not a holding to import.
    assert!(
        problems_at(&job, 5, "确认日期").contains("cooling-off"),
        "{job}"
    );
    let problems = job["problems"].as_array().expect("problems");
    assert!(
        problems
            .iter()
            .any(|p| p["row"] == 3 && p["column"] == "产品代码"),
        "{job}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p["row"] == 4 && p["column"] == "确认日期"),
        "{job}"
    );
    assert_eq!(
        counts(&import(&app, "kind=holdings", "text/csv", holdings.into_bytes()).await),
        [0, 1, 3]
    );
    let held = holdings_of(&app, &first).await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["status"], "confirmed");
    assert_eq!(held[0]["product_id"], p.as_str());
    assert!(holdings_of(&app, &second).await.is_empty());
    let order = held[0]["id"].as_str().expect("id");
    let (_, detail) = app.get(&format!("/v1/orders/{order}"), "risk").await;
    let callbacks = detail["callbacks"].as_array().expect("callbacks");
    assert_eq!(callbacks.len(), 1, "{detail}");
    assert_eq!(callbacks[0]["kind"], "periodic");
    let due: chrono::DateTime<chrono::Utc> = callbacks[0]["due_from"]
        .as_str()
        .expect("due")
        .parse()
        .expect("time");
    assert!(due > chrono::Utc::now(), "{due}");
    // Confirmed on 2024-03-08 (China time): every period ends on the 8th of a month.
    assert_eq!(
        due.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("offset"))
            .format("%d %H:%M")
            .to_string(),
        "08 00:00"
    );

    // A holding the rules would not sell today (C4 holding R5): imported as it stands, and the
    // investor is told in a special callback due within the event window.
    product(&app, "OLD-R5", "R5").await;
    let job = import(
        &app,
        "kind=holdings",
        "text/csv",
        format!("证件号码,产品代码,认购金额,签约日期,确认日期\n{a},OLD-R5,1000000,2024-06-03,2024-06-10\n")
            .into_bytes(),
    )
    .await;
    assert_eq!(counts(&job), [1, 0, 0], "{job}");
    let held = holdings_of(&app, &first).await;
    let r5 = held
        .iter()
        .find(|h| h["product_id"] != p.as_str())
        .expect("the R5 holding");
    let order = r5["id"].as_str().expect("id");
    let (_, detail) = app.get(&format!("/v1/orders/{order}"), "risk").await;
    let callbacks = detail["callbacks"].as_array().expect("callbacks");
    let told: Vec<&Value> = callbacks
        .iter()
        .filter(|c| c["reason"] == "imported_unsuitable")
        .collect();
    assert_eq!(told.len(), 1, "{detail}");
    assert_eq!(told[0]["kind"], "special");
    let checks: Vec<&str> = told[0]["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter_map(|c| c["code"].as_str())
        .collect();
    assert!(
        checks.contains(&"existing_holding_mismatch_informed"),
        "{checks:?}"
    );
    // The matching holding imported earlier was not flagged.
    let (_, detail) = app
        .get(
            &format!(
                "/v1/orders/{}",
                held.iter()
                    .find(|h| h["product_id"] == p.as_str())
                    .expect("R3")["id"]
                    .as_str()
                    .expect("id")
            ),
            "risk",
        )
        .await;
    assert!(
        !detail["callbacks"]
            .to_string()
            .contains("imported_unsuitable"),
        "{detail}"
    );

    // Every row written is explained by its audit entry.
    let mut pooled = app.db.acquire().await.expect("conn");
    let unexplained = suitability::store::audit::verify_rows(&mut pooled.conn())
        .await
        .expect("rows");
    assert_eq!(unexplained, Vec::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_imports_a_csv_reports_bad_rows_beside_it_and_adds_nothing_twice() {
    let app = TestApp::spawn(crate::common::Backend::Sqlite).await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("book.csv");
    let a = resident_id("1975-01-02");
    std::fs::write(
        &file,
        format!(
            "kind,name,id_number,birth_date,financial_assets,sales_owner\n\
             individual,李一,{a},1975-01-02,5000000,sales\n\
             individual,李二,{a}X,1975-01-02,5000000,sales\n\
             individual,李三,{b},1975-01-02,5000000,nobody\n",
            b = resident_id("1975-01-02")
        ),
    )
    .expect("write");
    let path = file.to_str().expect("utf8");
    let errors = dir.path().join("book.errors.csv");
    let args = [
        "import",
        "investors",
        path,
        "--as",
        "admin",
        "--questionnaires-dir",
    ];
    let qdir = crate::common::repo_path("questionnaires");
    let rdir = crate::common::repo_path("rules");
    let run = |extra: &[&str]| {
        let mut all: Vec<&str> = args.to_vec();
        all.push(qdir.to_str().expect("utf8"));
        all.extend(["--rules-dir", rdir.to_str().expect("utf8")]);
        all.extend(extra);
        cli(&app.database_url, &all)
    };
    let (ok, out) = run(&["--dry-run"]);
    assert!(!ok, "bad rows fail the run: {out}");
    assert!(out.contains("1 imported, 0 already there, 2 bad"), "{out}");
    assert_eq!(find(&app, &a).await, None, "a dry run writes nothing");
    let report = std::fs::read_to_string(&errors).expect("errors beside the file");
    assert!(report.starts_with("\u{feff}row,column,problem"), "{report}");
    assert!(report.contains("3,id_number,"), "{report}");
    assert!(
        report.contains("4,sales_owner,no staff member 'nobody'"),
        "{report}"
    );
    let (_, out) = run(&[]);
    assert!(out.contains("1 imported, 0 already there, 2 bad"), "{out}");
    assert!(find(&app, &a).await.is_some());
    let (_, out) = run(&[]);
    assert!(out.contains("0 imported, 1 already there, 2 bad"), "{out}");
    // Sales may not import.
    let (ok, out) = cli(
        &app.database_url,
        &["import", "investors", path, "--as", "sales"],
    );
    assert!(!ok && out.contains("only risk and admin"), "{out}");
}

/// Two batches of the same people written at once (two instances importing one file) onboard
/// each person once: the batch takes the lock a single onboarding takes on each number.
async fn two_imports_of_the_same_people_at_once_onboard_each_once(app: TestApp) {
    use suitability::workflow::investors::{NewInvestor, onboarding};
    let numbers: Vec<String> = (0..40).map(|_| resident_id("1966-06-06")).collect();
    let batch = || -> Vec<(String, NewInvestor)> {
        numbers
            .iter()
            .map(|n| {
                let body = json!({"kind": "individual", "name": "并发", "id_number": n,
                    "birth_date": "1966-06-06", "financial_assets": "5000000"});
                let new: NewInvestor = serde_json::from_value(body).expect("request");
                (app.actor("sales").id.clone(), new)
            })
            .collect()
    };
    let run = |items: Vec<(String, NewInvestor)>| {
        let state = app.state.clone();
        let actor = app.actor("admin").clone();
        tokio::spawn(async move {
            let ctx = state.ctx();
            let mut tx = state.db.begin().await.expect("tx");
            let done = onboarding::onboard_batch(&mut tx.conn(), &ctx, &actor, items)
                .await
                .expect("batch");
            tx.commit().await.expect("commit");
            done
        })
    };
    let (a, b) = (run(batch()), run(batch()));
    let (a, b) = (a.await.expect("task"), b.await.expect("task"));
    let created = a
        .iter()
        .chain(&b)
        .filter(|r| matches!(r, Ok(onboarding::Onboarded::Created(_))))
        .count();
    assert_eq!(created, numbers.len());
    let (_, list) = app
        .get("/v1/investors?name=%E5%B9%B6%E5%8F%91&limit=200", "admin")
        .await;
    assert_eq!(
        list["items"].as_array().map(Vec::len),
        Some(numbers.len()),
        "{list}"
    );
}

/// Two instances importing the same holdings at once write each holding once: each looks for it
/// and writes it under the import's lock, so the second finds what the first wrote.
async fn two_imports_of_the_same_holdings_at_once_write_each_once(app: TestApp) {
    use suitability::workflow::existing_holdings::{ExistingHolding, import};
    let investor = crate::suitability::investor_at(&app, "C4", "1980-01-01", None).await;
    let p = crate::suitability::product(&app, "IMPRACE", "R3").await;
    let start = chrono::Utc::now() - chrono::Duration::days(300);
    let book: Vec<ExistingHolding> = (0..24)
        .map(|k| ExistingHolding {
            investor_id: investor.clone(),
            product_id: p.clone(),
            amount: "1000000".parse().expect("amount"),
            signed_at: start + chrono::Duration::days(k),
            paid_at: None,
            confirmed_at: start + chrono::Duration::days(k + 3),
            recording_ref: None,
        })
        .collect();
    let run = |book: Vec<ExistingHolding>| {
        let state = app.state.clone();
        let actor = app.actor("risk").clone();
        tokio::spawn(async move {
            let ctx = state.ctx();
            let mut tx = state.db.begin().await.expect("tx");
            let mut written = 0;
            for h in book {
                written += usize::from(
                    import(&mut tx.conn(), &ctx, &actor, h)
                        .await
                        .expect("row")
                        .is_some(),
                );
            }
            tx.commit().await.expect("commit");
            written
        })
    };
    let (a, b) = (run(book.clone()), run(book.clone()));
    let (a, b) = (a.await.expect("task"), b.await.expect("task"));
    assert_eq!(a + b, book.len(), "each holding written once ({a} + {b})");
    assert_eq!(holdings_of(&app, &investor).await.len(), book.len());
}

/// Two imports of the same holdings at once, the files in opposite orders (so each takes its
/// rows' identity-number locks in the other's reverse order): both finish, and each holding is
/// written once. The imports' own lock comes before any row's, so neither waits for a lock the
/// other holds while holding one it wants.
async fn two_holdings_files_in_opposite_orders_import_at_once(app: TestApp) {
    use suitability::sheet::Sheet;
    use suitability::workflow::imports::{ImportKind, Options, run};
    crate::suitability::product(&app, "IMPORD", "R3").await;
    let mut rows = Vec::new();
    for k in 0..6 {
        let (_, id_number) = app
            .individual_named(&format!("顺序{k}"), "1975-03-04")
            .await;
        for d in 0..4 {
            let signed = (chrono::Utc::now() - chrono::Duration::days(400 + 10 * d)).date_naive();
            let confirmed = signed + chrono::Duration::days(3);
            rows.push(vec![
                id_number.clone(),
                "IMPORD".to_string(),
                "1000000".to_string(),
                signed.to_string(),
                confirmed.to_string(),
            ]);
        }
    }
    let headers = ["证件号码", "产品代码", "金额", "签约日期", "确认日期"].map(String::from);
    let sheet = |rows: Vec<Vec<String>>| Sheet {
        headers: headers.to_vec(),
        rows,
    };
    let reversed: Vec<Vec<String>> = rows.iter().rev().cloned().collect();
    let go = |sheet: Sheet| {
        let state = app.state.clone();
        let actor = app.actor("risk").clone();
        tokio::spawn(async move {
            let ctx = state.ctx();
            let opts = Options::default();
            run(
                &state.db,
                &ctx,
                &actor,
                ImportKind::Holdings,
                &sheet,
                &opts,
                &mut |_| {},
            )
            .await
            .map_err(|e| e.to_string())
        })
    };
    let (a, b) = (go(sheet(rows.clone())), go(sheet(reversed)));
    let (a, b) = (a.await.expect("task"), b.await.expect("task"));
    let (a, b) = (a.expect("first import"), b.expect("second import"));
    assert_eq!(a.failed + b.failed, 0, "{:?} {:?}", a.problems, b.problems);
    assert_eq!(a.imported + b.imported, rows.len() as u64);
    assert_eq!(a.skipped + b.skipped, rows.len() as u64);
}
