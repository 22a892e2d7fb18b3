"""Product pages and questions agree (issue 11): "who should not use it" names the hard stops
of the questionnaire, and what is only a flag becomes "tell your clinician".

The seed never overwrites, so existing databases get the new copy here, but only where the
text is still the seed's old one: a page a catalog manager edited keeps her text.
"""

from django.db import migrations

OLD = {
    "eflornithine-12": "Anyone allergic to eflornithine or the cream's ingredients, and anyone "
    "who is pregnant, breastfeeding or trying to conceive, as its safety then "
    "has not been established.",
    "hair-plus-plus": "Anyone who is pregnant, breastfeeding or trying to conceive. People with "
    "low blood pressure, heart disease or heart rhythm problems, a "
    "pheochromocytoma, kidney disease, high potassium or Addison's disease. "
    "Tell your clinician if you take potassium supplements, salt substitutes, "
    "potassium-sparing diuretics, ACE inhibitors or ARBs.",
    "hairless-hype": "Anyone who is pregnant, breastfeeding or trying to conceive, anyone "
    "allergic to eflornithine, metformin or azelaic acid, and people with severe "
    "kidney or liver disease. Do not apply to broken or irritated skin.",
    "metformin-hcl-lotion-20": "Anyone allergic to metformin or to the ingredients of the lotion, "
    "and people with severe kidney or liver disease.",
    "metformin-spironolactone-pack": "Anyone who is pregnant, breastfeeding or trying to conceive "
    "(it can affect the development of a baby), and people with "
    "kidney disease, high potassium or Addison's disease. Tell "
    "your clinician if you take potassium supplements, salt "
    "substitutes, potassium-sparing diuretics, ACE inhibitors or "
    "ARBs (blood pressure medicines). Also not suitable with "
    "severe kidney or liver disease or heavy alcohol use.",
    "oral-glp-1-metformin-pack": "Anyone with a personal or family history of medullary thyroid "
    "cancer or multiple endocrine neoplasia type 2 (MEN 2), a "
    "history of pancreatitis, or severe stomach or bowel problems "
    "such as gastroparesis. Not for anyone who is pregnant, "
    "breastfeeding or planning a pregnancy (it is usually stopped at "
    "least two months before trying to conceive). People with severe "
    "kidney or liver disease should not take metformin.",
    "oral-metformin-er": "People with severe kidney disease, liver disease or heavy alcohol use, "
    "people who have had lactic acidosis, and anyone allergic to metformin. "
    "Tell your clinician about upcoming surgery or scans with contrast dye, "
    "when metformin may need to be paused, and if you are pregnant or "
    "planning a pregnancy: in PCOS, metformin can make ovulation more "
    "regular.",
    "oral-minoxidil": "People with low blood pressure, heart disease or heart rhythm problems, or "
    "a pheochromocytoma, and anyone who is pregnant, breastfeeding or trying to "
    "conceive.",
    "spironolactone": "Anyone who is pregnant, breastfeeding or trying to conceive (it can affect "
    "the development of a baby), and people with kidney disease, high potassium "
    "or Addison's disease. Tell your clinician if you take potassium "
    "supplements, salt substitutes, potassium-sparing diuretics, ACE inhibitors "
    "or ARBs (blood pressure medicines).",
    "topical-spironolactone": "Anyone who is pregnant, breastfeeding or trying to conceive (it "
    "can affect the development of a baby), and people with kidney "
    "disease, high potassium or Addison's disease. Tell your clinician "
    "if you take potassium supplements, salt substitutes, "
    "potassium-sparing diuretics, ACE inhibitors or ARBs (blood "
    "pressure medicines).",
}

NEW = {
    "eflornithine-12": "Not for anyone who is pregnant, breastfeeding or trying to conceive, as "
    "its safety then has not been established. Tell your clinician if you are "
    "allergic to eflornithine or the cream's ingredients, or if the skin is "
    "broken or inflamed. Unwanted hair that comes on suddenly, with a deeper "
    "voice, needs to be seen in person.",
    "hair-plus-plus": "Not for anyone who is pregnant, breastfeeding or trying to conceive, or "
    "for people with a pheochromocytoma. Tell your clinician if you have low "
    "blood pressure, heart disease or heart rhythm problems, fluid retention, "
    "kidney disease, high potassium or Addison's disease, and if you take other "
    "blood pressure medicines, potassium supplements, salt substitutes, "
    "potassium-sparing diuretics, ACE inhibitors or ARBs, a pill with "
    "drospirenone, lithium or daily anti-inflammatory painkillers.",
    "hairless-hype": "Not for anyone who is pregnant, breastfeeding or trying to conceive, or for "
    "people with severe kidney disease (eGFR below 30) or on dialysis. Tell your "
    "clinician if you are allergic to eflornithine, metformin or azelaic acid, "
    "or have liver disease. Do not apply to broken or irritated skin. Unwanted "
    "hair that comes on suddenly, with a deeper voice, needs to be seen in "
    "person.",
    "metformin-hcl-lotion-20": "Not for people with severe kidney disease (eGFR below 30) or on "
    "dialysis. Tell your clinician if you are allergic to metformin or "
    "to the lotion's ingredients, or have liver disease. Do not apply "
    "it to broken or irritated skin.",
    "metformin-spironolactone-pack": "Not for anyone who is pregnant, breastfeeding or trying to "
    "conceive (spironolactone can affect the development of a "
    "baby), or for people with severe kidney disease (eGFR below "
    "30) or on dialysis. Tell your clinician if you have other "
    "kidney disease, liver disease, heart failure, Addison's "
    "disease, high potassium or low blood pressure, have had "
    "lactic acidosis or drink heavily, and if you take potassium "
    "supplements, salt substitutes, potassium-sparing diuretics, "
    "ACE inhibitors or ARBs (blood pressure medicines), a pill "
    "with drospirenone, lithium or daily anti-inflammatory "
    "painkillers.",
    "oral-glp-1-metformin-pack": "Not for anyone with a personal or family history of medullary "
    "thyroid cancer or multiple endocrine neoplasia type 2 (MEN 2), "
    "or a history of pancreatitis. Not for anyone who is pregnant, "
    "breastfeeding or planning a pregnancy (it is usually stopped at "
    "least two months before trying to conceive), or for people with "
    "severe kidney disease (eGFR below 30) or on dialysis, who "
    "should not take metformin. Tell your clinician if you have "
    "gallbladder disease, type 1 diabetes, diabetic eye disease, "
    "gastroparesis or another severe stomach or bowel condition, or "
    "liver disease, if you have had an eating disorder, and if you "
    "take insulin or a sulfonylurea.",
    "oral-metformin-er": "Not for people with severe kidney disease (eGFR below 30) or on "
    "dialysis. Tell your clinician if you have other kidney disease, liver "
    "disease or heart failure, have had lactic acidosis, drink heavily, or "
    "are allergic to metformin; about upcoming surgery or scans with "
    "contrast dye, when metformin may need to be paused; and if you are "
    "pregnant or planning a pregnancy: in PCOS, metformin can make ovulation "
    "more regular.",
    "oral-minoxidil": "Not for people with a pheochromocytoma, or anyone who is pregnant, "
    "breastfeeding or trying to conceive. Tell your clinician if you have low "
    "blood pressure, heart failure or other heart disease, heart rhythm "
    "problems, fluid around the heart or fluid retention, or take other blood "
    "pressure medicines.",
    "spironolactone": "Not for anyone who is pregnant, breastfeeding or trying to conceive (it "
    "can affect the development of a baby). Tell your clinician if you have "
    "kidney disease, Addison's disease, high potassium or low blood pressure, "
    "and if you take potassium supplements, salt substitutes, potassium-sparing "
    "diuretics, ACE inhibitors or ARBs (blood pressure medicines), a pill with "
    "drospirenone, lithium or daily anti-inflammatory painkillers.",
    "topical-spironolactone": "Not for anyone who is pregnant, breastfeeding or trying to "
    "conceive (it can affect the development of a baby). Tell your "
    "clinician if you have kidney disease, Addison's disease, high "
    "potassium or low blood pressure, and if you take potassium "
    "supplements, salt substitutes, potassium-sparing diuretics, ACE "
    "inhibitors or ARBs (blood pressure medicines), a pill with "
    "drospirenone, lithium or daily anti-inflammatory painkillers.",
}


def update_copy(apps, schema_editor):
    Treatment = apps.get_model("treatments", "Treatment")
    for slug, text in NEW.items():
        Treatment.objects.filter(slug=slug, who_should_not_use=OLD[slug]).update(
            who_should_not_use=text
        )


def restore_copy(apps, schema_editor):
    Treatment = apps.get_model("treatments", "Treatment")
    for slug, text in OLD.items():
        Treatment.objects.filter(slug=slug, who_should_not_use=NEW[slug]).update(
            who_should_not_use=text
        )


class Migration(migrations.Migration):
    dependencies = [("treatments", "0004_fill_medicines")]
    operations = [migrations.RunPython(update_copy, restore_copy)]
