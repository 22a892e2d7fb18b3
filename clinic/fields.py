"""The questionnaire's answer choices and the form fields that ask them, for
``clinic.questionnaire``. Choice values are stored with each order's answers (as the words she
read): keep existing values unchanged.
"""

from decimal import Decimal

from django import forms

from clinic.questions import Choice, Number

YES_NO = [("no", "No"), ("yes", "Yes")]
SEX_CHOICES = [("female", "Female"), ("male", "Male"), ("intersex", "Intersex")]
# Her latest eGFR band, as the labels draw their lines (CKD stages 1-2, 3a, 3b, 4-5).
KIDNEY_CHOICES = [
    ("60_plus", "60 or more"),
    ("45_59", "45 to 59"),
    ("30_44", "30 to 44"),
    ("below_30", "Below 30"),
    ("dialysis", "I am on dialysis"),
    ("unknown", "I don't know, or I have never had a kidney blood test"),
]
KIDNEY_MEASURED_CHOICES = [
    ("3_months", "In the last 3 months"),
    ("12_months", "3 to 12 months ago"),
    ("older", "More than 12 months ago"),
]
LIVER_CHOICES = [
    ("no", "No"),
    ("mild", "Yes, e.g. fatty liver or hepatitis"),
    ("severe", "Yes, cirrhosis or liver failure"),
    ("unsure", "I'm not sure"),
]
CONTRACEPTION_CHOICES = [
    ("none", "None"),
    ("drospirenone", "A pill with drospirenone (e.g. Yasmin, Yaz, Slynd)"),
    ("combined", "Another pill, a patch or a ring"),
    ("progestin", "A progestin-only pill, implant, shot or hormonal IUD"),
    ("copper_iud", "A copper IUD"),
    ("barrier", "Condoms or another barrier method"),
    ("not_needed", "Not needed (e.g. not having sex that could lead to pregnancy, menopause)"),
]
GOAL_CHOICES = [
    ("insulin_resistance", "Insulin resistance or blood sugar"),
    ("pcos", "PCOS symptoms such as irregular periods"),
    ("weight", "Weight"),
    ("unwanted_hair", "Unwanted facial or body hair"),
    ("hair_loss", "Thinning hair or hair loss"),
    ("acne", "Acne"),
]


def yes_no_field(label, hint=""):
    return forms.ChoiceField(label=label, help_text=hint, choices=YES_NO, widget=forms.RadioSelect)


def radio_field(label, choices, hint=""):
    return forms.ChoiceField(label=label, help_text=hint, choices=choices, widget=forms.RadioSelect)


def number_field(label, low, high, hint="", required=True):
    return forms.IntegerField(
        label=label,
        help_text=hint,
        min_value=low,
        max_value=high,
        required=required,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


def question_field(question):
    if isinstance(question, Number):
        return forms.DecimalField(
            label=question.label,
            help_text=question.hint,
            min_value=Decimal(question.low),
            max_value=Decimal(question.high),
            max_digits=3,
            decimal_places=1,
            required=False,
            widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}),
        )
    if isinstance(question, Choice) and question.multiple:
        return forms.MultipleChoiceField(
            label=question.label,
            help_text=question.hint,
            choices=question.choices,
            required=question.required,
            widget=forms.CheckboxSelectMultiple,
        )
    if isinstance(question, Choice):
        return radio_field(question.label, question.choices, question.hint)
    return yes_no_field(question.label, question.hint)
