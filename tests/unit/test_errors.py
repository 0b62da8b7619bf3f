"""The error-code catalogue (houqin.errors.CODES) is every code the product answers, each with its status."""

from __future__ import annotations

import ast
from pathlib import Path

from houqin import errors

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = [*(ROOT / "layers/houqin/python/houqin").rglob("*.py"), *(ROOT / "functions").rglob("*.py")]
# Calls that raise the error they are given a code for, beside the error classes themselves.
RAISES_409 = {"save_versioned", "versioned_transaction"}
CHALICE = {"badrequest", "unsupportedmediatype", "internal"}  # houqin.api reshapes Chalice's own errors


def statuses() -> dict[str, int]:
    """Each error class's status, by class name (HouqinError and its subclasses anywhere in the product)."""
    found = {cls.__name__: cls.status for cls in _subclasses(errors.HouqinError)}
    found.update(dict.fromkeys(RAISES_409, 409))
    return found


def _subclasses(cls: type) -> list[type]:
    import houqin.domain.opinions  # noqa: F401 - RateLimited lives there

    return [cls, *(sub for direct in cls.__subclasses__() for sub in _subclasses(direct))]


def raised() -> dict[str, set[int]]:
    """Every code literal the product raises (``code="…"`` to an error class or a versioned save, and each class's
    default), with the status it is raised with."""
    status_of, found = statuses(), {}
    for path in PRODUCT:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                for keyword in node.keywords:
                    if keyword.arg == "code" and isinstance(keyword.value, ast.Constant) and name in status_of:
                        found.setdefault(keyword.value.value, set()).add(status_of[name])
    for cls in _subclasses(errors.HouqinError):
        found.setdefault(cls.code, set()).add(cls.status)
    return found


def test_every_code_raised_is_in_the_catalogue_with_its_status():
    for code, seen in raised().items():
        assert code in errors.CODES, f"{code!r} is raised but not in houqin.errors.CODES"
        assert seen == {errors.CODES[code][0]}, f"{code!r} is raised as {seen}, catalogued as {errors.CODES[code][0]}"


def test_the_catalogue_lists_no_code_nobody_raises():
    assert set(errors.CODES) - set(raised()) - CHALICE == set()
    assert all(message and status in (400, 401, 403, 404, 409, 415, 429, 500)
               for status, message in errors.CODES.values())
