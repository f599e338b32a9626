//! The browser console at `/console/`: server-rendered pages (maud) in Chinese, enhanced by a
//! vendored htmx embedded in the binary, so it works offline. Each page parses its input, calls
//! the same workflow function as the API and renders the result; the API's role table decides
//! what a member may open (a refused page answers 403 in the console's frame).

pub mod archive;
pub mod assess;
pub mod audit;
pub mod callback_form;
pub mod callbacks;
pub mod check;
pub mod complaints;
pub mod desk_reports;
pub mod diff;
pub mod escalations;
pub mod evidence;
pub mod form;
pub mod investors;
pub mod invite;
pub mod layout;
pub mod login;
pub mod order_form;
pub mod orders;
pub mod products;
pub mod profile;
pub mod questionnaires;
pub mod record_view;
pub mod reviews;
pub mod rule_editor;
pub mod rulesets;
pub mod self_check;
pub mod session;
pub mod staff;

use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::domain::Role;
use crate::http::AppState;
use session::Signed;

const HTMX: &[u8] = include_bytes!("../../assets/console/htmx.min.js");
const CSS: &[u8] = include_bytes!("../../assets/console/console.css");
const JS: &[u8] = include_bytes!("../../assets/console/console.js");

fn asset(body: &'static [u8], content_type: &'static str) -> Response {
    (
        [
            (CONTENT_TYPE, content_type),
            (CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

/// The member's first page: sales and others their investors, planners the callback desk.
async fn home(signed: Signed) -> Redirect {
    if signed.staff.has_any(&[Role::Planner]) && !signed.staff.has_any(&[Role::Sales]) {
        Redirect::to("/console/callbacks")
    } else {
        Redirect::to("/console/investors")
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/console/") }))
        .route("/console", get(|| async { Redirect::to("/console/") }))
        .route("/console/", get(home))
        .route(
            "/console/assets/htmx.min.js",
            get(|| async { asset(HTMX, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/console/assets/console.css",
            get(|| async { asset(CSS, "text/css; charset=utf-8") }),
        )
        .route(
            "/console/assets/console.js",
            get(|| async { asset(JS, "text/javascript; charset=utf-8") }),
        )
        .route("/console/login", get(login::show).post(login::submit))
        .route("/console/logout", post(login::logout))
        .merge(investors::router())
        .merge(profile::router())
        .merge(assess::router())
        .merge(check::router())
        .merge(orders::router())
        .merge(invite::router())
        .merge(callbacks::router())
        .merge(desk_reports::router())
        .merge(rulesets::router())
        .merge(reviews::router())
        .merge(escalations::router())
        .merge(rule_editor::router())
        .merge(staff::router())
        .merge(evidence::router())
        .merge(archive::router())
        .merge(complaints::router())
        .merge(audit::router())
        .merge(products::router())
        .merge(questionnaires::router())
        .merge(self_check::router())
}
