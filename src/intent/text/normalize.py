"""Text normalization before spaCy: repair, placeholders, squashing, case and accent folding.

LinkedIn exports carry HTML entities, ``<br>`` tags, non-breaking spaces and mojibake; people
type without accents, stretch letters and paste links and prices. Normalizing all of that makes
"informacion" meet "información" and turns specifics (a URL, a price) into the signal they carry.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable

from intent.config import MAX_CHARS, PLACEHOLDERS

_BR = re.compile(r"<\s*br\s*/?\s*>|<\s*/\s*p\s*>", re.IGNORECASE)
_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")
# Zero-width characters, bidi marks, soft hyphen, BOM: invisible and meaningless for intent.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACE_CHARS = "\t\u00a0\u2000-\u200a\u202f\u205f\u3000"
# Runs of spaces that need rewriting: two or more, or any that holds a tab or an unusual space.
# (A single plain space, by far the commonest, is left alone: matching it only to put it back
# costs a fifth of the normalization.)
_SPACES = re.compile(rf"[ {_SPACE_CHARS}]*[{_SPACE_CHARS}][ {_SPACE_CHARS}]*| {{2,}}")
_ODD_SPACE = re.compile(f"[{_SPACE_CHARS}]")


def _squeeze_spaces(text: str) -> str:
    """Runs of spaces, tabs and unusual spaces become one space (a cheap test first: most texts have none)."""
    return _SPACES.sub(" ", text) if "  " in text or _ODD_SPACE.search(text) else text


_SURROGATES = re.compile("[\ud800-\udfff]")

_TLDS = (
    "com|net|org|io|co|es|mx|ar|cl|pe|uy|ve|do|ec|bo|py|gt|cr|pa|hn|sv|ni|cu|pr|ly|app|me|"
    "info|biz|link|site|online|store|shop|ai|dev|tech|academy|page|gl|gle|to|tv|us|lat"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(
    r"(?:https?://|www\.)\S+"
    rf"|\b[\w-]+(?:\.[\w-]+)*\.(?:{_TLDS})\b(?:/\S*)?",
    re.IGNORECASE,
)
# Cheap to search for: without a match, the full pattern cannot match. Python's regex engine
# scans fast for a pattern that begins with literals (it skips to their first characters), but
# not under IGNORECASE: the hints run on the lowercased text instead (see `_lowered`).
_URL_HINT = re.compile(rf"https?://|www\.|\.(?:{_TLDS})\b")
_MENTION = re.compile(r"(?<![\w@])@\w+")
_HASHTAG = re.compile(r"(?<![\w#])#\w+")
_NUM = r"\d+(?:[.,\s]\d{3})*(?:[.,]\d+)?"
_CURRENCY_BEFORE = r"(?:US\$|U\$S|USD|EUR|MXN|COP|CLP|ARS|PEN|UYU|VES|DOP|S/\.?|\$|€|£)"
_CURRENCY_AFTER = (
    r"(?:€|\$|k€|euros?|d[oó]lares?|pesos?|soles?|bol[ií]vares?|usd|eur|mxn|cop|clp|ars|pen|"
    r"lucas?|palos?)"
)
_MONEY = re.compile(
    rf"{_CURRENCY_BEFORE}\s?{_NUM}(?:\s?(?:k|mil|millones|M)\b)?"
    rf"|\b{_NUM}\s?(?:(?:k|mil|millones?)\s?(?:de\s)?)?{_CURRENCY_AFTER}(?!\w)",
    re.IGNORECASE,
)
# The same pattern for lowercased text, without IGNORECASE: case-insensitive alternation is
# twice as slow in Python's regex engine, and money is looked for in every text with a digit.
_MONEY_LOWER = re.compile(_MONEY.pattern.replace("M)", "m)").lower())
# Letters that match an ASCII letter only under IGNORECASE, not once lowercased: the dotless i
# matches "i", the long s matches "s".
_CASE_TRAPS = ("\u0131", "\u017f")
_DIGIT_RUN = re.compile(r"\d+")
#: The most characters an amount has before its first digit: a currency code ("us$", "s/.") and a space.
_MONEY_LEAD = 4
#: The most characters a phone number has before its first digit: "+(".
_PHONE_LEAD = 2
_PERCENT = re.compile(rf"\b{_NUM}\s?(?:%|por\s?ciento\b)", re.IGNORECASE)
_PHONE = re.compile(r"(?<![\w+])\+?\(?\d{1,4}\)?(?:[\s.-]?\(?\d{2,5}\)?){2,5}(?![\w])")
_NUMBER = re.compile(r"\d+(?:[.,:/]\d+)*")
_DIGIT = re.compile(r"\d")
_EMOJI = re.compile(
    "(?:[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\u2190-\u21ff]"
    "[\ufe0e\ufe0f\U0001f3fb-\U0001f3ff\u200d\u20e3]*)+"
)
_REPEATS = re.compile(r"([^\W\d_])\1{2,}")
_TRIPLED = re.compile(r"(.)\1\1", re.DOTALL)
# (A character-class search is several times faster than max(text) for these range tests.)
_PAST_ARROWS = re.compile("[\u2190-\U0010ffff]")
_PAST_TABLE = re.compile("[\u3000-\U0010ffff]")
# UTF-8 read as cp1252/Latin-1: a lead-byte letter (Ã, Â, â, Ä, Å, Ð…) followed by what a
# continuation byte turns into. Cheap to look for; ftfy (slow) runs only where it matches.
_MOJIBAKE_HINT = re.compile(
    "[ÃÂâÄÅÆÐÑÏï][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
    "|[\u0080-\u009f]"
)
# The characters `_MOJIBAKE_HINT` begins with, as one set: scanned for much faster than its branches.
_MOJIBAKE_LEAD = re.compile("[ÃÂâÄÅÆÐÑÏï\u0080-\u009f]")
_PLACEHOLDER_SET = frozenset(PLACEHOLDERS.values())


def repair(text: str) -> str:
    """Undo export damage: tags, HTML entities, mojibake, odd spaces and invisible characters."""
    if not text.isascii():
        text = _SURROGATES.sub("", text)
    if "<" in text:
        text = _TAG.sub(" ", _BR.sub("\n", text))
    if "&" in text:
        # Entities can arrive escaped twice ("&amp;#39;"); two passes undo both.
        text = html.unescape(html.unescape(text))
    if _MOJIBAKE_LEAD.search(text) and _MOJIBAKE_HINT.search(text):
        import ftfy  # only texts that look damaged need it (and its import is not free)

        text = ftfy.fix_text(text, unescape_html=False, normalization="NFC")
    text = unicodedata.normalize("NFKC", text)
    if not text.isascii():
        text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub(" ", text)
    return _squeeze_spaces(text).strip()


def _phone_or_number(match: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0))
    return f" {PLACEHOLDERS['phone']} " if digits >= 8 else match.group(0)


def mask(text: str) -> str:
    """Replace specifics (links, contacts, amounts, emoji) with placeholders that keep the signal."""
    # Each pattern runs only when the character it needs is present: most messages have no
    # "@", "#" or digit, and skipping those passes more than doubles the speed.
    if "@" in text:
        text = _EMAIL.sub(f" {PLACEHOLDERS['email']} ", text)
    if ("." in text or "/" in text) and _has_url_hint(text):
        text = _URL.sub(f" {PLACEHOLDERS['url']} ", text)
    if "@" in text:
        text = _MENTION.sub(f" {PLACEHOLDERS['mention']} ", text)
    if "#" in text:
        text = _HASHTAG.sub(f" {PLACEHOLDERS['hashtag']} ", text)
    if _DIGIT.search(text):
        text = _mask_money(text)
        if _may_hold_percent(text):
            text = _PERCENT.sub(f" {PLACEHOLDERS['percent']} ", text)
        text = _sub_near_digits(_PHONE, _PHONE_LEAD, _phone_or_number, text)
        text = _NUMBER.sub(f" {PLACEHOLDERS['number']} ", text)
    if not text.isascii() and _PAST_ARROWS.search(text):  # every emoji is past the arrows block
        text = _EMOJI.sub(f" {PLACEHOLDERS['emoji']} ", text)
    return _squeeze_spaces(text).strip()


def _lowered(text: str) -> str | None:
    """``text`` lowercased, when a pattern in lowercase matching it finds what the pattern under
    IGNORECASE finds in ``text`` at the same places; None when it may not: lowercasing changed the
    length (a few letters, like "İ"), or a letter matches an ASCII one only under the flag."""
    low = text.lower()
    if len(low) != len(text) or any(trap in low for trap in _CASE_TRAPS):
        return None
    return low


def _has_url_hint(text: str) -> bool:
    low = _lowered(text)
    return low is None or bool(_URL_HINT.search(low))


def _may_hold_percent(text: str) -> bool:
    """False only when `_PERCENT` cannot match: no "%" and no "ciento" in any case."""
    if "%" in text:
        return True
    low = _lowered(text)
    return low is None or "ciento" in low


def _mask_money(text: str) -> str:
    """``_MONEY.sub`` with the money placeholder (the lowercase pattern on the lowercased text)."""
    repl = f" {PLACEHOLDERS['money']} "
    low = _lowered(text)
    if low is None:
        return _MONEY.sub(repl, text)
    return _sub_near_digits(_MONEY_LOWER, _MONEY_LEAD, lambda _: repl, text, low)


def _sub_near_digits(
    pattern: re.Pattern[str], lead: int, repl: Callable[[re.Match[str]], str], text: str, low: str | None = None
) -> str:
    """``pattern.sub(repl, text)`` for a pattern whose every match holds a digit run's first digit at
    most ``lead`` characters from its start: only those positions are tried, in order, from where
    the previous match ended, as a search would. (A search tries, and fails, at each of a long
    text's characters: most of the cost of the phone and money patterns.) ``low``: match there,
    replace in ``text`` (same length; see `_lowered`)."""
    read = text if low is None else low
    parts: list[str] = []
    done = 0  # no match starts before this position
    last = 0
    for run in _DIGIT_RUN.finditer(read):
        first = run.start()
        for start in range(max(done, first - lead), first + 1):
            found = pattern.match(read, start)
            if found:
                parts += (text[last:start], repl(found))
                done = last = found.end()
                break
        else:
            done = max(done, first + 1)
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)


def squash_repeats(text: str) -> str:
    """Collapse letters stretched three or more times ("holaaa" -> "hola"); Spanish never triples."""
    # Most texts stretch nothing: searching for any character tripled (a simpler pattern, a superset
    # of the letters it squashes; "." skips the category test \w costs) is cheaper than substituting.
    return _REPEATS.sub(r"\1", text) if _TRIPLED.search(text) else text


def _fold_slowly(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    kept = []
    for i, ch in enumerate(decomposed):
        if unicodedata.combining(ch) and not (ch == "\u0303" and i and decomposed[i - 1] in "nN"):
            continue
        kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept))


# Each character folded on its own gives the same result as the whole text folded, except where a
# combining mark stands alone (a tilde typed after an n): those texts take the slow path.
_FOLDED = {ch: _fold_slowly(ch) for ch in map(chr, range(0x80, 0x3000)) if _fold_slowly(ch) != ch}
_FOLDABLE = re.compile(f"[{''.join(_FOLDED)}]")
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold_accents(text: str) -> str:
    """Strip accents and diaeresis but keep ñ, so "información" meets "informacion"."""
    if text.isascii():
        return text
    if _PAST_TABLE.search(text) or _COMBINING.search(text):  # outside the table, or a mark standing alone
        return _fold_slowly(text)
    return unicodedata.normalize("NFC", _FOLDABLE.sub(lambda m: _FOLDED[m.group()], text))


def truncate(text: str) -> tuple[str, bool]:
    """Cap the length so one pasted book cannot stall a batch; report whether it was cut."""
    if len(text) <= MAX_CHARS:
        return text, False
    return text[:MAX_CHARS], True


# An ASCII letter or digit survives `repair` unless a tag, an entity or a terminal escape holds it.
_PLAIN_ALNUM = re.compile(r"[0-9A-Za-z]")


def has_content(text: str) -> bool:
    """Is there anything to classify in what the model reads (the first `MAX_CHARS` characters),
    once repaired? ``<p></p>``, ``&nbsp;``, a zero-width space or control characters alone are not.

    The one test of "empty": `predict` refuses such a message, `classify` and batch files give it
    status ``empty`` (``no_message`` for an invitation).
    """
    head, _ = truncate(text)
    if not head.strip() and "\x85" not in head:  # U+0085 is whitespace to Python, but mojibake for "…" to repair
        return False
    if "<" not in head and "&" not in head and "\x1b" not in head and _PLAIN_ALNUM.search(head):
        return True  # the common case, without the cost of a repair
    return bool(repair(head))


def normalize(text: str) -> str:
    """The full normalization, in order: repair, placeholders, squash, lowercase.

    Accent folding is left to the caller: lemmas need the accents to be looked up first.
    """
    text, _ = truncate(text)
    return squash_repeats(mask(repair(text))).lower()


def is_placeholder(token: str) -> bool:
    """True for the placeholder tokens `mask` inserts."""
    return token in _PLACEHOLDER_SET
