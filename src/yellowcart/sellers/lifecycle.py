"""An application's lifecycle as data (pure): who may move it where, and what each move needs.

draft -> submitted -> (needs_info -> submitted) -> approved | rejected. The seller edits while the
application is a draft or waiting for more information; operators decide only submitted ones.
"""

from __future__ import annotations

import enum

from yellowcart.errors import InvalidTransition
from yellowcart.sellers.models import ApplicationStatus

A = ApplicationStatus

TRANSITIONS: dict[ApplicationStatus, frozenset[ApplicationStatus]] = {
    A.DRAFT: frozenset({A.SUBMITTED}),
    A.SUBMITTED: frozenset({A.NEEDS_INFO, A.APPROVED, A.REJECTED}),
    A.NEEDS_INFO: frozenset({A.SUBMITTED}),
    A.APPROVED: frozenset(),
    A.REJECTED: frozenset(),
}
#: The seller may change its data (and submit) in these.
EDITABLE = frozenset({A.DRAFT, A.NEEDS_INFO})
#: Not decided yet: the application follows its data (platform GMV, policy changes, the calendar).
OPEN = frozenset({A.DRAFT, A.SUBMITTED, A.NEEDS_INFO})
#: Moves an operator must explain (the seller is told the reason).
REASON_REQUIRED = frozenset({A.NEEDS_INFO, A.REJECTED})
#: The review queue, in the order operators work it.
QUEUE_RANK = {A.SUBMITTED: 0, A.NEEDS_INFO: 1}


class Decision(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    REQUEST_INFO = "request_info"


DECISION_TARGET = {
    Decision.APPROVE: A.APPROVED,
    Decision.REJECT: A.REJECTED,
    Decision.REQUEST_INFO: A.NEEDS_INFO,
}


def check_transition(current: ApplicationStatus, target: ApplicationStatus) -> None:
    """Raise a structured 409 for an illegal move."""
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(
            f"An application in {current.value} cannot move to {target.value}.",
            current=current.value,
            target=target.value,
            allowed=sorted(t.value for t in TRANSITIONS[current]),
        )
