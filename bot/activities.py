"""The activity library: YAML in content/activities, validated by a pydantic schema at load."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator


class Area(StrEnum):
    """The developmental areas a Portage plan works in."""

    SOCIAL_EMOTIONAL = "social_emotional"
    COMMUNICATION_LANGUAGE = "communication_language"
    SELF_HELP = "self_help"
    COGNITIVE_PLAY = "cognitive_play"
    PHYSICAL = "physical"
    SENSORY = "sensory"


class Criterion(BaseModel):
    """The degree of success, the Portage way: e.g. 4 of 5 tries on 3 days running."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(min_length=3, max_length=60)
    tries: int | None = Field(default=None, ge=2, le=6)
    successes: int | None = Field(default=None, ge=1, le=6)
    days: int = Field(default=1, ge=1, le=7)

    @model_validator(mode="after")
    def _successes_need_tries(self) -> Criterion:
        if self.successes is not None and (self.tries is None or self.successes > self.tries):
            raise ValueError("successes needs tries and cannot exceed them")
        return self


class TargetContent(BaseModel):
    """What a target says: shared by library activities and a visitor's custom targets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=2, max_length=40)
    target: str = Field(min_length=5, max_length=160)
    criterion: Criterion
    why: str = Field(default="", max_length=160)
    steps: list[str] = Field(min_length=1, max_length=5)
    materials: list[str] = Field(default_factory=list, max_length=4)
    tip: str = Field(default="", max_length=140)

    @model_validator(mode="after")
    def _short_items(self) -> TargetContent:
        if any(not step.strip() or len(step) > 110 for step in self.steps):
            raise ValueError("each step must be 1 to 110 characters")
        if any(not item.strip() or len(item) > 40 for item in self.materials):
            raise ValueError("each material must be 1 to 40 characters")
        return self


class Activity(TargetContent):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,23}$")
    area: Area
    next: list[str] = Field(default_factory=list, max_length=2)
    previous: list[str] = Field(default_factory=list, max_length=2)


class ActivityText(BaseModel):
    """An activity's words in another language (content/activities/locale/<language>.yaml).

    Translations may run longer than English, so the limits are looser; the message checks in
    `portage-bot content check` keep every day card within Telegram's limits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1, max_length=60)
    target: str = Field(min_length=1, max_length=240)
    criterion: str = Field(min_length=1, max_length=90)
    why: str = Field(default="", max_length=240)
    steps: list[str] = Field(min_length=1, max_length=5)
    materials: list[str] = Field(default_factory=list, max_length=4)
    tip: str = Field(default="", max_length=210)

    @model_validator(mode="after")
    def _short_items(self) -> ActivityText:
        if any(not step.strip() or len(step) > 165 for step in self.steps):
            raise ValueError("each step must be 1 to 165 characters")
        if any(not item.strip() or len(item) > 60 for item in self.materials):
            raise ValueError("each material must be 1 to 60 characters")
        return self

    def matches(self, activity: Activity) -> bool:
        """Says everything the English says: a step, material, reason or tip more or less
        would be a different activity, so such a translation is not used."""
        return (
            len(self.steps) == len(activity.steps)
            and len(self.materials) == len(activity.materials)
            and bool(self.why) == bool(activity.why)
            and bool(self.tip) == bool(activity.tip)
        )


class LibraryError(ValueError):
    """The library does not hold together (duplicate ids, broken links, unreadable file)."""


class ActivityLibrary:
    def __init__(
        self,
        activities: list[Activity],
        translations: dict[str, dict[str, ActivityText]] | None = None,
    ) -> None:
        self._by_id: dict[str, Activity] = {}
        # language -> activity id -> its words in that language
        self._translations = translations or {}
        for activity in activities:
            if activity.id in self._by_id:
                raise LibraryError(f"duplicate activity id {activity.id!r}")
            self._by_id[activity.id] = activity
        for activity in activities:
            for linked in (*activity.next, *activity.previous):
                if linked not in self._by_id:
                    raise LibraryError(f"{activity.id}: linked step {linked!r} does not exist")

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._by_id.values())

    def get(self, activity_id: str) -> Activity | None:
        return self._by_id.get(activity_id)

    def next_step(self, activity_id: str | None) -> Activity | None:
        """The library's suggested next step after an activity (the first of its `next`)."""
        activity = self._by_id.get(activity_id) if activity_id else None
        return self._by_id.get(activity.next[0]) if activity and activity.next else None

    def in_area(self, area: Area) -> list[Activity]:
        return [activity for activity in self._by_id.values() if activity.area == area]

    def translation(self, activity_id: str | None, language: str) -> ActivityText | None:
        """The activity in `language`, or None (then English is shown, for this activity
        alone): no translation yet, or one that does not say all the English says."""
        activity = self._by_id.get(activity_id) if activity_id else None
        text = self._translations.get(language, {}).get(activity_id or "")
        if activity is None or text is None or not text.matches(activity):
            return None
        return text

    def translated_languages(self) -> dict[str, int]:
        """How many activities each language has words for."""
        return {language: len(texts) for language, texts in sorted(self._translations.items())}

    def untranslated(self, language: str) -> list[str]:
        return [
            activity_id
            for activity_id in self._by_id
            if self.translation(activity_id, language) is None
        ]


def load_library(directory: Path) -> ActivityLibrary:
    """The English library in `directory/*.yaml`, with translations from `directory/locale`."""
    activities: list[Activity] = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        except yaml.YAMLError as error:
            raise LibraryError(f"{path.name}: not valid YAML: {error}") from error
        if not isinstance(entries, list):
            raise LibraryError(f"{path.name}: expected a list of activities")
        for index, entry in enumerate(entries):
            try:
                activities.append(Activity.model_validate(entry))
            except ValueError as error:
                raise LibraryError(f"{path.name} entry {index + 1}: {error}") from error
    known = {activity.id for activity in activities}
    return ActivityLibrary(activities, load_translations(directory / "locale", known))


def load_translations(directory: Path, known_ids: set[str]) -> dict[str, dict[str, ActivityText]]:
    """`<language>.yaml` files, each a mapping of activity id to its words in that language.
    A service may drop in, replace or remove a file without touching code."""
    translations: dict[str, dict[str, ActivityText]] = {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            entries = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as error:
            raise LibraryError(f"locale/{path.name}: not valid YAML: {error}") from error
        if not isinstance(entries, dict):
            raise LibraryError(f"locale/{path.name}: expected activity ids, each with its words")
        texts: dict[str, ActivityText] = {}
        for activity_id, entry in entries.items():
            if activity_id not in known_ids:
                raise LibraryError(f"locale/{path.name}: there is no activity {activity_id!r}")
            try:
                texts[activity_id] = ActivityText.model_validate(entry)
            except ValueError as error:
                raise LibraryError(f"locale/{path.name} {activity_id}: {error}") from error
        translations[path.stem] = texts
    return translations
