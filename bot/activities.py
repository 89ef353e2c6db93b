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


class LibraryError(ValueError):
    """The library does not hold together (duplicate ids, broken links, unreadable file)."""


class ActivityLibrary:
    def __init__(self, activities: list[Activity]) -> None:
        self._by_id: dict[str, Activity] = {}
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


def load_library(directory: Path) -> ActivityLibrary:
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
    return ActivityLibrary(activities)
