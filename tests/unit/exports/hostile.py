"""A PEP full of the text people really paste: control characters, emoji, right-to-left
scripts, a 50,000-character answer and 40 targets (beyond the form's own limit of 10)."""

from portal.exports.samples import sample_pep

LONG_ANSWER = ("Harry is working hard on his reading. " * 1400)[:50_000]
ARABIC = "أحب الرسم والقراءة مع معلمتي"
HEBREW = "אני אוהב לצייר ולקרוא"
EMOJI = "I feel 😀👍🏽 about school 🏫"


def section(pep, key):
    return next(s for s in pep.sections if s.section_key == key)


def hostile_pep():
    pep, trail = sample_pep()
    targets = section(pep, "smart_targets")
    row = dict(targets.answers["targets"][0])
    rows = []
    for number in range(40):
        rows.append(
            {
                **row,
                "outcome": f"Target {number + 1}: {EMOJI} {ARABIC}\x00\x07\x1b",
                "pp_plus_amount": "100.00",
            }
        )
    rows[0]["why_it_matters"] = LONG_ANSWER
    targets.answers = {"targets": rows}
    voice = section(pep, "my_views")
    voice_answers = dict(voice.answers["answers"])
    first_key = next(iter(voice_answers))
    voice_answers[first_key] = f"{HEBREW}\n{ARABIC}\n{EMOJI}\x0c"
    voice.answers = {**voice.answers, "answers": voice_answers}
    carers = section(pep, "carers_views")
    carers.answers = {key: f"\x01{HEBREW} {value}\ufffe" for key, value in carers.answers.items()}
    pep.child_voice_note = "Gathered over drawing 🎨\x08 with \u202eright-to-left override"
    return pep, trail
