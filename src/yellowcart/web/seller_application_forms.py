"""The onboarding application's business-entity and ID-document forms, read into the API's own sections
(``EntityIn`` and ``DocumentIn`` of :class:`ApplicationPatch`), so the page accepts exactly what
``PATCH /v1/seller-applications/{id}`` accepts and the onboarding service stores the same thing: the
last four characters of the EIN and of the document number, and their keyed hashes.

Those two numbers are never shown again, not even to the seller who typed them: the page shows what is on
file masked, a refused save re-renders the form without them (:func:`typed_values` leaves them out), and
messages come from pydantic's message text, which never quotes the input (the number-checking code's
messages do not either, see :mod:`yellowcart.sellers.identity`)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from yellowcart.sellers.eligibility import DOC_NAMES
from yellowcart.sellers.models import DocumentType, EntityType
from yellowcart.sellers.onboarding_schemas import ApplicationOut
from yellowcart.web import session as web

SECTIONS = ("contact", "entity", "document")
SECRET_FIELDS = frozenset({"ein", "doc_number"})  # typed, sent to the service, never rendered back
#: Every input of the three forms with its length limit (one more than the schema's, so that an overlong
#: value is refused with a message rather than cut silently).
LIMITS = {
    "phone": 32, "origin_zip": 12, "social_platform": 16, "social_handle": 70, "social_followers": 12,
    "entity_type": 32, "legal_name": 201, "ein": 21, "entity_country": 3, "line1": 201, "line2": 201,
    "city": 101, "state": 65, "postal_code": 13,
    "doc_type": 32, "doc_number": 41, "doc_expires_on": 10, "doc_country": 3, "doc_state": 3,
}  # fmt: skip
SECTION_FIELDS = {
    "contact": ("phone", "origin_zip", "social_platform", "social_handle", "social_followers"),
    "entity": ("entity_type", "legal_name", "ein", "entity_country", "line1", "line2", "city", "state", "postal_code"),
    "document": ("doc_type", "doc_number", "doc_expires_on", "doc_country", "doc_state"),
}
ENTITY_NAMES = {EntityType.LLC: "limited liability company (LLC)"}
ENTITY_TYPES = [(t.value, ENTITY_NAMES.get(t, t.value.replace("_", " "))) for t in EntityType]
DOCUMENT_TYPES = [(t.value, DOC_NAMES[t]) for t in DocumentType]
LABELS = {
    "shipping_origin.postal_code": "Shipping origin ZIP",
    "entity.address.postal_code": "Business ZIP code",
    "entity.address.state": "Business state",
    "entity.country": "Country of registration",
    "phone": "Phone",
    "shipping_origin": "Shipping origin",
    "postal_code": "ZIP code",
    "social": "Social account",
    "handle": "Social handle",
    "follower_count": "Followers",
    "platform": "Social platform",
    "entity": "Business",
    "entity_type": "Business type",
    "legal_name": "Legal name",
    "ein": "EIN",
    "country": "Country",
    "address": "Business address",
    "line1": "Street address",
    "line2": "Address line 2",
    "city": "City",
    "state": "State",
    "document": "ID document",
    "type": "Document type",
    "number": "Document number",
    "expires_on": "Expiry date",
    "issuing_country": "Issuing country",
    "issuing_state": "Issuing state",
}


def _f(form: FormData, name: str) -> str:
    return web.field(form, name, limit=LIMITS[name])


def entity_section(form: FormData) -> dict[str, Any]:
    """The business-entity form as the API's ``entity`` section (a blank EIN: none on file)."""
    raw: dict[str, Any] = {
        "entity_type": _f(form, "entity_type"),
        "legal_name": _f(form, "legal_name"),
        "country": _f(form, "entity_country").upper() or "US",
        "address": {
            "line1": _f(form, "line1"),
            "line2": _f(form, "line2") or None,
            "city": _f(form, "city"),
            "state": _f(form, "state"),
            "postal_code": _f(form, "postal_code"),
        },
    }
    ein = _f(form, "ein")
    if ein:
        raw["ein"] = ein
    return raw


def document_section(form: FormData) -> dict[str, Any]:
    """The ID-document form as the API's ``document`` section."""
    return {
        "type": _f(form, "doc_type"),
        "number": _f(form, "doc_number"),
        "expires_on": _f(form, "doc_expires_on"),
        "issuing_country": _f(form, "doc_country").upper() or "US",
        "issuing_state": _f(form, "doc_state").upper() or None,
    }


def typed_values(form: FormData, section: str) -> dict[str, str]:
    """What was typed into ``section``'s form, to fill it in again after a refused save: every input but the
    secret numbers (the other forms keep what is on file)."""
    return {name: _f(form, name) for name in SECTION_FIELDS.get(section, ()) if name not in SECRET_FIELDS}


def on_file_values(application: ApplicationOut) -> dict[str, str]:
    """The entity and document forms filled in from what is on file, the numbers left out (retyped)."""
    values: dict[str, str] = {}
    if application.entity is not None:
        entity, address = application.entity, application.entity.address
        values.update(entity_type=entity.entity_type.value, legal_name=entity.legal_name, entity_country=entity.country)
        values.update({k: str(address.get(k) or "") for k in ("line1", "line2", "city", "state", "postal_code")})
    if application.document is not None:
        doc = application.document
        values.update(doc_type=doc.type.value, doc_expires_on=doc.expires_on.isoformat())
        values.update(doc_country=doc.issuing_country, doc_state=doc.issuing_state or "")
    return values


def _message(error: Any) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "string_too_short":
        return "required." if ctx.get("min_length") == 1 else f"at least {ctx.get('min_length')} characters."
    if kind == "string_too_long":
        return f"at most {ctx.get('max_length')} characters."
    if kind in ("date_from_datetime_parsing", "date_parsing", "date_type"):
        return "enter a date (YYYY-MM-DD)."
    if kind == "enum":
        return "choose one from the list."
    if kind == "string_pattern_mismatch":
        return (
            "two capital letters, like US or NY." if error["loc"][-1] in ("country", "issuing_state") else "not valid."
        )
    text = str(error["msg"]).removeprefix("Value error, ")
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def messages(err: ValidationError) -> list[str]:
    """Each problem as "Where: what to do", in words a seller reads (never quoting what was typed)."""
    out = []
    for error in err.errors():
        names = [str(p) for p in error["loc"] if isinstance(p, str)]
        where = LABELS.get(".".join(names)) or (LABELS.get(names[-1], names[-1].replace("_", " ")) if names else "")
        out.append(f"{where}: {_message(error)}" if where else _message(error))
    return out
