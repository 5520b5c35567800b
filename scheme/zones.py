"""Which of Indonesia's three time zones a person most likely lives in, from what they gave.

Proposed, never imposed: the person confirms with one press or picks another (WIB, WITA, WIT).
The home postcode (where they live now) comes first; the NIK's province code (where the KTP was
issued) next.
"""

from __future__ import annotations

from collections.abc import Mapping

WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"
ZONES = (WIB, WITA, WIT)

_WITA_PROVINCES = frozenset({51, 52, 53, 63, 64, 65, 71, 72, 73, 74, 75, 76})
"""Bali, NTB, NTT, Kalimantan Selatan/Timur/Utara, the six provinces of Sulawesi."""
_WIT_PROVINCES = frozenset({81, 82, 91, 92, 93, 94, 95, 96, 97})
"""Maluku, Maluku Utara and the provinces of Papua."""


def zone_from_nik(nik: str) -> str | None:
    """The zone of the NIK's province (its first two digits), None when it is not a NIK."""
    if len(nik) != 16 or not nik.isdigit():
        return None
    province = int(nik[:2])
    if province in _WIT_PROVINCES:
        return WIT
    if province in _WITA_PROVINCES:
        return WITA
    return WIB if 11 <= province <= 62 else None


def zone_from_postcode(postcode: str) -> str | None:
    """The zone of an Indonesian postcode's region (its first two digits)."""
    if len(postcode) != 5 or not postcode.isdigit():
        return None
    region = int(postcode[:2])
    if region >= 97:  # Maluku, Maluku Utara, Papua
        return WIT
    if 80 <= region <= 96 or 70 <= region <= 72 or 75 <= region <= 77:
        return WITA  # Bali and Nusa Tenggara, Sulawesi, Kalimantan Selatan/Timur/Utara
    return WIB if region >= 10 else None


def proposed_zone(apl01: Mapping[str, object]) -> str | None:
    for field, rule in (("home_postcode", zone_from_postcode), ("id_number", zone_from_nik)):
        value = apl01.get(field)
        if isinstance(value, str) and (zone := rule(value)) is not None:
            return zone
    return None
