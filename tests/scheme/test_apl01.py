"""APL-01 validators: each bad answer gives its own reason code."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheme import apl01
from scheme.apl01 import Invalid, Valid

TODAY = date(2026, 11, 25)
# Jakarta Selatan (31 74 01), born 17 Aug 1985; a woman has day + 40.
MAN = "3174011708850001"
WOMAN = "3174015708850002"


def reason(result: apl01.Result) -> str | None:
    return result.reason if isinstance(result, Invalid) else None


def test_valid_nik_for_a_man_and_a_woman() -> None:
    born = date(1985, 8, 17)
    assert apl01.nik(MAN, born=born, sex="L") == Valid(MAN)
    assert apl01.nik(WOMAN, born=born, sex="P") == Valid(WOMAN)
    assert apl01.nik("3174 0117 0885 0001") == Valid(MAN)  # spaces as on the card


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("317401170885000", "nik.length"),
        ("31740117088500011", "nik.length"),
        ("31740117O8850001", "nik.digits"),  # letter O for zero
        ("３１７４０１１７０８８５０００１", "nik.digits"),  # full-width digits
        ("", "nik.digits"),
        ("9974011708850001", "nik.province"),
        ("2074011708850001", "nik.province"),
        ("3174013208850001", "nik.birth_date"),  # day 32
        ("3174011713850001", "nik.birth_date"),  # month 13
        ("3174017208850001", "nik.birth_date"),  # woman's day 72 - 40 = 32
        ("3174012902850001", "nik.birth_date"),  # 29 Feb 1985/2085 do not exist
        ("3174011708850000", "nik.serial"),
    ],
)
def test_invalid_nik(text: str, code: str) -> None:
    assert reason(apl01.nik(text)) == code


def test_nik_must_agree_with_birth_date_and_sex() -> None:
    assert reason(apl01.nik(MAN, born=date(1985, 8, 18))) == "nik.birth_date_mismatch"
    assert reason(apl01.nik(MAN, born=date(1995, 8, 17))) == "nik.birth_date_mismatch"
    assert reason(apl01.nik(MAN, sex="P")) == "nik.sex_mismatch"
    assert reason(apl01.nik(WOMAN, sex="L")) == "nik.sex_mismatch"
    assert apl01.nik("3174012902000001", born=date(2000, 2, 29)) == Valid("3174012902000001")


@given(
    born=st.dates(min_value=date(1936, 1, 1), max_value=date(2009, 12, 31)),
    female=st.booleans(),
    province=st.sampled_from(sorted(apl01.PROVINCE_CODES)),
    serial=st.integers(min_value=1, max_value=9999),
)
def test_any_real_nik_is_accepted(born: date, female: bool, province: int, serial: int) -> None:
    day = born.day + (40 if female else 0)
    number = f"{province:02d}0101{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"
    sex = "P" if female else "L"
    assert apl01.nik(number, born=born, sex=sex) == Valid(number)


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("17-08-1985", "1985-08-17"),
        ("17/8/1985", "1985-08-17"),
        ("29.02.2000", "2000-02-29"),
        ("1985-08-17", "birth_date.format"),
        ("17 Agustus 1985", "1985-08-17"),  # as written on a form (issue 16)
        ("1 mei 1990", "1990-05-01"),
        ("17-agt-1985", "1985-08-17"),
        ("17 Aug. 1985", "1985-08-17"),
        ("17 Agustusan 1985", "birth_date.format"),
        ("31 Februari 1990", "birth_date.not_a_day"),
        ("31-04-1990", "birth_date.not_a_day"),
        ("29-02-2001", "birth_date.not_a_day"),
        ("01-01-2027", "birth_date.future"),
        ("26-11-2009", "birth_date.too_young"),  # 16 the day before the 17th birthday
        ("25-11-2009", "2009-11-25"),  # 17 today
        ("01-01-1930", "birth_date.too_old"),
    ],
)
def test_birth_date(text: str, outcome: str) -> None:
    result = apl01.birth_date(text, TODAY)
    assert (result.value if isinstance(result, Valid) else result.reason) == outcome


@pytest.mark.parametrize(
    ("text", "mobile", "outcome"),
    [
        ("0812-3456-7890", True, "+6281234567890"),
        ("+62 812 3456 7890", True, "+6281234567890"),
        ("6281234567890", True, "+6281234567890"),
        ("(021) 5790 1234", False, "+622157901234"),
        ("021 5790 1234", True, "phone.not_mobile"),
        ("812345", True, "phone.format"),
        ("+1 202 555 0100", True, "phone.format"),
        ("08123", True, "phone.not_mobile"),
        ("0812345678901234", True, "phone.not_mobile"),
        ("08l2345678", True, "phone.format"),
    ],
)
def test_phone_numbers_normalised(text: str, mobile: bool, outcome: str) -> None:
    result = apl01.phone(text, mobile=mobile)
    assert (result.value if isinstance(result, Valid) else result.reason) == outcome


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("Budi.Santoso@Contoh.CO.ID", "Budi.Santoso@contoh.co.id"),
        ("siti+lsp@mail.id", "siti+lsp@mail.id"),
        ("budi@", "email.format"),
        ("budi@@mail.id", "email.format"),
        ("budi..s@mail.id", "email.format"),
        ("budi@mail", "email.format"),
        ("a" * 250 + "@mail.id", "email.format"),
    ],
)
def test_email(text: str, outcome: str) -> None:
    result = apl01.email(text)
    assert (result.value if isinstance(result, Valid) else result.reason) == outcome


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("  Siti   Nurhaliza ", "Siti Nurhaliza"),
        ("Sukarno", "Sukarno"),
        ("I Gusti Ngurah Rai", "I Gusti Ngurah Rai"),
        ("Drs. H. Ahmad, M.Pd.", "Drs. H. Ahmad, M.Pd."),
        ("Ni Made D'Arsa", "Ni Made D'Arsa"),
        ("B", "name.too_short"),
        ("x" * 101, "name.too_long"),
        ("Budi 2", "name.characters"),
        ("Budi 😀", "name.characters"),
        ("محمد", "name.characters"),
    ],
)
def test_full_name(text: str, outcome: str) -> None:
    result = apl01.full_name(text)
    assert (result.value if isinstance(result, Valid) else result.reason) == outcome


def test_postcode_passport_text_and_education() -> None:
    assert apl01.postcode("12950") == Valid("12950")
    assert reason(apl01.postcode("1295")) == "postcode.format"
    assert reason(apl01.postcode("02950")) == "postcode.format"
    assert apl01.passport("a1234567") == Valid("A1234567")
    assert reason(apl01.passport("12-34")) == "passport.format"
    assert apl01.free_text(" Jl.  Sudirman   No. 1 ") == Valid("Jl. Sudirman No. 1")
    assert reason(apl01.free_text("x" * 10_000)) == "text.too_long"
    assert reason(apl01.free_text("\u202eabc")) == "text.characters"
    levels = ("sd", "smp", "sma", "s1")
    assert apl01.education("sma", levels, "sma") == Valid("sma")
    assert reason(apl01.education("smp", levels, "sma")) == "education.below_minimum"
    assert reason(apl01.education("phd", levels, "sma")) == "education.unknown"


def test_the_nik_is_asked_before_what_it_tells() -> None:
    order = apl01.FIELDS
    assert order.index("id_number") < order.index("birth_date")
    assert order.index("id_number") < order.index("sex")
    assert len(order) == len(set(order))


def test_a_nik_tells_the_date_of_birth_and_sex() -> None:
    today = date(2026, 12, 6)
    assert apl01.from_nik("3273015708850002", today) == {"birth_date": "1985-08-17", "sex": "P"}
    assert apl01.from_nik("3174011708850001", today) == {"birth_date": "1985-08-17", "sex": "L"}
    # The century is the one that makes a KTP holder (17 or older): 2005 yes, 2012 no.
    assert apl01.from_nik("3174010101050001", today)["birth_date"] == "2005-01-01"
    assert apl01.from_nik("3174010101120001", today)["birth_date"] == "1912-01-01"


def test_to_ask_skips_what_a_nik_will_tell_and_what_was_carried_over() -> None:
    carried = apl01.carried_over("s1", renewal=False, levels=("sma", "s1"))
    assert carried == {"purpose": "sertifikasi", "education": "s1"}
    assert apl01.carried_over("smp", renewal=True, levels=("sma", "s1")) == {
        "purpose": "sertifikasi_ulang"
    }  # a level APL-01 refuses is asked there, not carried
    wni = {"full_name": "Siti", "nationality": "WNI", **carried}
    asked = apl01.to_ask(wni)
    assert asked[0] == "id_number"
    assert "birth_date" not in asked
    assert "sex" not in asked
    assert "education" not in asked
    assert "purpose" not in asked
    wna = apl01.to_ask({"nationality": "WNA"})  # a passport tells nothing
    assert "birth_date" in wna
    assert "sex" in wna


@pytest.mark.parametrize("typed", ["-", "tidak ada", "Tidak  Ada", "none"])
def test_office_phone_and_email_may_be_left_empty(typed: str) -> None:
    today = date(2026, 12, 6)
    assert apl01.validate("office_phone", typed, {}, today) == Valid("")
    assert apl01.validate("office_email", typed, {}, today) == Valid("")
    assert reason(apl01.validate("email", typed, {}, today)) == "email.format"  # not optional


def test_a_place_of_birth_is_a_name_not_a_number() -> None:
    """Issue 16: a 16-digit number (the NIK, typed a step early) was taken as the place."""
    assert apl01.place(" Kota  Bandung ") == Valid("Kota Bandung")
    assert reason(apl01.place("3273015708850002")) == "place.characters"
    assert reason(apl01.place("Bandung 2")) == "place.characters"
    today = date(2026, 12, 6)
    assert reason(apl01.validate("birth_place", "3273015708850002", {}, today)) == (
        "place.characters"
    )
