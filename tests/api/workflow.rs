//! The workflows called in process, on a real database, without HTTP in between: the callback
//! state machine (every transition and every refusal), the planner's windows, each re-planning
//! event, and the re-evaluation after an activation driven one step at a time.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use suitability::domain::state::{
    CallbackKind, CallbackStatus, EscalationReason, OrderStatus, OutcomeResult,
};
use suitability::store::callbacks::{self as stored_callbacks, Callback};
use suitability::store::{orders as stored_orders, rulesets as stored_rulesets};
use suitability::workflow::callbacks::outcome::{self, Report};
use suitability::workflow::callbacks::{self, review};
use suitability::workflow::{WorkflowError, assessments, products, rulesets};

use crate::assessments::{all_options, answers_scoring};
use crate::common::TestApp;
use crate::on_both;
use crate::orders::place;
use crate::rulesets::files_with_annual_review;
use crate::suitability::{investor_at, product};

on_both!(
    the_callback_state_machine_allows_only_its_transitions,
    a_denied_check_rescinds_the_order_and_escalates,
    nobody_is_called_during_cooling_off,
    a_periodic_callback_plans_the_next_one_period_after_it,
    raising_a_rating_plans_a_callback_on_every_holding_it_makes_unsuitable,
    a_lower_level_plans_a_callback_on_every_holding,
    the_reevaluation_after_an_activation_runs_one_page_a_step,
);

/// An order on a matching R3 product, signed and paid `age` ago; its callbacks.
async fn holding(app: &TestApp, age: Duration) -> (Value, Vec<Callback>) {
    let investor = investor_at(app, "C3", "1980-01-01", None).await;
    let code = format!("P{}", uuid::Uuid::now_v7().simple());
    let product = product(app, &code[..20], "R3").await;
    let order = place(app, &investor, &product, age, json!([])).await;
    let id = order["id"].as_str().expect("id").to_string();
    let mut pooled = app.db.acquire().await.expect("conn");
    let cbs = stored_callbacks::for_order(&mut pooled.conn(), &id)
        .await
        .expect("callbacks");
    (order, cbs)
}

async fn callbacks_of(app: &TestApp, order_id: &str) -> Vec<Callback> {
    let mut pooled = app.db.acquire().await.expect("conn");
    stored_callbacks::for_order(&mut pooled.conn(), order_id)
        .await
        .expect("callbacks")
}

/// Re-rates a product as risk staff, through the workflow.
async fn rerate(
    app: &TestApp,
    product_id: &str,
    rating: &str,
) -> suitability::store::products::Product {
    let change = products::ProductChange {
        risk_rating: Some(rating.into()),
        ..Default::default()
    };
    let mut tx = app.db.begin().await.expect("tx");
    let updated = products::update(
        &mut tx.conn(),
        &app.state.ctx(),
        app.actor("risk"),
        product_id,
        change,
    )
    .await
    .expect("updated");
    tx.commit().await.expect("commit");
    updated
}

fn confirmation(cbs: &[Callback]) -> &Callback {
    cbs.iter()
        .find(|c| c.kind == CallbackKind::Confirmation)
        .expect("a confirmation callback")
}

fn all_confirmed(cb: &Callback, ok: bool) -> Report {
    Report {
        method: "phone".into(),
        reached: true,
        answers: cb.checks.iter().map(|c| (c.code.clone(), ok)).collect(),
        notes: String::new(),
        recording_ref: Some("rec/1.mp3".into()),
        ..Report::default()
    }
}

fn approve(comment: &str) -> review::ReviewRequest {
    review::ReviewRequest {
        verdict: suitability::domain::state::ReviewVerdict::Approved,
        comment: comment.into(),
    }
}

fn unreached() -> Report {
    Report {
        method: "phone".into(),
        reached: false,
        answers: BTreeMap::new(),
        notes: "no answer".into(),
        recording_ref: None,
        ..Report::default()
    }
}

async fn claim(
    app: &TestApp,
    who: &str,
    id: &str,
) -> Result<callbacks::CallbackView, WorkflowError> {
    let mut tx = app.db.begin().await.expect("tx");
    let r = callbacks::claim(&mut tx.conn(), &app.state.ctx(), app.actor(who), id).await;
    tx.commit().await.expect("commit");
    r
}

async fn record(
    app: &TestApp,
    who: &str,
    id: &str,
    report: Report,
) -> Result<outcome::Recorded, WorkflowError> {
    let mut tx = app.db.begin().await.expect("tx");
    let r = outcome::record(&mut tx.conn(), &app.state.ctx(), app.actor(who), id, report).await;
    tx.commit().await.expect("commit");
    r
}

async fn order_status(app: &TestApp, id: &str) -> OrderStatus {
    let mut pooled = app.db.acquire().await.expect("conn");
    stored_orders::get(&mut pooled.conn(), id)
        .await
        .expect("read")
        .expect("order")
        .status
}

fn refused_code<T>(r: Result<T, WorkflowError>) -> Option<&'static str> {
    r.err().map(|e| code_of(&e))
}

fn code_of(e: &WorkflowError) -> &'static str {
    match e {
        WorkflowError::Forbidden { code, .. } | WorkflowError::Conflict { code, .. } => code,
        WorkflowError::Invalid(_) => "invalid",
        WorkflowError::NotFound(_) => "not_found",
        _ => "other",
    }
}

async fn the_callback_state_machine_allows_only_its_transitions(app: TestApp) {
    let (order, cbs) = holding(&app, Duration::hours(30)).await;
    let cb = confirmation(&cbs);

    // The seller may not call their own investor.
    assert_eq!(
        refused_code(claim(&app, "sales", &cb.id).await),
        Some("separation_of_duties")
    );
    // Nothing is recorded before a claim.
    assert_eq!(
        refused_code(record(&app, "planner", &cb.id, all_confirmed(cb, true)).await),
        Some("not_claimed")
    );
    let claimed = claim(&app, "planner", &cb.id).await.expect("claimed");
    assert_eq!(
        claimed.assignee.map(|a| a.name),
        Some("planner".to_string())
    );
    // Claiming again is idempotent for the holder and refused to anyone else.
    assert!(claim(&app, "planner", &cb.id).await.is_ok());
    assert_eq!(
        refused_code(claim(&app, "planner2", &cb.id).await),
        Some("already_claimed")
    );
    assert_eq!(
        refused_code(record(&app, "planner2", &cb.id, all_confirmed(cb, true)).await),
        Some("not_assignee")
    );
    // Every check must be answered, and only the callback's own checks.
    let mut partial = all_confirmed(cb, true);
    let first = cb.checks[0].code.clone();
    partial.answers.remove(&first);
    match record(&app, "planner", &cb.id, partial).await {
        Err(WorkflowError::Invalid(p)) => assert!(
            p.iter().any(|x| x.field == format!("answers.{first}")),
            "{p:?}"
        ),
        other => panic!("expected invalid answers, got {other:?}"),
    }
    let mut extra = all_confirmed(cb, true);
    extra.answers.insert("not_a_check".into(), true);
    extra.method = "carrier_pigeon".into();
    match record(&app, "planner", &cb.id, extra).await {
        Err(WorkflowError::Invalid(p)) => {
            let fields: Vec<&str> = p.iter().map(|x| x.field.as_str()).collect();
            assert!(
                fields.contains(&"answers.not_a_check") && fields.contains(&"method"),
                "{fields:?}"
            );
        }
        other => panic!("expected invalid input, got {other:?}"),
    }
    // All confirmed: the callback completes and the order is confirmed.
    let done = record(&app, "planner", &cb.id, all_confirmed(cb, true))
        .await
        .expect("recorded");
    assert_eq!(done.outcome.result, OutcomeResult::Completed);
    assert_eq!(done.callback.status, CallbackStatus::Completed);
    assert_eq!(done.order_status, Some(OrderStatus::Confirmed));
    assert!(done.escalation.is_none() && done.next.is_none());
    let order_id = order["id"].as_str().expect("id");
    assert_eq!(order_status(&app, order_id).await, OrderStatus::Confirmed);
    // A closed callback takes nothing more.
    assert_eq!(
        refused_code(record(&app, "planner", &cb.id, all_confirmed(cb, true)).await),
        Some("callback_closed")
    );
    assert_eq!(
        refused_code(claim(&app, "planner2", &cb.id).await),
        Some("callback_closed")
    );
    // A review stands beside the outcome, which stays as recorded.
    let mut tx = app.db.begin().await.expect("tx");
    assert!(
        review::review(
            &mut tx.conn(),
            app.actor("compliance"),
            &cb.id,
            approve("  ")
        )
        .await
        .is_err()
    );
    let r = review::review(
        &mut tx.conn(),
        app.actor("compliance"),
        &cb.id,
        approve("核对无误"),
    )
    .await
    .expect("review");
    tx.commit().await.expect("commit");
    assert_eq!(r.comment, "核对无误");
    let mut pooled = app.db.acquire().await.expect("conn");
    let detail = callbacks::detail(
        &mut pooled.conn(),
        &app.state.ctx(),
        app.actor("compliance"),
        &cb.id,
    )
    .await
    .expect("detail");
    assert_eq!((detail.outcomes.len(), detail.reviews.len()), (1, 1));
}

async fn a_denied_check_rescinds_the_order_and_escalates(app: TestApp) {
    let (order, cbs) = holding(&app, Duration::hours(30)).await;
    let cb = confirmation(&cbs);
    claim(&app, "planner", &cb.id).await.expect("claimed");
    let failed = record(&app, "planner", &cb.id, all_confirmed(cb, false))
        .await
        .expect("recorded");
    assert_eq!(failed.outcome.result, OutcomeResult::Failed);
    assert_eq!(failed.callback.status, CallbackStatus::Failed);
    assert_eq!(failed.order_status, Some(OrderStatus::Rescinded));
    let e = failed.escalation.expect("an escalation");
    assert_eq!(e.reason, EscalationReason::FailedChecks);
    assert_eq!(e.failed_checks.0.len(), cb.checks.len());
    // The order's other callbacks are cancelled with it.
    let id = order["id"].as_str().expect("id");
    let mut pooled = app.db.acquire().await.expect("conn");
    let after = stored_callbacks::for_order(&mut pooled.conn(), id)
        .await
        .expect("callbacks");
    assert!(
        after
            .iter()
            .filter(|c| c.id != cb.id)
            .all(|c| c.status == CallbackStatus::Cancelled),
        "{after:?}"
    );
}

/// With no gap between attempts and one day enough (a test cannot wait hours; the spacing is
/// tested in `callbacks::attempts_are_spaced`).
async fn an_unreachable_confirmation_escalates_on_the_last_attempt_and_voids_the_order(
    backend: crate::common::Backend,
) {
    let app = TestApp::spawn_with(backend, |c| {
        c.policy.callbacks.attempt_gap_minutes = 0;
        c.policy.callbacks.attempt_min_days = 1;
    })
    .await;
    let (order, cbs) = holding(&app, Duration::hours(30)).await;
    let cb = confirmation(&cbs);
    claim(&app, "planner", &cb.id).await.expect("claimed");
    let max = app.state.config.policy.callbacks.max_attempts;
    for attempt in 1..max {
        let r = record(&app, "planner", &cb.id, unreached())
            .await
            .expect("recorded");
        assert_eq!(r.outcome.result, OutcomeResult::NotReached);
        assert_eq!(
            (r.callback.status, r.callback.attempts),
            (CallbackStatus::Open, attempt)
        );
        assert!(r.escalation.is_none());
        assert_eq!(r.order_status, Some(OrderStatus::CoolingOff));
    }
    let last = record(&app, "planner", &cb.id, unreached())
        .await
        .expect("recorded");
    assert_eq!(last.callback.status, CallbackStatus::Escalated);
    assert_eq!(
        last.escalation.map(|e| e.reason),
        Some(EscalationReason::Unreachable)
    );
    assert_eq!(last.order_status, Some(OrderStatus::Rescinded));
    assert_eq!(
        order_status(&app, order["id"].as_str().expect("id")).await,
        OrderStatus::Rescinded
    );
}

async fn nobody_is_called_during_cooling_off(app: TestApp) {
    let (order, cbs) = holding(&app, Duration::minutes(5)).await;
    let cb = confirmation(&cbs);
    // The window opens when cooling-off ends, 24 hours after the later of signing and payment.
    let ends = order["cooling_off_ends_at"].as_str().expect("end");
    assert_eq!(
        cb.due_from
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        ends
    );
    let window = app.state.config.policy.callbacks.confirmation_window_days;
    assert_eq!(cb.due_by - cb.due_from, Duration::days(i64::from(window)));
    claim(&app, "planner", &cb.id).await.expect("claimed");
    let refused = record(&app, "planner", &cb.id, all_confirmed(cb, true)).await;
    assert_eq!(
        refused.err().map(|e| code_of(&e)),
        Some("cooling_off_not_over")
    );
}

async fn a_periodic_callback_plans_the_next_one_period_after_it(app: TestApp) {
    let (_, cbs) = holding(&app, Duration::days(400)).await;
    let periodic = cbs
        .iter()
        .find(|c| c.kind == CallbackKind::Periodic)
        .expect("periodic");
    // R3 holdings are called back every year, from the end of cooling-off.
    assert_eq!(periodic.reason, "annual");
    claim(&app, "planner", &periodic.id).await.expect("claimed");
    let before = Utc::now();
    let done = record(&app, "planner", &periodic.id, all_confirmed(periodic, true))
        .await
        .expect("recorded");
    assert_eq!(done.callback.status, CallbackStatus::Completed);
    let next = done.next.expect("the next periodic callback");
    assert_eq!(
        (next.kind, next.reason.as_str(), next.status),
        (CallbackKind::Periodic, "annual", CallbackStatus::Open)
    );
    let gap = next.due_from - before;
    assert!(
        gap > Duration::days(360) && gap < Duration::days(370),
        "{gap}"
    );
}

async fn raising_a_rating_plans_a_callback_on_every_holding_it_makes_unsuitable(app: TestApp) {
    let (order, _) = holding(&app, Duration::hours(30)).await;
    let product_id = order["product_id"].as_str().expect("product").to_string();
    let updated = rerate(&app, &product_id, "R5").await;
    assert_eq!(updated.risk_rating.name(), "R5");
    let cbs = callbacks_of(&app, order["id"].as_str().expect("id")).await;
    let rerated: Vec<&Callback> = cbs
        .iter()
        .filter(|c| c.reason == "product_rerated")
        .collect();
    assert_eq!(rerated.len(), 1, "{cbs:?}");
    // Never inside cooling-off, which is over here: due from about now.
    assert!(rerated[0].due_from <= Utc::now() && rerated[0].kind == CallbackKind::Special);
    // Lowering it again is no event.
    rerate(&app, &product_id, "R2").await;
    let cbs = callbacks_of(&app, order["id"].as_str().expect("id")).await;
    assert_eq!(
        cbs.iter().filter(|c| c.reason == "product_rerated").count(),
        1
    );
}

async fn a_lower_level_plans_a_callback_on_every_holding(app: TestApp) {
    let (order, _) = holding(&app, Duration::hours(30)).await;
    let investor = order["investor_id"].as_str().expect("investor").to_string();
    // Whatever the answers say of age and assets (a C1 here contradicts both): a lower level.
    let qs = all_options(&app, "individual", |_| true).await;
    let answers = serde_json::from_value(Value::Object(answers_scoring(&qs, 15))).expect("answers");
    let sub = assessments::Submission {
        questionnaire_id: "individual".into(),
        answers,
        assessed_at: None,
    };
    let mut tx = app.db.begin().await.expect("tx");
    let a = assessments::assess(
        &mut tx.conn(),
        &app.state.ctx(),
        app.actor("sales"),
        &investor,
        sub,
    )
    .await
    .expect("assessed");
    tx.commit().await.expect("commit");
    assert_eq!(a.level, "C1");
    let cbs = callbacks_of(&app, order["id"].as_str().expect("id")).await;
    assert_eq!(
        cbs.iter().filter(|c| c.reason == "level_lowered").count(),
        1,
        "{cbs:?}"
    );
}

async fn the_reevaluation_after_an_activation_runs_one_page_a_step(app: TestApp) {
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let body = json!({"code": "PE3", "name": "PE3", "kind": "private_equity", "risk_rating": "R3", "min_subscription": 1000000});
    let (_, pe) = app.post("/v1/products", "risk", body).await;
    let pe = pe["id"].as_str().expect("id").to_string();
    let plain = product(&app, "R2F", "R2").await;
    place(&app, &investor, &pe, Duration::hours(30), json!([])).await;
    place(&app, &investor, &plain, Duration::hours(30), json!([])).await;
    let created = rulesets::upload(
        &app.db,
        app.actor("risk"),
        files_with_annual_review(),
        "annual review",
    )
    .await
    .expect("uploaded");
    // Four eyes: the author cannot activate.
    let own = rulesets::activate(
        &app.db,
        &app.state.rules,
        &app.state.config.policy,
        app.actor("risk"),
        created.version,
    )
    .await;
    assert_eq!(own.err().map(|e| code_of(&e)), Some("same_author"));
    let (activated, mut job) = rulesets::activate(
        &app.db,
        &app.state.rules,
        &app.state.config.policy,
        app.actor("risk2"),
        created.version,
    )
    .await
    .expect("activated");
    assert_eq!(activated.previous, Some(1));
    assert_eq!(app.state.rules.get().version, created.version);
    assert_eq!((job.job.total, job.job.processed), (2, 0));
    assert!(job.step(&app.db).await.expect("a page"));
    assert_eq!(
        (job.job.processed, job.job.changed, job.job.callbacks),
        (2, 1, 1)
    );
    assert!(!job.step(&app.db).await.expect("no page left"));
    let mut pooled = app.db.acquire().await.expect("conn");
    let rows = stored_rulesets::jobs_for(&mut pooled.conn(), created.version)
        .await
        .expect("jobs");
    assert_eq!((rows[0].processed, rows[0].callbacks), (2, 1));
    let specials = stored_callbacks::list(
        &mut pooled.conn(),
        &stored_callbacks::Filter {
            kind: Some(CallbackKind::Special),
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .expect("list");
    assert_eq!(
        specials
            .iter()
            .filter(|l| l.callback.reason == "annual_review")
            .count(),
        1
    );
    // Activating it again is a conflict, not a second job.
    let again = rulesets::activate(
        &app.db,
        &app.state.rules,
        &app.state.config.policy,
        app.actor("risk2"),
        created.version,
    )
    .await;
    assert_eq!(again.err().map(|e| code_of(&e)), Some("already_active"));
}

mod an_unreachable_confirmation {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::an_unreachable_confirmation_escalates_on_the_last_attempt_and_voids_the_order(
            crate::common::Backend::Sqlite,
        )
        .await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::an_unreachable_confirmation_escalates_on_the_last_attempt_and_voids_the_order(
            crate::common::Backend::Postgres,
        )
        .await
    }
}
