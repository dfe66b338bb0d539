"""Identity numbers of an applicant: EINs, US phone numbers, ID document numbers. Pure (no I/O).

Numbers are validated and normalised here, kept only as what the platform needs (the last four
characters for people to recognise, an HMAC-SHA256 under the server's key so the risk team can find
the same number on another seller without anyone being able to read it back), and masked for every
response. Messages never quote the number they are about: they end up in responses and logs.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading

from pydantic import SecretStr

#: EIN prefixes the IRS assigns (campus and internet codes); any other prefix is not an EIN.
EIN_PREFIXES = frozenset(
    [f"{n:02d}" for n in (*range(1, 7), *range(10, 17), *range(20, 28), *range(30, 49), *range(50, 69))]
    + [f"{n:02d}" for n in (*range(71, 78), *range(80, 89), *range(90, 96), 98, 99)]
)
_EIN = re.compile(r"^(\d{2})-?(\d{7})$")
_PHONE_JUNK = re.compile(r"[\s().\-]")
_NANP = re.compile(r"^\+?1?([2-9]\d{2})([2-9]\d{2})(\d{4})$")


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: North American Numbering Plan area codes outside the United States: Canada, and the Caribbean and
#: Atlantic members (NANPA assignments). US territories (PR 787/939, USVI 340, Guam 671, CNMI 670,
#: American Samoa 684) are US numbers and are not listed.
NON_US_AREA_CODES = _codes(
    "204 226 236 249 250 257 263 289 306 343 354 365 367 368 382 387 403 416 418 428 431 437 438 450 460 468 "
    "474 506 514 519 548 579 581 584 587 604 613 622 639 647 672 683 705 709 742 753 778 780 782 807 819 825 "
    "867 873 879 902 905 942 "  # Canada
    "242 246 264 268 284 345 441 473 649 658 664 721 758 767 784 809 829 849 868 869 876"  # Caribbean
)
#: Non-geographic: toll-free, premium, personal and carrier services. Not a phone a seller answers.
NON_GEOGRAPHIC_AREA_CODES = _codes(
    "500 521 522 523 524 525 526 527 528 529 533 544 566 577 588 600 700 710 800 833 844 855 866 877 888 900"
)
_DOC_JUNK = re.compile(r"[\s\-]")
_DOC = re.compile(r"^[A-Z0-9]{5,20}$")


class NumberError(ValueError):
    """A number that is not well-formed; the message is safe to show (it never quotes the number)."""


# ---- EIN -----------------------------------------------------------------------------------------


def normalise_ein(raw: str) -> str:
    """``12-3456789`` or ``123456789`` -> ``12-3456789``; the prefix must be one the IRS assigns."""
    found = _EIN.match(raw.strip())
    if found is None:
        raise NumberError("An EIN is nine digits, written NN-NNNNNNN.")
    prefix, rest = found.groups()
    if prefix not in EIN_PREFIXES:
        raise NumberError("This EIN's first two digits are not a prefix the IRS assigns; check the number.")
    return f"{prefix}-{rest}"


def mask_ein(last4: str) -> str:
    return f"**-***{last4}"


# ---- US phone --------------------------------------------------------------------------------------


def normalise_phone(raw: str) -> str:
    """A North American number in any usual spelling -> E.164 (``+12127360142``).

    NANP syntax: area code and exchange start with 2-9 and are not N11 service codes; 555-01XX is
    reserved for fiction. Whether it is a *US* number is the ``us_phone`` rule's question."""
    compact = _PHONE_JUNK.sub("", raw.strip())
    found = _NANP.match(compact)
    if found is None or (compact.startswith("+") and not compact.startswith("+1")):
        raise NumberError("A US phone number has 10 digits (area code, exchange, line), optionally after +1.")
    area, exchange, line = found.groups()
    if area[1:] == "11" or exchange[1:] == "11":
        raise NumberError("Area codes and exchanges ending in 11 are service codes (211, 411, 911...).")
    if exchange == "555" and line.startswith("01"):
        raise NumberError("555-0100 to 555-0199 are reserved for fiction; give a real number.")
    return f"+1{area}{exchange}{line}"


def area_code(e164: str) -> str:
    return e164[2:5]


def is_us_number(e164: str) -> bool:
    code = area_code(e164)
    return code not in NON_US_AREA_CODES and code not in NON_GEOGRAPHIC_AREA_CODES


def mask_phone(e164: str) -> str:
    return f"+1 ***-***-{e164[-4:]}"


# ---- ID documents ----------------------------------------------------------------------------------


def normalise_document_number(raw: str) -> str:
    """Letters and digits, 5-20 of them, upper case; spaces and dashes are spelling, not content."""
    compact = _DOC_JUNK.sub("", raw.strip()).upper()
    if not _DOC.match(compact):
        raise NumberError("A document number is 5 to 20 letters and digits.")
    return compact


def mask_document(last4: str) -> str:
    return f"****{last4}"


# ---- keyed hashes ----------------------------------------------------------------------------------


def keyed_hash(key: bytes, *parts: str) -> str:
    """HMAC-SHA256 over the parts (``|``-joined; the parts never contain ``|``): the same number gives the
    same digest under the same key, and nobody without the key can test guesses against it."""
    return hmac.new(key, "|".join(parts).encode(), hashlib.sha256).hexdigest()


def ein_hash(key: bytes, ein: str) -> str:
    return keyed_hash(key, "ein", ein)


def document_hash(key: bytes, *, doc_type: str, country: str, state: str | None, number: str) -> str:
    """A driver's licence number is unique within its state, a passport number within its country."""
    return keyed_hash(key, "doc", doc_type, country, state or "", number)


_fallback_key: bytes | None = None
_fallback_lock = threading.Lock()


def pii_key(configured: SecretStr | None) -> bytes:
    """The configured key (``YC_PII_HASH_KEY``), else one random key per process: hashes still hide the
    numbers, but reuse can only be matched within that process's lifetime (fine for tests, not prod)."""
    global _fallback_key
    if configured is not None and configured.get_secret_value():
        return configured.get_secret_value().encode()
    with _fallback_lock:
        if _fallback_key is None:
            _fallback_key = secrets.token_bytes(32)
        return _fallback_key
