"""The texts of the privacy notice (with the HIPAA Notice of Privacy Practices), the terms and
the telehealth consent, as the seed publishes them.

Plain text: a blank line starts a paragraph, a paragraph starting with "## " is a heading.
The legal entity, its address and contacts are not typed here: ``{legal_entity}``,
``{legal_address}``, ``{privacy_email}``, ``{support_email}`` and ``{support_phone}`` are
filled in from settings when the page is shown (``legal.rendering``), so every deployment
names its own entity. Counsel reviews them before go-live (docs/operations.md).
"""

PRIVACY = """\
This notice is given by {legal_entity} ("Oana Health", "we"), {legal_address}. It describes \
how medical information about you may be used and disclosed and how you can get access to \
this information. Please review it carefully.

## Who we are

Oana Health is a telehealth medical practice: licensed clinicians review your answers online \
and, when appropriate, prescribe treatment that a licensed pharmacy fills and ships to you. \
We are a covered entity under the Health Insurance Portability and Accountability Act \
(HIPAA), and this notice is our Notice of Privacy Practices.

## What we collect

Your name, email address, date of birth, shipping address and state of residence; your \
answers to our medical questionnaire, your messages with the care team and your clinician's \
notes and prescriptions (your protected health information); and records of your payments. \
Your card details are collected and held by our payment processor, Stripe, never by us. Our \
website keeps a session cookie so your cart and sign-in work; we use no advertising or \
tracking cookies.

## Notice of Privacy Practices

We are required by law to maintain the privacy and security of your protected health \
information, to give you this notice of our legal duties and privacy practices, to follow \
the notice currently in effect, and to notify you if a breach occurs that may have \
compromised the privacy or security of your information.

How we may use and disclose your health information without your written authorization:

For treatment: your clinician reviews your answers, prescribes, and follows up with you; we \
send your prescription and the details needed to fill it to the pharmacy that dispenses it.

For payment: we record what you paid and, where needed, share the minimum information \
required to process a payment or a refund.

For health care operations: to run the practice, for example to check the quality of care, \
train staff, and keep our systems secure. Only the people who need your information for \
their role can see it, and every time staff open your answers it is recorded.

As required by law, and in the other situations HIPAA permits: public health and safety \
reporting, health oversight, lawsuits and legal proceedings, law enforcement, reports of \
abuse or neglect, coroners and medical examiners, specialised government functions, and \
workers' compensation, each only as the law allows.

With our business associates, such as our hosting, email and payment providers, under \
contracts that require them to protect your information.

We never sell your health information and never use it for marketing. Any other use or \
disclosure, including psychotherapy notes should any exist, needs your written \
authorization, which you may revoke in writing at any time.

## Your rights

You have the right to: get an electronic or paper copy of your medical record; ask us to \
correct information you think is wrong or incomplete; ask us to limit what we use or share \
(we are not required to agree, except that we must agree not to share information with a \
health plan about a service you paid for in full yourself); ask us to contact you in a \
certain way or at a certain address; get a list of those with whom we shared your \
information in the past six years, with some exceptions; get a paper copy of this notice at \
any time; and choose someone to act for you, such as a legal guardian.

To use any of these rights, write to our privacy officer at {privacy_email} or to \
{legal_entity}, {legal_address}. We answer within 30 days.

## How long we keep it

Medical records for as long as the law requires of a medical practice in your state; other \
records only as long as we need them for the purposes above or the law requires.

## Complaints

If you believe your privacy rights have been violated, you may complain to our privacy \
officer at {privacy_email}, or to the U.S. Department of Health and Human Services, Office \
for Civil Rights (www.hhs.gov/ocr/complaints). We will not retaliate against you for \
filing a complaint.

## Changes and contact

We may change this notice; the change applies to all information we hold, and the new \
version is published on this page with its date. Earlier versions stay available here. \
Questions: {support_email} or {support_phone}."""

TERMS = """\
These terms are an agreement between you and {legal_entity} ("Oana Health", "we"), \
{legal_address}, and govern your use of our website and the treatments you order.

## Medical care

A licensed clinician reviews every order before anything is prescribed or shipped, and may \
decline, ask you questions, or change what is prescribed. Your clinician is responsible for \
the medical decisions about your care. Our service is not for emergencies: if you have one, \
call 911.

## Eligibility

You must be 18 or older, live in a state where we are able to provide care, and order for \
yourself. You agree to answer our questions truthfully and completely, and to tell us about \
changes in your health, your medicines or a pregnancy.

## Subscription and automatic renewal

Treatments are billed monthly. Your card is charged when you order and then every month, \
automatically, on the same day of the month, until you cancel. The amount and the date of \
the next charge are shown before you pay and in your account. If a clinician declines your \
order, you are refunded in full. You can pause or cancel any time from your account or by \
writing to the care team; you are not charged again after the month you paid for. \
Prescriptions end after the number of refills your clinician sets; you are asked to renew \
before more is charged.

## Shipping

Shipping is free, to the address in the state where you live. A pharmacy licensed in your \
state dispenses your medicine.

## Our website

You may use the website for your own care only. The articles on it are information, not \
medical advice for you in particular. We may change the website or these terms; a change \
applies from the date it is published here, and earlier versions stay available on this \
page.

## Liability and disputes

Nothing in these terms limits a liability that the law does not allow to be limited. These \
terms are governed by the laws of the state in which {legal_entity} is organised, except \
where the law of your state protects you more.

## Contact

{legal_entity}, {legal_address}; {support_email}; {support_phone}."""

TELEHEALTH = """\
This consent is between you and the clinicians of {legal_entity} ("Oana Health"), \
{legal_address}.

## What telehealth is

Telehealth means your care is given at a distance: a clinician licensed in the state where \
you live reviews the answers you give online, and may message you, instead of seeing you in \
person.

## What it can do

Decide whether a treatment we offer is safe and suitable for you, prescribe it, and follow \
up with you by message.

## Its limits and risks

The clinician cannot examine you and relies on what you tell us; information that is \
missing or wrong may lead to a wrong decision. Some conditions need an in-person visit or \
tests; the clinician will tell you if yours does. Messages may be delayed, and in rare cases \
electronic systems fail or are breached despite our safeguards. Telehealth is not for \
emergencies: call 911.

## Your choices

You may stop telehealth care at any time, and you can see a clinician in person instead. \
Your information is protected as our privacy notice, including our Notice of Privacy \
Practices, describes.

## Your consent

By agreeing, you confirm that you have read this consent, that the information you give is \
true and complete, and that you consent to receive care by telehealth from Oana Health's \
clinicians. Questions: {support_email} or {support_phone}."""

DOCUMENTS = (
    ("privacy", "Privacy notice and Notice of Privacy Practices", PRIVACY),
    ("terms", "Terms of service", TERMS),
    ("telehealth_consent", "Telehealth consent", TELEHEALTH),
)
