"""Long summaries split cleanly: every part within the limit and valid Telegram HTML on its own,
checked with the fake Bot API's strict parser, and nothing the reader should see is lost."""

from __future__ import annotations

import random

from bot.message_split import split_html, visible_length
from tests.fake_bot_api.html_check import parse_html, utf16_len


def _visible(text: str) -> str:
    return parse_html(text).text


def _squash(text: str) -> str:
    return "".join(text.split())


def assert_clean_split(text: str, limit: int) -> list[str]:
    parts = split_html(text, limit)
    for part in parts:
        shown = _visible(part)  # raises on invalid HTML
        assert 0 < utf16_len(shown) <= limit, (len(shown), part[:80])
        assert shown.strip()
    assert _squash("".join(_visible(part) for part in parts)) == _squash(_visible(text))
    return parts


def test_short_text_is_returned_as_it_is():
    text = "<b>Sam</b> &amp; Ana\n\nPractised 3 days."
    assert split_html(text, 4096) == [text]
    assert visible_length(text) == utf16_len(_visible(text))


def test_visible_length_counts_what_telegram_counts():
    for text in (
        "a &lt;b&gt; &amp; &quot;c&quot; &#128512;",
        "🧒👍🏽 <i>x</i>",
        '<a href="https://example.org/?a=1&amp;b=2">here</a>',
    ):
        assert visible_length(text) == utf16_len(_visible(text))


def test_a_long_summary_breaks_between_paragraphs():
    paragraphs = [
        f"<b>Day {n}</b>\nSam pointed at the ball &amp; laughed 😀 " * 3 for n in range(120)
    ]
    text = "\n\n".join(paragraphs)
    parts = assert_clean_split(text, 4096)
    assert len(parts) > 1
    # Each part ends where a paragraph ended.
    assert all(part.endswith("😀") for part in parts)


def test_one_paragraph_breaks_at_spaces_and_one_long_word_anywhere_but_inside_a_character():
    words = " ".join(f"word{n}" for n in range(2000))
    parts = assert_clean_split(words, 100)
    assert all(not part.startswith(" ") and not part.endswith(" ") for part in parts)
    word = "&amp;👍🏽🧒x" * 400
    parts = assert_clean_split(word, 101)
    assert all("&amp" not in part.replace("&amp;", "") for part in parts)


def test_tags_open_at_a_break_are_closed_and_opened_again():
    text = "<blockquote expandable>" + "a line of the diary\n" * 400 + "</blockquote>"
    parts = assert_clean_split(text, 1000)
    assert len(parts) > 2
    assert all(
        part.startswith("<blockquote expandable>") and part.endswith("</blockquote>")
        for part in parts
    )
    link = '<a href="https://example.org/?a=1&amp;b=2">' + "see this " * 50 + "</a>"
    parts = assert_clean_split("<b>" + link + "</b>", 100)
    assert all(part.startswith('<b><a href="https://example.org/?a=1&amp;b=2">') for part in parts)
    for part in parts:
        entities = parse_html(part).entities
        assert {entity["type"] for entity in entities} == {"bold", "text_link"}


def test_random_texts_always_split_into_valid_parts():
    pieces = [
        "word",
        "Zoë",
        "😀",
        "&amp;",
        "&lt;",
        "\n",
        "\n\n",
        " ",
        "<b>x y</b>",
        "<i>in it</i>",
        "<blockquote>quoted words here</blockquote>",
        "<code>a&amp;b</code>",
    ]
    for seed in range(200):
        chooser = random.Random(seed)
        text = "".join(chooser.choice(pieces) + chooser.choice(["", " "]) for _ in range(300))
        if not _visible(text).strip():
            continue
        assert_clean_split(text, chooser.choice([50, 100]))
