"""README.md and docs/*.md: every command block says how it is tested, the README stays short, and every
link between the pages leads somewhere. (tests/e2e/test_docs_commands.py runs the blocks.)"""

import json
import re
from pathlib import Path

import pytest

from tests.support.docs import (
    README_MAX_LINES,
    ROOT,
    all_blocks,
    anchors,
    blocks,
    output_pattern,
    pages,
    problems,
    unmatched_output,
)

LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_every_block_says_how_it_is_tested():
    found = []
    for page in pages():
        previous = None
        for block in blocks(page):
            found += problems(block, previous)
            previous = block
    assert found == []


def test_a_block_without_a_marker_is_refused(tmp_path: Path):
    page = tmp_path / "page.md"
    page.write_text("Text.\n\n```bash\nmake run\n```\n\n<!-- docs-test: stack after never -->\n```bash\nls\n```\n"
                    "<!-- docs-test: dry-run -->\n```bash\nmake deploy\n```\n<!-- docs-test: shell -->\n```\nls\n```\n")
    page_blocks = blocks(page)
    assert [b.line for b in page_blocks] == [3, 8, 12, 16]
    found = [problem for block in page_blocks for problem in problems(block, None)]
    assert len(found) == 4
    assert "without a <!-- docs-test" in found[0] and "after never" in found[1]
    assert "says why" in found[2] and "needs a language" in found[3]


def test_the_readme_is_short_and_has_its_walkthrough():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= README_MAX_LINES
    kinds = [block.marker.kind for block in blocks(ROOT / "README.md") if block.marker]
    assert kinds[0] == "service"  # make run, then the walkthrough against it
    assert kinds.count("stack") >= 6 and kinds.count("output") >= 3
    for step in ("Upload", "Start", "Watch", "Stop", "List", "Read the outputs"):
        assert f"**{step}" in readme, step


def test_every_docs_page_is_linked_from_the_readme():
    readme = (ROOT / "README.md").read_text()
    linked = {target.split("#")[0] for target in LINK.findall(readme)}
    assert {f"docs/{page.name}" for page in (ROOT / "docs").glob("*.md")} <= linked


@pytest.mark.parametrize("page", pages(), ids=lambda page: str(page.relative_to(ROOT)))
def test_every_link_leads_somewhere(page: Path):
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    broken = []
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue  # a URL
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists() or (anchor and linked.suffix == ".md" and anchor not in anchors(linked)):
            broken.append(target)
    assert broken == []


def test_json_blocks_are_json():
    bad = []
    for block in all_blocks():
        if block.language == "json":
            try:
                json.loads(block.text)
            except ValueError as error:
                bad.append(f"{block.where}: {error}")
    assert bad == []


def test_shown_output_matches_what_a_command_prints_whatever_its_numbers_and_ids():
    shown = 'IN_PROGRESS   840   5000\n{\n    "JobId": "4326e84465f7644321886e7d757840cf",\n...\n}'
    printed = 'IN_PROGRESS\t12\t5000\n{\n    "JobId": "0123456789abcdef0123456789abcdef",\n    "JobStatus": "X"\n}\n'
    assert unmatched_output(shown, printed) == []
    assert unmatched_output("STOPPED  12  5000", printed) == ["STOPPED  12  5000"]
    assert unmatched_output("}\n{", printed) == ["{"]  # in the order shown
    assert output_pattern("fr.doc0001.txt").fullmatch("fr.doc4999.txt")
    assert not output_pattern("fr.doc0001.txt").fullmatch("de.doc4999.txt")
