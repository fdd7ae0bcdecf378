"""`terreau import-organisations`: summary, rejected rows, exit codes and one-line French errors."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError

from terreau.directory.models import ImportRun, Organisation
from tests.factories import BranchFactory, CommuneFactory, DepartmentFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parents[1] / "data"


@pytest.fixture
def branch():
    CommuneFactory()
    CommuneFactory(
        code="17300", name="La Rochelle", department=DepartmentFactory(code="17", name="Charente-Maritime")
    )
    return BranchFactory(slug="poitou-charentes")


def cli(monkeypatch, *args):
    """Runs the command as the console would (run_from_argv), keeping the test's database connection."""
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    command = load_command_class("terreau.directory", "import-organisations")
    with pytest.raises(SystemExit) as exit_info:
        command.run_from_argv(["terreau", "import-organisations", *args])
        raise SystemExit(0)
    return exit_info.value.code


def test_imports_and_prints_summary_and_rejected_rows(branch, capsys):
    call_command("import-organisations", str(DATA / "rna_waldec.csv"), branch="poitou-charentes")

    out = capsys.readouterr().out
    assert "Export RNA « waldec »" in out
    assert "6 lignes lues, 2 créées, 0 mise à jour, 0 inchangée ou ignorée, 4 rejetées" in out
    assert "ligne 4 : Association dissoute" in out
    assert Organisation.objects.count() == 2
    assert ImportRun.objects.get().started_by is None


def test_rejected_rows_go_to_a_csv_file(branch, tmp_path, capsys):
    target = tmp_path / "rejets.csv"
    call_command(
        "import-organisations",
        str(DATA / "generic.csv"),
        branch="poitou-charentes",
        format="generic",
        batch_size="2",
        rejects_csv=str(target),
    )

    with target.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    header = (DATA / "generic.csv").read_text(encoding="utf-8").splitlines()[0].split(";")
    assert rows[0] == [*header, "erreurs"]
    assert [r[0] for r in rows[1:]] == [
        "Structure au SIREN faux",
        "Commune inconnue",
        "",
        "Type inconnu",
        "Thème inconnu",
        "Trop de colonnes",
    ]
    assert (
        rows[1][:-1]
        == ["Structure au SIREN faux", "", "association", "123456789", "", "", "", "", "86194"] + [""] * 5
    )
    assert "SIREN invalide" in rows[1][-1]
    assert "6 lignes rejetées écrites" in capsys.readouterr().out


MULTI_ERROR_FILE = (
    "nom;type;siret;code_postal;code_commune;telephone\n"
    ";association;12345678901234;8600;99999;+33 5 49 00 00 00\n"
    "Bonne ligne;association;;86000;86194;\n"
)


def test_every_error_of_a_row_is_printed(branch, tmp_path, capsys):
    source = tmp_path / "erreurs.csv"
    source.write_text(MULTI_ERROR_FILE, encoding="utf-8")

    call_command("import-organisations", str(source), branch="poitou-charentes")

    out = capsys.readouterr().out
    assert "ligne 2 : 4 erreurs" in out
    assert "    - Colonne « nom », vide : le nom est obligatoire." in out
    assert "    - Colonne « siret », valeur « 12345678901234 » : numéro SIRET invalide" in out
    assert (
        "    - Colonne « code_postal », valeur « 8600 » : code postal invalide (5 chiffres attendus)." in out
    )
    assert "    - Colonne « code_commune », valeur « 99999 » : code commune INSEE inconnu." in out


def test_rejected_rows_file_corrected_and_imported_again(branch, tmp_path, capsys):
    source = tmp_path / "erreurs.csv"
    source.write_text(MULTI_ERROR_FILE, encoding="utf-8")
    rejects = tmp_path / "refus.csv"
    call_command("import-organisations", str(source), branch="poitou-charentes", rejects_csv=str(rejects))
    with rejects.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    assert rows[0] == ["nom", "type", "siret", "code_postal", "code_commune", "telephone", "erreurs"]
    # The phone number is neutralised for spreadsheets ('+...), and read back as it was.
    assert rows[1][:6] == ["", "association", "12345678901234", "8600", "99999", "'+33 5 49 00 00 00"]
    assert rows[1][6].count(" | ") == 3

    rows[1][:5] = ["Corrigée", "association", "", "86000", "86194"]
    with rejects.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, delimiter=";").writerows(rows)
    call_command("import-organisations", str(rejects), branch="poitou-charentes", rejects_csv=str(rejects))

    fixed = Organisation.objects.get(name="Corrigée")
    assert fixed.phone == "+33 5 49 00 00 00"
    assert ImportRun.objects.latest("pk").rejected_count == 0


def test_rejected_rows_as_xlsx(branch, tmp_path):
    from openpyxl import load_workbook

    source = tmp_path / "erreurs.csv"
    source.write_text(MULTI_ERROR_FILE, encoding="utf-8")
    target = tmp_path / "refus.xlsx"
    call_command("import-organisations", str(source), branch="poitou-charentes", rejects_csv=str(target))

    rows = list(load_workbook(target).active.iter_rows(values_only=True))
    assert rows[0][-1] == "erreurs"
    assert rows[1][2] == "12345678901234"


def test_exit_zero_with_rejected_rows(branch, monkeypatch):
    assert cli(monkeypatch, str(DATA / "generic.csv"), "--branch", "poitou-charentes") == 0


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--branch", "nulle-part"], 2, "Antenne inconnue : « nulle-part »"),
        (["--branch", "poitou-charentes", "--format", "xml"], 2, "Format inconnu : « xml »"),
        (
            ["--branch", "poitou-charentes", "--batch-size", "0"],
            2,
            "--batch-size doit être un entier positif",
        ),
        ([], 2, "Indiquez l'antenne avec --branch"),
    ],
)
def test_bad_usage_is_one_french_line(branch, monkeypatch, capsys, args, code, message):
    assert cli(monkeypatch, str(DATA / "generic.csv"), *args) == code

    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_missing_argument_is_one_french_line(monkeypatch, capsys):
    assert cli(monkeypatch) == 2

    err = capsys.readouterr().err
    assert err.startswith("Usage incorrect. Usage : terreau import-organisations FICHIER")
    assert err.count("\n") == 1


def test_unreadable_file(branch, monkeypatch, capsys, tmp_path):
    assert cli(monkeypatch, str(tmp_path / "absent.csv"), "--branch", "poitou-charentes") == 1
    assert "Impossible de lire le fichier" in capsys.readouterr().err
    assert cli(monkeypatch, str(tmp_path), "--branch", "poitou-charentes") == 1


def test_failed_import_exits_non_zero_with_the_reason(branch, monkeypatch, capsys, tmp_path):
    garbage = tmp_path / "image.csv"
    garbage.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)))

    assert cli(monkeypatch, str(garbage), "--branch", "poitou-charentes") == 1
    captured = capsys.readouterr()
    assert "n'est pas un texte CSV lisible" in captured.err
    assert "Échoué" in captured.out


def test_call_command_raises_command_error(branch):
    with pytest.raises(CommandError, match="Antenne inconnue"):
        call_command("import-organisations", str(DATA / "generic.csv"), branch="inconnue")
