"""One vote's shape, checked the same way by the server (before appending) and the tally (on read).

A vote names its test (the key's hash), a trial, a rater id (a code, never a name: letters,
digits, '-' and '_') and, per question of the test, "A", "B", "tie" or null (optional questions).
Position ("A"/"B") is stored, not the system: only the key maps positions to systems.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ztts_eval.listen import ListenError

RATER_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
CHOICES = ("A", "B", "tie")


def vote_problem(vote: Any, key: dict[str, Any]) -> str | None:
    """Why this vote cannot be counted for this test, or None when it can."""
    if not isinstance(vote, dict):
        return "a vote must be a JSON object"
    if vote.get("test_id") != key["test_id"]:
        return f"vote is for test {vote.get('test_id')!r}, not {key['test_id']!r}"
    if vote.get("trial") not in {t["id"] for t in key["trials"]}:
        return f"unknown trial {vote.get('trial')!r}"
    if not isinstance(vote.get("rater"), str) or not RATER_ID.match(vote["rater"]):
        return "rater id must be 1–32 letters, digits, '-' or '_'"
    answers = vote.get("answers")
    if not isinstance(answers, dict) or answers.get("overall") not in CHOICES:
        return "answers.overall must be one of A, B, tie"
    for q, a in answers.items():
        if q not in key["questions"]:
            return f"question {q!r} is not part of this test"
        if a is not None and a not in CHOICES:
            return f"answers.{q} must be A, B, tie or null, got {a!r}"
    return None


def clean_vote(vote: dict[str, Any]) -> dict[str, Any]:
    """What is stored of a vote: nothing a page might add beyond the known fields."""
    keep = ("test_id", "trial", "rater", "answers", "listened", "ms", "at")
    return {k: vote[k] for k in keep if k in vote}


def read_votes(paths: list[Path], key: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """Every vote of the files (JSONL from --serve, or a page's JSON export), checked against the key.

    A rater's later vote on a trial replaces an earlier one (a served vote and its export are the
    same vote); the count of replaced votes is returned. A bad vote stops the tally with its place.
    """
    found: dict[tuple[str, str], dict[str, Any]] = {}
    replaced = 0
    for path in paths:
        path = Path(path)
        if not path.is_file():
            raise ListenError(f"{path}: votes file not found")
        text = path.read_text(encoding="utf-8")
        try:
            if path.suffix == ".jsonl":
                entries = [(f"{path}:{i}", json.loads(line)) for i, line in enumerate(text.splitlines(), 1) if line.strip()]
            else:
                obj = json.loads(text)
                votes = obj.get("votes") if isinstance(obj, dict) else obj
                if not isinstance(votes, list):
                    raise ListenError(f"{path}: expected a page export ({{'votes': [...]}}) or a list of votes")
                entries = [(f"{path} vote {i}", v) for i, v in enumerate(votes, 1)]
        except json.JSONDecodeError as exc:
            raise ListenError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
        for where, vote in entries:
            problem = vote_problem(vote, key)
            if problem:
                raise ListenError(f"{where}: {problem}")
            k = (vote["rater"], vote["trial"])
            replaced += k in found
            found[k] = clean_vote(vote)
    return list(found.values()), replaced
