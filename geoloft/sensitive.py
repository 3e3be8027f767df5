"""The origin guard: country of origin and similar data are never designation criteria.

Områdeløft designates areas by living conditions, not by who lives there.
Indicators of country of origin, immigrant background, citizenship, refugee
status, religion or ethnicity may be *shown* (context on a map, a profile)
but must not decide which areas qualify, unless the user explicitly allows
it, with a legal basis and an assessment; the permission is then recorded.

This module is the one place that decides what is sensitive. A text (an
indicator id, label, domain or a column name) is sensitive when it matches a
wording of one of those themes in bokmål, nynorsk or English. Matching
ignores case, folds æ/ø/å and accents (``fødd`` = ``fodd``), and reads ``_``,
``-`` and camelCase as word breaks (``ikkeVestlig``, ``non-western-share``).
Catalogue entries can also be marked ``sensitive = true``.

Every stage where a criterion can enter (score criteria and weights,
delineation selections, rules, top shares, hot-spot variables, priority
columns, the project file, the command line) calls :func:`check_criteria`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from geoloft.errors import InputError

__all__ = [
    "SENSITIVE_COLUMNS",
    "SENSITIVE_DOMAINS",
    "THEMES",
    "check_criteria",
    "is_sensitive_text",
    "normalise",
    "sensitive_theme",
]

#: Key of ``DataFrame.attrs`` naming the columns that hold sensitive data (column -> theme).
SENSITIVE_COLUMNS = "sensitive_columns"
#: Catalogue domains that are sensitive whatever the labels say.
SENSITIVE_DOMAINS = frozenset(
    {
        "origin",
        "ethnicity",
        "immigration",
        "immigrants",
        "landbakgrunn",
        "innvandring",
        "citizenship",
        "statsborgerskap",
        "refugees",
        "religion",
    }
)

# Patterns run on normalise(text): lower case, æ->ae, ø->o, å->a, no accents,
# word breaks as single spaces. Keep them specific: a false alarm stops a run.
_THEMES: dict[str, tuple[str, ...]] = {
    "country of origin": (
        r"landsbakgrunn",
        r"landbakgr",
        r"fodeland",
        r"fodland",
        r"\bfod(?:t|d|de|te)? i (?:det )?utland",
        r"\bfod(?:t|d|de|te)? utland",
        r"utenlandsfod",
        r"utanlandsfod",
        r"born (?:abroad|outside|overseas|in another country)",
        r"foreign ?born",
        r"overseas ?born",
        r"countr(?:y|ies) of (?:birth|origin)",
        r"country background",
        r"(?:national|ethnic|foreign|migrant) origin",
        r"opprinnelsesland",
        r"\bherkomst",
        r"\b(?:ikke|ikkje|non) ?vest",
        r"\bnon ?western",
        r"\bwestern (?:count|share|background|countr|immigr|origin|born|rate|n\b|pct)",
        r"\bvestl(?:ig|eg)e? (?:bakgrunn|land|innvandr|opprinnelse)",
        r"bakgrunn fra\b",
        r"background from",
        r"\bverdensdel",
        r"\bverdsdel",
        r"\bworld region",
        r"\bafrika",
        r"\bafrica",
        r"\basia\b",
        r"\basiat",
        r"latin ?amerika",
        r"latin ?america",
        r"\bost ?europa",
        r"eastern europe",
        r"\bmidtosten",
        r"middle east",
        r"minoritetsspr",
        r"spraklig minoritet",
        r"minority language",
        r"\bmorsmal",
        r"mother tongue",
        r"\bnorskopplaering",
        r"norsk som andresprak",
        r"non ?native speak",
    ),
    "immigrant background": (
        r"innvandr",
        r"innvandar",
        r"immigra",
        r"\bmigrants?\b",
        r"\binnv\b",
        r"etterkommer",
        r"etterkomar",
        r"norskfod(?:t|d|de|te)?e? (?:med|barn av)",
        r"norwegian ?born (?:to|with)",
        r"born in norway to",
        r"(?:second|first) ?generation",
        r"(?:andre|annen|forste|fyrste) ?generasjon",
        r"foreign background",
        r"(?:utenlandsk|utanlandsk) bakgrunn",
        r"minoritetsbakgrunn",
        r"fle(?:i)?rkulturell",
        r"multicultural",
        r"\bnyankomn",
        r"\bnykommer",
        r"newly arrived",
    ),
    "citizenship": (
        r"statsborg",
        r"citizen",
        r"nationalit",
        r"nasjonalitet",
        r"statslos",
        r"stateless",
        r"\bforeign",
        r"\butlending",
        r"\butenlandsk",
        r"\butanlandsk",
        r"oppholdstillatelse",
        r"opphaldslo",
        r"residence permit",
    ),
    "refugee status": (
        r"flyktn",
        r"refugee",
        r"\basyl",
        r"familiegjenforen",
        r"familieinnvandr",
        r"familiesameining",
        r"family reunif",
        r"resettled",
        r"introduksjonsprogram",
        r"introduction programme",
    ),
    "religion": (
        r"religi",
        r"\btros ?(?:og )?(?:samfunn|retning|tilhorighet)",
        r"\btrus ?(?:og )?(?:samfunn|retning)",
        r"\btrossamfunn",
        r"\btrussamfunn",
        r"livssyn",
        r"\bmuslim",
        r"\bislam",
        r"\bkristne\b",
        r"\bkristen\b",
        r"kristendom",
        r"\bchristian",
        r"\bjodisk",
        r"\bjoder\b",
        r"\bjodar\b",
        r"\bjewish",
        r"\bjudais",
        r"\bhindu",
        r"\bbuddh",
        r"\bsikh",
        r"\bkatolsk",
        r"\bcatholic",
        r"\bprotestant",
        r"\bortodoks",
        r"\borthodox",
        r"\bmoske",
        r"\bmosque",
        r"\bsynagog",
        r"\bkirkemedlem",
        r"\bden norske kirke",
        r"\bden norske kyrkja",
        r"church member",
        r"\bfaith",
    ),
    "ethnicity": (
        r"\betni",
        r"\bethni",
        r"\brase\b",
        r"\brace\b",
        r"\bracial",
        r"\brasial",
        r"hudfarge",
        r"skin colou?r",
        r"\bsamisk",
        r"\bsami\b",
        r"\bsaami",
        r"\bsamer\b",
        r"\bkvensk",
        r"\bkvener\b",
        r"skogfinn",
        r"\bromani",
        r"\btater",
        r"\bminorit",
    ),
}
#: Theme -> compiled pattern; the themes named in error messages.
THEMES: dict[str, re.Pattern[str]] = {
    theme: re.compile("|".join(parts)) for theme, parts in _THEMES.items()
}
_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "a"})
_CAMEL = re.compile(r"(?<=[a-zæøå])(?=[A-ZÆØÅ])|(?<=[A-ZÆØÅ])(?=[A-ZÆØÅ][a-zæøå])")
_BREAKS = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    """Return ``text`` as matched: lower case, æøå folded, accents off, word breaks as spaces.

    A space is added at each end, so patterns can anchor on whole words.

    Examples
    --------
    >>> normalise("Ikke-vestlig_bakgrunn"), normalise("fødtIUtlandet")
    (' ikke vestlig bakgrunn ', ' fodt i utlandet ')
    """
    text = _CAMEL.sub(" ", str(text)).lower().translate(_FOLD)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("oe", "o").replace("aa", "a")
    return " " + _BREAKS.sub(" ", text).strip() + " "


def sensitive_theme(*texts: str | None) -> str | None:
    """Return the sensitive theme the texts touch (``"citizenship"``, …), or ``None``.

    Parameters
    ----------
    *texts
        Ids, labels, domains or column names; ``None`` entries are ignored.

    Examples
    --------
    >>> sensitive_theme("Utanlandske statsborgarar")
    'citizenship'
    >>> sensitive_theme("Lavinntekt (EU60)", "lavinntekt_n") is None
    True
    """
    for text in texts:
        if not text:
            continue
        norm = normalise(text)
        for theme, pattern in THEMES.items():
            if pattern.search(norm):
                return theme
    return None


def is_sensitive_text(*texts: str | None) -> bool:
    """Return True when any of the texts describes origin, citizenship, religion or similar.

    Examples
    --------
    >>> is_sensitive_text("innvandrere_rate"), is_sensitive_text("Fødd i utlandet")
    (True, True)
    >>> is_sensitive_text("Trangbodde"), is_sensitive_text("qualifies")
    (False, False)
    """
    return sensitive_theme(*texts) is not None


def check_criteria(
    names: Iterable[str],
    *,
    allow: bool,
    source: str,
    marked: Mapping[str, str] | Iterable[str] = (),
    hint: str | None = None,
) -> list[str]:
    """Refuse sensitive criteria unless allowed; return the sensitive ones found.

    Parameters
    ----------
    names
        Columns or indicator ids that would decide which areas qualify.
    allow
        The user's explicit permission (``allow_sensitive=True``,
        ``--allow-sensitive``, ``allow_sensitive = true`` in the project file).
    source
        Where the criteria come from, named in the error (``"select"``, …).
    marked
        Names known to be sensitive from elsewhere (a catalogue entry marked
        ``sensitive = true``, a score table's attributes), or a mapping of such
        names to the reason shown.
    hint
        How to allow it in the caller's words; a generic hint by default.

    Returns
    -------
    list of str
        The sensitive names, in order (empty when none); to be recorded when
        ``allow`` is True.

    Raises
    ------
    InputError
        When a name is sensitive and ``allow`` is False.

    Examples
    --------
    >>> check_criteria(["index", "lavinntekt_rate"], allow=False, source="select")
    []
    >>> check_criteria(["innvandrere_rate"], allow=True, source="select")
    ['innvandrere_rate']
    """
    known = dict(marked) if isinstance(marked, Mapping) else dict.fromkeys(marked, "marked")
    found, themes = [], []
    for name in dict.fromkeys(str(n) for n in names):
        theme = known.get(name) or sensitive_theme(name)
        if theme is not None:
            found.append(name)
            themes.append(theme)
    if found and not allow:
        what = ", ".join(f"'{n}' ({t})" for n, t in zip(found, themes, strict=True))
        raise InputError(
            f"{what} describe{'s' if len(found) == 1 else ''} country of origin, immigrant "
            "background, citizenship, refugee status, religion or ethnicity and cannot "
            "decide which areas qualify.",
            source=source,
            hint=hint
            or "show such data as context only (a map layer, context_only = true in the "
            "catalogue); if a legal basis and an assessment exist, allow it explicitly with "
            "allow_sensitive=True (CLI: --allow-sensitive; project file: allow_sensitive = "
            "true), which is recorded in the run report.",
        )
    return found
