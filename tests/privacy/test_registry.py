"""The registry covers every table that names a person: a new table with a user, shopper or creator
column fails here until its domain's holding exports and erases it, or it is exempted with a reason.
Plus the pure pieces deletion relies on (addresses keep the tax jurisdiction, free text vs codes)."""

from __future__ import annotations

import re

from sqlalchemy import Table

from yellowcart.models import Base
from yellowcart.privacy.registry import EXEMPT, REGISTRY, covered, pseudonymise_address
from yellowcart.privacy.tables import ERASED, is_free_text

#: Column names that identify a person (besides any foreign key to users.id).
PERSON = re.compile(r"^(user_id|shopper_id|creator_id|actor_id|owner_id|.*_user_id|appellant_id)$")


def _names_a_person(table: Table) -> list[str]:
    return [
        c.name
        for c in table.columns
        if PERSON.match(c.name) or any(fk.column.table.name == "users" for fk in c.foreign_keys)
    ]


def test_every_table_naming_a_person_is_covered_or_exempt() -> None:
    missing = {
        t.name: _names_a_person(t)
        for t in Base.metadata.sorted_tables
        if _names_a_person(t) and t.name not in covered() and t.name not in EXEMPT
    }
    assert missing == {}, f"add these tables to privacy/registry.py (a holding, or EXEMPT with a reason): {missing}"


def test_the_registry_is_well_formed() -> None:
    sections = [h.section for h in REGISTRY]
    assert len(sections) == len(set(sections)) and sections[0] == "account"
    assert not covered() & set(EXEMPT), "a table is either covered or exempt, not both"
    assert all(len(reason) > 10 for reason in EXEMPT.values())
    for holding in REGISTRY:
        assert set(holding.kept) <= set(holding.tables), holding.section
    # Exempt tables that exist name a person (a stale entry would hide nothing and mislead).
    for name in EXEMPT:
        table = Base.metadata.tables.get(name)
        assert table is None or _names_a_person(table), name


def test_an_erased_address_keeps_the_tax_jurisdiction() -> None:
    address = {
        "name": "Ada Shopper",
        "line1": "350 5th Ave",
        "line2": "Fl 3",
        "city": "New York",
        "state": "NY",
        "zip": "10118",
        "phone": "+12125550100",
    }
    erased = pseudonymise_address(address)
    assert erased == {"city": "New York", "state": "NY", "zip": "10118", "name": ERASED, "line1": ERASED,
                      "line2": None, "phone": None}  # fmt: skip
    assert pseudonymise_address(erased) == erased  # a second run changes nothing
    assert pseudonymise_address(None) is None


def test_codes_are_kept_and_typed_text_is_not() -> None:
    assert not is_free_text("cancelled_by_request") and not is_free_text("payment_timeout")
    assert not is_free_text(ERASED) and not is_free_text(None)
    assert is_free_text("I changed my mind, call me on 555 0100") and is_free_text("Ada")
