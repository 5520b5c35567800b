"""FR.APL.01 Permohonan Sertifikasi Kompetensi (9.1.2): the fields and their validators.

Each validator returns :class:`Valid` with the normalised value or :class:`Invalid` with a reason
code (``nik.province``…) that the conversation turns into a message in the person's language.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

PROVINCE_CODES = frozenset(
    {11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53}
    | {61, 62, 63, 64, 65, 71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96, 97}
)
"""First two digits of a NIK: the province codes of Dukcapil, Papua's new provinces included."""

MIN_AGE, MAX_AGE = 17, 90
"""A KTP is issued at 17; an applicant older than 90 is almost surely a typing error."""


@dataclass(frozen=True, slots=True)
class Valid:
    value: str


@dataclass(frozen=True, slots=True)
class Invalid:
    reason: str
    """A message key suffix, e.g. ``nik.length``."""


Result = Valid | Invalid


def _clean(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.split()))


def _has_symbols(text: str) -> bool:
    """Emoji, control and right-to-left marks have no place in a form field."""
    return any(
        unicodedata.category(ch) in {"So", "Sk", "Cc", "Cf", "Co", "Cs"}
        or unicodedata.bidirectional(ch) in {"R", "AL", "RLE", "RLO", "RLI"}
        for ch in text
    )


def full_name(text: str) -> Result:
    name = _clean(text)
    if len(name) < 2:
        return Invalid("name.too_short")
    if len(name) > 100:
        return Invalid("name.too_long")
    if _has_symbols(name) or not re.fullmatch(r"[^\W\d_]+(?:[ '.,\-][^\W\d_]*)*\.?", name):
        return Invalid("name.characters")
    return Valid(name)


MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("januari", "january", "jan"), ("februari", "february", "feb", "pebruari"),
            ("maret", "march", "mar"), ("april", "apr"), ("mei", "may"),
            ("juni", "june", "jun"), ("juli", "july", "jul"),
            ("agustus", "august", "agu", "agt", "aug"),
            ("september", "sep", "sept"), ("oktober", "october", "okt", "oct"),
            ("november", "nov", "nopember"), ("desember", "december", "des", "dec"),
        ),
        1,
    )
    for name in names
}  # fmt: skip
"""Month names as people write them on a form, in Indonesian and English, with the usual
short forms."""


def day_month_year(text: str) -> tuple[int, int, int] | None:
    """A day as people write it on a form: 17-08-1985, 17/08/1985, 17.08.1985, "17 Agustus
    1985", "17 Agu 1985" (not checked to exist)."""
    typed = text.strip().casefold()
    match = re.fullmatch(r"(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{4})", typed)
    if match:
        day, month, year = (int(part) for part in match.groups())
        return day, month, year
    match = re.fullmatch(r"(\d{1,2})[ -]([^\W\d_]+)\.?[ -](\d{4})", typed)
    if match and match.group(2) in MONTHS:
        return int(match.group(1)), MONTHS[match.group(2)], int(match.group(3))
    return None


def birth_date(text: str, today: date) -> Result:
    """DD-MM-YYYY (also with / or .) or "17 Agustus 1985" (issue 16: the way it is written on
    a form was refused), an existing day, and an age from 17 to 90."""
    found = day_month_year(text)
    if found is None:
        return Invalid("birth_date.format")
    day, month, year = found
    try:
        born = date(year, month, day)
    except ValueError:
        return Invalid("birth_date.not_a_day")
    if born > today:
        return Invalid("birth_date.future")
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if age < MIN_AGE:
        return Invalid("birth_date.too_young")
    if age > MAX_AGE:
        return Invalid("birth_date.too_old")
    return Valid(born.isoformat())


def nik(text: str, *, born: date | None = None, sex: str | None = None) -> Result:
    """NIK: 16 digits; province code; DDMMYY birth date at digits 7–12 with day + 40 for women,
    matching the date of birth and sex given; a serial other than 0000."""
    digits = re.sub(r"[\s.\-]", "", text)
    if not digits.isdigit() or not digits.isascii():
        return Invalid("nik.digits")
    if len(digits) != 16:
        return Invalid("nik.length")
    if int(digits[:2]) not in PROVINCE_CODES:
        return Invalid("nik.province")
    day, month, year2 = int(digits[6:8]), int(digits[8:10]), int(digits[10:12])
    female = day > 40
    if female:
        day -= 40
    if not any(_exists(century + year2, month, day) for century in (1900, 2000)):
        return Invalid("nik.birth_date")
    if digits[12:] == "0000":
        return Invalid("nik.serial")
    if born is not None and (born.day, born.month, born.year % 100) != (day, month, year2):
        return Invalid("nik.birth_date_mismatch")
    if sex is not None and (sex == "P") != female:
        return Invalid("nik.sex_mismatch")
    return Valid(digits)


def _exists(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def passport(text: str) -> Result:
    """Foreign applicants give a passport number instead of a NIK."""
    number = re.sub(r"\s", "", text).upper()
    if not re.fullmatch(r"[A-Z0-9]{6,9}", number):
        return Invalid("passport.format")
    return Valid(number)


def postcode(text: str) -> Result:
    code = text.strip()
    if not re.fullmatch(r"[1-9]\d{4}", code):
        return Invalid("postcode.format")
    return Valid(code)


def phone(text: str, *, mobile: bool) -> Result:
    """Normalise to +62…; a mobile number starts 8 after the country code (08…, 628…, +628…)."""
    raw = re.sub(r"[\s\-().]", "", text)
    if raw.startswith("+62"):
        national = raw[3:]
    elif raw.startswith("62"):
        national = raw[2:]
    elif raw.startswith("0"):
        national = raw[1:]
    else:
        return Invalid("phone.format")
    if not national.isdigit() or not national.isascii() or national.startswith("0"):
        return Invalid("phone.format")
    if mobile and (not national.startswith("8") or not 9 <= len(national) <= 12):
        return Invalid("phone.not_mobile")
    if not 7 <= len(national) <= 12:
        return Invalid("phone.format")
    return Valid(f"+62{national}")


TWO_DIGIT_AREAS = frozenset({"21", "22", "24", "31", "61"})
"""Area codes of two digits (Jakarta, Bandung, Semarang, Surabaya, Medan); the others have
three."""


def grouped_phone(number: str) -> str:
    """A stored +62 number as people write it: "+62 812 3456 7890", "+62 21 5790 1234"
    (issue 16: "+622157901234" could not be read at a glance); anything else as it is."""
    if not number.startswith("+62") or not number[3:].isdigit():
        return number
    national = number[3:]
    head = 3 if national.startswith("8") or national[:2] not in TWO_DIGIT_AREAS else 2
    rest = national[head:]
    size = 3 if len(rest) in {6, 7} else 4
    groups = [rest[i : i + size] for i in range(0, len(rest), size)]
    if len(groups) > 1 and len(groups[-1]) < 3:  # no lone digit or pair at the end
        groups[-2:] = [groups[-2] + groups[-1]]
    return " ".join(["+62", national[:head], *groups])


def email(text: str) -> Result:
    address = text.strip()
    if len(address) > 254 or not re.fullmatch(
        r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
        r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+",
        address,
    ):
        return Invalid("email.format")
    local, _, domain = address.rpartition("@")
    if ".." in local or local.startswith(".") or local.endswith("."):
        return Invalid("email.format")
    return Valid(f"{local}@{domain.lower()}")


def free_text(text: str, *, min_length: int = 2, max_length: int = 200) -> Result:
    """Addresses, institutions, positions, places: plain text of a sensible length."""
    value = _clean(text)
    if len(value) < min_length:
        return Invalid("text.too_short")
    if len(value) > max_length:
        return Invalid("text.too_long")
    if _has_symbols(value):
        return Invalid("text.characters")
    return Valid(value)


def place(text: str) -> Result:
    """A place of birth: a city or regency's name, which has no digits (a NIK typed one step
    late is not a place; issue 16)."""
    result = free_text(text, max_length=100)
    if isinstance(result, Valid) and any(c.isdigit() for c in result.value):
        return Invalid("place.characters")
    return result


def education(level_id: str, levels: tuple[str, ...], minimum: str) -> Result:
    """At least senior high school or equal (6.1.1); ``levels`` lowest first."""
    if level_id not in levels:
        return Invalid("education.unknown")
    if levels.index(level_id) < levels.index(minimum):
        return Invalid("education.below_minimum")
    return Valid(level_id)


SEXES = ("L", "P")
"""Laki-laki, Perempuan (as on the KTP)."""
NATIONALITIES = ("WNI", "WNA")
PURPOSES = ("sertifikasi", "sertifikasi_ulang", "lainnya")
"""Part 2 of APL-01: certification, re-certification, or another purpose."""

FIELDS = (
    "full_name",
    "nationality",
    "id_number",
    "birth_place",
    "birth_date",
    "sex",
    "home_address",
    "home_postcode",
    "mobile",
    "email",
    "education",
    "institution",
    "position",
    "office_address",
    "office_postcode",
    "office_phone",
    "office_email",
    "purpose",
)
"""The APL-01 questions in the order the conversation asks them: the NIK before the date of
birth and sex, which it already tells (:func:`from_nik`); a field answered elsewhere
(:func:`carried_over`) is not asked (issue 16)."""

OPTIONAL = frozenset({"office_phone", "office_email"})
"""A self-employed assessor has no office telephone or e-mail: "-" or "tidak ada" leaves it
empty (issue 16: they could not go on)."""
NONE_WORDS = frozenset({"-", "--", "tidak ada", "tdk ada", "ga ada", "gak ada", "none", "n/a"})


def to_ask(answers: Mapping[str, object]) -> list[str]:
    """The fields still to ask, in order; before a NIK is given its date of birth and sex are
    not counted, as it will tell them."""
    missing = [f for f in FIELDS if f not in answers]
    if "id_number" in missing and answers.get("nationality") != "WNA":
        missing = [f for f in missing if f not in {"birth_date", "sex"}]
    return missing


def none_given(text: str) -> bool:
    """The person says they have none ("-", "tidak ada", "none")."""
    return " ".join(text.split()).casefold() in NONE_WORDS


def from_nik(number: str, today: date) -> dict[str, str]:
    """What a valid NIK tells: the date of birth (DDMMYY at digits 7-12, the century that
    gives an age of at least 17) and the sex (day + 40 for women)."""
    day, month, year2 = int(number[6:8]), int(number[8:10]), int(number[10:12])
    female = day > 40
    year = 2000 + year2 if 2000 + year2 <= today.year - MIN_AGE else 1900 + year2
    born = date(year, month, day - 40 if female else day)
    return {"birth_date": born.isoformat(), "sex": "P" if female else "L"}


def carried_over(education: object, renewal: bool, levels: tuple[str, ...]) -> dict[str, str]:
    """APL-01 answers the eligibility check already gave: the education it asked (6.1.1), when
    it is one of the levels, and the purpose the route decides (certification or
    re-certification), so neither is asked twice (issue 16)."""
    carried = {"purpose": "sertifikasi_ulang" if renewal else "sertifikasi"}
    if isinstance(education, str) and education in levels:
        carried["education"] = education
    return carried


CHOICES = {"nationality": NATIONALITIES, "sex": SEXES, "purpose": PURPOSES}
"""Fields answered by choosing; education takes its levels from the scheme."""


def _born(answers: Mapping[str, object]) -> date | None:
    value = answers.get("birth_date")
    return date.fromisoformat(value) if isinstance(value, str) else None


def validate(field: str, text: str, answers: Mapping[str, object], today: date) -> Result:
    """Check one typed answer, knowing the others (the NIK must agree with birth date and
    sex)."""
    sex = answers.get("sex")
    if field in OPTIONAL and none_given(text):
        return Valid("")
    validators: dict[str, Callable[[], Result]] = {
        "full_name": lambda: full_name(text),
        "birth_place": lambda: place(text),
        "birth_date": lambda: birth_date(text, today),
        "id_number": lambda: (
            passport(text)
            if answers.get("nationality") == "WNA"
            else nik(
                text,
                born=_born(answers),
                sex=sex if isinstance(sex, str) else None,
            )
        ),
        "home_address": lambda: free_text(text, min_length=5, max_length=300),
        "office_address": lambda: free_text(text, min_length=5, max_length=300),
        "home_postcode": lambda: postcode(text),
        "office_postcode": lambda: postcode(text),
        "mobile": lambda: phone(text, mobile=True),
        "office_phone": lambda: phone(text, mobile=False),
        "email": lambda: email(text),
        "office_email": lambda: email(text),
        "institution": lambda: free_text(text, max_length=200),
        "position": lambda: free_text(text, max_length=100),
    }
    return validators[field]()


def inconsistency(answers: Mapping[str, object]) -> str | None:
    """The one home of "APL-01 agrees with itself": a NIK given is checked again against the
    birth date and sex as they are now (either may have changed after it); the reason, or None.
    A foreign applicant's passport number has nothing to agree with."""
    number = answers.get("id_number")
    if not isinstance(number, str) or answers.get("nationality") == "WNA":
        return None
    raw_born = answers.get("birth_date")
    born = date.fromisoformat(raw_born) if isinstance(raw_born, str) else None
    sex = answers.get("sex")
    result = nik(number, born=born, sex=sex if isinstance(sex, str) else None)
    return result.reason if isinstance(result, Invalid) else None
