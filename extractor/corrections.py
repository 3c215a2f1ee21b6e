"""Corrections: a reviewer's edits to a result, applied, revalidated at once, and kept as a trail.

An edit is said one of two ways, both turned into the same list of :class:`Change`:

- RFC 6902 JSON Patch on the result document, paths inside a form:
  ``[{"op": "replace", "path": "/forms/0/total_score", "value": 94.55}]``; ``add`` and ``remove``
  work on the indicator rows (``/forms/0/indicators/-``), ``test`` confirms a value ("I checked
  it reads X": it fails if it does not); a ``test`` of ``/forms/0/form_type`` confirms the form
  as a whole (its form-level findings too);
- field edits, in the validators' path notation:
  ``{"edits": [{"form": 0, "path": "total_score", "value": 94.55},
  {"form": 0, "path": "grade", "confirm": true}, {"form": 1, "confirm": true}]}``.

:func:`apply_changes` applies them all or none, revalidates every form against the document's
text, and returns the new result with its ``review`` block and the trail entries: what was
changed (or confirmed), its value before and after, who and when. Validation results, spans
and the review block itself are never editable: they are recomputed.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from extractor.backends.base import RESULT_EXTRAS
from extractor.errors import InvalidCorrection
from extractor.fieldpath import get_path, set_path, steps

ACTIONS = ("replace", "add", "remove", "confirm")
REVIEW_SEVERITIES = ("error", "warning")
# A value a person typed is, as a rule, not printed in the source (that is why it was corrected):
# these findings stay in its validation, but do not keep a corrected field waiting for review.
SOURCE_CODES = ("ungrounded", "misplaced_value")
_POINTER_ESCAPES = (("~1", "/"), ("~0", "~"))


@dataclass(frozen=True)
class Change:
    """One edit of one form: ``path`` in the validators' notation (``indicators[2].actual``),
    ``None`` for the whole form (only to confirm it)."""

    form: int
    path: str | None
    action: str
    value: Any = None


def parse_changes(body: Any) -> list[Change]:
    """A JSON Patch (a list of operations) or field edits (``{"edits": [...]}``) → changes."""
    if isinstance(body, list):
        return [_from_patch_op(op, n) for n, op in enumerate(body)]
    if isinstance(body, dict) and isinstance(body.get("edits"), list):
        return [_from_edit(edit, n) for n, edit in enumerate(body["edits"])]
    raise InvalidCorrection('send a JSON Patch (a list of operations) or {"edits": [{"form", "path", "value"}]}')


def _from_patch_op(op: Any, n: int) -> Change:
    if not isinstance(op, dict) or not isinstance(op.get("op"), str) or not isinstance(op.get("path"), str):
        raise InvalidCorrection(f"operation {n}: needs an 'op' and a 'path'")
    kind = op["op"]
    if kind not in ("replace", "add", "remove", "test"):
        raise InvalidCorrection(f"operation {n}: op {kind!r} is not supported (replace, add, remove, test)")
    if kind != "remove" and "value" not in op:
        raise InvalidCorrection(f"operation {n}: {kind} needs a 'value'")
    form, path = pointer_to_field(op["path"])
    if path is None:
        raise InvalidCorrection(f"operation {n}: {op['path']} is a whole form; name one of its fields")
    return Change(form, path, "confirm" if kind == "test" else kind, op.get("value"))


def _from_edit(edit: Any, n: int) -> Change:
    if not isinstance(edit, dict) or not isinstance(edit.get("form"), int) or isinstance(edit.get("form"), bool):
        raise InvalidCorrection(f"edit {n}: needs 'form' (the form's index)")
    path = edit.get("path")
    if path is not None and not isinstance(path, str):
        raise InvalidCorrection(f"edit {n}: 'path' must be a field path such as 'indicators[2].actual'")
    if edit.get("confirm") is True:
        return Change(edit["form"], path, "confirm", edit.get("value"))
    if path is None or "value" not in edit:
        raise InvalidCorrection(f"edit {n}: needs 'path' and 'value' (or 'confirm': true)")
    _check_editable(path)
    return Change(edit["form"], path, "replace", edit["value"])


def pointer_to_field(pointer: str) -> tuple[int, str | None]:
    """``/forms/0/indicators/2/actual`` → ``(0, "indicators[2].actual")``."""
    parts = pointer.split("/")
    if len(parts) < 3 or parts[0] != "" or parts[1] != "forms" or not parts[2].isdigit():
        raise InvalidCorrection(f"{pointer}: a correction addresses a form's field, /forms/<n>/<field>")
    path = ""
    for part in parts[3:]:
        for escaped, plain in _POINTER_ESCAPES:
            part = part.replace(escaped, plain)
        if part.isdigit() or part == "-":
            path += f"[{part}]"
        else:
            path += ("." if path else "") + part
    if path:
        _check_editable(path)
    return int(parts[2]), path or None


def field_to_pointer(form: int, path: str) -> str:
    """The inverse of :func:`pointer_to_field`."""
    return f"/forms/{form}" + "".join(f"/{str(s).replace('~', '~0').replace('/', '~1')}" for s in steps(path))


def _check_editable(path: str) -> None:
    head = steps(path)[0] if steps(path) else None
    if head in RESULT_EXTRAS or head == "review" or not isinstance(head, str):
        raise InvalidCorrection(f"{path}: validation, spans and alignment are recomputed, not edited")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def apply_changes(document: dict[str, Any], text: str, changes: list[Change], *, reviewer: str,
                  version: int, at: str | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The result after the changes (all or none), revalidated, with its ``review`` block; and the
    trail entries. ``version`` is the number the new result gets."""
    from extractor.revalidate import revalidate_text

    if not changes:
        raise InvalidCorrection("no changes given")
    at = at or now_iso()
    forms = copy.deepcopy(document.get("forms"))
    if not isinstance(forms, list):
        raise InvalidCorrection("the result holds no list of forms")
    trail = [_apply(forms, change) | {"version": version, "reviewer": reviewer, "at": at} for change in changes]
    _as_the_schema_has_them(forms, trail)
    updated = revalidate_text({**document, "forms": forms}, text).document
    updated["review"] = review_block(updated, document.get("review") or {}, trail, reviewer=reviewer, at=at,
                                     version=version)
    return updated, trail


def _apply(forms: list[Any], change: Change) -> dict[str, Any]:
    if not 0 <= change.form < len(forms):
        raise InvalidCorrection(f"there is no form {change.form} (the result has {len(forms)})")
    entry = {"form": change.form, "path": change.path, "action": change.action}
    if change.path is None:
        return entry | {"original": None, "value": None}
    parent, last = _parent(forms[change.form], change.path)
    if change.action == "add":
        if not isinstance(parent, list):
            raise InvalidCorrection(f"{change.path}: add inserts an indicator row; use replace for a field")
        index = len(parent) if last == "-" else _index(parent, last, change.path, inclusive=True)
        parent.insert(index, change.value)
        return entry | {"path": _with_index(change.path, index), "original": None, "value": change.value}
    if last == "-":
        raise InvalidCorrection(f"{change.path}: '-' only names the end of a list for add")
    if isinstance(parent, list):
        key = _index(parent, last, change.path)
    elif isinstance(parent, dict) and last in parent:
        key = last
    else:
        raise InvalidCorrection(f"{change.path}: the form has no such field")
    original = parent[key]
    if change.action == "confirm":
        if change.value is not None and change.value != original:
            raise InvalidCorrection(f"{change.path}: reads {original!r}, not {change.value!r}")
        whole = change.path == "form_type"          # the form's identity confirmed: the whole form
        return entry | {"path": None if whole else change.path, "original": original, "value": original}
    if change.action == "remove":
        if not isinstance(parent, list):
            raise InvalidCorrection(f"{change.path}: only indicator rows are removed; set a field to null instead")
        del parent[key]
        return entry | {"original": original, "value": None}
    if isinstance(original, (dict, list)) != isinstance(change.value, (dict, list)):
        raise InvalidCorrection(f"{change.path}: a value replaces a value, a row a row")
    parent[key] = change.value
    return entry | {"original": original, "value": change.value}


def _as_the_schema_has_them(forms: list[Any], trail: list[dict[str, Any]]) -> None:
    """Typed values written as the hand-off writes them ("94.55" for an amount → 94.55), so a
    correction never turns a number into a string; a value of the wrong type is refused."""
    from pydantic import ValidationError

    from schemas.forms import parse_form

    for index in sorted({e["form"] for e in trail if e["action"] in ("replace", "add")}):
        contract = {k: v for k, v in forms[index].items() if k not in RESULT_EXTRAS and k != "review"}
        try:
            dumped = parse_form(contract).model_dump(mode="json")
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(p) for p in error["loc"] if p not in ("self_evaluation", "target_declaration"))
            raise InvalidCorrection(f"form {index}: {where}: {error['msg']}") from None
        for entry in trail:
            if entry["form"] == index and entry["action"] in ("replace", "add") and entry["path"]:
                entry["value"] = get_path(dumped, entry["path"])
                set_path(forms[index], entry["path"], entry["value"])


def _parent(form: Any, path: str) -> tuple[Any, Any]:
    *head, last = steps(path)         # "indicators[-]" → ["indicators", "-"]
    node = form
    for step in head:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            raise InvalidCorrection(f"{path}: the form has no such field") from None
    return node, last


def _index(items: list[Any], step: Any, path: str, inclusive: bool = False) -> int:
    if not isinstance(step, int) or not 0 <= step < len(items) + (1 if inclusive else 0):
        raise InvalidCorrection(f"{path}: the form has no such field")
    return step


def _with_index(path: str, index: int) -> str:
    return re.sub(r"\[(-|\d+)\]$", f"[{index}]", path)


def _name(form: int, path: str | None) -> str:
    return f"forms[{form}]" + (f".{path}" if path else "")


def review_block(document: dict[str, Any], before: dict[str, Any], trail: list[dict[str, Any]], *, reviewer: str,
                 at: str, version: int) -> dict[str, Any]:
    """``{status, version, corrected_fields, confirmed, reviewer, at}``: ``status`` is ``reviewed``
    once every form is valid or confirmed (a form is, explicitly or when each of its flagged
    fields is), ``needs_review`` until then."""
    corrected = list(before.get("corrected_fields") or [])
    confirmed = list(before.get("confirmed") or [])
    for entry in trail:
        target = corrected if entry["action"] != "confirm" else confirmed
        name = _name(entry["form"], entry["path"])
        if name not in target:
            target.append(name)
    open_forms = [i for i, form in enumerate(document.get("forms", []))
                  if not form_settled(i, form, confirmed, corrected)]
    return {"status": "needs_review" if open_forms else "reviewed", "version": version,
            "corrected_fields": corrected, "confirmed": confirmed, "open_forms": open_forms,
            "reviewer": reviewer, "at": at}


def form_settled(index: int, form: dict[str, Any], confirmed: list[str], corrected: list[str] = ()) -> bool:
    """Valid, confirmed as a whole, or every field with an error or warning confirmed (or corrected,
    where the finding only says the typed value is not the printed one)."""
    if _name(index, None) in confirmed:
        return True
    for finding in (form.get("validation") or {}).get("findings", []):
        if finding.get("severity") not in REVIEW_SEVERITIES:
            continue
        name = _name(index, finding["path"])
        if name not in confirmed and not (finding["code"] in SOURCE_CODES and name in corrected):
            return False
    return True
