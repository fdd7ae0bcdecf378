"""Project conventions, checked so that they hold as the code grows."""

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps

from terreau.core.access import AccessRule

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "terreau" / "templates"

# Models that hold no branch-scoped data: reference geography, theme codes, accounts and their roles
# (roles are read only by terreau.core.access itself).
NOT_SCOPED = {
    "territories.region",
    "territories.department",
    "territories.commune",
    "territories.epci",
    "territories.postalcode",
    # Published statistics by official code (the regional and national references included), shared by
    # every branch; the imports that brought them are scoped (alliances.IndicatorImport).
    "alliances.indicator",
    "alliances.indicatorvalue",
    "directory.theme",
    "accounts.user",
    "accounts.networkrole",
    "accounts.branchrole",
    "core.network",
    "core.branch",
    # The matching jobs' bookkeeping (ids and counts, never shown): read by terreau.matching.store only.
    "matching.matchingchange",
    "matching.matchingpropagation",
    "matching.suggestionbuild",
}


def terreau_models():
    return [m for m in apps.get_models() if m.__module__.startswith("terreau.")]


@pytest.mark.parametrize("model", terreau_models(), ids=lambda m: m._meta.label_lower)
def test_every_model_declares_how_it_reaches_its_branch(model):
    if model._meta.label_lower in NOT_SCOPED:
        return
    assert isinstance(getattr(model, "ACCESS", None), AccessRule), (
        f"{model._meta.label} must declare ACCESS = AccessRule(...) so that terreau.core.access can scope it"
    )


def html_templates():
    return sorted(TEMPLATES.rglob("*.html"))


@pytest.mark.parametrize("path", html_templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_respect_the_content_security_policy(path):
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), (
        "inline <script> blocks are refused by the CSP"
    )
    assert not re.search(r"\son[a-z]+\s*=\s*[\"']", text), "inline event handlers are refused by the CSP"


@pytest.mark.parametrize("path", html_templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_pages_extend_the_base_layout(path):
    rel = path.relative_to(TEMPLATES)
    if path.name.startswith("_") or rel.parts[0] in {"errors", "partials"} or path.name == "base.html":
        return
    if "/emails/" in str(rel) or rel.parts[0] in {"admin", "django"}:  # overrides of Django's own templates
        return
    text = path.read_text(encoding="utf-8")
    assert '{% extends "base.html" %}' in text, (
        f"{rel} should extend base.html (or be a partial named _*.html)"
    )


def test_every_terreau_command_is_listed_in_the_cli_help():
    from django.core.management import get_commands

    from terreau import cli

    ours = sorted(name for name, app in get_commands().items() if app.startswith("terreau."))
    missing = [name for name in ours if f"  {name}" not in cli.__doc__]
    assert not missing, f"add these commands to terreau/cli.py's help: {missing}"


# One toolkit per concern: these helpers are defined once, in the module named here, and imported elsewhere.
TOOLKIT = {
    "fold": "terreau/core/french.py",
    "fold_key": "terreau/core/french.py",
    "stem": "terreau/core/french.py",
    "STOP_WORDS": "terreau/core/french.py",
    "haversine_km": "terreau/territories/geo.py",
    "EARTH_RADIUS_KM": "terreau/territories/geo.py",
    "absolute_url": "terreau/core/links.py",
    "site_root": "terreau/core/links.py",
    "invite_url": "terreau/core/links.py",
    "check_document": "terreau/core/uploads.py",
    "DOCUMENT_TYPES": "terreau/core/uploads.py",
}
# Names of former copies, defined nowhere any more.
RETIRED = {
    "distance_km": "terreau.territories.geo.haversine_km",
    "site_url": "terreau.core.links.absolute_url",
}


def _defined_names(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node.name, node.lineno
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id.isupper():
                    yield target.id, node.lineno


def _toolkit_redefinitions() -> list[str]:
    found = []
    for path in sorted((ROOT / "terreau").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for name, line in _defined_names(ast.parse(path.read_text(encoding="utf-8"), filename=rel)):
            if name in RETIRED:
                found.append(f"{rel}:{line} defines {name} (use {RETIRED[name]})")
            elif name in TOOLKIT and rel != TOOLKIT[name]:
                found.append(f"{rel}:{line} defines {name} (use the one in {TOOLKIT[name]})")
    return found


def test_shared_helpers_are_defined_once_in_their_toolkit():
    assert _toolkit_redefinitions() == []
