"""The French text toolkit (terreau.core.french): folding, stop words, stemming."""

from terreau.core.french import STOP_WORDS, fold, fold_key, stem


def test_fold_removes_case_accents_and_ligatures_and_keeps_punctuation():
    assert fold("Personnes Âgées") == "personnes agees"
    assert fold("Cœur d'ŒUVRE, Lætitia, Straße") == "coeur d'oeuvre, laetitia, strasse"


def test_fold_key_turns_punctuation_into_single_spaces():
    assert fold_key("Vandœuvre-lès-Nancy") == "vandoeuvre les nancy"
    assert fold_key("  L'Île–d'Yeu !  ") == "l ile d yeu"
    assert fold_key("") == ""


def test_stop_words_are_folded_french_grammar_words():
    assert {"de", "la", "le", "eux", "soit"} <= STOP_WORDS
    assert all(word == fold_key(word) for word in STOP_WORDS)
    assert "tablette" not in STOP_WORDS


def test_stem_is_the_snowball_french_stem():
    assert stem("tablettes") == stem("tablette") == "tablet"
