"""The self-service matcher: which question a shopper's message asks (pure, no I/O).

A rules matcher, on purpose: weighted regular expressions per intent over the normalised text
(lower case, contractions expanded, punctuation dropped). Each intent's score is the sum of the
weights of its patterns that match; the best intent wins when it scores at least ``MIN_SCORE`` and
holds at least ``MIN_CONFIDENCE`` of the two best scores together. Anything else is ``other``: a
person answers. Only ``AUTO_ANSWERED`` intents are answered from the order's data, so a wrong guess
among them costs a shopper one unhelpful automatic reply (and the "talk to a person" way out).

How well it does is measured on labelled example questions (``intent_examples``) that we wrote
ourselves, not real traffic: precision and recall per intent, asserted in the tests and reported in
docs/architecture.md.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class Intent(enum.StrEnum):
    WHERE_IS_MY_ORDER = "where_is_my_order"
    WHEN_ARRIVES = "when_arrives"
    HOW_TO_RETURN = "how_to_return"
    CANCEL = "cancel"
    OTHER = "other"


#: Answered automatically from the order's own data; ``cancel`` and ``other`` go to a person.
AUTO_ANSWERED = frozenset({Intent.WHERE_IS_MY_ORDER, Intent.WHEN_ARRIVES, Intent.HOW_TO_RETURN})
MIN_SCORE = 2.0
MIN_CONFIDENCE = 0.6

_ITEM = r"(order|package|parcel|item|items|stuff|purchase|shipment|delivery|box|it|things?)"
_BACK = r"(return|send (it|this|them) back)"
_SHIP = r"(ship|shipped|sent|dispatched)"
_GOT = r"(received|got|gotten|arrived|come|shown up)"
_COME = r"(arrive|come|coming|get here|be (here|delivered)|deliver|receive|get it|show up|land|expect)"
_DAY = r"(today|tomorrow|tonight|this week|next week|weekend|monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_RULES: dict[Intent, tuple[tuple[str, float], ...]] = {
    Intent.WHERE_IS_MY_ORDER: (
        (rf"\bwhere( \w+)? (is|are) (my|the|our) ({_ITEM} )?{_ITEM}\b", 3.0),
        (rf"\bwhere (my|the|our) {_ITEM} (is|are)\b", 3.0),
        (r"\bcheck (on )?(my|the) (order|package|parcel|shipment|delivery)\b", 2.5),
        (r"\bdid you (send|ship|post|dispatch|mail)\b", 2.5),
        (r"\b(is|was) (it|my order|the order|my package)( \w+)? (shipped|sent|dispatched)\b", 2.5),
        (r"\bno sign of\b", 2.0),
        (r"\blabel created\b", 2.0),
        (r"\bdelivered to (a different|the wrong|another|someone)", 2.5),
        (r"\bwhere is (it|this|that)\b", 2.5),
        (r"\btrack(ing)?\b", 2.5),
        (rf"\b(has|have|did|was) (it|my order|the order|my package|this|they) (been )?{_SHIP}", 2.5),
        (r"\b(shipped|sent|dispatched) (out )?yet\b", 2.5),
        (rf"\b(not|never|still not|have not|did not|has not) (yet )?(been )?{_GOT}\b", 2.0),
        (r"\bstill (waiting|not here|have not)\b", 2.0),
        (r"\b(status|update) (of|on|for) (my|the) (order|package|parcel|shipment|delivery)\b", 3.0),
        (r"\border status\b", 3.0),
        (r"\b(lost|missing|stuck)\b", 1.5),
        (r"\b(is|was|got) (my|the|it) ?(order|package|parcel|shipment)? (lost|missing|stolen)\b", 2.0),
        (r"\bwhat happened to (my|the)\b", 2.5),
        (r"\bsays delivered\b", 2.0),
        (r"\bin transit\b", 1.5),
    ),
    Intent.WHEN_ARRIVES: (
        (rf"\bwhen (will|would|does|do|is|can|should) (i|it|my|the|this|they|you)\b.*\b{_COME}", 3.5),
        (r"\bwhen (is|will) (it|my order|the order|my package|the package) (due|expected|arriving|coming)\b", 3.5),
        (r"\b(delivery|arrival) (date|time|day|estimate|window)\b", 3.0),
        (r"\b(eta|estimated delivery|expected delivery)\b", 3.0),
        (r"\bhow (long|soon|many (business |working )?days)\b", 2.5),
        (rf"\b(delivery|deliver|delivered|arrive|arriving|here)\b.*\b{_DAY}\b", 3.0),
        (r"\b(is|running|arriving|so|very) late\b", 2.0),
        (r"\bwhat (day|date|time) (will|would|does|is|should)\b", 3.0),
        (r"\b(arrive|get it|be here|be delivered|deliver it|receive it|come) (by|before|in time)\b", 3.0),
        (r"\b(arrive|arriving|arrival)\b", 1.0),
        (r"\bwhen\b", 0.5),
    ),
    Intent.HOW_TO_RETURN: (
        (rf"\b(how|can|could|may|want to|like to|need to|possible to) (do )?(i|we)? ?{_BACK}\b", 3.5),
        (r"\breturn(s|ing|ed|able)?\b", 2.0),
        (r"\bsend (it|this|them|the \w+) back\b", 3.0),
        (r"\breturn (policy|label|window|shipping)\b", 2.0),
        (r"\brefund\b", 1.5),
        (r"\bmoney back\b", 2.0),
        (r"\btoo (small|big|large|tight|loose|short|long)\b", 2.0),
        (r"\bexchange\b", 2.0),
        (r"\b(does not|did not|do not) fit\b", 1.5),
        (r"\bwrong size\b", 1.5),
    ),
    Intent.CANCEL: (
        (r"\bcancel(l?ed|l?ing|lation)?\b", 4.0),
        (r"\b(stop|undo|withdraw|void) (my |the |this )?(order|purchase)\b", 3.5),
        (r"\b(ordered|bought) (it |this )?(by (mistake|accident)|twice)\b", 3.0),
        (r"\b(do not|no longer) (want|need) (it|this|the order|my order|them)\b", 2.0),
        (r"\bchanged my mind\b", 1.5),
        (r"\b(before|not yet) (it )?(ships|shipped)\b", 1.0),
    ),
}
_COMPILED = {intent: tuple((re.compile(p), w) for p, w in rules) for intent, rules in _RULES.items()}

_HUMAN = re.compile(
    r"\b((talk|speak|chat) (to|with) (a |an |the |someone|somebody|real )?(person|human|agent|someone|somebody|"
    r"representative|rep|seller|operator|staff|manager|support)|real (person|human)|human please|"
    r"(customer )?(service|support) (agent|rep|representative)|need (a|an) (human|person|agent))\b"
)
_CONTRACTIONS = (
    (r"\bwhere's\b", "where is"), (r"\bwhat's\b", "what is"), (r"\bit's\b", "it is"), (r"\bwon't\b", "will not"),
    (r"\bcan't\b", "cannot"), (r"\b(when|how|who|there|that)'s\b", r"\1 is"), (r"\b(\w+)n't\b", r"\1 not"),
    (r"\bi'm\b", "i am"), (r"\b(\w+)'ve\b", r"\1 have"),
    (r"\b(\w+)'ll\b", r"\1 will"), (r"\b(\w+)'d\b", r"\1 would"), (r"\bpkg\b", "package"), (r"\bu\b", "you"),
)  # fmt: skip
_CONTRACTION_RES = tuple((re.compile(p), r) for p, r in _CONTRACTIONS)


@dataclass(frozen=True, slots=True)
class Match:
    intent: Intent
    confidence: float  # the winner's share of the two best scores (0 when nothing matched)
    scores: dict[str, float]
    wants_human: bool  # "talk to a person": never answered automatically

    @property
    def auto_answer(self) -> bool:
        return self.intent in AUTO_ANSWERED and not self.wants_human


def normalise(text: str) -> str:
    """Lower case, curly quotes straightened, contractions expanded, punctuation to spaces."""
    out = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    for pattern, repl in _CONTRACTION_RES:
        out = pattern.sub(repl, out)
    out = re.sub(r"[^a-z0-9' ]+", " ", out).replace("'", "")
    return re.sub(r"\s+", " ", out).strip()


def scores(text: str) -> dict[Intent, float]:
    norm = normalise(text)
    return {intent: sum(w for p, w in rules if p.search(norm)) for intent, rules in _COMPILED.items()}


def classify(text: str) -> Match:
    """The intent of one message, its confidence, and whether the shopper asks for a person."""
    found = scores(text)
    ranked = sorted(found.items(), key=lambda kv: (-kv[1], list(Intent).index(kv[0])))
    (best, top), (_, second) = ranked[0], ranked[1]
    confidence = top / (top + second) if top > 0 else 0.0
    intent = best if top >= MIN_SCORE and confidence >= MIN_CONFIDENCE else Intent.OTHER
    wants_human = _HUMAN.search(normalise(text)) is not None
    return Match(intent, round(confidence, 3), {k.value: v for k, v in found.items()}, wants_human)
