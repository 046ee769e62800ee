"""The documentation runs: every Python block of README.md and docs/, and a docstring example per public name.

A Python block is run on its own, as a reader runs it: in a fresh namespace, in
an empty temporary folder (so the files it writes never land in the
repository), with the state a new process has (conftest.py resets the seed,
floatx and layer names before each test). What it prints is checked against
what the page says it prints, in one of two ways:

- ``# -> text`` comments: a statement's output is the ``# ->`` lines on it or
  after it (before the next statement), in order; a statement that prints and
  has none fails the test;
- an output block right after the code (```` ```text title="Output" ````, with at
  most a line such as "It prints:" between them): the block's whole output,
  compared at once.

The comparison is doctest's, with ``...`` matching anything, whitespace runs
equal, and numbers compared to the precision written (``0.98`` matches
0.9812). A block preceded by ``<!-- not run: reason -->`` is skipped with that
reason (for code that needs what a test machine lacks); one preceded by
``<!-- continues the blocks above -->`` runs after the Python blocks above it in
the same section (for code shown in parts, side by side). A block that imports
Keras or PyTorch gets them through ``peers.import_peer`` (skipped where they are
not installed, a failure in CI).
"""

import ast
import contextlib
import doctest
import importlib
import inspect
import io
import re
import shutil
import subprocess
import tokenize
from pathlib import Path

import pytest
from peers import import_peer

import layerkit

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md"] + sorted((REPO / "docs").rglob("*.md"))
FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+|~~~+)(?P<info>.*)$")
NOT_RUN = re.compile(r"<!--\s*not run:\s*(?P<reason>.+?)\s*-->")
CONTINUES = re.compile(r"<!--\s*continues the blocks above\s*-->")
PEERS = ("keras", "torch")
MARKER = re.compile(r"#\s?-> ?(?P<text>.*)$")
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
FLOAT = re.compile(r"[+-]?(?:(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)")


class Block:
    """A fenced code block of a page: its language, its code, its first and last lines."""

    def __init__(self, page, line, end, info, code, skip_reason):
        self.page, self.line, self.end, self.info, self.code = page, line, end, info.strip(), code
        self.language = self.info.split()[0] if self.info else ""
        self.skip_reason = skip_reason
        self.output = None  # the output block that follows, if any
        self.prelude = ""   # the code of the blocks it continues, run first

    @property
    def id(self):
        return f"{self.page.relative_to(REPO)}:{self.line}"


def read_blocks(page):
    """Every fenced block of ``page``, each Python block with the output block after it."""
    lines = page.read_text(encoding="utf-8").split("\n")
    blocks, index = [], 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        indent, fence = len(opening["indent"]), opening["fence"]
        end = index + 1
        while end < len(lines) and not lines[end].strip().startswith(fence):
            end += 1
        code = "\n".join(line[indent:] for line in lines[index + 1:end])
        before = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].strip()), "")
        skipped = NOT_RUN.search(before)
        block = Block(page, index + 1, end, opening["info"], code,
                      skipped["reason"] if skipped else None)
        if CONTINUES.search(before):
            section = max((i for i in range(index) if lines[i].startswith("## ")), default=0)
            block.prelude = "\n".join(b.code for b in blocks
                                      if b.language == "python" and b.line > section)
        blocks.append(block)
        index = end + 1
    for code, output in zip(blocks, blocks[1:]):
        if code.language == "python" and output.language == "text" and 'title="Output"' in output.info:
            between = [line for line in lines[code.end + 1:output.line - 1] if line.strip()]
            if not between or (len(between) == 1 and between[0].rstrip().endswith(":")):
                code.output = output.code
    return blocks


PYTHON_BLOCKS = [block for page in PAGES for block in read_blocks(page) if block.language == "python"]


def numbers_to_written_precision(want, got):
    """``got`` with each float rounded as the matching number of ``want`` is written (pytest's NUMBER)."""
    wanted, found = list(FLOAT.finditer(want)), list(FLOAT.finditer(got))
    if len(wanted) != len(found):
        return got
    for w, g in reversed(list(zip(wanted, found))):
        text = w.group()
        mantissa = text.split("e")[0].split("E")[0]
        decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
        exponent = int(re.split("[eE]", text)[1]) if re.search("[eE]", text) else 0
        tolerance = 0.5 * 10.0 ** (exponent - decimals) * (1 + 1e-9)
        if abs(float(g.group()) - float(text)) <= tolerance:
            got = got[:g.start()] + text + got[g.end():]
    return got


def same_output(want, got):
    """doctest's comparison, with ELLIPSIS, NORMALIZE_WHITESPACE and numbers to the precision written."""
    want, got = want.strip() + "\n", got.strip() + "\n"
    return doctest.OutputChecker().check_output(want, numbers_to_written_precision(want, got), FLAGS)


def markers(code):
    """``{line: [expected lines]}`` from the ``# ->`` comments of ``code``."""
    found = {}
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        if token.type == tokenize.COMMENT and MARKER.match(token.string):
            found.setdefault(token.start[0], []).append(MARKER.match(token.string)["text"])
    return found


def assert_ignored_by_git(folder, where):
    """The files a block wrote in ``folder`` would be ignored by git in the repository's root."""
    written = [str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()]
    if not written or shutil.which("git") is None or not (REPO / ".git").exists():
        return
    checked = subprocess.run(["git", "check-ignore", "--no-index", "--stdin"], cwd=REPO,
                             input="\n".join(written), capture_output=True, text=True)
    kept = sorted(set(written) - set(checked.stdout.split()))
    assert not kept, (f"{where} writes {kept}, which .gitignore does not cover: a reader who runs "
                      "it in the repository would leave them there")


def imported_modules(code):
    """The top-level names of the modules ``code`` imports."""
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def run_block(code, namespace=None):
    """Run ``code`` statement by statement; return ``[(statement, what it printed)]``."""
    tree = ast.parse(code)
    namespace = {"__name__": "__main__"} if namespace is None else namespace
    printed = []
    for statement in tree.body:
        module = ast.Module(body=[statement], type_ignores=[])
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(module, "<docs block>", "exec"), namespace)  # noqa: S102
        printed.append((statement, out.getvalue()))
    return printed


# Keras on NumPy 2 warns about its own arrays (as in the other Keras peer tests).
@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")
@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=lambda block: block.id)
def test_python_block_runs_and_prints_what_the_page_says(block, tmp_path, monkeypatch):
    if block.skip_reason:
        pytest.skip(block.skip_reason)
    monkeypatch.chdir(tmp_path)
    imported = imported_modules(block.prelude + "\n" + block.code)
    for peer in PEERS:
        if peer in imported:
            import_peer(peer)
    namespace = {"__name__": "__main__"}
    if block.prelude:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(block.prelude, f"<{block.id}: the blocks above>", "exec"), namespace)  # noqa: S102
    printed = run_block(block.code, namespace)
    where = f"{block.id}"
    assert_ignored_by_git(tmp_path, where)
    if block.output is not None:
        got = "".join(text for _, text in printed)
        assert same_output(block.output, got), (
            f"{where}: the output block says\n{block.output}\nbut the code printed\n{got}")
        return
    expected = markers(block.code)
    starts = [statement.lineno for statement, _ in printed] + [block.code.count("\n") + 2]
    for (statement, got), next_start in zip(printed, starts[1:]):
        want = [text for line, texts in sorted(expected.items())
                if statement.lineno <= line < next_start for text in texts]
        source = ast.get_source_segment(block.code, statement).split("\n")[0]
        if not want:
            assert not got.strip(), (
                f"{where}, line {statement.lineno} ({source!r}) prints\n{got}\nbut the page does "
                "not say what: add `# -> ...` lines (or an output block)")
            continue
        assert same_output("\n".join(want), got), (
            f"{where}, line {statement.lineno} ({source!r}): the page says\n"
            + "\n".join(want) + f"\nbut it printed\n{got}")


def test_every_page_has_its_python_blocks_found():
    """Guards the block reader: the pages that show code have Python blocks, and every fence closes."""
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        fences = [line for line in text.split("\n") if FENCE.match(line)]
        assert len(fences) % 2 == 0, f"{page.relative_to(REPO)}: a code fence is not closed"
    assert len(PYTHON_BLOCKS) > 40


def test_the_pages_name_only_make_targets_and_examples_that_exist():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([\w-]+):", makefile, flags=re.MULTILINE))
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"(?:`|^)make ([\w-]+)(?![\w=-])", text, flags=re.MULTILINE):
            assert target in targets, f"{page.relative_to(REPO)} names `make {target}`"
        for script in set(re.findall(r"examples/(\w+)\.py", text)) - {"NAME"}:
            assert (REPO / "examples" / f"{script}.py").is_file(), (
                f"{page.relative_to(REPO)} names examples/{script}.py")


# --------------------------------------------------------------------------- docstring examples
def public_modules():
    """The modules a user reaches from ``import layerkit``."""
    names = [n for n in layerkit.__all__ if n not in ("Input", "Model", "Sequential", "__version__")]
    return [layerkit] + [importlib.import_module(f"layerkit.{n}") for n in names] + [
        importlib.import_module("layerkit.optimizers.schedules")]


def public_names(module):
    """``module``'s public functions and classes: its ``__all__``, or what it defines itself."""
    if hasattr(module, "__all__"):
        names = module.__all__
    else:
        names = [n for n, obj in vars(module).items() if not n.startswith("_")
                 and getattr(obj, "__module__", None) == module.__name__]
    return [(n, getattr(module, n)) for n in names
            if inspect.isclass(getattr(module, n)) or callable(getattr(module, n))]


def test_every_public_name_has_a_docstring_example():
    """Each public class and function shows a ``>>>`` example, which pytest runs as a doctest."""
    missing = [f"{module.__name__}.{name}" for module in public_modules()
               for name, obj in public_names(module) if ">>>" not in (inspect.getdoc(obj) or "")]
    assert not missing, f"public names without a docstring example: {missing}"


def test_same_output_compares_numbers_to_the_precision_written():
    assert same_output("0.98", "0.9812")
    assert not same_output("0.98", "0.9712")
    assert same_output("[loss, accuracy] = [0.1, 0.98]", "[loss, accuracy] = [0.0951, 0.9840]")
    assert same_output("worst 1e-10 ...", "worst 1.2e-10 at dense/kernel")
    assert not same_output("True", "False")
    assert same_output("(4, 1)", "(4, 1)")
