"""Tracking-number formats and check digits: known-good numbers pass, near misses fail.

Known-good numbers are carriers' published samples (UPS ``1Z999AA10123456784``), labels from EasyPost's
recorded test responses, and the test vectors of tracking_number_data (MIT, jkeen); each near miss
changes one character of a good number, so only the check digit or the format can reject it.
"""

from __future__ import annotations

import pytest

from yellowcart.fulfillment.carriers.errors import InvalidTrackingNumber
from yellowcart.fulfillment.carriers.tracking_numbers import (
    check_tracking_number,
    detect_carriers,
    is_valid_tracking_number,
    validate_tracking_number,
)

GOOD = {
    "ups": [
        "1Z999AA10123456784",
        "1Z5R89390357567127",
        "1Z879E930346834440",
        "1Z410E7W0392751591",
        "1z8v92a70367203024",
    ],
    "usps": [
        "9400100105442285876350",  # EasyPost recorded label
        "9400 1112 0108 0805 4830 16",
        "9361 2898 7870 0317 6337 95",
        "9505 5110 6960 5048 6006 24",
        "9405803699300124287899",
        "0307 1790 0005 2348 3741",  # older 20-digit format
        "7196 9010 7560 0307 7385",  # 22-digit IMpb printed without its 91 prefix
        "420 22153 9101026837331000039521",  # scanned, with the 420+ZIP routing prefix
        "4201002334249200190132607600833457",  # 420 + ZIP+4 routing prefix
        "EE123456785US",  # S10 international
        "RB123456785US",
    ],
    "fedex": [
        "986578788855",
        "477179081230",
        "799531274483",
        "0414 4176 0228 964",  # Ground 15
        "568283610012000",
        "61299998820821171811",  # Ground Economy / SmartPost 20
        "9261292700768711948021",  # SmartPost 22 (92 IMpb)
        "9611020987654312345672",  # Ground 96 22
    ],
    "dhl_express": ["3318810025", "8487135506", "1099255990", "3821724944"],
    "dhl_ecommerce": ["GM2951173225174494", "GM295117494011169042", "9261292700768711948021"],
}

NEAR_MISSES = {
    "ups": [
        "1Z999AA10123456785",  # check digit
        "1Z999AA10123465784",  # two digits swapped
        "2Z999AA10123456784",  # prefix
        "1Z999AA1012345678",  # one character short
        "1Z999AA1012345678O",  # letter O for zero
    ],
    "usps": [
        "9400100105442285876351",  # check digit
        "9400100105442285876530",  # swapped
        "940010010544228587635",  # 21 digits
        "EE123456786US",  # S10 check digit
        "EE123456785GB",  # an S10 number, but not USPS's
        "EE12345678US",  # S10 one digit short
        "4201028200009261290113185417468511",  # routed, check digit
    ],
    "fedex": [
        "996578788855",  # first digit
        "986578788856",  # check digit
        "5682 8361 0012 732",  # Ground check digit
        "9261292700768711948020",  # SmartPost check digit
        "9611020987654312345673",  # Ground 96 check digit
        "98657878885",  # 11 digits
        "98657878885A",
    ],
    "dhl_express": ["3318810010", "3318810034", "331881002", "33188100256"],
    "dhl_ecommerce": ["GS295117494011169041", "GM12345", "GM29511732251744A4"],
}


@pytest.mark.parametrize(("carrier", "number"), [(c, n) for c, ns in GOOD.items() for n in ns])
def test_known_good_numbers_are_valid(carrier: str, number: str) -> None:
    result = check_tracking_number(carrier, number)
    assert result.valid, result.reason
    assert " " not in result.normalized and result.normalized == result.normalized.upper()


@pytest.mark.parametrize(("carrier", "number"), [(c, n) for c, ns in NEAR_MISSES.items() for n in ns])
def test_near_misses_are_rejected_with_a_reason(carrier: str, number: str) -> None:
    result = check_tracking_number(carrier, number)
    assert not result.valid
    assert result.reason


def test_single_digit_changes_of_a_ups_number_are_caught_except_by_five_in_doubled_positions() -> None:
    good = "1Z999AA10123456784"
    missed = []
    for i in range(2, len(good)):
        if not good[i].isdigit():
            continue
        for d in "0123456789":
            if d != good[i] and is_valid_tracking_number("ups", good[:i] + d + good[i + 1 :]):
                missed.append((i, abs(int(d) - int(good[i]))))
    # UPS doubles every second character without casting out nines: 2 x d and 2 x (d + 5) agree mod 10.
    assert missed
    assert all(diff == 5 and (i - 2) % 2 == 1 for i, diff in missed)


def test_validate_normalises_or_raises_a_422_naming_the_reason() -> None:
    assert validate_tracking_number("usps", " 9400-1001-0544-2285-8763-50 ") == "9400100105442285876350"
    with pytest.raises(InvalidTrackingNumber, match="check digit") as err:
        validate_tracking_number("ups", "1Z999AA10123456785")
    problem = err.value.to_problem()
    assert (problem["status"], problem["code"], problem["field"]) == (422, "invalid_tracking_number", "tracking_number")


def test_unknown_carrier_and_empty_number_are_invalid() -> None:
    assert "unknown carrier" in check_tracking_number("pony_express", "123").reason
    assert check_tracking_number("ups", "  ").reason == "tracking number is empty"


def test_detect_carriers() -> None:
    assert detect_carriers("1Z999AA10123456784") == ["ups"]
    assert detect_carriers("986578788855") == ["fedex"]
    assert detect_carriers("EE123456785US") == ["usps"]
