"""Masking of message text before it is stored (pure, no I/O).

Always masked, whoever writes: payment card numbers (13-19 digits starting 1-9, spaces or dashes
allowed between groups, Luhn-valid: so order numbers and most tracking numbers stay readable; a
tracking number written in spaced groups can still hold a Luhn-valid window by chance and go too)
and US Social Security numbers written as ``AAA-GG-SSSS`` (or with spaces; invalid areas 000, 666 and
9xx are not SSNs).

Masked by policy: e-mail addresses and phone numbers from shoppers and sellers. Sellers may not take
shoppers off the platform, and shoppers are protected from sharing their own contact details; the
platform (operators, system messages) may give its own. Profanity is masked in every human message.

The profanity list is ours: 26 common English swear words and insults (no slurs spelled out in the
source), matched as whole words with their usual endings (-s, -es, -ed, -er, -ers, -ing, -y); it
is deliberately small and does not catch spelled-out or leetspeak variants. Masking keeps the first
letter (``f***``). The original text is never returned, stored or logged: callers keep only
:class:`Masked` (the text and the kinds removed).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

CARD = "card_number"
SSN = "ssn"
EMAIL = "email"
PHONE = "phone"
PROFANITY = "profanity"

CARD_MASK = "[card number removed]"
SSN_MASK = "[SSN removed]"
EMAIL_MASK = "[email removed]"
PHONE_MASK = "[phone number removed]"

#: Roles whose contact details are outside policy (operators and the system may share the platform's).
CONTACT_MASKED_FOR = frozenset({"shopper", "seller"})

PROFANITY_WORDS = (
    "arse", "arsehole", "ass", "asshole", "bastard", "bitch", "bloody", "bollocks", "bullshit", "crap",
    "damn", "dick", "dickhead", "douche", "douchebag", "fuck", "fucker", "goddamn", "jackass", "motherfucker",
    "piss", "prick", "shit", "shitty", "twat", "wanker",
)  # fmt: skip

# Groups of digits joined by single spaces or dashes, not glued to letters: a card is one or more
# whole consecutive groups (so "4242424242424242 123", a card then its CVC, still finds the card).
_DIGIT_RUN = re.compile(r"(?<!\w)\d+(?:[ -]\d+)*(?!\w)")
_GROUP = re.compile(r"\d+")
_SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)(\d{3})([- ])(?!00)\d{2}\2(?!0000)\d{4}(?![\d-])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# North American numbers: (212) 555-0100, 212-555-0100, 212.555.0100, 2125550100, +1 212 555 0100;
# international: a + then 8-15 digits with spaces, dots, dashes or brackets between them.
_PHONE_NANP = re.compile(r"(?<![\w+])(?:\+?1[ .-]?)?(?:\(\d{3}\)[ .-]?|\d{3}[ .-]?)\d{3}[ .-]?\d{4}(?!\w)")
_PHONE_INTL = re.compile(r"(?<![\w])\+\d(?:[ .()-]{0,2}\d){7,14}(?!\d)")
_WORDS = "|".join(sorted(PROFANITY_WORDS, key=len, reverse=True))
_PROFANITY = re.compile(rf"\b({_WORDS})(s|es|ed|er|ers|ing|y)?\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Masked:
    text: str
    kinds: tuple[str, ...]  # what was removed, in a fixed order, each once


def luhn_valid(digits: str) -> bool:
    """The Luhn check digit test payment card numbers pass (ISO/IEC 7812)."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_spans(run: str) -> list[tuple[int, int]]:
    """Where cards are in a run of digit groups: from the left, the longest window of whole groups
    holding 13-19 digits that passes Luhn; scanning resumes after it. Windows never split a group, so
    a 22-digit tracking number written without spaces is one group and never a card."""
    groups = [(m.start(), m.end()) for m in _GROUP.finditer(run)]
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(groups):
        if run[groups[i][0]] == "0":  # no card number starts with 0 (and all zeros pass Luhn)
            i += 1
            continue
        best, digits = None, ""
        for j in range(i, len(groups)):
            digits += run[groups[j][0] : groups[j][1]]
            if len(digits) > 19:
                break
            if len(digits) >= 13 and luhn_valid(digits):
                best = j
        if best is None:
            i += 1
            continue
        spans.append((groups[i][0], groups[best][1]))
        i = best + 1
    return spans


def _cards(text: str, found: set[str]) -> str:
    def replace(match: re.Match[str]) -> str:
        run = match.group(0)
        spans = card_spans(run)
        if not spans:
            return run
        found.add(CARD)
        out, last = [], 0
        for start, end in spans:
            out.append(run[last:start] + CARD_MASK)
            last = end
        return "".join(out) + run[last:]

    return _DIGIT_RUN.sub(replace, text)


def _sub(pattern: re.Pattern[str], text: str, mask: str, kind: str, found: set[str]) -> str:
    new, count = pattern.subn(mask, text)
    if count:
        found.add(kind)
    return new


def _profanity(text: str, found: set[str]) -> str:
    def replace(match: re.Match[str]) -> str:
        found.add(PROFANITY)
        word = match.group(0)
        return word[0] + "*" * (len(word) - 1)

    return _PROFANITY.sub(replace, text)


def mask_text(text: str, *, sender_role: str) -> Masked:
    """The text as it may be stored and shown, and which kinds of data were taken out of it."""
    found: set[str] = set()
    out = _cards(text, found)
    out = _sub(_SSN, out, SSN_MASK, SSN, found)
    if sender_role in CONTACT_MASKED_FOR:
        out = _sub(_EMAIL, out, EMAIL_MASK, EMAIL, found)
        out = _sub(_PHONE_INTL, out, PHONE_MASK, PHONE, found)
        out = _sub(_PHONE_NANP, out, PHONE_MASK, PHONE, found)
    if sender_role != "system":
        out = _profanity(out, found)
    return Masked(out, _ordered(found))


def _ordered(kinds: Iterable[str]) -> tuple[str, ...]:
    order = (CARD, SSN, EMAIL, PHONE, PROFANITY)
    present = set(kinds)
    return tuple(k for k in order if k in present)
