"""The languages a parent may choose, and their gettext catalogs (content/locale).

Catalogs are kept as `.po` files only and compiled in memory when the bot starts, so a service
can replace a translation by replacing one file, with no build step and no code change.
"""

from __future__ import annotations

import gettext
import re
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DOMAIN = "messages"
DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class Language:
    code: str
    # The language's name in itself: a parent who reads only Urdu can still find "اردو".
    own_name: str
    # The Babel locale for dates and plural rules.
    locale: str
    right_to_left: bool = False


LANGUAGES: dict[str, Language] = {
    language.code: language
    for language in (
        Language("en", "English", "en_GB"),
        Language("pl", "Polski", "pl_PL"),
        Language("ur", "اردو", "ur_PK", right_to_left=True),
        Language("pa", "ਪੰਜਾਬੀ", "pa_Guru_IN"),
        Language("gu", "ગુજરાતી", "gu_IN"),
        Language("ro", "Română", "ro_RO"),
        Language("ar", "العربية", "ar", right_to_left=True),
    )
}


def language_of(code: str | None) -> Language:
    """The language for a stored or Telegram language code ("pl", "pt-br", None); English
    for a code we do not speak."""
    base = (code or "").replace("_", "-").split("-")[0].lower()
    return LANGUAGES.get(base, LANGUAGES[DEFAULT_LANGUAGE])


def babel_locale(language: Language) -> Locale:
    return Locale.parse(language.locale)


def catalog_path(locale_dir: Path, code: str) -> Path:
    return locale_dir / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(path: Path, code: str) -> Catalog:
    with path.open("rb") as po_file:
        return read_po(po_file, locale=code, domain=DOMAIN)


@cache
def translations(locale_dir: Path, code: str) -> gettext.NullTranslations:
    """The language's catalog compiled in memory; English (the message ids) has none.
    Untranslated and fuzzy entries are left out, so they show in English, never blank."""
    path = catalog_path(locale_dir, code)
    if code == DEFAULT_LANGUAGE or not path.exists():
        return gettext.NullTranslations()
    compiled = BytesIO()
    write_mo(compiled, read_catalog(path, code), use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


# What a translation must carry over from the English unchanged.
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_TAG = re.compile(r"</?[a-z]+[^>]*>")
_COMMAND = re.compile(r"(?<![\w/])/[a-z]+\b")


def template_messages(content_dir: Path) -> set[str | tuple[str, str]]:
    """Every message the templates mark for translation (as `pybabel extract` with
    content/babel.cfg finds them): a string, or (singular, plural)."""
    with (content_dir / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: set[str | tuple[str, str]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        content_dir, method_map, options_map
    ):
        found.add(tuple(message) if isinstance(message, (list, tuple)) else message)
    return found


def catalog_problems(locale_dir: Path, code: str, wanted: set[str | tuple[str, str]]) -> list[str]:
    """What keeps the catalog for `code` from being complete and safe to use: a message the
    templates use with no translation, a fuzzy entry, a placeholder, HTML tag or /command that
    differs from the English, the wrong number of plural forms, or a file that does not compile."""
    path = catalog_path(locale_dir, code)
    if not path.exists():
        return [f"{code}: no catalog at {path.relative_to(locale_dir.parent)}"]
    try:
        catalog = read_catalog(path, code)
        write_mo(BytesIO(), catalog)
    except Exception as error:  # noqa: BLE001 - any parse or compile error is the finding
        return [f"{code}: catalog does not compile: {error}"]
    problems: list[str] = []
    translated: set[str | tuple[str, str]] = set()
    for message in catalog:
        if not message.id:
            continue
        ids = list(message.id) if isinstance(message.id, (list, tuple)) else [message.id]
        strings = (
            list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]
        )
        name = f"{code}: {ids[0][:60]!r}"
        if message.fuzzy:
            problems.append(f"{name} is marked fuzzy")
            continue
        if len(ids) == 2 and len(strings) != catalog.num_plurals:
            problems.append(f"{name} has {len(strings)} plural forms, needs {catalog.num_plurals}")
            continue
        if not all(string and string.strip() for string in strings):
            continue
        for string in strings:
            for what, pattern in (
                ("placeholders", _PLACEHOLDER),
                ("HTML tags", _TAG),
                ("commands", _COMMAND),
            ):
                found, expected = pattern.findall(string), pattern.findall(ids[-1])
                if len(ids) == 2 and pattern is _PLACEHOLDER:
                    # "one day" may leave the number out; every other value must be there.
                    found, expected = set(found) - {"count"}, set(expected) - {"count"}
                if sorted(found) != sorted(expected):
                    problems.append(f"{name}: {what} differ from the English")
        translated.add(tuple(ids) if len(ids) == 2 else ids[0])  # type: ignore[arg-type]
    for missing in sorted(wanted - translated, key=str):
        first = missing[0] if isinstance(missing, tuple) else missing
        problems.append(f"{code}: not translated: {first[:60]!r}")
    return problems
