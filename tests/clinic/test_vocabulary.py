"""The medicine vocabulary (clinic/data/medicines.toml): the file is valid, and what she types
is read as the medicines, ingredients and classes a physician would read it as."""

import copy
import re

import pytest

from clinic.vocabulary import (
    Vocabulary,
    VocabularyError,
    edit_distance,
    normalise,
    read_vocabulary_file,
    vocabulary,
)


def read(typed):
    return vocabulary().read(typed)


def test_the_file_is_valid_and_covers_several_hundred_medicines():
    words = read_vocabulary_file()
    assert len(words.entries) >= 300
    assert len(words.index) >= 900  # names, brands and misspellings
    assert words.version


@pytest.mark.parametrize(
    ("typed", "ingredients"),
    [
        ("Hyzaar", {"losartan", "hydrochlorothiazide"}),
        ("Zestoretic 20-12.5", {"lisinopril", "hydrochlorothiazide"}),
        ("Janumet", {"sitagliptin", "metformin"}),
        ("Xigduo XR 5/1000", {"dapagliflozin", "metformin"}),
        ("Synjardy", {"empagliflozin", "metformin"}),
        ("Soliqua 100/33", {"insulin glargine", "lixisenatide"}),
        ("Xultophy", {"insulin degludec", "liraglutide"}),
        ("Nextstellis", {"drospirenone", "estetrol"}),
        ("Aldactone 25mg", {"spironolactone"}),
        ("CaroSpir", {"spironolactone"}),
        ("Inspra", {"eplerenone"}),
        ("Micardis", {"telmisartan"}),
        ("Klor-Con 10 mEq", {"potassium chloride"}),
        ("Bactrim DS", {"sulfamethoxazole", "trimethoprim"}),
    ],
)
def test_brands_and_combinations_are_read_as_their_ingredients(typed, ingredients):
    reading = read(typed)
    assert reading.recognised
    assert reading.ingredients == ingredients


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("lisinipril", "lisinopril"),
        ("spirolactone", "spironolactone"),
        ("metformine", "metformin"),
        ("ozempik", "semaglutide"),
        ("Ozempic 0.5 mg weekly", "semaglutide"),
    ],
)
def test_common_misspellings_are_known(typed, name):
    [match] = read(typed).matches
    assert match.entry.name == name and not match.fuzzy


def test_a_combination_carries_every_class_of_its_ingredients():
    assert {"arb", "thiazide_diuretic", "blood_pressure_lowering"} <= read("Hyzaar").classes
    assert {"glp1_agonist", "insulin"} <= read("Soliqua").classes


def test_strengths_punctuation_and_case_are_dropped():
    assert normalise("Klor-Con® 10 mEq") == "klor con"
    assert normalise("Metformin ER 500mg, 2 tablets") == "metformin er tablets"
    assert normalise("Minoxidil 5% solution") == "minoxidil solution"
    assert normalise("Humulin 70/30") == "humulin"


def test_longer_text_is_scanned_for_the_names_it_contains():
    reading = read("Lantus insulin at night")
    assert [m.entry.name for m in reading.matches] == ["insulin glargine", "insulin"]
    assert reading.recognised  # "at", "night": how and when, not what
    reading = read("Lisinopril and Crestor")
    assert reading.ingredients == {"lisinopril", "rosuvastatin"}


def test_a_close_misspelling_of_a_long_name_is_read_with_a_note():
    reading = read("Lisinoprel")  # one letter off, not a known misspelling
    assert reading.recognised and reading.fuzzy_names == ["lisinopril"]
    reading = read("Spironolactome")  # two letters off a name of 9 letters or more
    assert reading.fuzzy_names == ["spironolactone"]


@pytest.mark.parametrize(
    "typed",
    [
        "Mytrin",  # one letter from Motrin (an NSAID) and from Hytrin (an alpha blocker)
        "Advel",  # five letters: too short to guess
        "Lisinxxxxl",  # three letters off
        "Blorbazine",
    ],
)
def test_nothing_is_guessed_when_unsure(typed):
    reading = read(typed)
    assert reading.matches == () and not reading.recognised
    assert reading.unknown == (normalise(typed),)


def test_a_known_name_with_an_unknown_word_is_only_partly_recognised():
    reading = read("Lisinopril and Frobnicol")
    assert reading.ingredients == {"lisinopril"}
    assert reading.unknown == ("frobnicol",) and not reading.recognised
    assert read("Lantus xyz").recognised  # words under four letters are not names


def test_edit_distance():
    assert edit_distance("lisinipril", "lisinopril", 2) == 1
    assert edit_distance("kitten", "sitting", 3) == 3
    assert edit_distance("short", "much longer", 2) == 3  # stops early: lengths too far apart
    assert edit_distance("abcdef", "uvwxyz", 1) == 2  # stops early: every row over the limit


def test_suggestions_are_generic_and_brand_names_without_misspellings():
    names = vocabulary().suggestions
    assert {"Aldactone", "spironolactone", "Hyzaar", "Janumet", "Soliqua"} <= set(names)
    assert "lisinipril" not in names and "losartan and hydrochlorothiazide" not in names
    assert names == sorted(names, key=str.lower)


GOOD = {
    "version": "1",
    "classes": {"arb": "ARB", "thiazide_diuretic": "Thiazide"},
    "groups": {
        "arb": {"medicines": [{"name": "losartan", "brands": ["Cozaar"]}]},
        "thiazide_diuretic": {"medicines": [{"name": "hydrochlorothiazide"}]},
    },
    "combinations": {
        "products": [
            {
                "name": "losartan and hydrochlorothiazide",
                "brands": ["Hyzaar"],
                "ingredients": ["losartan", "hydrochlorothiazide"],
            }
        ]
    },
}


def changed(path, value):
    data = copy.deepcopy(GOOD)
    *parents, last = path
    target = data
    for key in parents:
        target = target[key]
    target[last] = value
    return data


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (changed(["version"], ""), "needs a version"),
        (changed(["groups", "arb", "also"], ["ace"]), "arb: unknown classes ['ace']"),
        (
            changed(["groups", "thiazide_diuretic", "medicines"], [{"name": "losartan"}]),
            "losartan is listed twice",
        ),
        (
            changed(["combinations", "products", 0, "ingredients"], ["losartan", "hctz"]),
            "unknown ingredients ['hctz']",
        ),
        (changed(["groups", "arb", "medicines", 0, "brands"], ["10 mg"]), "has no letters"),
        (
            changed(["groups", "arb", "medicines", 0, "brands"], ["a b c d e f g"]),
            "longer than the reader reads",
        ),
        (
            changed(["combinations", "products", 0, "brands"], ["Cozaar"]),
            "'Cozaar' names both losartan and losartan and hydrochlorothiazide",
        ),
    ],
)
def test_an_invalid_file_is_refused_with_the_entry_and_why(data, error):
    assert Vocabulary(GOOD).read("Hyzaar").ingredients == {"losartan", "hydrochlorothiazide"}
    with pytest.raises(VocabularyError, match=re.escape(error)):
        Vocabulary(data)


def test_a_salt_in_the_name_is_not_a_second_medicine():
    # losartan potassium is losartan, not a potassium supplement (which would be flagged
    # with spironolactone)
    assert read("Losartan potassium 50 mg").ingredients == {"losartan"}
    assert read("Naproxen sodium 220").ingredients == {"naproxen"}
    assert read("Topiramate (Topamax)").matches[0].entry.name == "topiramate"
    assert len(read("Topiramate (Topamax)").matches) == 1


def test_why_she_takes_it_is_not_read_as_a_medicine():
    assert read("Aleve for cramps").recognised
    assert read("Vitamin B12 injections").recognised
    reading = read("Advil for headache and Frobnicol")  # another medicine after "and"
    assert reading.ingredients == {"ibuprofen"} and reading.unknown == ("frobnicol",)
    assert read("Frobnicol for acne").unknown == ("frobnicol",)
