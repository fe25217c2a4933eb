"""Hostile documents beside normal ones of the same size: CPU time and peak memory per document (issue 26).

For each format (text, HTML, XLIFF, docx, pptx, xlsx), the worst shapes built here (the issue's own:
5.9 M shared strings in 244 KB, 2.5 M runs in a 248 KB docx, 20 MB of ``<b>x</b>``; and deep nesting,
attribute and name floods, the most a document may hold and still be translated) and, after each, a
normal document of the same size in bytes (prose in the format's usual markup). Each document is
translated by ``documents.translate_document`` with the pseudo engine in a fresh process, which
reports its CPU time and its peak resident memory above what it held before (the document itself
and the code: Linux's VmHWM, reset through /proc/self/clear_refs). The bounds are in
layers/shared/translate_jobs/integrations/document_bounds.py and docs/documents.md.

Usage: .venv/bin/python tests/benchmarks/hostile_documents.py [FORMAT ...]   (all formats by default)
"""

import json
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "shared")]

from tests.support.office import docx_with, pptx_with, xlsx_with  # noqa: E402
from translate_jobs.integrations.document_bounds import MAX_CHARACTERS  # noqa: E402

TEXT, HTML, XLIFF = "text/plain", "text/html", "application/x-xliff+xml"
OOXML = "application/vnd.openxmlformats-officedocument"
DOCX, PPTX, XLSX = f"{OOXML}.wordprocessingml.document", f"{OOXML}.presentationml.presentation", f"{OOXML}.spreadsheetml.sheet"
MB = 1 << 20

# ---------- prose ----------

_rng = random.Random(26)
WORDS = ["".join(_rng.choice("bcdfghjklmnprstvwz") + _rng.choice("aeiou") for _ in range(_rng.randint(1, 4)))
         for _ in range(3000)]


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 18))).capitalize() + "."


def paragraphs(n: int) -> list[str]:
    rng = random.Random(n)
    return [" ".join(sentence(rng) for _ in range(rng.randint(1, 4))) for _ in range(n)]


def grown(build: Callable[[int], bytes], size: int) -> tuple[bytes, bool]:
    """build(n) for the n paragraphs that make it about ``size`` bytes, or for the most that stay
    below MAX_CHARACTERS (the document is then smaller); and whether it is that smaller one."""
    n = 16
    for _ in range(4):
        n = max(1, round(n * size / len(build(n))))
    most = round(16 * 0.95 * MAX_CHARACTERS / sum(map(len, paragraphs(16))))
    while sum(map(len, paragraphs(most))) > 0.95 * MAX_CHARACTERS:
        most = most * 9 // 10
    return build(min(n, most)), n > most


# ---------- the formats' wrappers ----------

X = 'xmlns="urn:oasis:names:tc:xliff:document:1.2"'


def xliff(units: str) -> bytes:
    head = f'<?xml version="1.0" encoding="UTF-8"?>\n<xliff version="1.2" {X}><file original="a" source-language="en"><body>'
    return f"{head}{units}</body></file></xliff>".encode()


def xliff_source(inner: str) -> bytes:
    return xliff(f'<trans-unit id="1"><source>{inner}</source></trans-unit>')


# ---------- normal documents of a given size ----------


def normal(content_type: str, size: int) -> tuple[bytes, bool]:
    builders: dict[str, Callable[[int], bytes]] = {
        TEXT: lambda n: "\n\n".join(paragraphs(n)).encode(),
        HTML: lambda n: ("<html><body>" + "".join(
            f'<p class="body">{p[:40]}<b>{p[40:60]}</b>{p[60:]}</p>\n' for p in paragraphs(n)) + "</body></html>").encode(),
        XLIFF: lambda n: xliff("".join(
            f'<trans-unit id="{i}"><source>{p[:50]}<g id="{i}">{p[50:70]}</g>{p[70:]}</source></trans-unit>\n'
            for i, p in enumerate(paragraphs(n)))),
        DOCX: lambda n: docx_with("".join(
            f'<w:p><w:pPr><w:pStyle w:val="Normal"/></w:pPr><w:r><w:rPr><w:rFonts w:ascii="Calibri"/><w:sz w:val="22"/></w:rPr>'
            f'<w:t xml:space="preserve">{p[:60]}</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>{p[60:]}</w:t></w:r></w:p>'
            for p in paragraphs(n))),
        PPTX: lambda n: pptx_with("".join(
            f'<a:p><a:r><a:rPr lang="en-US" dirty="0"/><a:t>{p}</a:t></a:r></a:p>' for p in paragraphs(n))),
        XLSX: lambda n: xlsx_with("".join(f"<si><t>{p[:120]}</t></si>" for p in paragraphs(n))),
    }
    return grown(builders[content_type], size)


# ---------- hostile documents ----------


def many_attributes(count: int) -> str:
    return " ".join(f'a{number}="1"' for number in range(count))


def runs(count: int, prefix: str = "w") -> str:
    return f"<{prefix}:r><{prefix}:t>a</{prefix}:t></{prefix}:r>" * count


EMOJI_PAGE = "<p>\U0001f600</p><!--" + "x" * (20 * MB - 30) + "-->"  # one character past U+FFFF: 4 bytes a character
HOSTILE: list[tuple[str, str, Callable[[], bytes]]] = [
    (TEXT, "20 MB of one-letter lines", lambda: b"a\n" * (10 * MB)),
    (TEXT, "999,999 characters in one-letter lines", lambda: b"a\n" * 499_999 + b"a"),
    (HTML, "<b>x</b> x 2.5 M (20 MB, the issue's)", lambda: b"<b>x</b>" * 2_500_000),
    (HTML, "99,999 text nodes <p>x</p>", lambda: b"<p>x</p>" * 99_999),
    (HTML, "999,999 tags <br>", lambda: b"<br>" * 999_999),
    (HTML, "100,000 nested <div>s", lambda: b"<div>" * 100_000 + b"deep" + b"</div>" * 100_000),
    (HTML, "2.5 M attributes in one tag", lambda: ("<p " + " ".join(["a=1"] * 2_500_000) + ">x</p>").encode()),
    (HTML, "20 MB of &#233; in one text", lambda: b"<p>" + b"&#233;" * 3_000_000 + b"</p>"),
    (HTML, "one 20 MB line of text", lambda: b"<p>" + b"abcdefghi " * 2_000_000 + b"</p>"),
    (HTML, "20 MB comment and one emoji", lambda: EMOJI_PAGE.encode()),
    (XLIFF, "1,000 nested <g> (the issue's)", lambda: xliff_source("<g>" * 1000 + "deep" + "</g>" * 1000)),
    (XLIFF, "<x/> x 2.5 M in one source", lambda: xliff_source("<x/>" * 2_500_000)),
    (XLIFF, "99,999 trans-units", lambda: xliff('<trans-unit id="1"><source>x</source></trans-unit>' * 99_999)),
    (XLIFF, "500,000 attributes in one tag", lambda: xliff_source(f"<x {many_attributes(500_000)}/>")),
    (XLIFF, "90,000 attributes in one tag (under 1 MiB)", lambda: xliff_source(f"<x {many_attributes(90_000)}/>")),
    (XLIFF, "1 M distinct element names", lambda: xliff_source("".join(f"<e{n}/>" for n in range(1_000_000)))),
    (XLIFF, "20 MB note and one emoji", lambda: xliff(
        '<trans-unit id="1"><source>\U0001f600</source><note>' + "x" * (20 * MB - 300) + "</note></trans-unit>")),
    (DOCX, "2.5 M runs in one paragraph (the issue's)", lambda: docx_with(f"<w:p>{runs(2_500_000)}</w:p>")),
    (DOCX, "499,000 runs in one paragraph", lambda: docx_with(f"<w:p>{runs(499_000)}</w:p>")),
    (DOCX, "the same in a 100 MB part", lambda: docx_with(
        f"<w:p>{runs(499_000)}</w:p><w:p><w:r><w:instrText>{'x' * (87 * MB)}</w:instrText></w:r></w:p>")),
    (DOCX, "99,999 paragraphs of one letter", lambda: docx_with("<w:p><w:r><w:t>a</w:t></w:r></w:p>" * 99_999)),
    (DOCX, "100 MB inflated of <w:b/>", lambda: docx_with("<w:p>" + "<w:b/>" * (99 * MB // 6) + "</w:p>")),
    (PPTX, "2.5 M runs in one paragraph", lambda: pptx_with(f"<a:p>{runs(2_500_000, 'a')}</a:p>")),
    (PPTX, "99,999 paragraphs of one letter", lambda: pptx_with("<a:p><a:r><a:t>a</a:t></a:r></a:p>" * 99_999)),
    (XLSX, "5.9 M shared strings (the issue's)", lambda: xlsx_with("<si><t>a</t></si>" * 5_900_000)),
    (XLSX, "1 M shared strings (the issue's make run case)", lambda: xlsx_with("<si><t>a</t></si>" * 1_000_000)),
    (XLSX, "99,999 shared strings of 10 letters", lambda: xlsx_with("<si><t>abcdefghij</t></si>" * 99_999)),
]


# ---------- one measurement, in a child process ----------


def _memory_kb(field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.MULTILINE)
    assert match, field
    return int(match.group(1))


def measure(content_type: str, path: str) -> None:
    """In a fresh process holding the code and the document's bytes only: translate it, print the figures."""
    from translate_jobs.integrations.documents import translate_document
    from translate_jobs.integrations.engines import DocumentError, PseudoEngine

    engine, segments = PseudoEngine(), [0]

    def translate(text: str) -> str:
        segments[0] += 1
        return engine.translate(text, "en", "fr", None)

    data = Path(path).read_bytes()
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    before = _memory_kb("VmRSS")
    started = time.process_time()
    try:
        outcome = f"translated, {len(translate_document(content_type, data, translate, 'fr')):,} bytes"
    except DocumentError as exc:
        outcome = f"DocumentError: {exc}"
    figures = {"cpu": time.process_time() - started, "peak_mb": (_memory_kb("VmHWM") - before) / 1024,
               "segments": segments[0], "outcome": outcome}
    print(json.dumps(figures))


def run(content_type: str, data: bytes, folder: str) -> dict[str, object]:
    """Translate ``data`` in a child process; its figures (or its error)."""
    path = Path(folder) / "document"
    path.write_bytes(data)
    answer = subprocess.run([sys.executable, __file__, "--child", content_type, str(path)], capture_output=True, text=True)
    if answer.returncode:
        return {"cpu": 0.0, "peak_mb": 0.0, "segments": 0, "outcome": f"failed: {answer.stderr.strip().splitlines()[-1]}"}
    return dict(json.loads(answer.stdout))


def main(formats: list[str]) -> None:
    names = {"text": TEXT, "html": HTML, "xliff": XLIFF, "docx": DOCX, "pptx": PPTX, "xlsx": XLSX}
    wanted = {names[name] for name in formats} if formats else set(names.values())
    short = {value: key for key, value in names.items()}
    print("Each document translated by translate_document (pseudo engine) in a fresh process holding the code and")
    print("the document's bytes; peak: its resident memory (VmHWM) above what it held before.")
    print(f"{'format':<6} {'document':<48} {'bytes':>12} {'CPU s':>7} {'peak MB':>8} {'segments':>9}  outcome")

    def row(content_type: str, label: str, data: bytes, figures: dict[str, object]) -> None:
        print(f"{short[content_type]:<6} {label:<48} {len(data):>12,} {figures['cpu']:>7.2f} {figures['peak_mb']:>8.1f} "
              f"{figures['segments']:>9,}  {str(figures['outcome'])[:110]}", flush=True)

    with tempfile.TemporaryDirectory() as folder:
        for content_type, name, build in HOSTILE:
            if content_type in wanted:
                hostile = build()
                row(content_type, name, hostile, run(content_type, hostile, folder))
                prose, smaller = normal(content_type, len(hostile))
                del hostile
                label = f"{0.95 * MAX_CHARACTERS:,.0f} characters (near the most)" if smaller else "same size"
                row(content_type, f"  normal prose, {label}", prose, run(content_type, prose, folder))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        measure(sys.argv[2], sys.argv[3])
    else:
        main(sys.argv[1:])
