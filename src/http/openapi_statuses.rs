//! Every status an operation can answer, stated in the document from what the service does to
//! every request of its kind (so no handler can forget one): 401 and 403 and 503 where a staff
//! token is checked (503: the store that checks it is unreachable), 400 where a query or body is
//! read, 413 and 415 where a body is, 404 where the path names a record, 422 where input is
//! validated; each with the error body. Empty descriptions get the status's meaning.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};

fn meaning(status: &str) -> &'static str {
    match status {
        "200" => "OK",
        "201" => "created",
        "204" => "done; no content",
        "400" => "malformed: not JSON, a key twice, a query that does not parse",
        "401" => "no valid bearer token",
        "403" => "the caller's roles do not allow this (or a rule of the business forbids it)",
        "404" => "no such record, or not one the caller may see",
        "409" => "the record's state does not allow this",
        "413" => "the body is too large",
        "415" => "the body is not application/json",
        "422" => "valid JSON whose content is refused: `details` names each field",
        "429" => "too many requests: try again later",
        "503" => "busy or the store unreachable: try again shortly",
        _ => "see the error body",
    }
}

fn error_response(status: &str) -> RefOr<utoipa::openapi::Response> {
    let body = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("ErrorBody")))
        .build();
    RefOr::T(
        ResponseBuilder::new()
            .description(meaning(status))
            .content("application/json", body)
            .build(),
    )
}

/// The free texts of the request bodies (schema, property, most characters): they follow
/// `text::free_text`, and the document says so with its pattern and lengths.
const FREE_TEXTS: &[(&str, &str, usize)] = &[
    (
        "ResolveRequest",
        "note",
        crate::workflow::escalations::MAX_NOTE,
    ),
    (
        "ReviewRequest",
        "comment",
        crate::workflow::callbacks::review::MAX_COMMENT,
    ),
    (
        "Closure",
        "resolution",
        crate::workflow::callbacks::issues::MAX_RESOLUTION,
    ),
    (
        "ReviewInput",
        "note",
        crate::workflow::assessment_review::MAX_NOTE,
    ),
    (
        "NewComplaint",
        "content",
        crate::workflow::complaints::MAX_TEXT,
    ),
    (
        "ResolveComplaintRequest",
        "resolution",
        crate::workflow::complaints::MAX_TEXT,
    ),
    ("NewProduct", "code", crate::workflow::products::MAX_CODE),
    ("NewProduct", "name", crate::workflow::products::MAX_NAME),
    ("ProductChange", "name", crate::workflow::products::MAX_NAME),
];

/// Free texts that must also be clean (`text::clean_text`).
const CLEAN_TEXTS: &[(&str, &str, usize)] = &[
    (
        "Rescission",
        "reason",
        crate::workflow::holdings::MAX_REASON,
    ),
    (
        "Rescission",
        "request_ref",
        crate::workflow::holdings::MAX_REF,
    ),
];

/// No text the service takes may hold NUL (the body reader refuses it): every string of the
/// components says so, unless a stricter pattern is stated.
const NO_NUL: &str = "^[^\\u0000]*$";

fn no_nul(schema: &mut utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>) {
    use utoipa::openapi::schema::{ArrayItems, Schema, SchemaType, Type};
    let RefOr::T(schema) = schema else { return };
    match schema {
        Schema::Object(o) => {
            let is_string = matches!(&o.schema_type, SchemaType::Type(Type::String))
                || matches!(&o.schema_type, SchemaType::Array(ts) if ts.contains(&Type::String));
            if is_string && o.pattern.is_none() && o.format.is_none() && o.enum_values.is_none() {
                o.pattern = Some(NO_NUL.to_string());
            }
            for p in o.properties.values_mut() {
                no_nul(p);
            }
            if let Some(extra) = o.additional_properties.as_mut()
                && let utoipa::openapi::schema::AdditionalProperties::RefOr(values) = extra.as_mut()
            {
                no_nul(values);
            }
            // An object's keys are strings of the body too.
            let is_object = matches!(&o.schema_type, SchemaType::Type(Type::Object));
            if is_object && o.property_names.is_none() {
                let keys = utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(SchemaType::new(Type::String));
                o.property_names = Some(Box::new(keys.build().into()));
            }
            if let Some(keys) = o.property_names.as_mut()
                && let Schema::Object(k) = keys.as_mut()
                && k.pattern.is_none()
            {
                k.pattern = Some(NO_NUL.to_string());
            }
        }
        Schema::Array(a) => {
            if let ArrayItems::RefOrSchema(items) = &mut a.items {
                no_nul(items);
            }
        }
        Schema::OneOf(x) => x.items.iter_mut().for_each(no_nul),
        Schema::AllOf(x) => x.items.iter_mut().for_each(no_nul),
        Schema::AnyOf(x) => x.items.iter_mut().for_each(no_nul),
        _ => {}
    }
}

/// The answers of a submission: question ids to an option id or a list of them, none with NUL
/// (the body reader refuses it in keys too).
fn answers(components: &mut utoipa::openapi::Components) {
    use utoipa::openapi::schema::{
        AdditionalProperties, ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type,
    };
    let text = || {
        ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::String))
            .pattern(Some(NO_NUL))
    };
    let choice = OneOfBuilder::new()
        .item(text())
        .item(ArrayBuilder::new().items(text()))
        .build();
    let Some(RefOr::T(Schema::Object(submission))) = components.schemas.get_mut("Submission")
    else {
        return;
    };
    if let Some(RefOr::T(Schema::Object(a))) = submission.properties.get_mut("answers") {
        a.additional_properties = Some(Box::new(AdditionalProperties::RefOr(RefOr::T(
            Schema::OneOf(choice),
        ))));
        a.property_names = Some(Box::new(text().build().into()));
    }
}

/// States the free-text rule on each free text of the components, and that no string holds NUL.
pub fn free_texts(components: &mut utoipa::openapi::Components) {
    use utoipa::openapi::schema::Schema;
    // Error bodies may quote what was sent, whatever it held: they are left as they are.
    components
        .schemas
        .iter_mut()
        .filter(|(name, _)| !name.starts_with("Error") && name.as_str() != "FieldProblem")
        .for_each(|(_, schema)| no_nul(schema));
    answers(components);
    let rules = [
        (FREE_TEXTS, crate::domain::text::FREE_TEXT_PATTERN),
        (CLEAN_TEXTS, crate::domain::text::CLEAN_TEXT_PATTERN),
    ];
    for (texts, pattern) in rules {
        for (schema, property, max) in texts {
            let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(*schema) else {
                continue;
            };
            if let Some(RefOr::T(Schema::Object(p))) = object.properties.get_mut(*property) {
                p.min_length = Some(1);
                p.max_length = Some(*max);
                p.pattern = Some(pattern.to_string());
            }
        }
    }
}

/// Completes `op`: `protected` when a staff token is checked.
pub fn complete(op: &mut Operation, protected: bool, public: bool) {
    let params = op.parameters.as_deref().unwrap_or_default();
    let has_query = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Query));
    let has_path = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Path));
    let has_body = op.request_body.is_some();
    let mut add = |status: &str| {
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| error_response(status));
    };
    if protected {
        add("401");
        add("403");
        add("503");
    }
    if has_query || has_body {
        add("400");
        add("422");
    }
    if has_body {
        add("413");
        add("415");
    }
    if has_path {
        add("404");
        add("422");
    }
    for (status, response) in op.responses.responses.iter_mut() {
        if let RefOr::T(r) = response
            && r.description.trim().is_empty()
        {
            r.description = meaning(status).to_string();
        }
    }
    if public {
        // No token is asked: an empty requirement overrides the document's bearer default.
        op.security = Some(vec![SecurityRequirement::default()]);
    }
}
