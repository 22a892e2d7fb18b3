"""The questionnaire's clinical checks of the common answers and of the drug-class questions:
what stops a treatment, and what holds it for the clinician. The rules (and their label
sources) are data in ``clinic.stops`` and ``clinic.questions``; ``ScreeningMixin`` applies them
for ``clinic.questionnaire.QuestionnaireForm``.

Any change to this module is a clinical change: a clinician reviews it.
"""

from clinic.flags import Grade
from clinic.interactions import duplicate_therapy_flags
from clinic.stops import (
    BREASTFEEDING,
    CONTRACEPTION_FLAG,
    DUPLICATE_STOP,
    EGFR_HOLDS,
    EGFR_OLD,
    GLP1,
    GLP1_BMI,
    GLP1_BMI_STOP,
    GLP1_BMI_WITH_CONDITION,
    GLP1_INDICATION_MISMATCH,
    KIDNEY_STOPS,
    LIVER_HOLD,
    LIVER_STOP,
    LIVER_STOPS,
    LOW_BP,
    LOW_BP_STOP,
    LOW_BP_STOPS,
    METFORMIN_START,
    PREGNANCY_STOP,
    PREGNANCY_STOPS,
    UNRELIABLE_CONTRACEPTION,
)

# eGFR bands (``kidney``) with what each means for the clinician; "60_plus" flags nothing.
EGFR_STOP_BANDS = ("below_30", "dialysis")
EGFR_DATED_BANDS = ("60_plus", "45_59", "30_44", "below_30")


def join_names(names):
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


class ScreeningMixin:
    """Needs the form's ``treatments``, ``fields``, ``_stop``, ``_flag`` and ``bmi``."""

    def unsafe_in_pregnancy(self):
        return {t.pk: t for covers in PREGNANCY_STOPS for t in covers.treatments(self.treatments)}

    # --- pregnancy, breastfeeding, contraception -------------------------------------------

    def _check_pregnancy(self, data):
        # Read first: a stop's error takes its answer out of ``data``.
        said_yes = [
            k for k in ("pregnant", "breastfeeding", "trying_to_conceive") if data.get(k) == "yes"
        ]
        pregnant = [k for k in said_yes if k != "breastfeeding"]
        unsafe = self.unsafe_in_pregnancy()
        stopped, lactation_flagged = set(), False
        if pregnant:
            for treatment in unsafe.values():
                self._stop(pregnant, treatment, PREGNANCY_STOP)
            stopped = set(unsafe)
        if "breastfeeding" in said_yes:
            newly, lactation_flagged = self._check_breastfeeding(stopped)
            stopped |= newly
        answered = [k for k in said_yes if not (k == "breastfeeding" and lactation_flagged)]
        if answered and len(stopped) < len(self.treatments):
            for key in answered:
                self._flag(key, f"{self.fields[key].label} Yes.")
        going_on = {pk: t for pk, t in unsafe.items() if pk not in stopped}
        if not pregnant and going_on:
            self._check_contraception(data, going_on)

    def _check_breastfeeding(self, stopped):
        """Each medicine as its label's lactation section says: (treatments stopped, whether
        a flag was raised)."""
        newly, flagged = set(), False
        for rule in BREASTFEEDING:
            going = [
                t for t in rule.covers.treatments(self.treatments) if t.pk not in stopped | newly
            ]
            if going and rule.stop:
                for treatment in going:
                    self._stop("breastfeeding", treatment, rule.stop)
                    newly.add(treatment.pk)
            elif going:
                self._flag("breastfeeding", rule.flag)
                flagged = True
        return newly, flagged

    def _check_contraception(self, data, unsafe):
        method = data.get("contraception")
        if method not in UNRELIABLE_CONTRACEPTION:
            return
        if not data.get("pregnancy_risk_acknowledged"):
            self.add_error(
                "pregnancy_risk_acknowledged",
                "Please tick this to go on, or choose the contraception you use.",
            )
            return
        self._flag(
            "contraception",
            CONTRACEPTION_FLAG.format(
                method=str(dict(self.fields["contraception"].choices)[method]).lower(),
                names=join_names([t.name for t in unsafe.values()]),
            ),
            Grade.CONTRAINDICATION,
        )

    # --- kidney and liver -------------------------------------------------------------------

    def _check_kidney_liver(self, data):
        kidney, measured = data.get("kidney"), data.get("kidney_measured")
        if kidney in EGFR_DATED_BANDS and not measured:
            self.add_error("kidney_measured", "Please say when it was measured.")
        if kidney in EGFR_STOP_BANDS:
            for covers, stop in KIDNEY_STOPS:
                for treatment in covers.treatments(self.treatments):
                    self._stop("kidney", treatment, stop)
        metformin = METFORMIN_START.treatments(self.treatments)
        if kidney in EGFR_HOLDS and metformin:
            self._flag("kidney", EGFR_HOLDS[kidney], Grade.CONTRAINDICATION)
        elif kidney not in (None, "60_plus", "unknown"):
            self._flag("kidney", f"Kidney function: eGFR {self.shown_answer('kidney', kidney)}.")
        if kidney in EGFR_DATED_BANDS and measured == "older" and metformin:
            self._flag("kidney_measured", EGFR_OLD)
        liver = data.get("liver")
        if liver == "severe":
            for covers in LIVER_STOPS:
                for treatment in covers.treatments(self.treatments):
                    self._stop("liver", treatment, LIVER_STOP)
        if liver in ("mild", "unsure") and metformin:
            shown = self.shown_answer("liver", liver)
            self._flag("liver", LIVER_HOLD.format(answer=shown), Grade.CONTRAINDICATION)
        elif liver not in (None, "no"):
            self._flag("liver", f"Liver disease: {self.shown_answer('liver', liver)}.")

    # --- blood pressure -------------------------------------------------------------------

    def _check_low_blood_pressure(self, systolic, diastolic):
        """Below 90/60: a stop for oral minoxidil, a flag for the rest."""
        if not (systolic < LOW_BP[0] or diastolic < LOW_BP[1]):
            return False
        shown = f"{systolic}/{diastolic}"
        for covers in LOW_BP_STOPS:
            for treatment in covers.treatments(self.treatments):
                self._stop(("bp_systolic", "bp_diastolic"), treatment, LOW_BP_STOP, bp=shown)
        self._flag("blood_pressure", f"Low blood pressure: {shown}.")
        return True

    # --- GLP-1 ----------------------------------------------------------------------------

    def _check_glp1(self, data):
        """For type 2 diabetes, or BMI >= 30, or >= 27 with a weight-related condition."""
        treatments = GLP1.treatments(self.treatments)
        if not treatments or "glp1_diabetes_type" not in data:
            return
        diabetes = data.get("glp1_diabetes_type")
        if data.get("glp1_indication") == "type2_diabetes" and diabetes != "type2":
            self.add_error("glp1_indication", GLP1_INDICATION_MISMATCH)
        index = self.bmi(data)
        if diabetes in ("type2", "type1") or index is None:
            return  # type 1 is its own stop; no BMI: height or weight has its own error
        conditions = list(data.get("glp1_weight_conditions") or [])
        if diabetes == "prediabetes":
            conditions.append("prediabetes")
        if index >= GLP1_BMI or (index >= GLP1_BMI_WITH_CONDITION and conditions):
            return
        for treatment in treatments:
            self._stop(
                ("weight_lb", "height_feet", "height_inches", "glp1_diabetes_type"),
                treatment,
                GLP1_BMI_STOP,
                bmi=index,
            )

    # --- the same medicine twice ---------------------------------------------------------

    def _check_duplicates(self):
        """The same medicine in two items of the cart is a stop; two medicines of one drug
        class (oral and topical spironolactone, metformin tablets and lotion) are flagged as
        duplicate therapy."""
        holders = {}
        for treatment in self.treatments:
            for medicine in treatment.medicines.all():
                holders.setdefault(medicine.pk, (medicine, []))[1].append(treatment)
        for medicine, treatments in holders.values():
            if len(treatments) > 1:
                names = [t.name for t in treatments]
                self.stops.append(
                    {
                        "treatment": "",
                        "treatment_ids": [t.pk for t in treatments],
                        "why": DUPLICATE_STOP.why.format(
                            medicine=medicine.name, treatments=join_names(names)
                        ),
                        "instead": DUPLICATE_STOP.instead,
                    }
                )
                self.add_error(None, f"{medicine.name} is in {join_names(names)}: keep one.")
        self.flags.extend(duplicate_therapy_flags(holders.values()))

    # --- the drug-class questions ---------------------------------------------------------

    def _check_class_questions(self, data):
        for question_set, covered in self.question_sets:
            for question in question_set.questions:
                stop, message, grade = question.outcome(data.get(question.key))
                rest = covered
                if stop:
                    stopped = (
                        question.stop_for.treatments(covered) if question.stop_for else covered
                    )
                    for treatment in stopped:
                        self._stop(question.key, treatment, stop)
                    rest = [t for t in covered if t not in stopped]
                if message and rest:
                    self._flag(question.key, message, grade)
