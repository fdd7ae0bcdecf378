"""Browser helper for work that runs as a job: wait on its progress page until it is done, then open the
result. With jobs inline (SQLite) the job has usually finished during the request's commit and the page
says "terminé" at once; on a queue the page updates itself (htmx polling) until it does."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible


def follow_job(page: Page, *, expect_text: str | None = None, timeout: float = 90_000) -> None:
    page.wait_for_url("**/traitements/*/")
    status = page.locator("#tracked-job")
    expect(status).to_contain_text("Traitement terminé.", timeout=timeout)
    if expect_text:
        expect(status).to_contain_text(expect_text)
    assert_accessible(page)
    status.get_by_role("button", name="Voir le résultat").click()
