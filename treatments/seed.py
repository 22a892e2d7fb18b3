"""The seed catalog: four categories, ten treatments, their monthly plans and four testimonials.

Prices come from the catalog table in DESIGN.md; where the source only gave a category range the
individual price is a placeholder inside that range. The patient information is deliberately sober:
what a medicine is, how it helps, how it is used, common side effects and who should not use it,
with no statistics or claims of our own.

``load_catalog()`` is safe to run any number of times (``make run`` runs it on every start):

- rows are found by slug (categories, treatments) or by plan name / patient name, and created
  when missing;
- rows that already exist are *not* overwritten, only blank text fields are filled in. Staff edit
  the catalog in the admin (copy, prices, order, active flags) and a re-run must never undo that;
  in particular a plan's amount is only ever set when the plan is created, so a price a catalog
  manager changed survives every re-seed, and every later change goes through
  ``treatments.services.change_plan_amount`` which records the price history.
"""

from django.db import transaction

from .models import Category, Plan, Testimonial, Treatment
from .services import record_new_plan

CATEGORIES = [
    {
        "slug": "insulin-sensitizers",
        "name": "Insulin Sensitizers",
        "order": 1,
        "short_description": "Prescription medicines that help your body respond to insulin.",
        "helps_with": (
            "Insulin resistance and the PCOS symptoms that often come with it, such as irregular "
            "cycles and difficulty managing weight."
        ),
    },
    {
        "slug": "topical-treatments",
        "name": "Topical Treatments",
        "order": 2,
        "short_description": "Metformin as a lotion, for people who find the tablets hard on the stomach.",
        "helps_with": (
            "Insulin resistance care for people who cannot tolerate the stomach side effects of "
            "oral metformin."
        ),
    },
    {
        "slug": "unwanted-hair",
        "name": "Unwanted Hair",
        "order": 3,
        "short_description": "Treatments that slow unwanted facial and body hair growth.",
        "helps_with": (
            "Hirsutism: coarse facial and body hair that grows because of higher androgen levels, "
            "common with PCOS."
        ),
    },
    {
        "slug": "hair-loss",
        "name": "Hair Loss",
        "order": 4,
        "short_description": "Treatments for thinning hair and female-pattern hair loss.",
        "helps_with": (
            "Thinning scalp hair and female-pattern hair loss, including hair loss linked to "
            "androgens in PCOS."
        ),
    },
]

_METFORMIN_SIDE_EFFECTS = (
    "Nausea, diarrhea, stomach upset, gas and a metallic taste, mostly in the first weeks and "
    "usually easing as your body adjusts. Taken for a long time, metformin can lower vitamin B12 "
    "levels, so your clinician may check them. Lactic acidosis is rare but serious: get urgent care "
    "for unusual muscle pain, trouble breathing or severe weakness."
)
_METFORMIN_NOT_FOR = (
    "People with severe kidney disease, liver disease or heavy alcohol use, people who have had "
    "lactic acidosis, and anyone allergic to metformin. Tell your clinician about upcoming surgery "
    "or scans with contrast dye, when metformin may need to be paused, and if you are pregnant or "
    "planning a pregnancy: in PCOS, metformin can make ovulation more regular."
)
_SPIRONOLACTONE_SIDE_EFFECTS = (
    "Passing urine more often, dizziness or light-headedness, breast tenderness, irregular or "
    "spotting periods, and tiredness. It can raise potassium levels, so your clinician may ask for "
    "blood tests."
)
_SPIRONOLACTONE_NOT_FOR = (
    "Anyone who is pregnant, breastfeeding or trying to conceive (it can affect the development of "
    "a baby), and people with kidney disease, high potassium or Addison's disease. Tell your "
    "clinician if you take potassium supplements, salt substitutes, potassium-sparing diuretics, "
    "ACE inhibitors or ARBs (blood pressure medicines)."
)

TREATMENTS = [
    {
        "slug": "oral-metformin-er",
        "category": "insulin-sensitizers",
        "name": "Oral Metformin ER",
        "price_cents": 2200,
        "form": Treatment.Form.ORAL,
        "active_ingredients": "Metformin hydrochloride, extended release",
        "unsafe_in_pregnancy": False,
        "tagline": "A long-established insulin sensitizer, in an extended-release tablet.",
        "description": (
            "Metformin is a long-established prescription medicine for high blood sugar. Clinicians "
            "also prescribe it for insulin resistance and PCOS. The extended-release (ER) tablet "
            "releases the medicine slowly through the day, which many people find easier on the "
            "stomach than the immediate-release form."
        ),
        "how_it_works": (
            "Metformin lowers the amount of glucose your liver releases into the blood and helps "
            "your muscles and other tissues respond better to insulin. In PCOS, lower insulin "
            "levels can help cycles become more regular."
        ),
        "how_to_use": (
            "Swallow the tablet whole once a day with your evening meal; do not crush or chew it. "
            "Your clinician usually starts with a low dose and increases it step by step to limit "
            "stomach side effects."
        ),
        "side_effects": _METFORMIN_SIDE_EFFECTS,
        "who_should_not_use": _METFORMIN_NOT_FOR,
    },
    {
        "slug": "metformin-spironolactone-pack",
        "category": "insulin-sensitizers",
        "name": "Metformin & Spironolactone pack",
        "price_cents": 3200,
        "form": Treatment.Form.PACK,
        "active_ingredients": "Metformin hydrochloride ER; spironolactone",
        "component_names": "Oral Metformin ER, Spironolactone",
        "components": ["oral-metformin-er", "spironolactone"],
        "unsafe_in_pregnancy": True,
        "tagline": "Insulin support and androgen control together, in one monthly pack.",
        "description": (
            "Two tablets that clinicians often combine for PCOS: metformin for insulin resistance "
            "and spironolactone for symptoms caused by androgens, such as acne, unwanted hair and "
            "thinning scalp hair."
        ),
        "how_it_works": (
            "Metformin helps your body use insulin more effectively. Spironolactone blocks the "
            "effect of androgens (hormones such as testosterone) on the skin and hair follicles."
        ),
        "how_to_use": (
            "Take each tablet as your clinician directs, usually once a day with food; metformin ER "
            "with your evening meal. Changes in skin and hair growth take several months to show."
        ),
        "side_effects": (
            "Metformin: nausea, diarrhea and stomach upset, mostly at the start. Spironolactone: "
            "passing urine more often, dizziness, breast tenderness, irregular periods and, "
            "occasionally, raised potassium levels. Lactic acidosis from metformin is rare but "
            "serious: get urgent care for unusual muscle pain, trouble breathing or severe weakness."
        ),
        "who_should_not_use": _SPIRONOLACTONE_NOT_FOR
        + " Also not suitable with severe kidney or liver disease or heavy alcohol use.",
    },
    {
        "slug": "oral-glp-1-metformin-pack",
        "category": "insulin-sensitizers",
        "name": "Oral GLP-1 & Metformin pack",
        "price_cents": 19900,
        "form": Treatment.Form.PACK,
        "active_ingredients": "Oral semaglutide (GLP-1 receptor agonist); metformin hydrochloride ER",
        "component_names": "Oral GLP-1 (semaglutide), Oral Metformin ER",
        "components": ["oral-metformin-er"],
        "unsafe_in_pregnancy": True,
        "tagline": "A GLP-1 tablet with metformin, for insulin resistance that needs more support.",
        "description": (
            "A once-daily GLP-1 tablet combined with metformin ER. GLP-1 medicines act like a "
            "hormone your gut releases after eating; clinicians prescribe them with metformin when "
            "insulin resistance and weight are harder to manage."
        ),
        "how_it_works": (
            "The GLP-1 medicine helps your pancreas release insulin when blood sugar rises, slows "
            "how quickly your stomach empties and reduces appetite. Metformin lowers the glucose "
            "your liver releases and improves your response to insulin."
        ),
        "how_to_use": (
            "Take the GLP-1 tablet first thing in the morning on an empty stomach with a small sip "
            "of plain water (no more than 4 oz), then wait at least 30 minutes before eating, "
            "drinking or taking other medicines. Take metformin ER with your evening meal. Doses "
            "start low and rise gradually."
        ),
        "side_effects": (
            "Nausea, vomiting, diarrhea, constipation, stomach pain and a smaller appetite, most "
            "common when starting or increasing the dose; metformin can also cause a metallic "
            "taste and, over years, lower vitamin B12 levels. Seek care for severe stomach pain that "
            "does not go away, which can be a sign of pancreatitis. Lactic acidosis from metformin "
            "is rare but serious: get urgent care for unusual muscle pain, trouble breathing or "
            "severe weakness."
        ),
        "who_should_not_use": (
            "Anyone with a personal or family history of medullary thyroid cancer or multiple "
            "endocrine neoplasia type 2 (MEN 2), a history of pancreatitis, or severe stomach or "
            "bowel problems such as gastroparesis. Not for anyone who is pregnant, breastfeeding or "
            "planning a pregnancy (it is usually stopped at least two months before trying to "
            "conceive). People with severe kidney or liver disease should not take metformin."
        ),
    },
    {
        "slug": "metformin-hcl-lotion-20",
        "category": "topical-treatments",
        "name": "Metformin HCL Lotion 20%",
        "price_cents": 4300,
        "form": Treatment.Form.TOPICAL,
        "active_ingredients": "Metformin hydrochloride 20% (compounded lotion)",
        "unsafe_in_pregnancy": False,
        "tagline": "Metformin you apply to the skin, for people whose stomach does not tolerate tablets.",
        "description": (
            "A lotion made by a compounding pharmacy that contains metformin hydrochloride. It is "
            "an option for people who need metformin but cannot tolerate the nausea and stomach "
            "upset the tablets can cause. The research on metformin applied to the skin is "
            "smaller than for tablets; your clinician will talk through whether it suits you."
        ),
        "how_it_works": (
            "The lotion is meant to deliver metformin through the skin instead of the gut, "
            "bypassing the stomach and bowel, where most of the side effects of oral metformin "
            "arise. Metformin helps your body respond to insulin; how much of it reaches the blood "
            "from a lotion varies and has been studied far less than tablets, so your clinician "
            "follows how you respond."
        ),
        "how_to_use": (
            "Apply a thin layer to clean, dry skin on the area your clinician recommends, usually "
            "once or twice a day, and rub it in. Wash your hands afterwards. Do not apply it to "
            "broken or irritated skin."
        ),
        "side_effects": "Redness, dryness, itching or irritation where the lotion is applied.",
        "who_should_not_use": (
            "Anyone allergic to metformin or to the ingredients of the lotion, and people with "
            "severe kidney or liver disease."
        ),
    },
    {
        "slug": "spironolactone",
        "category": "unwanted-hair",
        "name": "Spironolactone",
        "price_cents": 1400,
        "form": Treatment.Form.ORAL,
        "active_ingredients": "Spironolactone",
        "unsafe_in_pregnancy": True,
        "tagline": "A daily tablet that blocks the androgens behind unwanted hair and acne.",
        "description": (
            "Spironolactone is a long-established prescription medicine. Clinicians prescribe it "
            "for unwanted facial and body hair (hirsutism), hormonal acne and thinning hair when "
            "androgens play a part, as they often do in PCOS."
        ),
        "how_it_works": (
            "It blocks androgen hormones, such as testosterone, from acting on hair follicles and "
            "oil glands, and lowers how much androgen the body makes. New hair grows finer and "
            "more slowly over time."
        ),
        "how_to_use": (
            "Take the tablet with food, once or twice a day as your clinician directs. Hair growth "
            "changes slowly: expect to wait several months before judging the result."
        ),
        "side_effects": _SPIRONOLACTONE_SIDE_EFFECTS,
        "who_should_not_use": _SPIRONOLACTONE_NOT_FOR,
    },
    {
        "slug": "eflornithine-12",
        "category": "unwanted-hair",
        "name": "Eflornithine 12%",
        "price_cents": 3900,
        "form": Treatment.Form.TOPICAL,
        "active_ingredients": "Eflornithine hydrochloride 12% (cream)",
        "unsafe_in_pregnancy": True,
        "tagline": "A prescription cream that slows the regrowth of facial hair.",
        "description": (
            "Eflornithine cream slows how fast unwanted facial hair grows. It does not remove "
            "hair, so you keep using your usual method of hair removal, and you may need it less "
            "often."
        ),
        "how_it_works": (
            "Eflornithine blocks an enzyme (ornithine decarboxylase) that hair follicles need to "
            "make new hair, so hair grows back more slowly."
        ),
        "how_to_use": (
            "Apply a thin layer to the affected areas of the face and under the chin twice a day, "
            "at least 8 hours apart, and rub it in well. Wait at least 5 minutes after shaving or "
            "other hair removal, and do not wash the area for 4 hours. It can take several weeks "
            "to notice a difference, and hair returns to its old growth rate after you stop."
        ),
        "side_effects": (
            "Stinging, burning or tingling, redness, dry skin, rash and acne-like bumps where it is "
            "applied."
        ),
        "who_should_not_use": (
            "Anyone allergic to eflornithine or the cream's ingredients, and anyone who is "
            "pregnant, breastfeeding or trying to conceive, as its safety then has not been "
            "established."
        ),
    },
    {
        "slug": "hairless-hype",
        "category": "unwanted-hair",
        "name": "Hairless Hype",
        "price_cents": 6900,
        "form": Treatment.Form.PACK,
        "active_ingredients": "Eflornithine; metformin hydrochloride (lotion); azelaic acid",
        "component_names": "Eflornithine, Metformin lotion, Azelaic Acid",
        "components": ["eflornithine-12", "metformin-hcl-lotion-20"],
        "unsafe_in_pregnancy": True,
        "tagline": "Our three-part routine for unwanted facial hair and the skin around it.",
        "description": (
            "Hairless Hype combines prescription-grade ingredients for unwanted facial hair: "
            "eflornithine to slow hair regrowth, metformin lotion for the insulin resistance that "
            "often comes with androgen-driven hair growth in PCOS, and azelaic acid for the bumps, "
            "redness and dark marks that hair removal can leave. Metformin applied to the skin has "
            "been studied far less than metformin tablets."
        ),
        "how_it_works": (
            "Eflornithine blocks an enzyme hair follicles need to make new hair. In PCOS, high "
            "insulin levels can raise androgen levels, which drive unwanted hair; metformin helps "
            "your body respond to insulin. Azelaic acid can calm inflammation and help fade dark "
            "marks."
        ),
        "how_to_use": (
            "Follow the routine on your prescription label: usually eflornithine twice a day on the "
            "face and under the chin, metformin lotion once or twice a day, and azelaic acid once "
            "or twice a day on clean skin. Keep using your usual hair removal. Results build over "
            "several weeks, so stay with it."
        ),
        "side_effects": (
            "Stinging, burning, tingling, redness, dryness or itching where the products are "
            "applied, and occasional acne-like bumps."
        ),
        "who_should_not_use": (
            "Anyone who is pregnant, breastfeeding or trying to conceive, anyone allergic to "
            "eflornithine, metformin or azelaic acid, and people with severe kidney or liver "
            "disease. Do not apply to broken or irritated skin."
        ),
    },
    {
        "slug": "oral-minoxidil",
        "category": "hair-loss",
        "name": "Oral Minoxidil",
        "price_cents": 2500,
        "form": Treatment.Form.ORAL,
        "active_ingredients": "Minoxidil (low-dose tablet)",
        "unsafe_in_pregnancy": True,
        "tagline": "A low-dose daily tablet for thinning hair.",
        "description": (
            "Minoxidil was first used as a blood pressure medicine. At the much lower doses used "
            "for hair, clinicians prescribe it for thinning hair and female-pattern hair loss, "
            "especially for people who find scalp solutions inconvenient."
        ),
        "how_it_works": (
            "Minoxidil widens small blood vessels. How it helps hair is not fully understood: it "
            "appears to keep hair follicles in their growing phase for longer, so over several "
            "months hairs can grow thicker and shed less."
        ),
        "how_to_use": (
            "Take one tablet a day at the same time. Some people shed more hair in the first weeks "
            "as new growth starts; it usually takes several months to see a difference."
        ),
        "side_effects": (
            "Extra hair growth on the face or body, temporary shedding at the start, swelling of "
            "the ankles, a faster heartbeat, dizziness and headache. Seek care for chest pain, "
            "fainting or sudden weight gain with swelling."
        ),
        "who_should_not_use": (
            "People with low blood pressure, heart disease or heart rhythm problems, or a "
            "pheochromocytoma, and anyone who is pregnant, breastfeeding or trying to conceive."
        ),
    },
    {
        "slug": "topical-spironolactone",
        "category": "hair-loss",
        "name": "Topical Spironolactone",
        "price_cents": 2900,
        "form": Treatment.Form.TOPICAL,
        "active_ingredients": "Spironolactone (compounded scalp solution)",
        "unsafe_in_pregnancy": True,
        "tagline": "An anti-androgen you apply to the scalp.",
        "description": (
            "A compounded solution of spironolactone for the scalp, for hair thinning linked to "
            "androgens. It is an option for people who prefer not to take spironolactone tablets. "
            "The research on the topical form is smaller than for tablets."
        ),
        "how_it_works": (
            "Spironolactone blocks androgens from acting on the hair follicles where it is "
            "applied; less of it is expected to reach the rest of the body than with tablets."
        ),
        "how_to_use": (
            "Apply to a dry scalp where the hair is thinning, once or twice a day as your "
            "clinician directs, and let it dry before styling. Expect to wait several months to "
            "judge the result."
        ),
        "side_effects": (
            "Scalp dryness, itching or irritation. Less often, effects of the medicine elsewhere "
            "in the body, such as irregular periods or breast tenderness."
        ),
        "who_should_not_use": _SPIRONOLACTONE_NOT_FOR,
    },
    {
        "slug": "hair-plus-plus",
        "category": "hair-loss",
        "name": "Hair Plus Plus",
        "price_cents": 4300,
        "form": Treatment.Form.PACK,
        "active_ingredients": "Minoxidil (oral); spironolactone (topical)",
        "component_names": "Oral Minoxidil, Topical Spironolactone",
        "components": ["oral-minoxidil", "topical-spironolactone"],
        "unsafe_in_pregnancy": True,
        "tagline": "Two approaches to hair thinning, combined in one monthly pack.",
        "description": (
            "Hair Plus Plus pairs a low-dose minoxidil tablet, which supports hair growth, with "
            "topical spironolactone, which blocks the androgens that can shrink hair follicles. "
            "Your clinician decides the doses that suit you."
        ),
        "how_it_works": (
            "Minoxidil appears to keep hair follicles in their growing phase for longer. "
            "Spironolactone on the scalp blocks androgens from acting on the follicles."
        ),
        "how_to_use": (
            "Take the minoxidil tablet once a day and apply the scalp solution as directed on your "
            "prescription label. Early shedding can happen; results take several months."
        ),
        "side_effects": (
            "Extra facial or body hair, temporary shedding, ankle swelling, a faster heartbeat or "
            "dizziness from minoxidil; scalp dryness or irritation from the solution."
        ),
        "who_should_not_use": (
            "Anyone who is pregnant, breastfeeding or trying to conceive. People with low blood "
            "pressure, heart disease or heart rhythm problems, a pheochromocytoma, kidney disease, "
            "high potassium or Addison's disease. Tell your clinician if you take potassium "
            "supplements, salt substitutes, potassium-sparing diuretics, ACE inhibitors or ARBs."
        ),
    },
]

# The four patient quotes from the source article (content/magnesium-and-insulin-resistance.txt),
# copied here so the site never reads the source folder at runtime.
TESTIMONIALS = [
    {
        "patient_name": "Carrie S.",
        "treatment": "metformin-hcl-lotion-20",
        "quote": (
            "I'm so glad I discovered Oana's metformin lotion! I used to struggle a lot with the "
            "side effects for oral metformin and this is a great alternative for me. I get the "
            "same benefits but no more upset stomach and nausea, and this helps me stick with it "
            "a lot more consistently."
        ),
    },
    {
        "patient_name": "Allison L.",
        "treatment": "hairless-hype",
        "quote": (
            "It's been a little over 5 weeks, and I've noticed a dramatic reduction in my facial "
            "hair growth. This has been such a relief for me. You really have to stick with it and "
            "be patient to notice results!"
        ),
    },
    {
        "patient_name": "Victoria A.",
        "treatment": None,
        "quote": (
            "Oana's telehealth service is fantastic! It's helped manage my insulin levels and "
            "reduce excess hair growth I was experiencing due to PCOS. I'm recommending this to "
            "all my friends with PCOS."
        ),
    },
    {
        "patient_name": "Margaret K.",
        "treatment": None,
        "quote": (
            "Thanks to Oana, my menstrual cycles are more regular, and my skin has never looked "
            "better! I also love the 24/7 accessibility and customer service that always goes the "
            "extra mile."
        ),
    },
]

_TEXT_FIELDS = (
    "tagline",
    "description",
    "how_it_works",
    "how_to_use",
    "side_effects",
    "who_should_not_use",
    "active_ingredients",
    "component_names",
)


def _fill_blanks(obj, values, fields):
    """Fill the given fields where they are empty; never overwrite what staff wrote."""
    changed = [f for f in fields if values.get(f) and not getattr(obj, f)]
    for field in changed:
        setattr(obj, field, values[field])
    if changed:
        obj.save(update_fields=changed)


@transaction.atomic
def load_catalog() -> str:
    """Create whatever part of the seed catalog is missing; return a one-line summary."""
    created = {"categories": 0, "treatments": 0, "plans": 0, "testimonials": 0}

    categories = {}
    for data in CATEGORIES:
        values = {k: v for k, v in data.items() if k != "slug"}
        category, was_created = Category.objects.get_or_create(slug=data["slug"], defaults=values)
        if not was_created:
            _fill_blanks(category, values, ("short_description", "helps_with"))
        created["categories"] += was_created
        categories[data["slug"]] = category

    treatments = {}
    for index, data in enumerate(TREATMENTS):
        values = {
            k: v
            for k, v in data.items()
            if k not in ("slug", "category", "price_cents", "components")
        }
        treatment, was_created = Treatment.objects.get_or_create(
            slug=data["slug"],
            defaults={**values, "category": categories[data["category"]], "display_order": index},
        )
        if not was_created:
            _fill_blanks(treatment, values, _TEXT_FIELDS)
        created["treatments"] += was_created
        treatments[data["slug"]] = treatment

        # The amount is set only when the plan is created: see the module docstring.
        plan, plan_created = Plan.objects.get_or_create(
            treatment=treatment,
            name="Monthly",
            defaults={"amount_cents": data["price_cents"], "interval": Plan.Interval.MONTH},
        )
        if plan_created:
            record_new_plan(plan, by=None)
        created["plans"] += plan_created

    for data in TREATMENTS:
        treatment = treatments[data["slug"]]
        wanted = [treatments[slug] for slug in data.get("components", [])]
        if wanted and not treatment.components.exists():
            treatment.components.set(wanted)

    for index, data in enumerate(TESTIMONIALS):
        _, was_created = Testimonial.objects.get_or_create(
            patient_name=data["patient_name"],
            defaults={
                "quote": data["quote"],
                "treatment": treatments[data["treatment"]] if data["treatment"] else None,
                "display_order": index,
            },
        )
        created["testimonials"] += was_created

    return (
        f"Catalog: {len(CATEGORIES)} categories, {len(TREATMENTS)} treatments, "
        f"{len(TESTIMONIALS)} testimonials (created {created['categories']} categories, "
        f"{created['treatments']} treatments, {created['plans']} plans, "
        f"{created['testimonials']} testimonials)."
    )
