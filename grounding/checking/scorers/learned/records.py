"""Structured records (data-to-text): flatten a JSON record into facts, match claimed values.

`flatten_record` turns {"hours": {"Friday": "11:30-16:0"}, "WiFi": "u'free'"} into
["hours Friday: 11:30-16:0", "Wi Fi: free"]. `unmatched_values` finds the numbers, ratings and
clock times a claim states that no field of the record holds ("opens at 9 AM" against
"9:30-17:0", "4.5 stars" against `"stars": 4.0`): unsupported, whatever the wording.
"""

from __future__ import annotations

import json
import re

from grounding.core.text import sentence_spans

__all__ = ["flatten_record", "is_record", "record_values", "unmatched_values"]

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_CLAIM_TIME = re.compile(
    r"\b(\d{1,2})(?:[:.](\d{2}))?\s*([ap])\.?\s?m\b\.?|\b(noon|midday|midnight)\b", re.IGNORECASE
)
_RECORD_TIME = re.compile(r"\b(\d{1,2}):(\d{1,2})\b")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?![\w])")
_SPELLED = {"noon": 12, "midday": 12, "midnight": 0}


def is_record(source: str) -> bool:
    """True when the source is a JSON object (a structured record)."""
    text = source.strip()
    if not text.startswith("{"):
        return False
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def _field_name(key: object) -> str:
    return " ".join(_CAMEL.sub(" ", str(key)).replace("_", " ").split())


def _value_text(value: object) -> str:
    if value is True:
        return "yes"
    if value is False or value is None:
        return "no"
    text = str(value).strip()
    if text.startswith(("u'", "'")) and text.endswith("'"):  # Yelp writes "u'free'"
        text = text.removeprefix("u").strip("'")
    return text


def flatten_record(record: str | dict[str, object]) -> list[str]:
    """One "field: value" fact per leaf of a JSON record, nested field names joined by spaces.

    A list of objects (e.g. reviews) gives one fact per field of each item; a long text value
    (a review) is split into its sentences, so that each fact stays short.
    """
    data = json.loads(record) if isinstance(record, str) else record
    facts: list[str] = []

    def walk(node: object, path: list[str]) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, [*path, _field_name(key)])
        elif isinstance(node, list):
            if all(not isinstance(item, dict | list) for item in node):
                facts.append(f"{' '.join(path)}: {', '.join(_value_text(i) for i in node)}")
            else:
                for item in node:
                    walk(item, path)
        else:
            value = _value_text(node)
            name = " ".join(path)
            if len(value) > 200:
                facts.extend(f"{name}: {value[s:e]}" for s, e in sentence_spans(value))
            else:
                facts.append(f"{name}: {value}")

    walk(data, [])
    return facts


def _number(text: str) -> str | None:
    try:
        return f"{float(text.replace(',', '')):g}"
    except ValueError:
        return None


def record_values(facts: list[str]) -> tuple[set[str], set[str]]:
    """(numbers, clock times "H:MM") found in the values of the facts."""
    numbers: set[str] = set()
    times: set[str] = set()
    for fact in facts:
        value = fact.partition(": ")[2]
        for match in _RECORD_TIME.finditer(value):
            hour, minute = int(match.group(1)), int(match.group(2))
            times.add(f"{hour % 24}:{minute:02d}")
        numbers.update(n for n in map(_number, _NUMBER.findall(value)) if n is not None)
    return numbers, times


def unmatched_values(claim: str, facts: list[str]) -> list[tuple[int, int]]:
    """Offsets in `claim` of clock times and numbers that no value of the record holds."""
    numbers, times = record_values(facts)
    out: list[tuple[int, int]] = []
    covered: list[tuple[int, int]] = []
    for match in _CLAIM_TIME.finditer(claim):
        covered.append(match.span())
        if match.group(4):
            hour, minute = _SPELLED[match.group(4).lower()], 0
        else:
            hour, minute = int(match.group(1)) % 12, int(match.group(2) or 0)
            hour += 12 if match.group(3).lower() == "p" else 0
        if f"{hour}:{minute:02d}" not in times:
            out.append(match.span())
    for match in _NUMBER.finditer(claim):
        if any(s <= match.start() < e for s, e in covered):
            continue
        value = _number(match.group())
        if value is not None and value not in numbers:
            out.append(match.span())
    return sorted(out)
