"""The zone proposed from a person's postcode and NIK (WIB, WITA, WIT)."""

from __future__ import annotations

import pytest

from scheme.zones import WIB, WIT, WITA, proposed_zone, zone_from_nik, zone_from_postcode


@pytest.mark.parametrize(
    ("postcode", "zone"),
    [
        ("10220", WIB),  # Jakarta
        ("40111", WIB),  # Bandung
        ("78111", WIB),  # Pontianak, Kalimantan Barat
        ("73111", WIB),  # Palangka Raya, Kalimantan Tengah
        ("76111", WITA),  # Balikpapan
        ("70111", WITA),  # Banjarmasin
        ("80111", WITA),  # Denpasar
        ("90111", WITA),  # Makassar
        ("97111", WIT),  # Ambon
        ("99111", WIT),  # Jayapura
        ("9911", None),
        ("abcde", None),
    ],
)
def test_postcode_regions(postcode: str, zone: str | None) -> None:
    assert zone_from_postcode(postcode) == zone


@pytest.mark.parametrize(
    ("nik", "zone"),
    [
        ("3273015708850002", WIB),  # Jawa Barat
        ("6171015708850002", WIB),  # Kalimantan Barat
        ("5171015708850002", WITA),  # Bali
        ("7371015708850002", WITA),  # Sulawesi Selatan
        ("8171015708850002", WIT),  # Maluku
        ("9171015708850002", WIT),  # Papua
        ("9771015708850002", WIT),  # Papua Barat Daya
        ("12345", None),
    ],
)
def test_nik_provinces(nik: str, zone: str | None) -> None:
    assert zone_from_nik(nik) == zone


def test_where_one_lives_comes_before_where_the_ktp_was_issued() -> None:
    assert proposed_zone({"home_postcode": "99111", "id_number": "3273015708850002"}) == WIT
    assert proposed_zone({"id_number": "9171015708850002"}) == WIT
    assert proposed_zone({"home_postcode": "x"}) is None
