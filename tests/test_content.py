"""The activity library, `content check`, the templates' escaping, day cards and callback data."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Callable
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import callbacks
from bot.activities import Area, LibraryError, load_library
from bot.cards import KEYCAPS, day_card
from bot.content_check import MIN_PER_AREA, _sample_messages, check_content, html_problems
from bot.diary import DayCard, TargetDay
from bot.i18n import LANGUAGES
from bot.texts import CALLBACK_DATA_LIMIT, CONTENT_DIR, MESSAGE_LIMIT, Texts
from tests.fake_bot_api.html_check import parse_html, utf16_len

ACTIVITIES = CONTENT_DIR / "activities"
DAY = date(2026, 11, 23)


def _raw_entries() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for path in sorted(ACTIVITIES.glob("*.yaml")):
        entries += yaml.safe_load(path.read_text(encoding="utf-8"))
    return entries


# --- the shipped library -------------------------------------------------------------------


def test_shipped_library_is_big_enough_in_every_area() -> None:
    library = load_library(ACTIVITIES)
    assert len(library) >= 36
    per_area = Counter(activity.area for activity in library)
    assert set(per_area) == set(Area)
    for area in Area:
        assert per_area[area] >= 6, area
        assert len(library.in_area(area)) == per_area[area]


def test_shipped_library_ids_are_unique_and_links_resolve() -> None:
    # Read the YAML directly, so a duplicate cannot hide behind the loader.
    entries = _raw_entries()
    ids = [entry["id"] for entry in entries]
    assert len(ids) == len(set(ids)) >= 36
    library = load_library(ACTIVITIES)
    assert {activity.id for activity in library} == set(ids)
    links = 0
    for activity in library:
        for linked in (*activity.next, *activity.previous):
            assert library.get(linked) is not None, (activity.id, linked)
            assert linked != activity.id
            links += 1
    assert links > 0


def test_each_area_file_holds_its_own_area() -> None:
    for path in sorted(ACTIVITIES.glob("*.yaml")):
        areas = {entry["area"] for entry in yaml.safe_load(path.read_text(encoding="utf-8"))}
        assert areas == {path.stem}, path.name


def test_shipped_content_passes_check() -> None:
    assert check_content(CONTENT_DIR) == []


def test_every_sample_message_is_valid_telegram_html_within_limits() -> None:
    """Cross-check content_check against the project's strict model of Telegram's parser."""
    texts = Texts()
    messages = _sample_messages(texts, load_library(ACTIVITIES))
    assert "parent/day_card.html.j2" in messages
    assert "parent/welcome.html.j2" in messages
    for name, rendered_messages in messages.items():
        for rendered in rendered_messages:
            parsed = parse_html(rendered.text)  # raises like Telegram on bad HTML
            assert parsed.text.strip(), name
            assert utf16_len(parsed.text.strip()) <= MESSAGE_LIMIT, name
            problems, visible = html_problems(rendered.text)
            assert problems == [], name
            assert visible == parsed.text, name


# --- check_content catches broken copies -----------------------------------------------------


@pytest.fixture
def content(tmp_path: Path) -> Path:
    copy = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, copy)
    assert check_content(copy) == []
    return copy


def _edit_area(content: Path, area: str, change: Callable[[list[dict[str, Any]]], None]) -> None:
    path = content / "activities" / f"{area}.yaml"
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(entries)
    path.write_text(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), "utf-8")


def _one_problem(content: Path) -> str:
    problems = check_content(content)
    assert len(problems) == 1, problems
    return problems[0]


def test_duplicate_id_is_reported(content: Path) -> None:
    def duplicate(entries: list[dict[str, Any]]) -> None:
        entries.append(dict(entries[0], title="Splash again"))

    _edit_area(content, "sensory", duplicate)
    problem = _one_problem(content)
    assert "duplicate activity id 'sens-water-play'" in problem


def test_duplicate_id_across_files_is_reported(content: Path) -> None:
    first_sensory = yaml.safe_load((content / "activities" / "sensory.yaml").read_text())[0]

    def copy_in(entries: list[dict[str, Any]]) -> None:
        entries.append(dict(first_sensory, area="physical"))

    _edit_area(content, "physical", copy_in)
    assert f"duplicate activity id {first_sensory['id']!r}" in _one_problem(content)


def test_link_to_missing_activity_is_reported(content: Path) -> None:
    def break_link(entries: list[dict[str, Any]]) -> None:
        entries[0]["next"] = ["no-such-activity"]

    _edit_area(content, "sensory", break_link)
    problem = _one_problem(content)
    assert "sens-water-play" in problem
    assert "'no-such-activity' does not exist" in problem


def test_link_in_previous_to_missing_activity_is_reported(content: Path) -> None:
    def break_link(entries: list[dict[str, Any]]) -> None:
        entries[2]["previous"] = ["gone-away"]

    _edit_area(content, "physical", break_link)
    assert "'gone-away' does not exist" in _one_problem(content)


def test_unknown_area_is_reported(content: Path) -> None:
    def bad_area(entries: list[dict[str, Any]]) -> None:
        entries[1]["area"] = "music"

    _edit_area(content, "sensory", bad_area)
    problem = _one_problem(content)
    assert "sensory.yaml entry 2" in problem
    assert "area" in problem
    assert "'music'" in problem


def test_unknown_key_is_reported(content: Path) -> None:
    def extra_key(entries: list[dict[str, Any]]) -> None:
        entries[0]["colour"] = "blue"

    _edit_area(content, "social_emotional", extra_key)
    problem = _one_problem(content)
    assert "social_emotional.yaml entry 1" in problem
    assert "colour" in problem
    assert "Extra inputs are not permitted" in problem


def test_unknown_key_in_criterion_is_reported(content: Path) -> None:
    def extra_key(entries: list[dict[str, Any]]) -> None:
        entries[0]["criterion"]["weeks"] = 2

    _edit_area(content, "self_help", extra_key)
    problem = _one_problem(content)
    assert "weeks" in problem
    assert "Extra inputs are not permitted" in problem


def test_step_over_110_characters_is_reported(content: Path) -> None:
    def long_step(entries: list[dict[str, Any]]) -> None:
        entries[3]["steps"][0] = "x" * 111

    _edit_area(content, "cognitive_play", long_step)
    problem = _one_problem(content)
    assert "cognitive_play.yaml entry 4" in problem
    assert "each step must be 1 to 110 characters" in problem


def test_step_of_exactly_110_characters_is_fine(content: Path) -> None:
    def long_step(entries: list[dict[str, Any]]) -> None:
        entries[3]["steps"][0] = "x" * 110

    _edit_area(content, "cognitive_play", long_step)
    assert check_content(content) == []


def test_six_steps_are_reported(content: Path) -> None:
    def six_steps(entries: list[dict[str, Any]]) -> None:
        entries[0]["steps"] = [f"Step {number}." for number in range(1, 7)]

    _edit_area(content, "physical", six_steps)
    problem = _one_problem(content)
    assert "physical.yaml entry 1" in problem
    assert "steps" in problem
    assert "at most 5 items" in problem


def test_area_with_only_five_activities_is_reported(content: Path) -> None:
    def move_out(entries: list[dict[str, Any]]) -> None:
        for entry in entries[MIN_PER_AREA - 1 :]:
            entry["area"] = "physical"  # the links still resolve; only the count changes

    _edit_area(content, "sensory", move_out)
    assert check_content(content) == [f"area sensory: 5 activities, need {MIN_PER_AREA}"]


def test_invalid_yaml_is_reported(content: Path) -> None:
    (content / "activities" / "sensory.yaml").write_text("- id: [unclosed\n  area: sensory\n")
    problem = _one_problem(content)
    assert "sensory.yaml" in problem
    assert "not valid YAML" in problem


def test_file_that_is_not_a_list_is_reported(content: Path) -> None:
    (content / "activities" / "sensory.yaml").write_text("id: sens-water-play\n")
    assert "sensory.yaml: expected a list of activities" in _one_problem(content)


def test_loader_raises_library_error_for_broken_library(content: Path) -> None:
    def break_link(entries: list[dict[str, Any]]) -> None:
        entries[0]["next"] = ["no-such-activity"]

    _edit_area(content, "sensory", break_link)
    with pytest.raises(LibraryError, match="no-such-activity"):
        load_library(content / "activities")


def _append_to_template(content: Path, name: str, text: str) -> None:
    path = content / "templates" / name
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_tag_telegram_does_not_accept_is_reported(content: Path) -> None:
    _append_to_template(content, "parent/help.html.j2", "\n<div>More help</div>\n")
    problems = check_content(content)
    assert "parent/help.html.j2: tag <div> is not one Telegram accepts" in problems


def test_unclosed_tag_in_template_is_reported(content: Path) -> None:
    _append_to_template(content, "parent/stopped.html.j2", "\n<b>See you soon\n")
    problems = check_content(content)
    assert "parent/stopped.html.j2: unclosed tags ['b']" in problems


def test_message_over_4096_characters_is_reported(content: Path) -> None:
    _append_to_template(
        content,
        "parent/stopped.html.j2",
        "\n{% for _ in range(200) %}Practice makes progress, a little every day. {% endfor %}\n",
    )
    problems = check_content(content)
    # Found in every language the parent may read it in.
    assert len(problems) == len(LANGUAGES), problems
    for problem in problems:
        assert re.fullmatch(
            r"(\[\w+\] )?parent/stopped\.html\.j2: \d+ characters, over 4096", problem
        )
        assert int(problem.split(": ")[1].split()[0]) > 9000


def test_day_card_over_4096_characters_is_reported(content: Path) -> None:
    _append_to_template(
        content, "parent/day_card.html.j2", "{% for _ in range(200) %}Well done! {% endfor %}"
    )
    problems = check_content(content)
    # The four longest activities on one card no longer fit (single-target cards still do).
    assert any(
        re.fullmatch(r"parent/day_card\.html\.j2: \d+ characters, over 4096", problem)
        for problem in problems
    ), problems


def test_message_over_4096_utf16_units_is_reported(content: Path) -> None:
    """Telegram (and the project's fake Bot API) count UTF-16 code units: an emoji outside the
    Basic Multilingual Plane counts two. 2100 flowers are 2100 characters to Python but 4200
    units to Telegram, so sendMessage would answer 400 "message is too long"."""
    _append_to_template(
        content, "parent/stopped.html.j2", "\n{% for _ in range(2100) %}🌼{% endfor %}"
    )
    rendered = Texts(content).render("parent/stopped.html.j2")
    assert utf16_len(parse_html(rendered).text) > MESSAGE_LIMIT
    problems = check_content(content)
    assert any("parent/stopped.html.j2" in problem and "4096" in problem for problem in problems)


def test_span_without_spoiler_class_is_reported(content: Path) -> None:
    """Telegram rejects <span> unless it is <span class="tg-spoiler"> (the fake does too)."""
    _append_to_template(content, "parent/stopped.html.j2", "\n<span>See you soon</span>\n")
    rendered = Texts(content).render("parent/stopped.html.j2")
    with pytest.raises(ValueError, match="tg-spoiler"):
        parse_html(rendered)
    problems = check_content(content)
    assert any("parent/stopped.html.j2" in problem and "span" in problem for problem in problems)


def test_template_without_a_sample_is_reported(content: Path) -> None:
    (content / "templates" / "parent" / "brand_new.html.j2").write_text("Hello {{ name }}")
    assert "parent/brand_new.html.j2: no sample to check it with" in _one_problem(content)


def test_template_that_renders_empty_is_reported(content: Path) -> None:
    (content / "templates" / "parent" / "stopped.html.j2").write_text("{# nothing #}\n")
    assert check_content(content) == [
        f"{'' if code == 'en' else f'[{code}] '}parent/stopped.html.j2: renders empty"
        for code in LANGUAGES
    ]


# --- escaping and labels ---------------------------------------------------------------------


def test_welcome_escapes_the_child_name() -> None:
    text = Texts().render(
        "parent/welcome.html.j2", child_name="<b>Tom & Jerry</b>", announcements_only=False
    )
    assert "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;" in text
    assert "<b>Tom" not in text
    assert "Tom & Jerry" not in text
    assert html_problems(text)[0] == []
    assert "<b>Tom & Jerry</b>" in parse_html(text).text


def test_labels_are_plain_text() -> None:
    texts = Texts()
    assert texts.label("answer_yes") == "Yes"
    assert texts.label("answer_a_little") == "A little"
    assert texts.label("answer_not_today") == "Not today"
    assert texts.label("tries_button", 3, 5) == "3/5"
    # Macros are not autoescaped: a button label is never parsed as HTML.
    assert texts.label("chosen", "<b>Tom & Jerry</b>") == "✓ <b>Tom & Jerry</b>"
    names = [name for name in vars(texts._labels) if not name.startswith("_")]
    assert len(names) > 20
    for name in names:
        value = getattr(texts._labels, name)
        if callable(value):
            continue
        label = texts.label(name)
        assert label.strip() == label and label, name
        assert not re.search(r"&(lt|gt|amp|quot|#\d+);|<[a-z/]", label), (name, label)


# --- day cards -------------------------------------------------------------------------------


def _target(target_id: int, position: int, tries: int | None, **answer: Any) -> TargetDay:
    return TargetDay(
        target_id=target_id,
        position=position,
        title="Cups & <saucers>" if tries is None else "Point to a toy",
        target_text="Points to a toy you name",
        criterion_text="4 of 5 tries on 3 days running" if tries else "On 3 days running",
        tries=tries,
        steps=["Hold up two toys.", "Name one and wait."],
        materials=["Two toys"],
        tip="Smile when they point.",
        **answer,
    )


TRIES_ID = 999_999_999_999
PLAIN_ID = 42


def _card(tries_answer: dict[str, Any], plain_answer: dict[str, Any]) -> DayCard:
    return DayCard(
        family_id=1,
        child_name="<Sam>",
        local_date=DAY,
        is_today=True,
        targets=[
            _target(TRIES_ID, 1, 5, **tries_answer),
            _target(PLAIN_ID, 2, None, **plain_answer),
        ],
    )


def _buttons(card: DayCard) -> tuple[str, dict[int, list[tuple[str, str]]], list[str]]:
    """Card text, {target id: [(label without keycap or tick, code)]}, and the other buttons'
    data; checks every answer button's data parses back to the card's date."""
    rendered = day_card(Texts(), card)
    assert rendered.markup is not None
    per_target: dict[int, list[tuple[str, str]]] = {}
    others: list[str] = []
    for row in rendered.markup.inline_keyboard:
        for button in row:
            data = str(button.callback_data)
            assert len(data.encode()) <= CALLBACK_DATA_LIMIT
            tap = callbacks.parse_answer(data)
            if tap is None:
                others.append(data)
                continue
            assert callbacks.answer(tap.target_id, tap.day, tap.code) == data
            assert tap.day == DAY
            label = button.text
            for keycap in KEYCAPS:
                label = label.replace(f"{keycap} ", "")
            per_target.setdefault(tap.target_id, []).append((label, tap.code))
    return rendered.text, per_target, others


def test_day_card_buttons() -> None:
    text, per_target, others = _buttons(_card({}, {}))
    assert per_target[TRIES_ID] == [(f"{n}/5", str(n)) for n in range(6)] + [("Not today", "n")]
    assert per_target[PLAIN_ID] == [("Yes", "y"), ("A little", "l"), ("Not today", "n")]
    assert others == [callbacks.add_note(DAY)]
    assert callbacks.parse_add_note(others[0]) == DAY
    assert "✓" not in str(day_card(Texts(), _card({}, {})).markup.to_dict())
    assert "&lt;Sam&gt;" in text and "<Sam>" not in text
    assert "Cups &amp; &lt;saucers&gt;" in text
    assert "Where there are numbers, tap how many tries worked." in text
    assert html_problems(text)[0] == []


def test_day_card_keyboard_layout() -> None:
    """Each target's buttons start with its keycap; counts come at most four to a row, so they
    stay tappable on a small phone."""
    texts = Texts()
    rendered = day_card(texts, _card({}, {}))
    assert rendered.markup is not None
    one, two = KEYCAPS[0], KEYCAPS[1]
    assert [[button.text for button in row] for row in rendered.markup.inline_keyboard] == [
        [f"{one} 0/5", "1/5", "2/5", "3/5"],
        ["4/5", "5/5"],
        [f"{one} Not today"],
        [f"{two} Yes", "A little", f"{two} Not today"],
        [texts.label("add_note")],
    ]


def test_day_card_ticks_the_recorded_answers() -> None:
    card = _card(
        {"answer": "tries", "tries_succeeded": 3}, {"answer": "a_little", "tries_succeeded": None}
    )
    rendered = day_card(Texts(), card)
    assert rendered.markup is not None
    ticked = [
        (button.text, str(button.callback_data))
        for row in rendered.markup.inline_keyboard
        for button in row
        if "✓ " in button.text
    ]
    assert sorted(data for _, data in ticked) == sorted(
        [callbacks.answer(TRIES_ID, DAY, "3"), callbacks.answer(PLAIN_ID, DAY, "l")]
    )
    assert any(text.endswith("✓ 3/5") for text, _ in ticked)
    assert any(text.endswith("✓ A little") for text, _ in ticked)
    assert "Saved: 3 of 5 tries worked" in rendered.text
    assert "Saved: a little" in rendered.text


def test_day_card_ticks_not_today() -> None:
    rendered = day_card(Texts(), _card({"answer": "not_today"}, {"answer": "yes"}))
    assert rendered.markup is not None
    ticked = {
        str(button.callback_data)
        for row in rendered.markup.inline_keyboard
        for button in row
        if "✓ " in button.text
    }
    assert ticked == {callbacks.answer(TRIES_ID, DAY, "n"), callbacks.answer(PLAIN_ID, DAY, "y")}


def test_day_card_without_targets_has_no_buttons() -> None:
    rendered = day_card(Texts(), DayCard(1, "Sam", DAY, True, []))
    assert rendered.markup is None
    assert "no activities set yet" in rendered.text


# --- callback data ---------------------------------------------------------------------------


def test_callbacks_round_trip() -> None:
    for target_id, code in ((1, "y"), (TRIES_ID, "l"), (7, "n"), (12, "0"), (12, "6")):
        data = callbacks.answer(target_id, DAY, code)
        assert len(data.encode()) <= CALLBACK_DATA_LIMIT
        assert callbacks.parse_answer(data) == callbacks.AnswerTap(target_id, DAY, code)
    assert callbacks.answer(5, date(2027, 1, 2), "y") == "a1:5:20270102:y"
    assert callbacks.parse_add_note(callbacks.add_note(date(2026, 2, 28))) == date(2026, 2, 28)
    for code in "sqn":
        assert callbacks.parse_note_category(callbacks.note_category(TRIES_ID, code)) == (
            TRIES_ID,
            code,
        )
    assert callbacks.parse_consent(callbacks.consent(True)) is True
    assert callbacks.parse_consent(callbacks.consent(False)) is False
    for choice in (time(0, 0), time(7, 5), time(23, 59)):
        assert callbacks.parse_reminder_time(callbacks.reminder_time(choice)) == choice
    assert callbacks.reminder_time(time(7, 5)) == "t1:0705"
    assert callbacks.parse_reminder_time(callbacks.reminder_time(None)) == "typed"
    for days in ("daily", "weekdays"):
        assert callbacks.parse_reminder_days(callbacks.reminder_days(days)) == days
    for choice in ("7", "14", "date", "open"):
        assert callbacks.parse_pause(callbacks.pause(choice)) == choice


FORGED = {
    "parse_answer": [
        None,
        "",
        "a1:1:20261301:y",  # month 13
        "a1:1:20260230:y",  # 30 February
        "a1:x:20261123:y",
        "a1:1:20261123:z",
        "a1:1:20261123:10",
        "a1:1:20261123:",
        "a1:-1:20261123:y",
        "a1:1234567890123:20261123:y",  # 13 digits
        "a1:1:2026112:y",
        "a1:1:202611230:y",
        "a2:1:20261123:y",
        "an1:20261123",
        "a1:1:20261123:y:extra",
        " a1:1:20261123:y",
        "a1:1:2026-11-23:y",
    ],
    "parse_add_note": [
        None,
        "",
        "an1:20261301",
        "an1:2026113",
        "an1:202611234",
        "an2:20261123",
        "a1:1:20261123:y",
        "an1:abcdefgh",
    ],
    "parse_note_category": [
        None,
        "n1:5:x",
        "n1:x:s",
        "n1::s",
        "n1:1234567890123:s",
        "n1:5:ss",
        "n2:5:s",
        "n1:5",
    ],
    "parse_consent": [None, "", "c1:x", "c1:yes", "c1:", "c2:y", "c1:Y"],
    "parse_reminder_time": [
        None,
        "t1:2400",
        "t1:0960",
        "t1:930",
        "t1:09300",
        "t1:ab12",
        "t1:Typed",
        "t1:",
    ],
    "parse_reminder_days": [None, "d1:weekends", "d1:", "d1:Daily", "d2:daily"],
    "parse_pause": [None, "p1:21", "p1:0", "p1:", "p1:DATE", "p2:7", "p1:7:7"],
}


@pytest.mark.parametrize(
    ("parser", "data"), [(parser, data) for parser, cases in FORGED.items() for data in cases]
)
def test_forged_callback_data_is_rejected(parser: str, data: str | None) -> None:
    assert getattr(callbacks, parser)(data) is None


@pytest.mark.parametrize(
    ("parser", "data"),
    [
        # `$` also matches before a final newline, so these forged variants are accepted.
        ("parse_answer", "a1:1:20261123:y\n"),
        ("parse_add_note", "an1:20261123\n"),
        ("parse_consent", "c1:y\n"),
        ("parse_pause", "p1:7\n"),
        # `\d` matches any Unicode digit (Arabic-Indic here), and int() accepts them.
        ("parse_answer", "a1:\u0661:20261123:y"),
        ("parse_answer", "a1:1:20261123:\u0665"),
        ("parse_note_category", "n1:\u0665:s"),
        ("parse_reminder_time", "t1:\u0660\u0669\u0663\u0660"),
    ],
)
def test_non_canonical_callback_data_is_rejected(parser: str, data: str) -> None:
    """Only the exact strings the bot builds are accepted: no trailing newline, ASCII digits."""
    assert getattr(callbacks, parser)(data) is None


# --- html_problems ---------------------------------------------------------------------------


def test_html_problems_balanced() -> None:
    text = '<b>Sam</b> &amp; <i>Jo</i> <a href="https://example.org">&lt;link&gt;</a>'
    assert html_problems(text) == ([], "Sam & Jo <link>")


def test_html_problems_nested_and_spoiler() -> None:
    assert html_problems('<b><i>x</i></b> <span class="tg-spoiler">y</span>') == ([], "x y")


def test_html_problems_unclosed() -> None:
    problems, visible = html_problems("<b>Sam <i>and Jo</i>")
    assert problems == ["unclosed tags ['b']"]
    assert visible == "Sam and Jo"


def test_html_problems_wrong_close() -> None:
    problems, _ = html_problems("<b><i>x</b></i>")
    assert "</b> does not close the open tag" in problems


def test_html_problems_stray_close() -> None:
    assert html_problems("x</b>")[0] == ["</b> does not close the open tag"]


def test_html_problems_unknown_tag() -> None:
    problems, visible = html_problems("<div>Sam</div><br>")
    assert "tag <div> is not one Telegram accepts" in problems
    assert "tag <br> is not one Telegram accepts" in problems
    assert visible == "Sam"
