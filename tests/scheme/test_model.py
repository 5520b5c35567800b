"""The scheme data files: the shipped one holds what NOTES.md holds; a bad file names its line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.schemes import load_scheme
from scheme.catalog import ASESOR_KOMPETENSI, SCHEME_PACKAGE
from scheme.model import Scheme, SchemeFileError, parse_scheme

SHIPPED = Path(SCHEME_PACKAGE) / ASESOR_KOMPETENSI


def test_asesor_kompetensi_units_routes_and_evidence(asesor: Scheme) -> None:
    assert asesor.code == "SKM-01/BNSP/VII/2020"
    assert [u.code for u in asesor.units] == [
        "P.85ASM00.001.2",
        "P.85ASM00.003.2",
        "P.854900.047.01",
    ]
    assert [r.id for r in asesor.routes] == ["recertification", "new_candidate"]
    new = asesor.route("new_candidate")
    recert = asesor.route("recertification")
    assert [r.clause for r in new.requirements] == ["6.1.1", "6.1.2", "6.1.3", "6.1.4"]
    assert [r.clause for r in recert.requirements] == [f"6.2.{n}" for n in range(1, 7)]
    # 9.1.2.1 d is asked per activity; 9.1.2.2 d and e per "atau" alternative.
    assert [e.clause for e in new.evidence] == [f"9.1.2.1.{c}" for c in "abcdddef"]
    assert [e.clause for e in recert.evidence] == [f"9.1.2.2.{c}" for c in "abcdddeeefgh"]
    photo = new.evidence[1]
    assert (photo.min, photo.max, photo.photo_3x4_red, photo.kinds) == (1, 2, True, ("jpeg", "png"))
    conducting = next(e for e in recert.evidence if e.id == "conducting_spt")
    assert (conducting.min, conducting.fact) == (6, "conducting_spt")  # 6 SPT (6.2.4)
    assert recert.partial_fallback is not None
    assert recert.partial_fallback.requirements == ("6.2.2", "6.2.3", "6.2.4")
    assert asesor.rules.certificate_validity_years == 3


def test_units_carry_their_sources_and_confidence(asesor: Scheme) -> None:
    """Element titles and KUK as compiled in kuk-sources.yaml, each with its source and how sure
    it is; texts cut off in every source marked incomplete; unknown KUK absent, not invented."""
    kuk = {(u.code, k.number): k for u, _, k in asesor.kuk_refs()}
    assert len(kuk) == 26
    mapa_3_2 = kuk[("P.85ASM00.001.2", "3.2")]
    assert "pengembang pelatihan" in mapa_3_2.text.id  # not "kursus" (NOTES.md correction)
    assert mapa_3_2.confidence == "high"
    assert not kuk[("P.85ASM00.001.2", "3.4")].complete
    assert not kuk[("P.85ASM00.003.2", "3.6")].complete
    assert not kuk[("P.854900.047.01", "3.3")].complete
    assert ("P.854900.047.01", "1.2") in kuk  # MKVA 1.2 and 1.5 were missing before
    assert ("P.854900.047.01", "1.5") in kuk
    # The 2015 predecessor's KUK (1.3, 1.4, 2.3–2.6 of P.854900.040.01) are gone.
    assert ("P.85ASM00.001.2", "1.3") not in kuk
    assert ("P.85ASM00.001.2", "2.6") not in kuk
    sources = set(asesor.unit_sources)
    for unit in asesor.units:
        for element in unit.elements:
            assert element.source
            for item in element.kuk:
                assert item.source.split()[0].strip(";,") in sources, item
    elements = {u.code: [e.number for e in u.elements] for u in asesor.units}
    assert elements == {
        "P.85ASM00.001.2": [1, 2, 3, 4],
        "P.85ASM00.003.2": [1, 2, 3, 4, 5, 6],
        "P.854900.047.01": [1, 2, 3],
    }


def test_staff_can_correct_a_kuk_by_editing_the_file(tmp_path: Path) -> None:
    edited = SHIPPED.read_text().replace(
        "Bila ada, dukungan spesialis sesuai rencana asesmen diakses.",
        "Risiko K3 diidentifikasi dan dikendalikan.",
    )
    (tmp_path / "scheme.yaml").write_text(edited)
    scheme = load_scheme(tmp_path / "scheme.yaml")
    texts = [k.text.id for _, _, k in scheme.kuk_refs()]
    assert "Risiko K3 diidentifikasi dan dikendalikan." in texts


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


@pytest.mark.parametrize(
    ("old", "new", "problem", "at"),
    [
        ("min: 6, max: 6", "min: 6, max: 4", "max is below min", None),
        ("{conducting_spt: 6}", "{conducting_sptt: 6}", "unknown fact 'conducting_sptt'", None),
        ("{education: sma}", "{education: phd}", "unknown education level 'phd'", None),
        ("kinds: [jpeg, png], min: 1", "kinds: [gif], min: 1", "Input should be 'pdf'", None),
        (
            '{number: "3.6"',
            '{number: "4.6"',
            "KUK 4.6 does not belong to element 3",
            'number: 3\n        title: {id: "Mendukung asesi"',  # the element that holds it
        ),
        ('proves: ["6.2.4"]', 'proves: ["6.2.9"]', "proves unknown requirement 6.2.9", None),
        (
            "alternative: 2, fact: tools_spt",
            "alternative: 3, fact: tools_spt",
            "alternative 3",
            None,
        ),
        ("fact: planning_records", "fact: conducting_spt", "fact 'conducting_spt' is not", None),
        (
            "2026-02-16, 2026-03-18",
            "2025-02-16, 2026-03-18",
            "a day outside the year",
            "year: 2026",
        ),
    ],
)
def test_malformed_file_names_path_and_line(
    old: str, new: str, problem: str, at: str | None
) -> None:
    text = SHIPPED.read_text()
    assert old in text
    broken = text.replace(old, new, 1)
    with pytest.raises(SchemeFileError) as raised:
        parse_scheme(broken, "skema.yaml")
    message = str(raised.value)
    assert message.startswith(f"skema.yaml:{line_of(broken, at or new)}: ")
    assert problem in message


def test_yaml_syntax_error_names_its_line() -> None:
    with pytest.raises(SchemeFileError, match=r"^s\.yaml:3: expected ',' or '}'"):
        parse_scheme("code: x\ntitle: {id: a\nissuer: z\nunits: []\n", "s.yaml")


def test_unknown_key_is_refused() -> None:
    text = SHIPPED.read_text().replace("issuer: BNSP", "issuer: BNSP\nisuer: typo")
    with pytest.raises(SchemeFileError, match="isuer: Extra inputs are not permitted"):
        parse_scheme(text, "s.yaml")


def test_a_second_scheme_loads(barista: Scheme) -> None:
    assert barista.code == "SKM-TEST/BARISTA"
    assert barista.rules.certificate_validity_years == 2
    assert [r.id for r in barista.routes] == ["renewal", "first"]


def test_clause_table_points_at_real_files() -> None:
    root = Path(__file__).resolve().parents[2]
    table = (root / "docs" / "clauses.md").read_text()
    paths = set(re.findall(r"`((?:scheme|handlers|storage|bot|tests)/[\w./*]+)`", table))
    assert paths
    for path in paths:
        assert list(root.glob(path)), path
    # Each test named after a test file exists in it.
    for path, names in re.findall(r"`(tests/[\w./]+\.py)`((?: `\w+`,?)+)", table):
        source = (root / path).read_text()
        for name in re.findall(r"`(\w+)`", names):
            assert f"def {name}(" in source, (path, name)
