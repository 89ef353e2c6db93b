"""Languages: the catalogs are complete and compile, plurals follow each language's rules, dates
are Babel's, right-to-left text reads right, and activities fall back to English one by one."""

from __future__ import annotations

import gettext
import shutil
from dataclasses import replace
from datetime import date, time
from pathlib import Path

import pytest
import yaml
from babel import Locale
from babel.messages.pofile import read_po, write_po

from bot import callbacks, cards
from bot.activities import LibraryError, load_library
from bot.content_check import sample_target_day
from bot.diary import DayCard
from bot.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    catalog_path,
    catalog_problems,
    read_catalog,
    template_messages,
    translations,
)
from bot.texts import CONTENT_DIR, RLM, Texts

OTHER_LANGUAGES = [code for code in LANGUAGES if code != DEFAULT_LANGUAGE]
LOCALE_DIR = CONTENT_DIR / "locale"
ENGLISH = Texts()
LIBRARY = load_library(CONTENT_DIR / "activities")


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
def test_every_catalog_translates_every_parent_message_and_compiles(code: str) -> None:
    assert catalog_problems(LOCALE_DIR, code, template_messages(CONTENT_DIR)) == []


def test_the_message_template_matches_the_templates() -> None:
    """content/locale/messages.pot is what `make messages` extracts: nothing added to a
    template is left out of the catalogs' source."""
    with (LOCALE_DIR / "messages.pot").open("rb") as pot:
        template = read_po(pot)
    in_pot = {
        tuple(message.id) if isinstance(message.id, (list, tuple)) else message.id
        for message in template
        if message.id
    }
    assert in_pot == template_messages(CONTENT_DIR)


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
def test_each_translation_says_it_awaits_native_review(code: str) -> None:
    catalog = catalog_path(LOCALE_DIR, code).read_text(encoding="utf-8")
    assert "awaits review by a native speaker" in catalog.split('msgid ""')[0]
    overlay = (CONTENT_DIR / "activities" / "locale" / f"{code}.yaml").read_text(encoding="utf-8")
    assert "awaits review by a native speaker" in overlay.split("\n\n")[0]


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
def test_plural_forms_group_numbers_as_the_language_does(code: str) -> None:
    """The catalog's Plural-Forms puts two numbers in the same form exactly when CLDR (Babel)
    says they take the same word form: 2 and 5 differ in Polish, 1 and 0 agree in Punjabi."""
    catalog = read_catalog(catalog_path(LOCALE_DIR, code), code)
    rule = Locale.parse(LANGUAGES[code].locale).plural_form
    numbers = range(0, 250)
    # The same C expression GNU gettext (and Python's gettext module) evaluates.
    form_of = gettext.c2py(catalog.plural_expr)
    gettext_form = {n: form_of(n) for n in numbers}
    cldr_form = {n: rule(n) for n in numbers}
    assert catalog.num_plurals == len(set(cldr_form.values()))
    for first in numbers:
        for second in numbers:
            assert (gettext_form[first] == gettext_form[second]) == (
                cldr_form[first] == cldr_form[second]
            ), (code, first, second)


def test_polish_plurals_take_three_forms_in_week_view() -> None:
    # 1 notatka, 2 notatki, 5 notatek (and 22 like 2, 25 like 5).
    polish = translations(LOCALE_DIR, "pl")

    def notes(n: int) -> str:
        return polish.ngettext("%(count)s diary note", "%(count)s diary notes", n)

    assert len({notes(1), notes(2), notes(5)}) == 3
    assert notes(22) == notes(2) and notes(25) == notes(5) and notes(12) == notes(5)


def test_languages_know_their_direction() -> None:
    for language in LANGUAGES.values():
        order = Locale.parse(language.locale).character_order
        assert language.right_to_left == (order == "right-to-left"), language.code


@pytest.mark.parametrize("code", ["ur", "ar"])
def test_right_to_left_messages_mark_every_line(code: str) -> None:
    # A line that opens with a Latin name would otherwise run left to right.
    text = ENGLISH.for_language(code).render(
        "parent/already_enrolled.html.j2", child_name="Amir <b>&"
    )
    lines = [line for line in text.split("\n") if line]
    assert lines and all(line.startswith(RLM) for line in lines)
    assert "Amir &lt;b&gt;&amp;" in text


def test_left_to_right_messages_carry_no_marks() -> None:
    for code in ("en", "pl", "pa", "gu", "ro"):
        text = ENGLISH.for_language(code).render(
            "parent/help.html.j2", child_name="Sam", waiting_list=False
        )
        assert RLM not in text, code


def test_a_childs_name_is_escaped_inside_a_translated_sentence() -> None:
    for code in LANGUAGES:
        text = ENGLISH.for_language(code).render(
            "parent/already_enrolled.html.j2", child_name="<Zoë & Amélie>"
        )
        assert "&lt;Zoë &amp; Amélie&gt;" in text and "<Zoë" not in text, code


def test_dates_and_times_are_written_the_readers_way() -> None:
    day = date(2026, 12, 31)
    assert (
        ENGLISH.for_language("en").environment.filters["long_date"](day) == "Thursday 31 December"
    )
    assert ENGLISH.for_language("pl").environment.filters["long_date"](day) == "czwartek 31 grudnia"
    assert ENGLISH.for_language("ro").environment.filters["long_date"](day) == "joi 31 decembrie"
    assert ENGLISH.for_language("pl").environment.filters["clock_time"](time(7, 5)) == "07:05"


def test_visitors_templates_stay_in_english_whatever_the_language() -> None:
    for code in LANGUAGES:
        text = ENGLISH.for_language(code).render("visitor/managers_only.html.j2")
        assert text == ENGLISH.render("visitor/managers_only.html.j2"), code


def test_a_telegram_language_code_picks_our_language_or_english() -> None:
    from bot.i18n import language_of

    assert language_of("pl").code == "pl"
    assert language_of("pl-PL").code == "pl"
    assert language_of("ar_EG").code == "ar"
    assert language_of("pt-br").code == "en"
    assert language_of(None).code == "en"


def test_language_buttons_carry_only_languages_we_speak() -> None:
    assert callbacks.parse_language(callbacks.language("ur")) == "ur"
    assert callbacks.parse_language("lg1:xx") is None
    assert callbacks.parse_language("lg1:ur ") is None
    keyboard = cards.language_keyboard(ENGLISH, "gu")
    texts = [button.text for row in keyboard.inline_keyboard for button in row]
    assert texts[0] == "✓ ગુજરાતી" and len(texts) == len(LANGUAGES)
    assert all(len(row) <= 2 for row in keyboard.inline_keyboard)


def _card_for(activity_id: str, *, title: str | None = None) -> DayCard:
    activity = LIBRARY.get(activity_id)
    assert activity is not None
    target = sample_target_day(activity, 1, answer=None)
    return DayCard(
        1, "Sam", date(2026, 11, 23), True, [replace(target, title=title or target.title)]
    )


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
def test_every_activity_has_its_words_in_every_language(code: str) -> None:
    assert LIBRARY.untranslated(code) == []


def test_a_reminder_shows_the_activity_in_the_parents_language() -> None:
    words = LIBRARY.translation("com-point-to-toy", "pl")
    assert words is not None
    card = cards.day_card(ENGLISH.for_language("pl"), _card_for("com-point-to-toy"))
    assert words.title in card.text and words.steps[0] in card.text
    assert "Point to a toy" not in card.text


def test_a_target_worded_differently_from_the_library_is_shown_as_agreed() -> None:
    # The library's wording changed after the plan was made (the plan keeps its copy).
    card = cards.day_card(
        ENGLISH.for_language("pl"), _card_for("com-point-to-toy", title="Point to the teddy")
    )
    assert "Point to the teddy" in card.text


def _content_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, copy)
    return copy


def test_a_missing_translation_falls_back_to_english_for_that_activity_alone(
    tmp_path: Path,
) -> None:
    content = _content_copy(tmp_path)
    overlay_path = content / "activities" / "locale" / "pl.yaml"
    overlay = yaml.safe_load(overlay_path.read_text(encoding="utf-8"))
    del overlay["com-point-to-toy"]  # not translated yet
    overlay["cog-stack-blocks"]["steps"] = overlay["cog-stack-blocks"]["steps"][:1]  # incomplete
    overlay_path.write_text(yaml.safe_dump(overlay, allow_unicode=True), encoding="utf-8")
    polish = Texts(content, language="pl")
    library = load_library(content / "activities")
    assert set(library.untranslated("pl")) == {"com-point-to-toy", "cog-stack-blocks"}

    for activity_id in ("com-point-to-toy", "cog-stack-blocks"):
        english = LIBRARY.get(activity_id)
        assert english is not None
        text = cards.day_card(polish, _card_for(activity_id)).text
        assert english.title in text and english.steps[0] in text
        # The rest of the card is still Polish.
        closing = (
            "Tap how it went. Where there are numbers, tap how many tries worked."
            if english.criterion.tries
            else "Tap how it went. A few minutes is plenty."
        )
        polish_closing = translations(LOCALE_DIR, "pl").gettext(closing)
        assert polish_closing != closing and polish_closing in text
    other = LIBRARY.translation("com-name-turn", "pl")
    assert other is not None
    assert other.title in cards.day_card(polish, _card_for("com-name-turn")).text


def test_an_overlay_naming_an_unknown_activity_is_refused(tmp_path: Path) -> None:
    content = _content_copy(tmp_path)
    (content / "activities" / "locale" / "pl.yaml").write_text(
        "no-such-activity:\n  title: x\n  target: x\n  criterion: x\n  steps: [x]\n",
        encoding="utf-8",
    )
    with pytest.raises(LibraryError, match="no-such-activity"):
        load_library(content / "activities")


def _translate(content: Path, code: str, english: str, translation: str) -> None:
    """Edit one entry of a catalog, as a service replacing the file would."""
    path = catalog_path(content / "locale", code)
    catalog = read_catalog(path, code)
    message = catalog.get(english)
    assert message is not None
    message.string = translation
    with path.open("wb") as po_file:
        write_po(po_file, catalog)


def test_a_service_replaces_a_catalog_without_touching_code(tmp_path: Path) -> None:
    content = _content_copy(tmp_path)
    _translate(content, "pl", "Yes, I agree", "Tak, zgadzam się (wersja usługi)")
    assert Texts(content, language="pl").label("consent_yes") == "Tak, zgadzam się (wersja usługi)"


def test_an_untranslated_message_shows_in_english_never_blank(tmp_path: Path) -> None:
    content = _content_copy(tmp_path)
    _translate(content, "ro", "Yes, I agree", "")
    assert Texts(content, language="ro").label("consent_yes") == "Yes, I agree"
    problems = catalog_problems(content / "locale", "ro", template_messages(content))
    assert problems == ["ro: not translated: 'Yes, I agree'"]


def test_no_button_prefix_swallows_another() -> None:
    # The language buttons once shared "l1:" with the leaving buttons: a tap went to the wrong
    # handler. Every handler's prefix must be its own.
    prefixes = [
        value.lstrip("^")
        for name, value in vars(callbacks).items()
        if name.endswith("_PREFIX") and isinstance(value, str)
    ]
    assert len(prefixes) == len(set(prefixes))
    for first in prefixes:
        for second in prefixes:
            assert first == second or not second.startswith(first), (first, second)
