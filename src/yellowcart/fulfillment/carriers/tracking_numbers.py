"""Tracking-number formats and check digits per carrier, for numbers sellers type in themselves.

A seller who ships on its own account enters a tracking number; a typo or an invented number must be
caught at once (TikTok Shop and Amazon both hold sellers to a >= 95% valid-tracking rate). Formats and
check-digit algorithms, with their sources:

* **UPS** ``1Z`` + 6-character shipper account + 2-character service code + 7-character package id +
  check digit (18 characters). Check digit: letters map to digits ((ord - 3) mod 10, so A=2 ... Z=7),
  then over the 15 characters after ``1Z`` a mod-10 sum with every second character doubled (without
  casting out nines, so a change by 5 in a doubled position goes unnoticed: a weakness of the format).
  Sources: UPS's published sample ``1Z999AA10123456784``; the algorithm and test numbers of the
  MIT-licensed tracking_number_data (github.com/jkeen/tracking_number_data, ``couriers/ups.json``).
* **USPS** IMpb (Intelligent Mail package barcode, USPS Publication 199): 22 digits (2-digit
  application id 92-95, service type, mailer id, serial, check digit), 20 digits (the same without the
  leading ``91``/``92`` application id, or the older 20-digit Certified/Registered format) and the
  scanned form with the ``420`` + ZIP or ZIP+4 routing prefix (28-34 digits), which we strip. Check digit:
  mod 10 with weights 3, 1, 3, ... from the right-most serial digit (Pub. 199, Appendix). International
  (S10, UPU standard S10): 2 letters + 8 digits + check digit + ``US``; check digit from weights
  8 6 4 2 3 5 9 7, 11 - (sum mod 11), 10 -> 0, 11 -> 5.
* **FedEx** (FedEx does not publish the algorithms; from tracking_number_data ``couriers/fedex.json``):
  12 digits (Express: weights 3 1 7 repeating over the first 11 digits, sum mod 11 mod 10), 15 digits
  (Ground: mod 10, weights 1 3 from the left), 20 digits (Ground Economy / SmartPost, an IMpb number
  handed to USPS: the USPS check after prefixing ``92``), 22 digits (Ground ``96`` barcode: mod 10,
  weights 1 3 from the left over the 14 digits after ``96`` + SCNC + service; or a ``92`` IMpb number).
* **DHL Express** air waybill: 10 digits, the check digit is the first nine digits mod 7
  (tracking_number_data ``couriers/dhl.json``, matching DHL's own waybill validation).
* **DHL eCommerce**: ``GM`` + 16-22 digits (no published check digit: format only), and the IMpb
  numbers of parcels it hands to USPS for final delivery (USPS check applies).

A number that fails is reported with the reason (length, characters or check digit), so the seller
form can say what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from yellowcart.fulfillment.carriers.errors import InvalidTrackingNumber

CARRIERS = ("usps", "ups", "fedex", "dhl_express", "dhl_ecommerce")

_UPS = re.compile(r"^1Z[0-9A-Z]{16}$")
_S10 = re.compile(r"^[A-Z]{2}\d{8}\dUS$")
_DHL_ECOMMERCE = re.compile(r"^GM\d{16,22}$")
_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
_FEDEX_12_WEIGHTS = (3, 1, 7) * 4


@dataclass(frozen=True, slots=True)
class TrackingNumberCheck:
    valid: bool
    normalized: str
    reason: str = ""


def normalize(raw: str) -> str:
    """Upper-case with spaces and dashes removed (how numbers are printed and pasted)."""
    return re.sub(r"[\s\-]", "", raw).upper()


# ---- check digits ---------------------------------------------------------------------------------


def _mod10(digits: str, *, weights: tuple[int, int], from_right: bool) -> int:
    """The mod-10 check digit of ``digits`` with alternating weights (first weight on the first digit
    counted, which is the right-most when ``from_right``)."""
    sequence = reversed(digits) if from_right else iter(digits)
    total = sum(int(d) * weights[i % 2] for i, d in enumerate(sequence))
    return (10 - total % 10) % 10


def usps_check_digit(serial: str) -> int:
    """IMpb (Pub. 199) check digit: weights 3, 1, ... from the right-most serial digit."""
    return _mod10(serial, weights=(3, 1), from_right=True)


def ups_check_digit(body: str) -> int:
    """Check digit over the 15 characters after ``1Z`` (letters mapped (ord - 3) mod 10)."""
    values = [int(c) if c.isdigit() else (ord(c) - 3) % 10 for c in body]
    total = sum(v * (2 if i % 2 else 1) for i, v in enumerate(values))
    return (10 - total % 10) % 10


def s10_check_digit(serial: str) -> int:
    remainder = 11 - sum(int(d) * w for d, w in zip(serial, _S10_WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(remainder, remainder)


def fedex12_check_digit(serial: str) -> int:
    return sum(int(d) * w for d, w in zip(serial, _FEDEX_12_WEIGHTS[:11], strict=True)) % 11 % 10


def fedex_ground_check_digit(serial: str) -> int:
    return _mod10(serial, weights=(1, 3), from_right=False)


def dhl_express_check_digit(serial: str) -> int:
    return int(serial) % 7


# ---- per carrier ----------------------------------------------------------------------------------


def _ok(number: str, expected: int) -> bool:
    return number[-1].isdigit() and int(number[-1]) == expected


def _strip_usps_routing(number: str) -> str:
    """Drop the ``420`` + ZIP (or ZIP+4) routing prefix printed before the IMpb on scanned labels."""
    if number.startswith("420") and len(number) in (28, 30):
        return number[8:]
    if number.startswith("420") and len(number) in (32, 34):
        return number[12:]
    return number


def _usps_impb(number: str) -> bool:
    if len(number) == 22 and number[:2] in ("91", "92", "93", "94", "95"):
        return _ok(number, usps_check_digit(number[:-1]))
    if len(number) == 20:
        # Either the older 20-digit format, or a 22-digit IMpb printed without its ``91`` prefix.
        return _ok(number, usps_check_digit(number[:-1])) or _ok(number, usps_check_digit("91" + number[:-1]))
    return False


def _check_usps(number: str) -> str:
    if _S10.match(number):
        return "" if _ok(number[:11], s10_check_digit(number[2:10])) else "check digit does not match"
    number = _strip_usps_routing(number)
    if not number.isdigit():
        return "USPS numbers are 20-22 digits, or 13 characters like EE123456785US"
    if len(number) not in (20, 22):
        return f"USPS numbers have 20 or 22 digits, not {len(number)}"
    return "" if _usps_impb(number) else "check digit does not match"


def _check_ups(number: str) -> str:
    if not _UPS.match(number):
        return "UPS numbers are 1Z followed by 16 letters or digits"
    return "" if _ok(number, ups_check_digit(number[2:17])) else "check digit does not match"


def _check_fedex(number: str) -> str:
    if not number.isdigit() or len(number) not in (12, 15, 20, 22):
        return "FedEx numbers have 12, 15, 20 or 22 digits"
    serial = number[:-1]
    if len(number) == 12:
        valid = _ok(number, fedex12_check_digit(serial))
    elif len(number) == 15:
        valid = _ok(number, fedex_ground_check_digit(serial))
    elif len(number) == 20:
        valid = _ok(number, usps_check_digit("92" + serial))
    elif number.startswith("96"):
        # 96 + 2-digit SCNC + 3-digit service, then the 14-digit serial the check digit covers.
        valid = _ok(number, fedex_ground_check_digit(serial[7:]))
    else:
        valid = number.startswith("92") and _ok(number, usps_check_digit(serial))
    return "" if valid else "check digit does not match"


def _check_dhl_express(number: str) -> str:
    if not number.isdigit() or len(number) != 10:
        return "DHL Express waybill numbers have 10 digits"
    return "" if _ok(number, dhl_express_check_digit(number[:9])) else "check digit does not match"


def _check_dhl_ecommerce(number: str) -> str:
    if _DHL_ECOMMERCE.match(number):
        return ""
    if number.isdigit() and not _check_usps(number):
        return ""
    return "DHL eCommerce numbers are GM followed by 16-22 digits, or a USPS IMpb number"


_CHECKS: dict[str, Callable[[str], str]] = {
    "usps": _check_usps,
    "ups": _check_ups,
    "fedex": _check_fedex,
    "dhl_express": _check_dhl_express,
    "dhl_ecommerce": _check_dhl_ecommerce,
}


def check_tracking_number(carrier: str, raw: str) -> TrackingNumberCheck:
    """Whether ``raw`` is a well-formed tracking number of ``carrier``, and why not."""
    check = _CHECKS.get(carrier)
    number = normalize(raw)
    if check is None:
        return TrackingNumberCheck(False, number, f"unknown carrier {carrier!r}; one of {', '.join(CARRIERS)}")
    if not number:
        return TrackingNumberCheck(False, number, "tracking number is empty")
    reason = check(number)
    return TrackingNumberCheck(not reason, number, reason)


def is_valid_tracking_number(carrier: str, raw: str) -> bool:
    return check_tracking_number(carrier, raw).valid


def validate_tracking_number(carrier: str, raw: str) -> str:
    """The normalised number, or InvalidTrackingNumber (422) saying what is wrong."""
    result = check_tracking_number(carrier, raw)
    if not result.valid:
        raise InvalidTrackingNumber(f"{result.reason}: {raw!r}", field="tracking_number", carrier=carrier)
    return result.normalized


def detect_carriers(raw: str) -> list[str]:
    """Every carrier whose format ``raw`` satisfies (a 20/22-digit number may fit several)."""
    return [carrier for carrier in CARRIERS if check_tracking_number(carrier, raw).valid]
