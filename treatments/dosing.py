"""How a medicine is prescribed, as structured data: the one place a dose is computed, checked
against its maximum and turned into the directions the patient reads.

Each ``Medicine`` carries its ``dosing`` (loaded from ``content/catalog.toml``; a clinical
rule, see docs/clinicians.md for the label section behind each number). ``Dosing.of(medicine)``
reads it. A prescription is a strength, a dose per administration (tablets, or mL/g of a
topical) and a frequency, or a step of the medicine's titration schedule:

- oral (tablet, capsule): daily dose = strength x tablets per dose x times a day, in mg/day;
  a month is 30 days of tablets. Half tablets only where the medicine lists 0.5 among its
  ``counts`` (a scored tablet, as its label says); a capsule is never split.
- topical (solution, lotion, cream, gel): the concentration is the strength; the daily
  amount = amount per use x times a day, in mL or g a day; days per pack = pack size / daily
  amount, and a month is as many packs as 30 days need.
"""

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

DAYS_SUPPLY = 30  # every fill is a month

FREQUENCIES = {  # key -> (how the directions say it, administrations a day)
    "once_daily": ("once daily", 1),
    "twice_daily": ("twice daily", 2),
}
ORAL_FORMS = ("tablet", "capsule")
TOPICAL_FORMS = ("solution", "lotion", "cream", "gel")
DOSE_FORMS = ORAL_FORMS + TOPICAL_FORMS


def number(value):
    """``Decimal`` of a catalog or form number (``None`` if it is not one)."""
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return result if result.is_finite() else None


def show(value):
    """2.5, 500, 0.5: a number as a clinician writes it (no trailing zeros)."""
    return format(Decimal(value).normalize(), "f")


def tablets(count):
    if count == Decimal("0.5"):
        return "half a tablet"
    return f"{show(count)} tablet{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class Step:
    strength: Decimal
    count: Decimal
    frequency: str
    min_days: int  # at least this long before the next step (0: the last step)


@dataclass(frozen=True)
class Dose:
    """One dose as prescribed, with what follows from it."""

    strength: Decimal
    count: Decimal
    frequency: str
    daily: Decimal  # mg/day (oral) or mL|g a day (topical)
    daily_unit: str
    quantity: int  # units for 30 days: tablets, or packs
    days_per_pack: Decimal | None
    directions: str
    problems: tuple  # why it cannot be signed (empty: it can)
    warnings: tuple  # what she should think about, but may sign


class DosingError(ValueError):
    pass


@dataclass(frozen=True)
class Dosing:
    form: str
    unit: str  # of the strength: "mg", or "%" for a topical's concentration
    strengths: tuple
    counts: tuple  # tablets per dose, or mL|g per use
    frequencies: tuple
    max_daily: Decimal
    indication: str
    how: str  # the label's way of taking it: "by mouth with food"
    amount_unit: str = ""  # topical: "mL" or "g"
    pack_size: Decimal | None = None  # topical
    warn_above: Decimal | None = None
    warning: str = ""
    titration: tuple = ()
    start: tuple = ()  # (strength, count, frequency) a new prescription starts from
    source: str = ""

    @classmethod
    def of(cls, medicine):
        """The medicine's dosing, or ``None`` if it has none (it cannot be prescribed)."""
        data = getattr(medicine, "dosing", None)
        return cls.parse(data) if data else None

    @classmethod
    def parse(cls, data):
        """A ``Dosing`` from catalog data; ``DosingError`` saying what is wrong."""
        if not isinstance(data, dict):
            raise DosingError("Give the prescribing data as a table of fields.")
        form = data.get("form")
        if form not in DOSE_FORMS:
            raise DosingError(f"The dose form must be one of {', '.join(DOSE_FORMS)}.")
        topical = form in TOPICAL_FORMS
        strengths = cls._numbers(data.get("strengths"), "strengths")
        counts = cls._numbers(data.get("counts"), "counts")
        if not topical and any(c != c.to_integral_value() for c in counts):
            if form == "capsule" or not data.get("scored"):
                raise DosingError(
                    "Only a scored tablet may be split: whole tablets only, or mark it scored "
                    "(as its label says)."
                )
            if any(c != c.to_integral_value() and c != Decimal("0.5") for c in counts):
                raise DosingError("A scored tablet splits in half, no smaller.")
        frequencies = tuple(data.get("frequencies") or ())
        if not frequencies or any(f not in FREQUENCIES for f in frequencies):
            raise DosingError(f"Frequencies are chosen from {', '.join(FREQUENCIES)}.")
        max_daily = number(data.get("max_daily"))
        if max_daily is None or max_daily <= 0:
            raise DosingError("Give the maximum daily dose for this use.")
        pack_size = number(data.get("pack_size")) if topical else None
        if topical and (not pack_size or pack_size <= 0 or not data.get("amount_unit")):
            raise DosingError("A topical needs its pack size and amount unit (mL or g).")
        dosing = cls(
            form=form,
            unit=str(data.get("unit") or ("%" if topical else "mg")),
            strengths=strengths,
            counts=counts,
            frequencies=frequencies,
            max_daily=max_daily,
            indication=str(data.get("indication", "")),
            how=str(data.get("how", "")),
            amount_unit=str(data.get("amount_unit", "")),
            pack_size=pack_size,
            warn_above=number(data.get("warn_above")),
            warning=str(data.get("warning", "")),
            source=str(data.get("source", "")),
        )
        steps = tuple(cls._step(step) for step in data.get("titration") or ())
        for step in steps:
            if dosing.dose(step.strength, step.count, step.frequency).problems:
                raise DosingError("Each titration step must be a dose that can be prescribed.")
        start = data.get("start") or {}
        if steps:
            start = steps[0]
        else:
            start = cls._step(
                {
                    "strength": start.get("strength", strengths[0]),
                    "count": start.get("count", counts[0]),
                    "frequency": start.get("frequency", frequencies[0]),
                }
            )
        if dosing.dose(start.strength, start.count, start.frequency).problems:
            raise DosingError("The starting dose must be one that can be prescribed.")
        start = (start.strength, start.count, start.frequency)
        return cls(**{**dosing.__dict__, "titration": steps, "start": start})

    @staticmethod
    def _numbers(values, name):
        found = tuple(number(v) for v in values or ())
        if not found or any(v is None or v <= 0 for v in found):
            raise DosingError(f"Give the {name} as positive numbers.")
        return found

    @staticmethod
    def _step(data):
        step = data if isinstance(data, dict) else {}
        strength, count = number(step.get("strength")), number(step.get("count", 1))
        min_days = number(step.get("min_days", 0))
        if strength is None or count is None or min_days is None:
            raise DosingError("Each titration step is a table: strength, count, min_days.")
        return Step(
            strength=strength,
            count=count,
            frequency=step.get("frequency", "once_daily"),
            min_days=int(min_days),
        )

    @property
    def topical(self):
        return self.form in TOPICAL_FORMS

    @property
    def daily_unit(self):
        return f"{self.amount_unit}/day" if self.topical else f"{self.unit}/day"

    def strength_label(self, strength):
        if self.topical:
            return f"{show(strength)}% {self.form}, {show(self.pack_size)} {self.amount_unit}"
        return f"{show(strength)} {self.unit} {self.form}"

    def count_label(self, count):
        if self.topical:
            return f"{show(count)} {self.amount_unit}"
        return tablets(count) if self.form == "tablet" else f"{show(count)} capsule(s)"

    @property
    def quantity_unit(self):
        if self.topical:
            return "bottle(s)" if self.form in ("solution", "lotion") else "tube(s)"
        return f"{self.form}s"

    def step_label(self, number_):
        step = self.titration[number_ - 1]
        dose = self.dose(step.strength, step.count, step.frequency)
        after = f", at least {step.min_days} days" if step.min_days else ""
        return f"Step {number_}: {show(dose.daily)} {dose.daily_unit}{after}"

    def check(self, strength, count, frequency):
        """Why this dose cannot be signed (empty: it can)."""
        problems = []
        units = f" {self.unit}" if self.unit != "%" else "%"
        if strength not in self.strengths:
            stocked = ", ".join(f"{show(s)}{units}" for s in self.strengths)
            problems.append(f"{show(strength)}{units} is not a strength we stock ({stocked}).")
        if count not in self.counts:
            allowed = ", ".join(show(c) for c in self.counts)
            what = f"{self.amount_unit} per use" if self.topical else f"{self.form}s per dose"
            problems.append(f"{show(count)} {what} is not allowed (choose {allowed}).")
        if frequency not in self.frequencies:
            allowed = ", ".join(FREQUENCIES[f][0] for f in self.frequencies if f in FREQUENCIES)
            problems.append(f"Choose how often from: {allowed}.")
        return problems

    def dose(self, strength, count, frequency):
        """The dose ``strength`` x ``count`` ``frequency``, what follows and what is wrong."""
        problems = self.check(strength, count, frequency)
        words, per_day = FREQUENCIES.get(frequency, (frequency, 1))
        how = f", {self.how}" if self.how else ""
        if self.topical:
            daily = count * per_day
            days_per_pack = (self.pack_size / daily).quantize(Decimal("0.1"))
            quantity = math.ceil(DAYS_SUPPLY * daily / self.pack_size)
            directions = f"Apply {show(count)} {self.amount_unit} {words}{how}."
        else:
            daily = strength * count * per_day
            days_per_pack = None
            quantity = math.ceil(count * per_day * DAYS_SUPPLY)
            directions = (
                f"Take {self.count_label(count)} ({show(strength * count)} {self.unit}) "
                f"{words}{how}."
            )
        if daily > self.max_daily:
            problems.append(
                f"That is {show(daily)} {self.daily_unit}: the maximum for this use is "
                f"{show(self.max_daily)} {self.daily_unit}."
            )
        warnings = []
        if self.warn_above is not None and daily > self.warn_above:
            warnings.append(self.warning or f"Above {show(self.warn_above)} {self.daily_unit}.")
        return Dose(
            strength=strength,
            count=count,
            frequency=frequency,
            daily=daily,
            daily_unit=self.daily_unit,
            quantity=quantity,
            days_per_pack=days_per_pack,
            directions=" ".join(directions.split()),
            problems=tuple(problems),
            warnings=tuple(warnings),
        )


def what_arrives(medicine):
    """What one month's delivery holds, from the medicine's prescribing defaults, in her words:
    "about 30 x 500 mg extended-release tablets", "1 bottle of 20% lotion, 60 mL". "About":
    her clinician sets the dose, and the count follows it."""
    count = medicine.default_quantity
    if medicine.route == "topical":
        unit = medicine.quantity_unit or "pack"
        return f"{count} {unit} of {medicine.default_strength}"
    plural = "s" if count != 1 and not medicine.default_strength.endswith("s") else ""
    return f"about {count} x {medicine.default_strength}{plural}"
