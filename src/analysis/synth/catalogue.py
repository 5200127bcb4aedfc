"""Texts and per-question settings of the synthetic förvaltning.

Kept apart from the generator (``analysis.synth.generate``) so that the Swedish
wording, the calibration targets and the planted driver effects can be read
and reviewed in one place. The nine AMI texts and the eight area names are
copied exactly from the 2023 results presentation (seed 000); the other
question texts are written in the spirit of the personnel policy (seed 001).

Years are described by *wave*: wave 2 is the latest synthetic year (modelled
on 2023), wave 1 the year before (2022) and wave 0 every earlier year (2021).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

AREAS: tuple[str, ...] = (
    "Vårt gemensamma uppdrag",
    "Politik och verksamheter",
    "Styra mot gemensamma mål",
    "Utvecklas och lära nytt",
    "Delaktighet och inflytande",
    "Hälsa och arbetsmiljö",
    "Lika rättigheter och möjligheter",
    "Lön",
)

WAVES = 3  # wave 0 ~ 2021, wave 1 ~ 2022, wave 2 ~ 2023 (the latest year)


@dataclass(frozen=True)
class QuestionSpec:
    """One catalogue question and how the generator treats it.

    ``targets`` holds the förvaltning-level question index (0-100) the
    answers are calibrated to in waves 0, 1, 2; ``None`` = not asked in that
    wave. ``effect`` is the planted effect of the question's construct on the
    Motivation latent and ``loading`` its loading on the general factor; a
    reworded predecessor (named in a successor's ``replaces``) shares its
    successor's construct, so its own ``effect``/``loading`` are unused.
    """

    question_id: str
    text: str
    area: str
    targets: tuple[float | None, float | None, float | None]
    ami_dimension: str = ""
    leadership: bool = False
    replaces: str = ""
    effect: float = 0.0
    loading: float = 0.55
    dont_know: float = 0.009


def _q(
    qid: str,
    text: str,
    area: int,
    targets: tuple[float | None, float | None, float | None],
    **kwargs: object,
) -> QuestionSpec:
    return QuestionSpec(qid, text, AREAS[area], targets, **kwargs)  # type: ignore[arg-type]


_M, _L, _S = "Motivation", "Ledarskap", "Styrning"
_LEAD = {"leadership": True, "loading": 0.45, "dont_know": 0.012}

# fmt: off
QUESTIONS: tuple[QuestionSpec, ...] = (
    # Vårt gemensamma uppdrag
    _q("q01", "Mitt arbete känns meningsfullt", 0, (87, 88, 88), ami_dimension=_M, dont_know=0.002),
    _q("q02", "Jag ser fram emot att gå till arbetet", 0, (75, 76, 74), ami_dimension=_M,
       dont_know=0.002),
    _q("q03", "Jag är stolt över min arbetsplats", 0, (81, 82, None)),
    _q("q04", "Jag känner stolthet över det arbete vi utför för dem vi är till för", 0,
       (None, None, 83), replaces="q03", effect=0.07, loading=0.6),
    _q("q05", "Jag kan rekommendera min arbetsplats till andra", 0, (76, 77, 77), effect=0.03,
       loading=0.65),
    # Politik och verksamheter
    _q("q06", "Min chef förklarar hur våra mål hänger ihop med förvaltningens mål", 1,
       (72, 73, 73), effect=0.012, **_LEAD),
    _q("q07", "Jag känner till de politiska mål som gäller för min verksamhet", 1,
       (None, 64, 65), effect=0.0, loading=0.4, dont_know=0.05),
    _q("q08",
       "Min arbetsplats ger god service till elever, vårdnadshavare och andra vi är till för", 1,
       (None, None, 85), effect=0.025, loading=0.5, dont_know=0.02),
    # Styra mot gemensamma mål
    _q("q09", "Jag är insatt i min arbetsplats mål", 2, (81, 79, 79), ami_dimension=_S,
       effect=0.045, loading=0.6),
    _q("q10", "Min arbetsplats mål följs upp och utvärderas på ett bra sätt", 2, (74, 71, 71),
       ami_dimension=_S, effect=0.02, loading=0.6, dont_know=0.02),
    _q("q11", "Jag vet vad som förväntas av mig i mitt arbete", 2, (85, 84, 84),
       ami_dimension=_S, effect=0.21, loading=0.55),
    _q("q12", "Min chef förmedlar tydligt vilka krav och förväntningar som gäller", 2,
       (74, 74, None), **_LEAD),
    _q("q13", "Min chef är tydlig med vilka resultat som förväntas av mig", 2, (None, None, 75),
       replaces="q12", effect=0.015, **_LEAD),
    _q("q14", "Min chef ger mig regelbundet återkoppling på mitt arbete", 2, (70, 70, 71),
       effect=0.05, **_LEAD),
    # Utvecklas och lära nytt
    _q("q15", "Jag lär nytt och utvecklas i mitt dagliga arbete", 3, (78, 79, 78),
       ami_dimension=_M, dont_know=0.002),
    _q("q16", "På min arbetsplats prövar vi nya arbetssätt för att utveckla verksamheten", 3,
       (70, 70, 72), effect=0.17, loading=0.55),
    _q("q17", "Jag har ett medarbetarsamtal där min kompetensutveckling planeras", 3,
       (73, None, None), **_LEAD),
    _q("q18", "Min chef och jag har tillsammans planerat min kompetensutveckling", 3,
       (None, 71, 72), replaces="q17", effect=0.035, **_LEAD),
    _q("q19", "Min chef inspirerar mig att utveckla mitt arbete", 3, (None, None, 74),
       effect=0.01, **_LEAD),
    # Delaktighet och inflytande
    _q("q20", "Min chef visar mig förtroende för mig som medarbetare", 4, (84, 84, 84),
       ami_dimension=_L, effect=0.008, **_LEAD),
    _q("q21", "Min chef ger mig förutsättningar att ta ansvar i mitt arbete", 4, (80, 79, 79),
       ami_dimension=_L, effect=0.018, **_LEAD),
    _q("q22", "Jag har möjlighet att påverka hur mitt arbete utförs", 4, (75, 76, 75),
       effect=0.29, loading=0.55),
    _q("q23", "Arbetsplatsträffarna på min arbetsplats fungerar bra", 4, (72, 73, None)),
    _q("q24", "På våra arbetsplatsträffar diskuterar vi frågor som är viktiga för verksamheten", 4,
       (None, None, 76), replaces="q23", effect=0.005, loading=0.5, dont_know=0.02),
    _q("q25", "Min chef är lyhörd för mina synpunkter", 4, (77, 77, 78), effect=0.022, **_LEAD),
    # Hälsa och arbetsmiljö
    _q("q26", "Min chef visar mig uppskattning för mina arbetsinsatser", 5, (76, 77, 77),
       ami_dimension=_L, effect=0.34, **_LEAD),
    _q("q27", "Jag har en rimlig arbetsbelastning", 5, (58, 57, None)),
    _q("q28", "Min arbetsbelastning gör att jag kan utföra mitt arbete på ett bra sätt", 5,
       (None, None, 61), replaces="q27", effect=0.25, loading=0.5),
    _q("q29", "Vi hjälper och stöttar varandra på min arbetsplats", 5, (84, 85, 85), effect=0.09,
       loading=0.55),
    _q("q30",
       "Jag känner till vart jag ska vända mig när jag upptäcker fel eller brister i "
       "arbetsmiljön.", 5, (None, 80, 81), effect=0.003, loading=0.4, dont_know=0.03),
    _q("q31", "Min chef arbetar aktivt för en god arbetsmiljö", 5, (76, 77, 77), effect=0.028,
       **_LEAD),
    # Lika rättigheter och möjligheter
    _q("q32",
       "Jag känner till vart jag ska vända mig om jag upplever mig utsatt för kränkande "
       "särbehandling, trakasserier, sexuella trakasserier eller repressalier.", 6,
       (None, None, 79), effect=0.002, loading=0.4, dont_know=0.03),
    _q("q33", "På min arbetsplats bemöts alla med respekt oavsett bakgrund", 6, (85, 86, 86),
       effect=0.04, loading=0.55),
    _q("q34", "Min chef behandlar alla medarbetare rättvist", 6, (78, 78, 79), effect=0.032,
       **_LEAD),
    # Lön
    _q("q35", "Jag känner till vilka lönekriterierna är på min arbetsplats.", 7, (62, 63, 64),
       effect=0.006, loading=0.4, dont_know=0.04),
    _q("q36", "Min chef förklarar hur mina arbetsresultat påverkar min lön", 7, (None, None, 58),
       effect=0.004, leadership=True, loading=0.45, dont_know=0.05),
    _q("q37", "Vid lönesamtalet får jag tydlig återkoppling på mina arbetsresultat", 7,
       (63, 64, 64), effect=0.014, leadership=True, loading=0.45, dont_know=0.04),
)
# fmt: on

# Organisation names. Every list is long enough for the default förvaltning;
# larger configurations get numbered variants (see analysis.synth.organisation).
ROOT_NAME = "Utbildningsförvaltningen"
AREA_UNITS: tuple[tuple[str, str, str], ...] = (
    # (unit_id, unit_name, unit_type of its children)
    ("OMR-GR", "Grundskoleområdet", "grundskola"),
    ("OMR-GY", "Gymnasieområdet", "gymnasieskola"),
    ("OMR-CF", "Central förvaltning", "avdelning"),
)

# Schools from the seed's 2023 top list; when drawn, they are planted at AMI 89-90.
SEED_TOP_SCHOOLS: tuple[str, ...] = ("Magelungsskolan", "Ekens skola")

# Schools named "<Ställe>s skola" are built from a nature word and a place
# ending; the curated "-skolan" names below come first in the pool.
# fmt: off
GRUNDSKOLA_NAMES: tuple[str, ...] = (
    "Ekens skola", "Magelungsskolan", "Solbackeskolan", "Vitsippsskolan", "Kornblomsskolan",
    "Lärkskolan", "Sparvskolan", "Trastskolan", "Ugglebergsskolan", "Rävbergsskolan",
    "Hjortviksskolan", "Nyckelpigans skola", "Blåklockans skola", "Tranängsskolan",
    "Mälarviksskolan", "Sjöstjärnans skola", "Hagtornsskolan", "Ängsgårdsskolan", "Fyrtornsskolan",
    "Kastanjeskolan", "Smedjebackens skola", "Kvarnbackaskolan", "Solrosens skola",
    "Älvängsskolan", "Stenhagsskolan", "Örnnästets skola",
)
_NAME_STEMS: tuple[str, ...] = (
    "Ek", "Björk", "Lind", "Rönn", "Asp", "Al", "Hassel", "Lönn", "Alm", "Gran", "Tall", "Ljung",
    "Vass", "Sälg", "Hägg", "Sol", "Sjö", "Äng", "Ros", "Lövs",
)
_PLACE_ENDINGS: tuple[str, ...] = (
    "backen", "dalen", "hagen", "ängen", "lunden", "åsen", "viken", "holmen", "torpet", "gården",
    "näset", "udden", "berget", "slätten",
)
# fmt: on


def _place_name(stem: str, ending: str) -> str:
    """Join like Swedish spelling does: no letter three times ("Tall" + "lunden" = "Tallunden")."""
    return re.sub(r"(.)\1\1", r"\1\1", stem + ending)


GRUNDSKOLA_POOL: tuple[str, ...] = GRUNDSKOLA_NAMES + tuple(
    f"{_place_name(stem, ending)}s skola"
    for stem in _NAME_STEMS
    for ending in _PLACE_ENDINGS
    if f"{_place_name(stem, ending)}s skola" not in GRUNDSKOLA_NAMES
)

# fmt: off
GYMNASIUM_NAMES: tuple[str, ...] = (
    "Greta Lundqvists gymnasium", "Tora Holms gymnasium", "Anders Ekmans gymnasium",
    "Signe Bergs gymnasium", "Elsa Åkerlunds gymnasium", "Nils Fröbergs gymnasium",
    "Hedvig Strands gymnasium", "Ivar Löfqvists gymnasium", "Märta Sjödins gymnasium",
    "Gösta Rydéns gymnasium", "Sjöviksgymnasiet", "Tallbackagymnasiet", "Hagalundsgymnasiet",
    "Norra Stadsgymnasiet", "Söderåsens gymnasium", "Mälarstrandens tekniska gymnasium",
    "Västerbrons naturbruksgymnasium", "Stadens hotell- och restauranggymnasium",
    "Kungsängens ekonomiska gymnasium", "Brofästets estetiska gymnasium",
    "Fordons- och transportgymnasiet Syd", "Vårdgymnasiet Ängsholmen", "Idrottsgymnasiet Ekvallen",
    "Björkhagens gymnasium", "Lindåsens gymnasium", "Rönnviksgymnasiet", "Hamngymnasiet",
    "Klippans naturvetenskapliga gymnasium", "Stjärnfallets gymnasium", "Ålvikens gymnasium",
    "Östra Kajens gymnasium", "Fyrbåkens gymnasium", "Granbackens gymnasium",
    "Sjöfartsgymnasiet Skeppsholmen", "Bygg- och anläggningsgymnasiet Norr", "Lärkängsgymnasiet",
    "Dansgymnasiet Scenen", "Mediegymnasiet Ljusgården", "Solängens gymnasium",
    "Vindarnas gymnasium",
)

AVDELNING_NAMES: tuple[str, ...] = (
    "Ekonomiavdelningen", "Personalavdelningen", "Kommunikationsavdelningen", "IT-avdelningen",
    "Avdelningen för kvalitet och utveckling", "Juridiska avdelningen", "Lokalavdelningen",
    "Avdelningen för elevhälsa", "Antagningsavdelningen", "Kansliavdelningen",
    "Serviceavdelningen", "Upphandlingsavdelningen", "Avdelningen för skolstöd",
    "Planeringsavdelningen", "Avdelningen för digitalisering", "Analysavdelningen",
)
# fmt: on

# Work-group labels by the unit_type of the group's parent, in the order used.
GROUP_LABELS: dict[str, tuple[str, ...]] = {
    "grundskola": (
        "Arbetslag F-3",
        "Arbetslag 4-6",
        "Arbetslag 7-9",
        "Fritidshem",
        "Elevhälsoteam",
        "Förskoleklass",
        "Grundsärskola",
        "Språk och modersmål",
        "Praktisk-estetiska ämnen",
    ),
    "gymnasieskola": (
        "Naturvetenskapsprogrammet",
        "Samhällsvetenskapsprogrammet",
        "Ekonomiprogrammet",
        "Teknikprogrammet",
        "Introduktionsprogrammen",
        "Estetiska programmet",
        "Elevhälsa",
        "Språk och gemensamma ämnen",
        "Vård- och omsorgsprogrammet",
        "Yrkesprogrammen",
    ),
    "avdelning": (
        "Enheten för planering",
        "Enheten för uppföljning",
        "Enheten för verksamhetsstöd",
        "Enheten för utveckling",
        "Enheten för administration",
        "Enheten för systemförvaltning",
    ),
}
