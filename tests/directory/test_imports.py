"""CSV imports: formats, validation, encodings, idempotence, batches, streaming (service level)."""

from __future__ import annotations

import codecs
import io
import tracemalloc
from pathlib import Path

import pytest

from terreau.directory import search
from terreau.directory.importers import import_organisations, reading, staging
from terreau.directory.models import ImportRun, Organisation, OrganisationKind
from tests.factories import BranchFactory, CommuneFactory, DepartmentFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parents[1] / "data"
GENERIC_HEADER = (
    "nom;sigle;type;siren;siret;rna;adresse;code_postal;code_commune;site_web;courriel;telephone;"
    "description;themes"
)


@pytest.fixture
def communes():
    CommuneFactory()  # 86194 Poitiers
    CommuneFactory(
        code="17300",
        name="La Rochelle",
        department=DepartmentFactory(code="17", name="Charente-Maritime"),
        population=77205,
    )


@pytest.fixture
def branch():
    return BranchFactory()


@pytest.fixture(autouse=True)
def _copy_paths(monkeypatch):
    """On PostgreSQL, small test files go through the COPY paths too (SQLite keeps bulk_create)."""
    monkeypatch.setattr(staging, "COPY_THRESHOLD", 1)


def run(data: bytes | Path, branch, **kwargs) -> ImportRun:
    content = data.read_bytes() if isinstance(data, Path) else data
    return import_organisations(stream=io.BytesIO(content), file_name="fichier.csv", branch=branch, **kwargs)


def reasons(run: ImportRun) -> dict[int, str]:
    return dict(run.rejections.values_list("line", "reason"))


# ------------------------------------------------------------------------------------------------ generic


def test_generic_template_creates_valid_rows_and_reports_bad_ones(communes, branch):
    result = run(DATA / "generic.csv", branch)

    assert result.status == ImportRun.Status.DONE, result.error
    assert result.format == ImportRun.Format.GENERIC
    assert result.encoding == "utf-8"
    assert (result.rows_read, result.created_count, result.updated_count) == (9, 3, 0)
    assert result.rejected_count == 6
    csc = Organisation.objects.get(rna="W862000123")
    assert csc.name == "Centre socioculturel des Trois Cités"
    assert csc.acronym == "CSC 3 Cités"
    assert csc.kind == OrganisationKind.ASSOCIATION
    assert csc.branch == branch
    assert csc.commune_id == "86194"
    assert csc.postal_code == "86000"
    assert csc.slug == "centre-socioculturel-des-trois-cites"
    assert set(csc.themes.values_list("code", flat=True)) == {"bien-vieillir", "inclusion-numerique"}
    company = Organisation.objects.get(siret="77567227200017")
    assert company.kind == OrganisationKind.COMPANY
    assert company.siren == "775672272"
    assert company.website == "http://www.ens-exemple.fr"
    assert Organisation.objects.get(siren="383474814").kind == OrganisationKind.FOUNDATION

    rejected = reasons(result)
    assert sorted(rejected) == [5, 6, 7, 8, 9, 10]
    assert "SIREN invalide" in rejected[5]
    assert "Colonne « code_commune », valeur « 99999 » : code commune INSEE inconnu." in rejected[6]
    assert "Colonne « nom », vide : le nom est obligatoire." in rejected[7]
    assert "type de structure inconnu" in rejected[8]
    assert "thème inconnu : astronomie" in rejected[9]
    assert "Nombre de colonnes incorrect" in rejected[10]
    raw = result.rejections.get(line=5).raw
    assert raw.startswith("Structure au SIREN faux;")


def test_reimporting_the_same_file_creates_and_changes_nothing(communes, branch):
    first = run(DATA / "generic.csv", branch)
    slugs = set(Organisation.objects.values_list("slug", flat=True))
    second = run(DATA / "generic.csv", branch)

    assert first.created_count == 3
    assert (second.created_count, second.updated_count, second.rejected_count) == (0, 0, 6)
    assert Organisation.objects.count() == 3
    assert set(Organisation.objects.values_list("slug", flat=True)) == slugs


def test_rows_update_on_siret_then_siren_then_rna(communes, branch):
    by_siren = OrganisationFactory(branch=branch, name="Ancien nom", siren="775672272", slug="ancien")
    by_rna = OrganisationFactory(branch=branch, name="Ancienne asso", rna="W862000123", slug="ancienne")
    result = run(DATA / "generic.csv", branch)

    assert (result.created_count, result.updated_count) == (1, 2)
    by_siren.refresh_from_db()
    by_rna.refresh_from_db()
    assert by_siren.name == "Entreprise Numérique Solidaire"
    assert by_siren.siret == "77567227200017"
    assert by_siren.slug == "ancien"  # the address of the profile page does not move
    assert by_rna.name == "Centre socioculturel des Trois Cités"
    assert Organisation.objects.count() == 3


def test_duplicate_rows_in_one_file_make_one_organisation(communes, branch):
    row = "Club des aînés;;association;;;W862000555;;;86194;;;;;"
    changed = "Club des aînés de Poitiers;;association;;;W862000555;;;86194;;;;;"
    result = run(f"{GENERIC_HEADER}\n{row}\n{row}\n{changed}\n".encode(), branch, batch_size=2)

    assert (result.created_count, result.updated_count, result.rejected_count) == (1, 1, 0)
    assert Organisation.objects.get().name == "Club des aînés de Poitiers"


def test_an_organisation_of_another_branch_is_neither_changed_nor_duplicated(communes, branch):
    other = OrganisationFactory(name="Autre antenne", rna="W862000123", slug="autre")
    result = run(DATA / "generic.csv", branch)

    other.refresh_from_db()
    assert other.name == "Autre antenne"
    assert Organisation.objects.filter(rna="W862000123").count() == 1
    assert "rattachée à une autre antenne" in reasons(result)[2]


def test_contradictory_identifiers_are_rejected_and_reimport_stays_stable(communes, branch):
    rows = [
        "Première;;association;775672272;;W862000111;;;86194;;;;;",
        "Seconde, même SIREN;;association;775672272;;W862000222;;;86194;;;;;",
    ]
    data = ("\n".join([GENERIC_HEADER, *rows]) + "\n").encode()
    first = run(data, branch)
    second = run(data, branch)

    assert (first.created_count, first.rejected_count) == (1, 1)
    assert "Identifiants contradictoires" in reasons(first)[3]
    assert "RNA W862000111, et non W862000222" in reasons(first)[3]
    assert (second.created_count, second.updated_count, second.rejected_count) == (0, 0, 1)
    assert Organisation.objects.get().name == "Première"


def test_slugs_stay_unique_when_names_repeat(communes, branch):
    OrganisationFactory(slug="comite-des-fetes", name="Comité des fêtes")
    rows = "\n".join("Comité des fêtes;;association;;;;;;86194;;;;;" for _ in range(3))
    result = run(f"{GENERIC_HEADER}\n{rows}\n".encode(), branch)

    assert result.created_count == 3
    slugs = set(Organisation.objects.filter(branch=branch).values_list("slug", flat=True))
    assert slugs == {"comite-des-fetes-2", "comite-des-fetes-3", "comite-des-fetes-4"}


def test_too_long_fields_are_rejected(communes, branch):
    row = f"{'A' * 300};;association;;;;;;86194;;;;;"
    result = run(f"{GENERIC_HEADER}\n{row}\n".encode(), branch)

    assert result.created_count == 0
    assert "Colonne « nom », valeur « AAA" in reasons(result)[2]
    assert "trop long : 300 caractères pour 255 au plus" in reasons(result)[2]


# ------------------------------------------------------------------------------------------------ RNA


def test_rna_waldec_imports_active_associations_and_reports_the_others(communes, branch):
    result = run(DATA / "rna_waldec.csv", branch)

    assert result.format == ImportRun.Format.RNA
    assert (result.rows_read, result.created_count, result.rejected_count) == (6, 2, 4)
    silver = Organisation.objects.get(rna="W862001001")
    assert silver.name == "SILVER GEEK POITOU"
    assert silver.acronym == "SILVER GEEK"
    assert silver.kind == OrganisationKind.ASSOCIATION
    assert silver.legal_category == "9220"
    assert silver.address == "12 rue DES TROIS CITES"
    assert silver.commune_id == "86194"
    assert silver.website == "http://silvergeek-exemple.org"
    assert silver.description.startswith("Favoriser le lien social")
    aidants = Organisation.objects.get(rna="W172001002")
    assert aidants.siret == "50123456100014"
    assert aidants.siren == "501234561"
    assert aidants.address == "BAT B, 4 bis avenue DU PORT"
    assert aidants.commune_id == "17300"
    rejected = reasons(result)
    assert "dissoute" in rejected[4]
    assert "supprimée du RNA" in rejected[5]
    assert "Colonne « adrs_codeinsee », valeur « 99999 » : code commune INSEE inconnu." in rejected[6]
    assert "numéro RNA invalide" in rejected[7]


def test_rna_latin1_file_is_detected_and_read(communes, branch):
    text = (
        (DATA / "rna_waldec.csv").read_text(encoding="utf-8").replace("SILVER GEEK POITOU", "SÉNIORS GÉNIAUX")
    )
    result = run(text.encode("cp1252"), branch)

    assert result.encoding == "cp1252"
    assert result.created_count == 2
    assert Organisation.objects.get(rna="W862001001").name == "SÉNIORS GÉNIAUX"


def test_utf8_bom_is_detected_and_stripped(communes, branch):
    result = run(codecs.BOM_UTF8 + (DATA / "rna_waldec.csv").read_bytes(), branch)

    assert result.encoding == "utf-8-sig"
    assert result.format == ImportRun.Format.RNA
    assert result.created_count == 2


def test_latin1_after_a_long_ascii_start_is_still_decoded(communes, branch):
    filler = "\n".join(f"Association {i};;association;;;;;;86194;;;;;" for i in range(3000))
    data = f"{GENERIC_HEADER}\n{filler}\nAmicale des Aînés;;association;;;;;;86194;;;;;\n".encode("cp1252")
    assert len(data) > reading.HEAD_BYTES
    result = run(data, branch)

    assert result.status == ImportRun.Status.DONE, result.error
    assert Organisation.objects.filter(name="Amicale des Aînés").exists()


# ------------------------------------------------------------------------------------------------ SIRENE


def test_sirene_legal_units_map_kinds_and_reject_closed_units(communes, branch):
    result = run(DATA / "sirene_ul.csv", branch)

    assert result.format == ImportRun.Format.SIRENE_UNITS
    assert (result.created_count, result.rejected_count) == (4, 2)
    poste = Organisation.objects.get(siren="356000000")
    assert poste.kind == OrganisationKind.COMPANY
    assert poste.siret == "35600000000048"  # La Poste's SIRET rule (not Luhn)
    assert poste.workforce_band == "53"
    assert poste.naf_code == "53.10Z"
    asso = Organisation.objects.get(siren="412153959")
    assert asso.kind == OrganisationKind.ASSOCIATION
    assert asso.rna == "W862000321"
    assert asso.legal_category == "9220"
    assert Organisation.objects.get(siren="823456785").kind == OrganisationKind.FOUNDATION
    assert Organisation.objects.get(siren="880123450").kind == OrganisationKind.PUBLIC_BODY
    rejected = reasons(result)
    assert "cessée" in rejected[6]
    assert "SIREN invalide" in rejected[7]


def test_sirene_establishments_update_headquarters_of_known_units(communes, branch):
    run(DATA / "sirene_ul.csv", branch)
    known = OrganisationFactory(branch=branch, siren="775672272", name="Connue", slug="connue", address="")
    result = run(DATA / "sirene_etab.csv", branch)

    assert result.format == ImportRun.Format.SIRENE_ESTABLISHMENTS
    assert (result.rows_read, result.created_count, result.updated_count) == (4, 0, 2)
    asso = Organisation.objects.get(siren="412153959")
    assert asso.address == "7 rue DES ECOLES"
    assert asso.commune_id == "86194"
    assert asso.postal_code == "86000"
    known.refresh_from_db()
    assert known.siret == "77567227200017"
    assert known.commune_id == "17300"
    assert known.address == "1 place DU MARCHE"
    assert "SIRET invalide" in reasons(result)[5]
    assert Organisation.objects.count() == 5


def test_sirene_establishment_of_unknown_siren_is_reported(communes, branch):
    result = run(DATA / "sirene_etab.csv", branch)

    assert result.created_count == 0
    assert "Aucune organisation de l'antenne n'a le SIREN 412153959" in reasons(result)[2]
    assert 3 not in reasons(result)  # not a headquarters: ignored, not rejected


# ------------------------------------------------------------------------------------------------ bad files


def test_unknown_header_fails_with_the_expected_columns(branch):
    result = run(b"name,city\nFoo,Paris\n", branch)

    assert result.status == ImportRun.Status.FAILED
    assert "Format de fichier non reconnu" in result.error
    assert "nom;type" in result.error
    assert "siren,denominationUniteLegale" in result.error
    assert Organisation.objects.count() == 0


def test_forced_format_that_does_not_match_names_missing_columns(branch):
    result = run(DATA / "generic.csv", branch, format=ImportRun.Format.RNA)

    assert result.status == ImportRun.Status.FAILED
    assert "colonnes manquantes id, titre" in result.error


@pytest.mark.parametrize(
    "content",
    [
        "nom;type\nÉcole;association\n".encode("utf-16"),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 10,
        b"nom;type\nA\x00B;association\n",
    ],
    ids=["utf-16", "binary", "nul-bytes"],
)
def test_unreadable_encodings_fail_with_a_french_message(branch, content):
    result = run(content, branch)

    assert result.status == ImportRun.Status.FAILED
    assert "n'est pas un texte CSV lisible" in result.error
    assert result.rows_read == 0


def test_empty_file_fails_clearly(branch):
    result = run(b"", branch)

    assert result.status == ImportRun.Status.FAILED
    assert result.error == "Le fichier est vide."


def test_overlong_line_is_a_rejected_row_not_a_crash(communes, branch, monkeypatch):
    monkeypatch.setattr(reading, "MAX_LINE_CHARS", 500)
    rows = [
        "Avant;;association;;;;;;86194;;;;;",
        f"Long;;association;;;;;;86194;;;;{'x' * 2000};",
        "Après;;association;;;;;;86194;;;;;",
    ]
    result = run(("\n".join([GENERIC_HEADER, *rows]) + "\n").encode(), branch)

    assert result.status == ImportRun.Status.DONE
    assert result.created_count == 2
    assert "Ligne trop longue" in reasons(result)[3]
    assert len(result.rejections.get().raw) <= reading.RAW_MAX_CHARS


def test_unclosed_quote_is_a_rejected_row(communes, branch, monkeypatch):
    monkeypatch.setattr(reading, "MAX_LINE_CHARS", 200)
    body = '"Guillemet ouvert;;association;;;;;;86194;;;;;\n' + "Suite;;association;;;;;;86194;;;;;\n" * 20
    result = run(f"{GENERIC_HEADER}\n{body}".encode(), branch)

    assert result.status == ImportRun.Status.DONE
    assert "Ligne illisible" in reasons(result)[2]


# ------------------------------------------------------------------------------------------------ batches


def test_failing_batch_is_rolled_back_and_earlier_batches_are_kept(communes, branch, monkeypatch):
    calls = []

    def reindex(ids):
        calls.append(list(ids))
        if len(calls) == 2:
            raise RuntimeError("disk full")

    monkeypatch.setattr(search, "reindex_organisations", reindex)
    rows = "\n".join(f"Association {i};;association;;;W86200{i:04d};;;86194;;;;;" for i in range(6))
    bad = "\nSans type;;;;;;;;86194;;;;;"
    result = run(f"{GENERIC_HEADER}\n{rows}{bad}\n".encode(), branch, batch_size=2)

    assert result.status == ImportRun.Status.FAILED
    assert "lignes 4 à 5" in result.error
    assert "Les lignes 2 à 3 ont été traitées et enregistrées" in result.error
    assert set(Organisation.objects.values_list("name", flat=True)) == {"Association 0", "Association 1"}
    assert (result.rows_read, result.created_count) == (2, 2)
    result.refresh_from_db()
    assert (result.rows_read, result.created_count, result.rejected_count) == (2, 2, 0)
    assert len(calls) == 2


def test_rows_committed_before_a_failing_batch_are_searchable(communes, branch, monkeypatch):
    """With DEFER_INDEXING (PostgreSQL), new rows are indexed at the end of the run: a run stopped by a
    failing batch still indexes the batches it committed."""
    monkeypatch.setattr(staging, "DEFER_INDEXING", True)
    calls = []

    def reindex(ids):
        calls.append(list(ids))
        if len(calls) == 2:
            raise RuntimeError("disk full")

    monkeypatch.setattr(search, "reindex_organisations", reindex)
    rows = "\n".join(f"Jardinier {i};;association;;;W86200{i:04d};;;86194;;;;;" for i in range(4))
    result = run(f"{GENERIC_HEADER}\n{rows}\n".encode(), branch, batch_size=2)

    assert result.status == ImportRun.Status.FAILED
    found, _searched = search.apply_search(Organisation.objects.all(), "jardinier")
    if search.is_postgresql():
        assert sorted(found.values_list("name", flat=True)) == ["Jardinier 0", "Jardinier 1"]


def test_rejections_of_a_failed_batch_are_rolled_back_too(communes, branch, monkeypatch):
    def boom(ids):
        raise RuntimeError("boom")

    monkeypatch.setattr(search, "reindex_organisations", boom)
    result = run(DATA / "generic.csv", branch)

    assert result.status == ImportRun.Status.FAILED
    assert "Aucune ligne n'a été enregistrée" in result.error
    assert result.rejections.count() == 0
    assert Organisation.objects.count() == 0


@pytest.mark.parametrize("defer", [False, True], ids=["indexed-by-insert", "indexed-at-end"])
def test_imported_organisations_are_indexed_as_reindex_organisations_would(
    communes, branch, monkeypatch, defer
):
    """New rows are searchable when the import returns (on PostgreSQL, indexed by their INSERT or, with
    DEFER_INDEXING, by one UPDATE at the end of the run), exactly as reindex_organisations would."""
    monkeypatch.setattr(staging, "DEFER_INDEXING", defer)
    result = run(DATA / "generic.csv", branch)
    assert result.created_count == 3
    row = "Amicale des Lilas;ADL;association;;;W862000999;;;86194;;;;Jardin partagé, ateliers de taille.;"
    assert run(f"{GENERIC_HEADER}\n{row}\n".encode(), branch).created_count == 1

    def indexes():
        return dict(Organisation.objects.values_list("pk", "search_document")), {
            pk: str(vector) for pk, vector in Organisation.objects.values_list("pk", "search_vector")
        }

    imported = indexes()
    assert any(imported[0].values()) or all(imported[1].values())  # indexed on the backend in use
    search.reindex_organisations(Organisation.objects.values_list("pk", flat=True))
    assert indexes() == imported
    found, _searched = search.apply_search(Organisation.objects.all(), "tablettes")
    assert list(found.values_list("name", flat=True)) == ["Entreprise Numérique Solidaire"]
    found, _searched = search.apply_search(Organisation.objects.all(), "CSC seniors")
    assert list(found.values_list("rna", flat=True)) == ["W862000123"]
    found, _searched = search.apply_search(Organisation.objects.all(), "ADL jardin")
    assert list(found.values_list("rna", flat=True)) == ["W862000999"]


class _GeneratedFile(io.RawIOBase):
    """A large CSV file produced on the fly: it never exists as a whole, in memory or on disk."""

    def __init__(self, lines):
        self._lines = lines
        self._pending = b""

    def readable(self):
        return True

    def readinto(self, buffer):
        while len(self._pending) < len(buffer):
            chunk = next(self._lines, None)
            if chunk is None:
                break
            self._pending += chunk
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def _establishments(rows: int, headquarters_every: int):
    yield b"siren,nic,siret,etablissementSiege,numeroVoieEtablissement,typeVoieEtablissement,"
    yield b"libelleVoieEtablissement,codePostalEtablissement,codeCommuneEtablissement,etatAdministratifEtablissement\n"
    for i in range(rows):
        siege = "true" if i % headquarters_every == 0 else "false"
        nic = f"{i % 10000:04d}"
        siret = luhn_complete("412153959" + nic)
        yield f"412153959,{nic}{siret[-1]},{siret},{siege},{i % 90 + 1},RUE,DES ECOLES,86000,86194,A\n".encode()


def luhn_complete(base: str) -> str:
    from stdnum import luhn

    return base + luhn.calc_check_digit(base)


def test_large_file_is_streamed_in_constant_memory(communes, branch):
    """50,000 generated SIRENE establishment rows (about 5 MB) go through in a few megabytes of memory."""
    rows = 50_000
    asso = OrganisationFactory(branch=branch, siren="412153959", slug="amis-du-numerique")
    stream = io.BufferedReader(_GeneratedFile(_establishments(rows, headquarters_every=5_000)))
    tracemalloc.start()
    try:
        result = import_organisations(stream=stream, file_name="etab.csv", branch=branch, batch_size=2_000)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert result.status == ImportRun.Status.DONE, result.error
    assert result.rows_read == rows
    assert result.updated_count == 10  # the 10 headquarters rows, each with another SIRET
    asso.refresh_from_db()
    assert asso.address.endswith("rue DES ECOLES")
    # Holding the file (or all its rows) would take several times this.
    assert peak < 6 * 1024 * 1024, peak


def test_many_rows_over_many_batches(communes, branch):
    rows = "\n".join(f"Association {i};;association;;;W86{i:07d};;;86194;;;;;" for i in range(2_500))
    first = run(f"{GENERIC_HEADER}\n{rows}\n".encode(), branch, batch_size=1_000)
    again = run(f"{GENERIC_HEADER}\n{rows}\n".encode(), branch, batch_size=700)

    assert (first.created_count, first.rejected_count) == (2_500, 0)
    assert (again.created_count, again.updated_count) == (0, 0)
    assert Organisation.objects.filter(branch=branch).count() == 2_500
