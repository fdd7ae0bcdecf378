from django.utils import translation
from django.utils.translation import ngettext


def test_french_plural_rules_apply_zero_is_singular():
    """The French catalogue (compiled at set-up) gives French plurals: "0 besoin ouvert", not "0 besoins"."""
    with translation.override("fr"):
        texts = [
            ngettext("%(counter)s besoin ouvert", "%(counter)s besoins ouverts", n) % {"counter": n}
            for n in (0, 1, 2)
        ]
    assert texts == ["0 besoin ouvert", "1 besoin ouvert", "2 besoins ouverts"]
