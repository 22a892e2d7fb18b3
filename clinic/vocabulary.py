"""The medicine vocabulary: what she types in "Medicines you take", read as ingredients and
drug classes (``clinic/data/medicines.toml``, a reviewed data file).

How a typed medicine is read (``Vocabulary.read``), most certain first:

1. **normalise**: lower case; strengths ("10 mg", "0.5mg/ml", "5%", bare numbers) and
   punctuation dropped ("Klor-Con 10 mEq" and "klor con" read the same);
2. **exact**: the whole text is a generic name, a brand or a known misspelling;
3. **phrases**: otherwise the text is scanned left to right for the longest names it
   contains ("Lantus insulin at night" reads as insulin glargine and insulin); words such as
   "tablet", "daily" or "ER" are ignored, and so are the words after "for" ("Aleve for
   cramps") unless they name a medicine;
4. **fuzzy, conservative**: a word left over that has 6 letters or more matches a one-word
   name at edit distance 1 (2 for words of 9 letters or more), and only when every name at
   that distance is the same medicine ("lisinipril" reads as lisinopril). A reading found
   this way says so ("read as lisinopril"), for the clinician to check.

Whatever is left (a whole entry, or a word of four letters or more in it) is **not
recognised**: the clinician checks it by hand. Nothing here decides what interacts: the
interaction rules (``clinic.interactions``) name the classes and ingredients this returns.
"""

import hashlib
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django import forms
from django.utils.html import format_html, format_html_join

VOCABULARY_FILE = Path(__file__).resolve().parent / "data" / "medicines.toml"
DATALIST_ID = "medicine-names"
LONGEST_NAME_WORDS = 6

# Words that say how or when, not what: ignored when left over after reading.
FILLER_WORDS = frozenset(
    """
    a an and as at bedtime brand by cap caps capsule capsules chewable compounded counter cr
    cream daily day dose dr drops ec evening every extended eye gel generic gummies gummy hcl
    hydrochloride i implant in inhaler injectable injection injections inject iud liquid lotion
    low mg mcg meq ml monthly morning my nasal needed night occasionally of on once oral otc
    over patch pen per pill pills plus powder prescription prn release ring rx scalp shot
    sodium solution sometimes spray sr supplement supplements tab tablet tablets take the
    times to topical twice unit units week weekly when with xl xr
    """.split()
)


class VocabularyError(ValueError):
    """The data file is not valid: says which entry and why."""


@dataclass(frozen=True)
class Entry:
    """One medicine of the vocabulary: a single ingredient, or a combination product."""

    name: str
    brands: tuple
    ingredients: tuple
    classes: frozenset


@dataclass(frozen=True)
class Match:
    entry: Entry
    read_as: str  # the name, brand or misspelling it was read as (normalised)
    fuzzy: bool = False


@dataclass(frozen=True)
class Reading:
    """What one typed medicine was read as."""

    typed: str
    matches: tuple
    unknown: tuple  # words left over, not recognised

    @property
    def recognised(self):
        return bool(self.matches) and not self.unknown

    @property
    def ingredients(self):
        return {i for m in self.matches for i in m.entry.ingredients}

    @property
    def classes(self):
        return {c for m in self.matches for c in m.entry.classes}

    @property
    def fuzzy_names(self):
        return [m.entry.name for m in self.matches if m.fuzzy]


_STRENGTH = re.compile(
    r"\d+(?:[.,]\d+)?\s*(?:mg|mcg|µg|g|ml|meq|iu|units?|%)(?:\s*/\s*(?:ml|day|d|hr|h))?\b|"
    r"\d+(?:[.,]\d+)?\s*%"
)


def normalise(text):
    """Lower case, without strengths, punctuation or bare numbers: "Klor-Con 10 mEq" ->
    "klor con"."""
    text = _STRENGTH.sub(" ", str(text).lower())
    text = re.sub(r"[^a-z0-9]+", " ", text)
    text = re.sub(r"\b\d+\b", " ", text)
    return " ".join(text.split())


def edit_distance(a, b, limit):
    """Levenshtein distance of ``a`` and ``b``, or ``limit + 1`` once it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def _reason_words(words):
    """Positions of the words saying why she takes it ("Aleve for cramps"): from "for" to the
    next "and", "plus", "with" or "also" (another medicine may follow)."""
    positions, in_reason = set(), False
    for position, word in enumerate(words):
        if word == "for":
            in_reason = True
        elif word in ("and", "plus", "with", "also"):
            in_reason = False
        elif in_reason:
            positions.add(position)
    return positions


def fuzzy_limit(word):
    """How far a word may be from a name and still be read as it: see the module docstring."""
    if len(word) >= 9:
        return 2
    return 1 if len(word) >= 6 else 0


class Vocabulary:
    def __init__(self, data, content=b""):
        self.version = data.get("version")
        if not isinstance(self.version, str) or not self.version:
            raise VocabularyError("The vocabulary needs a version.")
        self.digest = hashlib.sha256(content).hexdigest()
        self.class_labels = dict(data.get("classes") or {})
        self.ingredients = {}  # generic name -> its single-ingredient Entry
        self.entries = []
        self.index = {}  # normalised name, brand or misspelling -> Entry
        for group, values in (data.get("groups") or {}).items():
            classes = frozenset([group, *values.get("also", ())])
            self._check_classes(group, classes)
            for item in values.get("medicines", ()):
                name = item["name"]
                if name in self.ingredients:
                    raise VocabularyError(f"{name} is listed twice.")
                entry = Entry(name, tuple(item.get("brands", ())), (name,), classes)
                self.ingredients[name] = entry
                self._add(entry, item.get("misspellings", ()))
        for item in (data.get("combinations") or {}).get("products", ()):
            missing = [i for i in item["ingredients"] if i not in self.ingredients]
            if missing:
                raise VocabularyError(f"{item['name']}: unknown ingredients {missing}.")
            classes = frozenset(c for i in item["ingredients"] for c in self.ingredients[i].classes)
            entry = Entry(
                item["name"], tuple(item.get("brands", ())), tuple(item["ingredients"]), classes
            )
            self._add(entry, item.get("misspellings", ()))
        self.one_word = {key: entry for key, entry in self.index.items() if " " not in key}

    def _check_classes(self, where, classes):
        unknown = sorted(c for c in classes if c not in self.class_labels)
        if unknown:
            raise VocabularyError(f"{where}: unknown classes {unknown}.")

    def _add(self, entry, misspellings):
        self.entries.append(entry)
        for name in (entry.name, *entry.brands, *misspellings):
            key = normalise(name)
            if not key:
                raise VocabularyError(f"{entry.name}: {name!r} has no letters.")
            if len(key.split()) > LONGEST_NAME_WORDS:
                raise VocabularyError(f"{entry.name}: {name!r} is longer than the reader reads.")
            if self.index.get(key, entry) != entry:
                raise VocabularyError(
                    f"{name!r} names both {self.index[key].name} and {entry.name}."
                )
            self.index[key] = entry

    # --- reading ---------------------------------------------------------------------------

    def read(self, typed):
        text = normalise(typed)
        if text in self.index:
            return Reading(typed, (Match(self.index[text], text),), ())
        words = text.split()
        why = _reason_words(words)
        matches, left = [], []
        i = 0
        while i < len(words):
            for n in range(min(LONGEST_NAME_WORDS, len(words) - i), 0, -1):
                phrase = " ".join(words[i : i + n])
                if phrase in self.index:
                    matches.append(Match(self.index[phrase], phrase))
                    i += n
                    break
            else:
                left.append((i, words[i]))
                i += 1
        unknown = []
        for position, word in left:
            if word in FILLER_WORDS:
                continue
            match = self._fuzzy(word)
            if match is not None:
                matches.append(match)
            elif len(word) >= 4 and position not in why:
                unknown.append(word)
        once = {}
        for match in matches:
            once.setdefault(match.entry, match)
        return Reading(typed, tuple(once.values()), tuple(unknown))

    def _fuzzy(self, word):
        limit = fuzzy_limit(word)
        if not limit:
            return None
        found = {}
        for key, entry in self.one_word.items():
            distance = edit_distance(word, key, limit)
            if distance <= limit:
                found.setdefault(distance, {})[entry] = key
        if not found:
            return None
        closest = found[min(found)]
        if len(closest) > 1:
            return None  # two medicines as close: never guess
        [(entry, key)] = closest.items()
        return Match(entry, key, fuzzy=True)

    # --- what the form offers ----------------------------------------------------------------

    @property
    def suggestions(self):
        """Generic and brand names, for the questionnaire's datalist (misspellings left out)."""
        names = {e.name: None for e in self.entries if len(e.ingredients) == 1}
        names.update((brand, None) for e in self.entries for brand in e.brands)
        return sorted(names, key=str.lower)

    def knows(self, name):
        """A class or an ingredient of the vocabulary (what an interaction rule may name)."""
        return name in self.class_labels or name in self.ingredients


def read_vocabulary_file(path=VOCABULARY_FILE):
    content = Path(path).read_bytes()
    return Vocabulary(tomllib.loads(content.decode()), content)


@cache
def vocabulary():
    """The vocabulary of this deployment, read and validated once per process."""
    return read_vocabulary_file()


class MedicineNameInput(forms.TextInput):
    """A text input that suggests the vocabulary's generic and brand names as she types (a
    plain HTML ``datalist``, no script) and still accepts any text. The first row carries the
    list; every row points at it."""

    def __init__(self, with_list=False):
        super().__init__(attrs={"list": DATALIST_ID, "autocomplete": "off"})
        self.with_list = with_list

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        if not self.with_list:
            return html
        options = format_html_join(
            "", '<option value="{}"></option>', ((n,) for n in vocabulary().suggestions)
        )
        return format_html('{}<datalist id="{}">{}</datalist>', html, DATALIST_ID, options)
