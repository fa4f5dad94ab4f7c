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
_INVISIBLE_CHARS = "\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]")
_CONTROL_CHARS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_CONTROL = re.compile(f"[{_CONTROL_CHARS}]")
_SPACE_CHARS = "\t\u00a0\u2000-\u200a\u202f\u205f\u3000"
# Runs of spaces that need rewriting: two or more, or any that holds a tab or an unusual space.
# (A single plain space, by far the commonest, is left alone: matching it only to put it back
# costs a fifth of the normalization.)
_SPACES = re.compile(rf"[ {_SPACE_CHARS}]*[{_SPACE_CHARS}][ {_SPACE_CHARS}]*| {{2,}}")
_ODD_SPACE = re.compile(f"[{_SPACE_CHARS}]")
# What `_SPACES` matches in a text without unusual spaces. Many times faster to search for: it
# begins with a plain character (see `_DIGIT_RUN`), and `_SPACES` with a repeat.
_PLAIN_SPACES = re.compile("  +")


def _squeeze_spaces(text: str) -> str:
    """Runs of spaces, tabs and unusual spaces become one space (a cheap test first: most texts have none)."""
    return _SPACES.sub(" ", text) if _ODD_SPACE.search(text) else _squeeze_plain_spaces(text)


def _squeeze_plain_spaces(text: str) -> str:
    """`_squeeze_spaces` for a text without unusual spaces."""
    return _PLAIN_SPACES.sub(" ", text) if "  " in text else text


_SURROGATE_CHARS = "\ud800-\udfff"
_SURROGATES = re.compile(f"[{_SURROGATE_CHARS}]")

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
# not under IGNORECASE: the hint runs on the lowercased text instead (see `_lowered`).
_URL_HINT = re.compile(rf"https?://|www\.|\.(?:{_TLDS})\b")
# Cheaper still, with no copy of the text: a link holds "://" or a dot followed by something ("www.x",
# ".com"), where prose mostly has a space.
_DOT_THEN_SOMETHING = re.compile(r"\.\S")
# "@" then a word, not right after a word character or another "@". The "@" comes first and the
# lookbehind after it, so that a search skips fast to each "@" (a pattern that begins with a
# lookbehind is tried at every position).
_MENTION = re.compile(r"@(?<![\w@]@)\w+")
_HASHTAG = re.compile(r"#(?<![\w#]#)\w+")
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
# twice as slow in Python's regex engine (each branch is entered, not skipped on its first letter).
_MONEY_LOWER = re.compile(_MONEY.pattern.replace("M)", "m)").lower())
# Letters that match an ASCII letter only under IGNORECASE, not once lowercased: the dotless i
# matches "i", the long s matches "s".
_CASE_TRAPS = ("\u0131", "\u017f")
# (Not "\d+": a search skips fast to a pattern's first character only when that is a plain
# character class, not a repeat.)
_DIGIT_RUN = re.compile(r"\d\d*")
_PERCENT = re.compile(rf"\b{_NUM}\s?(?:%|por\s?ciento\b)", re.IGNORECASE)
_PHONE = re.compile(r"(?<![\w+])\+?\(?\d{1,4}\)?(?:[\s.-]?\(?\d{2,5}\)?){2,5}(?![\w])")
#: The fewest digits a phone number has; a match of `_PHONE` with fewer is left to `_NUMBER`.
_PHONE_DIGITS = 8
_NUMBER = re.compile(r"\d+(?:[.,:/]\d+)*")
#: The most characters an amount has before its first digit: a currency code ("us$", "s/.") and a space.
_MONEY_LEAD = 4
#: The most characters a phone number has before its first digit: "+(".
_PHONE_LEAD = 2


def _near_digits(pattern: re.Pattern[str], lead: int) -> re.Pattern[str]:
    """``pattern`` tried at each of ``lead + 1`` positions in turn, from where the match is asked for:
    group 1 is ``pattern``'s match at the first of them where it matches (a lazy prefix of at most
    ``lead`` characters). One call into the regex engine instead of ``lead + 1``: see `_matches_near_digits`."""
    return re.compile(rf"[\s\S]{{0,{lead}}}?({pattern.pattern})", pattern.flags)


_MONEY_NEAR = _near_digits(_MONEY, _MONEY_LEAD)
_MONEY_LOWER_NEAR = _near_digits(_MONEY_LOWER, _MONEY_LEAD)
# Percentages and numbers begin at a digit run's first digit.
_PERCENT_NEAR = _near_digits(_PERCENT, 0)
_PHONE_NEAR = _near_digits(_PHONE, _PHONE_LEAD)
_NUMBER_NEAR = _near_digits(_NUMBER, 0)
_MONEY_REPL = f" {PLACEHOLDERS['money']} "
_PERCENT_REPL = f" {PLACEHOLDERS['percent']} "
_NUMBER_REPL = f" {PLACEHOLDERS['number']} "
# One emoji and what modifies it (variation selectors, skin tones, joiners, keycaps), then a run of
# them. Written to begin with a character class, not a repeated group: the regex engine then skips
# fast to the characters that can start a match instead of trying the group at every position.
_ONE_EMOJI = (
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\u2190-\u21ff]"
    "[\ufe0e\ufe0f\U0001f3fb-\U0001f3ff\u200d\u20e3]*"
)
_EMOJI = re.compile(f"{_ONE_EMOJI}(?:{_ONE_EMOJI})*")
_REPEATS = re.compile(r"([^\W\d_])\1{2,}")
_TRIPLED = re.compile(r"(.)\1\1", re.DOTALL)
# (A character-class search is several times faster than max(text) for this range test.)
_PAST_ARROWS = re.compile("[\u2190-\U0010ffff]")
# Emoji (all past the arrows block) and unusual spaces, both rare in what `mask` reads: one scan for both.
_PAST_ARROWS_OR_ODD_SPACE = re.compile(f"[\u2190-\U0010ffff{_SPACE_CHARS}]")
# UTF-8 read as cp1252/Latin-1: a lead-byte letter (Ã, Â, â, Ä, Å, Ð…) followed by what a
# continuation byte turns into. Cheap to look for; ftfy (slow) runs only where it matches.
_MOJIBAKE_HINT = re.compile(
    "[ÃÂâÄÅÆÐÑÏï][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
    "|[\u0080-\u009f]"
)
# The characters `_MOJIBAKE_HINT` begins with, as one set: scanned for much faster than its branches.
_MOJIBAKE_LEAD_CHARS = "ÃÂâÄÅÆÐÑÏï\u0080-\u009f"
_MOJIBAKE_LEAD = re.compile(f"[{_MOJIBAKE_LEAD_CHARS}]")
# Every character one of `repair`'s passes acts on, as one set: a text without any of them (and that
# NFKC leaves as it is) needs only its runs of plain spaces squeezed. One scan instead of six: most
# messages are like that. (A test checks, code point by code point, that it holds every set it joins.)
_REPAIRABLE = re.compile(
    f"[<&{_SURROGATE_CHARS}{_MOJIBAKE_LEAD_CHARS}{_INVISIBLE_CHARS}{_CONTROL_CHARS}{_SPACE_CHARS}]"
)
_PLACEHOLDER_SET = frozenset(PLACEHOLDERS.values())


def repair(text: str) -> str:
    """Undo export damage: tags, HTML entities, mojibake, odd spaces and invisible characters."""
    if not _REPAIRABLE.search(text) and unicodedata.is_normalized("NFKC", text):
        # Every pass of `_repair_fully` would leave this text as it is but the last.
        return _squeeze_plain_spaces(text).strip()
    return _repair_fully(text)


def _repair_fully(text: str) -> str:
    """`repair`, pass by pass."""
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


def _phone_or_number(matched: str) -> str:
    """A phone's placeholder, or the match itself when it has too few digits to be a phone."""
    digits = sum(ch.isdigit() for ch in matched)
    return f" {PLACEHOLDERS['phone']} " if digits >= _PHONE_DIGITS else matched


def mask(text: str) -> str:
    """Replace specifics (links, contacts, amounts, emoji) with placeholders that keep the signal."""
    # Each pattern runs only when the character it needs is present: most messages have no
    # "@", "#" or digit, and skipping those passes more than doubles the speed.
    if "@" in text:
        text = _mask_emails(text)
    if _has_url_hint(text):
        text = _URL.sub(f" {PLACEHOLDERS['url']} ", text)
    if "@" in text:
        text = _MENTION.sub(f" {PLACEHOLDERS['mention']} ", text)
    if "#" in text:
        text = _HASHTAG.sub(f" {PLACEHOLDERS['hashtag']} ", text)
    runs = _digit_runs(text)
    if runs:
        text = _mask_digits(text, runs)
    # The placeholders above add no emoji and no unusual space: one scan tells whether either is there.
    if _PAST_ARROWS_OR_ODD_SPACE.search(text):
        if _PAST_ARROWS.search(text):
            text = _EMOJI.sub(f" {PLACEHOLDERS['emoji']} ", text)
        return _squeeze_spaces(text).strip()
    return _squeeze_plain_spaces(text).strip()


def _mask_emails(text: str) -> str:
    r"""``_EMAIL.sub`` with the email placeholder, tried only where a match can begin: the first
    character of the run of address characters ([\w.+-]) that ends at an "@", or where the previous
    match ended if that is inside the run. (A match's address part runs up to its "@", and from
    anywhere in that run the rest of the match is the same: the first place matches if any does. A
    search tries each character of the text, and most of a word's.)"""
    repl = f" {PLACEHOLDERS['email']} "
    parts: list[str] = []
    done = 0  # no match begins before this position; the text before it is in parts
    at = text.find("@")
    while at >= 0:
        start = at
        while start > done and _is_address_char(text[start - 1]):
            start -= 1
        found = _EMAIL.match(text, start) if start < at else None
        if found:
            parts += (text[done:start], repl)
            done = found.end()
            at = text.find("@", done)
        else:
            at = text.find("@", at + 1)
    if not parts:
        return text
    parts.append(text[done:])
    return "".join(parts)


def _is_address_char(char: str) -> bool:
    r"""Does `_EMAIL`'s [\w.+-] match ``char``? (\w is what str.isalnum accepts, and "_".)"""
    return char.isalnum() or char in "_.+-"


def _lowered(text: str) -> str | None:
    """``text`` lowercased, when a pattern in lowercase matching it finds what the pattern under
    IGNORECASE finds in ``text`` at the same places; None when it may not: lowercasing changed the
    length (a few letters, like "İ"), or a letter matches an ASCII one only under the flag."""
    low = text.lower()
    if len(low) != len(text) or any(trap in low for trap in _CASE_TRAPS):
        return None
    return low


def _has_url_hint(text: str) -> bool:
    """False only when `_URL` cannot match: no "://", no dot followed by something, or (lowercased) none
    of the starts and endings of a link."""
    if "://" not in text and not _DOT_THEN_SOMETHING.search(text):
        return False
    low = _lowered(text)
    return low is None or bool(_URL_HINT.search(low))


def _digit_runs(text: str) -> list[tuple[int, int]]:
    """Where each run of digits begins and ends."""
    return [run.span() for run in _DIGIT_RUN.finditer(text)]


def _mask_digits(text: str, runs: list[tuple[int, int]]) -> str:
    """Amounts, then percentages, phones and the other numbers, each on the previous one's result:
    ``_MONEY.sub``, ``_PERCENT.sub``, ``_PHONE.sub`` and ``_NUMBER.sub`` in turn, with their placeholders.

    ``runs``: the text's `_digit_runs`. Each pattern is tried only near a run's first digit, where
    its matches begin (see `_matches_near_digits`), and the runs are followed through the
    replacements instead of being looked for again: each search for them scans the whole text."""
    low = _lowered(text)
    if low is None:
        edits = _matches_near_digits(_MONEY_NEAR, _MONEY_LEAD, _MONEY_REPL, text, runs)
    else:
        edits = _matches_near_digits(_MONEY_LOWER_NEAR, _MONEY_LEAD, _MONEY_REPL, text, runs, low)
    text, runs = _edited(text, edits), _runs_after(runs, edits)
    edits = _matches_near_digits(_PERCENT_NEAR, 0, _PERCENT_REPL, text, runs)
    text, runs = _edited(text, edits), _runs_after(runs, edits)
    # With fewer digits in the whole text than a phone has, no match of `_PHONE` is replaced.
    if sum(end - start for start, end in runs) >= _PHONE_DIGITS:
        edits = _matches_near_digits(_PHONE_NEAR, _PHONE_LEAD, _phone_or_number, text, runs)
        text, runs = _edited(text, edits), _runs_after(runs, edits)
    return _edited(text, _matches_near_digits(_NUMBER_NEAR, 0, _NUMBER_REPL, text, runs))


#: A replacement in a text: where it begins and ends there, and what replaces it.
_Edit = tuple[int, int, str]


def _matches_near_digits(
    near: re.Pattern[str],
    lead: int,
    repl: str | Callable[[str], str],
    text: str,
    runs: list[tuple[int, int]],
    low: str | None = None,
) -> list[_Edit]:
    """The replacements ``pattern.sub(repl, text)`` makes, for a pattern whose every match holds a
    digit run's first digit at most ``lead`` characters from its start (``near`` is `_near_digits` of
    it): only the positions up to ``lead`` before a run's first digit are tried, from where the
    previous try ended, as a search would. (A search tries, and fails, at each of a long text's
    characters: most of the cost of the money and phone patterns.) ``runs``: the text's `_digit_runs`.
    ``low``: match there, replace in ``text`` (same length; see `_lowered`). A match left as it is
    (a phone's too few digits) is no replacement."""
    read = text if low is None else low
    edits: list[_Edit] = []
    done = 0  # every position before this one was tried, or is inside a match
    for first, _ in runs:
        if first < done:
            continue
        start = max(done, first - lead)
        found = near.match(read, start)
        if found is None:
            done = start + lead + 1  # ``near`` tried the positions from start to start + lead
            continue
        begin, done = found.span(1)
        matched = text[begin:done]
        replacement = repl if isinstance(repl, str) else repl(matched)
        if replacement != matched:
            edits.append((begin, done, replacement))
    return edits


def _edited(text: str, edits: list[_Edit]) -> str:
    """``text`` with its ``edits`` (in order, apart) made; ``text`` itself without any."""
    if not edits:
        return text
    parts: list[str] = []
    last = 0  # the text before this position is in parts
    for begin, end, replacement in edits:
        parts += (text[last:begin], replacement)
        last = end
    parts.append(text[last:])
    return "".join(parts)


def _runs_after(runs: list[tuple[int, int]], edits: list[_Edit]) -> list[tuple[int, int]]:
    """The digit runs of the text `_edited` from the one whose ``runs`` they are, without searching it:
    a run outside the edits moves by what the edits before it added or took away, a run an edit
    covers is gone but for its digits past the edit's end ("$1 2345" leaves "5"). This holds because
    no edit begins inside a run (a digit right after a digit begins no match of the digit patterns)
    and no replacement holds a digit (the placeholders) or touches one (they begin and end with a space)."""
    if not edits:
        return runs
    moved: list[tuple[int, int]] = []
    shift = 0  # how much longer the edited text is, up to the current edit
    i = 0  # the next run to place
    for begin, end, replacement in edits:
        while i < len(runs) and runs[i][0] < begin:  # before the edit
            moved.append((runs[i][0] + shift, runs[i][1] + shift))
            i += 1
        shift += len(replacement) - (end - begin)
        while i < len(runs) and runs[i][0] < end:  # inside it
            if runs[i][1] > end:
                moved.append((end + shift, runs[i][1] + shift))
            i += 1
    moved += [(first + shift, last + shift) for first, last in runs[i:]]
    return moved


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
# The characters the table changes, in a group: split() returns each at an odd place.
_FOLDABLE = re.compile(f"([{''.join(_FOLDED)}])")
# Combining marks (one standing alone makes per-character folding wrong) and the characters past
# the table: either sends a text to the slow path. One scan for both.
_SLOW_TO_FOLD = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\u3000-\U0010ffff]")


def fold_accents(text: str) -> str:
    """Strip accents and diaeresis but keep ñ, so "información" meets "informacion"."""
    if text.isascii():
        return text
    if _SLOW_TO_FOLD.search(text):
        return _fold_slowly(text)
    # The text between foldable characters at the even places, each foldable one at an odd place,
    # replaced through the table in one map (a substitution would call back into Python for each).
    parts = _FOLDABLE.split(text)
    parts[1::2] = map(_FOLDED.__getitem__, parts[1::2])
    return unicodedata.normalize("NFC", "".join(parts))


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
