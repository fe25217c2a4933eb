"""The command blocks of README.md and docs/*.md, and how each is tested (tests/unit/test_docs.py checks that
every block says how; tests/e2e/test_docs_commands.py runs them).

A command block (```bash or ```python) is preceded by a marker, an HTML comment a reader of the page
does not see:

- ``<!-- docs-test: service -->``: starts the service (``make run ...``) and runs until Ctrl-C. The test
  starts it on free ports, waits for its banner, runs the page's next ``stack`` blocks against it, and
  stops it with Ctrl-C at the next ``service`` block or the page's end.
- ``<!-- docs-test: stack -->``: runs against that service (one shell per page, so variables carry from
  block to block, as in a reader's second terminal; a plain ``make run`` is started if the page has not
  started one). ``<!-- docs-test: stack after ended -->`` first waits, as the prose tells the reader to,
  for a state of the job in ``$JOB`` (WAITS).
- ``<!-- docs-test: shell -->``: runs as it is, in the repository, no service needed.
  ``<!-- docs-test: shell after stopped -->`` first stops the page's service (Ctrl-C), as the prose says to.
- ``<!-- docs-test: refused -->``: a command the page shows being refused: it must exit non-zero, and its
  output block is what it printed (stdout and stderr).
- ``<!-- docs-test: until-interrupted -->``: runs until Ctrl-C (``tail -f``): the test waits for its first
  line of output, then interrupts it.
- ``<!-- docs-test: dry-run: REASON -->``: cannot run here (it needs an AWS account, or it is the test suite
  itself): checked as far as it can be, ``make -n``, pytest's ``--collect-only``, ``sam <command> --help``.

A ```text block preceded by ``<!-- docs-test: output -->`` is what the command block before it prints:
the test compares them, numbers, job ids and dates being whatever they are (``output_pattern``).
"""

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMMAND_LANGUAGES = {"bash", "python"}
OTHER_LANGUAGES = {"text", "json", "mermaid", "yaml"}  # shown, never run (json is parsed by the unit test)
KINDS = {"service", "stack", "shell", "refused", "until-interrupted", "dry-run", "output"}
# What a reader waits for before a block, as the prose says ("a few seconds later ..."): a state of the job in
# $JOB (before a stack block), or the end of the page's make run (before a shell block).
WAITS = {
    "progress": "the job in $JOB has translated at least one document",
    "ended": "the job in $JOB has ended (COMPLETED, COMPLETED_WITH_ERROR, FAILED or STOPPED)",
    "stopped": "the page's make run has been stopped (Ctrl-C)",
}
WAITS_OF = {"stack": {"progress", "ended"}, "shell": {"stopped"}}
README_MAX_LINES = 200

_FENCE = re.compile(r"^(`{3,})(\S*)\s*$")
_MARKER = re.compile(r"^<!-- docs-test: (?P<kind>[a-z-]+)(?: after (?P<wait>[a-z-]+))?(?:: (?P<reason>.+?))? -->$")


@dataclass(frozen=True)
class Marker:
    kind: str
    wait: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Block:
    page: str  # relative to the repository
    line: int  # of the opening fence, 1-based
    language: str
    text: str
    marker: Marker | None
    marker_text: str | None  # the comment as written, when it did not parse

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def is_command(self) -> bool:
        return self.language in COMMAND_LANGUAGES


def pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks(page: Path) -> list[Block]:
    """Every fenced block of a page, with the marker on the line before it (blank lines between are allowed)."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    number = 0
    while number < len(lines):
        opening = _FENCE.match(lines[number])
        if not opening:
            number += 1
            continue
        fence, language = opening.groups()
        end = number + 1
        while end < len(lines) and lines[end].strip() != fence:
            end += 1
        previous = number - 1
        while previous >= 0 and not lines[previous].strip():
            previous -= 1
        comment = lines[previous].strip() if previous >= 0 and lines[previous].startswith("<!-- docs-test") else None
        parsed = _MARKER.match(comment) if comment else None
        marker = Marker(parsed["kind"], parsed["wait"], parsed["reason"]) if parsed else None
        name = str(page.relative_to(ROOT)) if page.is_relative_to(ROOT) else str(page)
        text = "\n".join(lines[number + 1:end]) + "\n"
        found.append(Block(name, number + 1, language, text, marker, comment if comment and not parsed else None))
        number = end + 1
    return found


def all_blocks() -> list[Block]:
    return [block for page in pages() for block in blocks(page)]


def problems(block: Block, previous: Block | None) -> list[str]:
    """What is wrong with how a block says it is tested (empty: nothing)."""
    where = block.where
    if block.marker_text:
        return [f"{where}: marker {block.marker_text!r} does not parse (see tests/support/docs.py)"]
    if not block.language:
        return [f"{where}: a block needs a language (bash, python, text, json, ...)"]
    if block.language not in COMMAND_LANGUAGES | OTHER_LANGUAGES:
        return [f"{where}: unknown language {block.language!r}"]
    marker = block.marker
    if block.is_command:
        if marker is None:
            return [f"{where}: command block without a <!-- docs-test: ... --> marker saying how it is tested"]
        if marker.kind not in KINDS - {"output"}:
            return [f"{where}: unknown kind {marker.kind!r} for a command block"]
        if marker.wait and marker.wait not in WAITS_OF.get(marker.kind, set()):
            return [f"{where}: 'after {marker.wait}' is not one of {WAITS_OF} (kind: waits)"]
        if marker.kind == "dry-run" and not marker.reason:
            return [f"{where}: a dry-run says why it cannot run (<!-- docs-test: dry-run: needs an AWS account -->)"]
        if block.language == "python" and marker.kind not in ("stack", "shell"):
            return [f"{where}: a python block runs as a stack or shell block"]
        return []
    if marker is None:
        return []
    if marker.kind != "output" or block.language != "text":
        return [f"{where}: only a text block can be marked output"]
    if previous is None or not previous.is_command or previous.marker is None or \
            previous.marker.kind not in ("stack", "shell", "refused"):
        return [f"{where}: an output block follows the stack, shell or refused block whose output it shows"]
    return []


_NUMBER = re.compile(r"\d+")
_JOB_ID = re.compile(r"[0-9a-f]{32}")


def output_pattern(line: str) -> re.Pattern[str]:
    """A line as the page shows it, matching the line a command prints: any job id for a job id, any number
    for a number (counts, sizes, dates, times), ``...`` for anything, any run of spaces for spaces."""
    parts = []
    for token in re.split(r"(\.\.\.|[0-9a-f]{32}|\d+|\s+)", line.strip()):
        if token == "...":
            parts.append(".*")
        elif _JOB_ID.fullmatch(token):
            parts.append("[0-9a-f]{32}")
        elif _NUMBER.fullmatch(token):
            parts.append(r"\d+")
        elif token and token.isspace():
            parts.append(r"\s+")
        else:
            parts.append(re.escape(token))
    return re.compile("".join(parts))


def unmatched_output(shown: str, printed: str) -> list[str]:
    """The lines the page shows that the command did not print, in that order (empty: all shown were printed)."""
    printed_lines = [line.strip() for line in printed.splitlines()]
    missing, position = [], 0
    for line in (line for line in shown.splitlines() if line.strip()):
        pattern = output_pattern(line)
        for index in range(position, len(printed_lines)):
            if pattern.fullmatch(printed_lines[index]):
                position = index + 1
                break
        else:
            missing.append(line)
    return missing


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found, fenced = set(), False
    for line in page.read_text(encoding="utf-8").splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            found.add(slug(line.lstrip("#")))
    return found
