//! The OpenAPI document, generated from the handlers' annotations; each operation's description
//! is completed from the access table, so the roles a reader sees are the roles enforced.

use axum::Json;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use super::access::{Access, lookup};

#[derive(OpenApi)]
#[openapi(
    info(title = "suitability", description = "Investor suitability (适当性管理) and client callbacks (客户回访) for private fund managers."),
    paths(
        super::health::get_health,
        get_openapi,
        super::questionnaires::list_questionnaires,
        super::questionnaires::get_questionnaire,
        super::investors::create_investor,
        super::investors::create_invitation,
        super::investors::list_investors,
        super::investors::get_investor,
        super::investors::lookup_investor,
        super::investors::reassign_investor,
        super::investors::change_investor,
        super::investors::investor_history,
        super::investors::investor_callbacks,
        super::investors::investor_complaints,
        super::classification::classify,
        super::classification::list_classifications,
        super::classification::record_evidence,
        super::classification::list_evidence,
        super::audit::verify_audit,
        super::products::preview_product_change,
        super::reports::self_check_report,
        super::metrics::get_metrics,
        super::archive::investor_archive,
        super::staff::list_staff,
        super::staff::disable_staff,
        super::staff::list_tokens,
        super::staff::issue_token,
        super::staff::revoke_token,
        super::assessments::create_assessment,
        super::assessments::review_assessment,
        super::assessments::list_assessments,
        super::products::create_product,
        super::products::list_products,
        super::products::get_product,
        super::products::update_product,
        super::suitability::check_suitability,
        super::orders::create_order,
        super::orders::get_order,
        super::orders::list_investor_orders,
        super::orders::rescind_order,
        super::orders::redeem_holding,
        super::products::liquidate_product,
        super::orders::list_holdings,
        super::requirements::list_requirements,
        super::callbacks::list_callbacks,
        super::callbacks::exports::export_plan,
        super::callbacks::exports::callback_report,
        super::callbacks::get_callback,
        super::callbacks::callback_contact,
        super::callbacks::callback_summary,
        super::callbacks::create_callback,
        super::callbacks::claim_callback,
        super::callbacks::outcome::record_outcome,
        super::callbacks::outcome::review_callback,
        super::callbacks::outcome::pending_reviews,
        super::callbacks::outcome::list_issues,
        super::callbacks::outcome::close_issue,
        super::escalations::list_escalations,
        super::escalations::resolve_escalation,
        super::rulesets::list_rulesets,
        super::rulesets::create_ruleset,
        super::rulesets::get_active_ruleset,
        super::rulesets::get_ruleset,
        super::rulesets::preview_impact,
        super::rulesets::activate_ruleset,
        super::rulesets::evaluate_facts,
        super::rulesets::list_jobs,
        super::decisions::get_decision,
        super::decisions::replay_decision,
        super::audit::list_audit,
        super::complaints::create_complaint,
        super::complaints::complaint_archive,
        super::complaints::get_complaint,
        super::complaints::assign_complaint,
        super::complaints::resolve_complaint,
        super::imports::create_import,
        super::imports::get_import,
        super::evidence::order_evidence,
    ),
    components(schemas(crate::error::ErrorBody)),
    security(("bearer" = [])),
)]
struct ApiDoc;

/// The document with the bearer scheme and each operation's roles filled in.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    super::openapi_statuses::free_texts(components);
    for (path, item) in doc.paths.paths.iter_mut() {
        let ops = [
            ("GET", &mut item.get),
            ("POST", &mut item.post),
            ("PATCH", &mut item.patch),
            ("PUT", &mut item.put),
            ("DELETE", &mut item.delete),
        ];
        for (method, op) in ops {
            let Some(op) = op.as_mut() else { continue };
            let method = method.parse().unwrap_or(axum::http::Method::GET);
            let access = lookup(&method, path);
            let protected = matches!(access, Some(Access::Roles(_)));
            super::openapi_statuses::complete(op, protected, !protected);
            let roles = match access {
                Some(Access::Public) if path == "/metrics" => {
                    "Access: the metrics token (`SUITABILITY_METRICS_TOKEN`), no staff token."
                        .to_string()
                }
                Some(Access::Public) => "Access: public.".to_string(),
                Some(Access::Roles(r)) => {
                    let names: Vec<&str> = r.iter().map(|r| r.as_str()).collect();
                    format!("Access: {}.", names.join(", "))
                }
                None => "Access: none (missing from the access table).".to_string(),
            };
            let text = op.description.take().unwrap_or_default();
            op.description = Some(if text.is_empty() {
                roles
            } else {
                format!("{text}\n\n{roles}")
            });
        }
    }
    doc
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "meta", responses((status = 200, description = "OpenAPI 3.1 document")))]
pub async fn get_openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}
