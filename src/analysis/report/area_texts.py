"""The eight question areas of Stockholm's personnel policy and their descriptions.

The 2023 presentation introduces each area's results with one paragraph from
the personnel policy (seed documents 000 and 001). Reports show that text when
the input's area names match these; other organisations' areas have no text,
and the report simply shows the area's figures without one.
"""

from __future__ import annotations

import unicodedata

AREA_TEXTS: dict[str, str] = {
    "Vårt gemensamma uppdrag": (
        "Som medarbetare i Stockholms stad arbetar vi för stockholmarna. Oavsett vilken "
        "arbetsplats vi arbetar på känner vi stolthet och engagemang för det arbete vi gör."
    ),
    "Politik och verksamheter": (
        "Varje verksamhet inom staden bidrar till att uppfylla stadens uppdrag och mål. Det "
        "finns en tydlig koppling mellan de övergripande politiska målen och verksamheternas "
        "specifika mål och resultat."
    ),
    "Styra mot gemensamma mål": (
        "I Stockholms stad arbetar vi med tydliga mål och uppföljning för att utveckla "
        "verksamheten. Det är viktigt att chefer och medarbetare för en dialog om mål och "
        "förväntade resultat så att alla förstår hur de kan bidra."
    ),
    "Utvecklas och lära nytt": (
        "I Stockholms stad arbetar vi ständigt för att utveckla verksamheten och vår kompetens. "
        "Kompetens- och verksamhetsutveckling är ett gemensamt ansvar för chefer och medarbetare."
    ),
    "Delaktighet och inflytande": (
        "Delaktighet, inflytande och öppenhet på arbetsplatsen skapar förtroende och bidrar till "
        "utveckling och ett gott arbetsklimat."
    ),
    "Hälsa och arbetsmiljö": (
        "En god arbetsmiljö och ett gott arbetsklimat bidrar till väl fungerande verksamheter och "
        "ett långsiktigt hållbart arbetsliv. Både chefer och medarbetare har ett ansvar för "
        "arbetsmiljön."
    ),
    "Lika rättigheter och möjligheter": (
        "Stadens verksamheter ska kännetecknas av respekt för alla människors lika värde. Våra "
        "arbetsplatser ska genomsyras av jämställdhet, jämlikhet och frihet från diskriminering. "
        "Vår arbetsmiljö ska vara fri från kränkande särbehandling, trakasserier, sexuella "
        "trakasserier och repressalier."
    ),
    "Lön": (
        "Stockholms stad har individuell och differentierad lönesättning. Det förutsätter att "
        "alla medarbetare känner till vilka krav, förväntningar och mål som gäller och att chefen "
        "följer upp och återkopplar resultaten."
    ),
}


def _key(name: str) -> str:
    """Compare area names the way a reader would: case, accents' encoding and spacing aside."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


_BY_KEY = {_key(name): text for name, text in AREA_TEXTS.items()}


def area_text(area: str) -> str | None:
    """The policy text of ``area``, or None when the area is not one of the eight."""
    return _BY_KEY.get(_key(area))
