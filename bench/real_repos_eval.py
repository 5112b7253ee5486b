"""Precision and recall of birnn-lint on whole public repositories, linted as a user would.

``bench/real_repos/labels.json`` lists repositories nobody here wrote, each at a pinned commit,
with the pitfalls a careful reader found in them (rule, path, line, where the evidence sits) and
the findings read and judged to be false alarms. For each repository this script materialises the
tree at that commit from the local mirror (``/work/.mirror/<owner>+<name>``, brought in by the
session's ``fetch`` tool) into ``bench/_work/repos/`` (git-ignored), runs this checkout's linter
as ``python -m lint_rules . --format json --isolated`` (plus ``--no-cache`` where the option
exists) in its root, and pairs findings with labels one to one: same path, same rule, line within
+-2. A finding that pairs with no pitfall is a false alarm; one that is not labelled as such yet
is listed for a reader to classify.

    python bench/real_repos_eval.py [--only OWNER/NAME ...] [--linter-path DIR]

labels.json is a list of ``{repo, commit, licence, pitfalls, false_alarms, clean_notes}``; a
pitfall or false alarm is ``{rule, path, line, note}`` (pitfalls add ``evidence_in``, the other
files a reader needs). A notebook's path carries its cell as the linter numbers it
(``x.ipynb:cell3``, all cells from 1) and the line counts within that cell.

``--linter-path DIR`` runs ``python -m lint_rules`` from another checkout (PYTHONPATH=DIR), to
compare an older version of the linter on the same corpus. Third-party code is never committed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_LABELS = HERE / "real_repos" / "labels.json"
DEFAULT_WORK = HERE / "_work" / "repos"
MIRRORS = Path("/work/.mirror")
RULES = [f"BRN00{number}" for number in range(1, 9)]
LINE_SLACK = 2


@dataclass(frozen=True)
class Label:
    repo: str
    rule: str
    path: str
    line: int
    note: str = ""


@dataclass(frozen=True)
class Finding:
    repo: str
    rule: str
    path: str
    line: int
    message: str


def mirror_git_dir(repo: str) -> Path | None:
    base = MIRRORS / repo.replace("/", "+") / "repo"
    for candidate in (base, base / ".git"):
        if (candidate / "HEAD").is_file():
            return candidate
    return None


def git(git_dir: Path, *arguments: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["git", f"--git-dir={git_dir}", *arguments], check=True, capture_output=True, **kwargs
    )


def materialise(repo: str, commit: str, destination: Path) -> str | None:
    """Write the tree of ``commit`` to ``destination``, as a clone holds it; blobs absent from the
    mirror are skipped.

    Returns why it could not, or None. Mirrors may lack their largest files (data, weights);
    ``git archive`` stops at the first absent blob, so the tree is written blob by blob, and a
    ``git init`` makes it a repository root like a clone. A tree written before its index was
    kept is indexed in place: nothing in it is written again or deleted.
    """
    if destination.is_dir() and index_is_kept(destination):
        return None
    git_dir = mirror_git_dir(repo)
    if git_dir is None:
        if destination.is_dir():
            return None  # linted as it is, without its index
        return f"no mirror under {MIRRORS} (bring it in with fetch github:{repo})"
    listing = git(git_dir, "ls-tree", "-r", "-z", commit).stdout
    entries = []
    for record in filter(None, listing.split(b"\0")):
        meta, path = record.split(b"\t", 1)
        _mode, kind, sha = meta.split()
        if kind == b"blob":
            entries.append((sha.decode(), os.fsdecode(path)))
    if not destination.is_dir():
        write_blobs(git_dir, entries, destination)
    # A user lints a clone: its own repository root, so the ignore files of the checkout that
    # holds bench/_work/ (which ignores that folder) do not apply.
    subprocess.run(["git", "init", "-q", str(destination)], check=True)
    keep_index(destination, [path for _sha, path in entries])
    return None


def write_blobs(git_dir: Path, entries: list[tuple[str, str]], destination: Path) -> None:
    """Each (sha, path) blob the mirror holds, written under ``destination``."""
    batch = subprocess.run(
        ["git", f"--git-dir={git_dir}", "cat-file", "--batch"],
        input="".join(f"{sha}\n" for sha, _ in entries).encode(),
        capture_output=True,
        check=True,
    ).stdout
    position = 0
    for _sha, path in entries:
        header_end = batch.index(b"\n", position)
        header = batch[position:header_end].split()
        position = header_end + 1
        if header[-1] == b"missing":
            continue
        size = int(header[2])
        target = destination / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(batch[position : position + size])
        position += size + 1


def index_is_kept(root: Path) -> bool:
    """Whether ``root``'s index lists files: a clone's does, a bare ``git init``'s does not."""
    listed = subprocess.run(
        ["git", "-C", str(root), "ls-files", "-z"], capture_output=True, check=False
    )
    return listed.returncode == 0 and bool(listed.stdout)


def keep_index(root: Path, paths: list[str]) -> None:
    """Add to the index the files of the pinned commit written under ``root`` (``-f``: git adds
    what a ``.gitignore`` matches, as the upstream commit holds it), so the index lists what a
    clone's does, and the linter sees which files are committed."""
    written = [path for path in paths if (root / path).is_file() and not (root / path).is_symlink()]
    if not written:
        return
    added = subprocess.run(
        ["git", "-C", str(root), "--literal-pathspecs", "add", "-f"]
        + ["--pathspec-from-file=-", "--pathspec-file-nul"],
        input=b"\0".join(os.fsencode(path) for path in written),
        capture_output=True,
        check=False,
    )
    if added.returncode != 0:  # linted without its index: say so, the figures may differ
        print(f"  {root.name}: git add failed: {added.stderr.decode(errors='replace')[-300:]}")


def linter_command(linter_path: Path | None) -> tuple[list[str], dict[str, str]]:
    # Run from "/" or a repository root, never from this checkout: ``python -m`` puts the working
    # directory before PYTHONPATH, which would pick this checkout's lint_rules for --linter-path.
    environment = dict(os.environ, PYTHONPATH=str(linter_path or HERE.parent))
    command = [sys.executable, "-m", "lint_rules"]
    help_text = subprocess.run(
        [*command, "--help"], capture_output=True, text=True, env=environment, cwd="/"
    ).stdout
    command += ["--format", "json", "--isolated", "--exit-zero", "--quiet"]
    if "--no-cache" in help_text:
        command.append("--no-cache")
    return command, environment


def lint(repo: str, root: Path, command: list[str], environment: dict[str, str]) -> list[Finding]:
    result = subprocess.run(
        [*command, "."], cwd=root, capture_output=True, text=True, env=environment
    )
    if result.returncode not in (0, 1):
        raise RuntimeError(f"{repo}: birnn-lint exited {result.returncode}: {result.stderr[-500:]}")
    findings = []
    for item in json.loads(result.stdout or "[]"):
        if item["code"] not in RULES:  # E902/E999/BRN999: the file was not analysed
            print(f"  {repo} {item['path']}:{item['line']} {item['code']} {item['message'][:120]}")
            continue
        path = item["path"].removeprefix("./")
        if item.get("cell") is not None:
            path += f":cell{item['cell']}"  # a notebook's line is within its cell
        findings.append(Finding(repo, item["code"], path, item["line"], item["message"]))
    return findings


def matches(finding: Finding, label: Label) -> bool:
    return (finding.repo, finding.rule, finding.path) == (
        label.repo,
        label.rule,
        label.path,
    ) and abs(finding.line - label.line) <= LINE_SLACK


def assign(findings: list[Finding], pitfalls: list[Label]) -> tuple[dict[Finding, Label], list]:
    """Pair findings with pitfalls one to one, nearest line first.

    Returns the pairs and the duplicates: a second finding on the very line of a pitfall already
    found (the h0 and c0 of one call, two slices of one expression) is neither a hit nor a false
    alarm. Two pitfalls a line apart need two findings.
    """
    pairs: dict[Finding, Label] = {}
    duplicates = []
    for finding in sorted(findings, key=lambda f: (f.repo, f.path, f.line, f.rule)):
        free = [p for p in pitfalls if matches(finding, p) and p not in pairs.values()]
        if free:
            pairs[finding] = min(free, key=lambda p: abs(p.line - finding.line))
        elif any(label.line == finding.line for label in pairs.values() if matches(finding, label)):
            duplicates.append(finding)
    return pairs, duplicates


def labels_of(entry: dict, key: str) -> list[Label]:
    return [
        Label(entry["repo"], item["rule"], item["path"], item["line"], item.get("note", ""))
        for item in entry.get(key, [])
    ]


def ratio(numerator: int, denominator: int) -> str:
    return f"{numerator / denominator:.2f}" if denominator else "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=DEFAULT_LABELS)
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--only", nargs="*", default=None, metavar="OWNER/NAME")
    parser.add_argument(
        "--linter-path",
        type=Path,
        default=None,
        help="run python -m lint_rules with PYTHONPATH=DIR (an older checkout)",
    )
    arguments = parser.parse_args(argv)
    entries = json.loads(arguments.labels.read_text(encoding="utf-8"))
    if arguments.only:
        entries = [entry for entry in entries if entry["repo"] in arguments.only]
    command, environment = linter_command(arguments.linter_path)
    version = subprocess.run(
        [*command[:3], "--version"], capture_output=True, text=True, env=environment, cwd="/"
    ).stdout.strip()
    checkout = arguments.linter_path or HERE.parent
    linter_commit = subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    changed = subprocess.run(
        ["git", "-C", str(checkout), "status", "--porcelain", "lint_rules"],
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    print(
        f"linter checkout: {checkout} at {linter_commit or '?'}"
        + (f", {len(changed)} uncommitted paths in lint_rules/" if changed else "")
    )
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; linter: {version} ({' '.join(command[2:])})"
    )

    pitfalls: list[Label] = []
    false_alarms: list[Label] = []
    findings: list[Finding] = []
    linted = 0
    started = time.perf_counter()
    for entry in entries:
        repo, commit = entry["repo"], entry["commit"]
        root = arguments.work / repo.replace("/", "+")
        problem = materialise(repo, commit, root)
        if problem:
            print(f"skipped {repo}: {problem}")
            continue
        linted += 1
        pitfalls += labels_of(entry, "pitfalls")
        false_alarms += labels_of(entry, "false_alarms")
        findings += lint(repo, root, command, environment)
    seconds = time.perf_counter() - started

    pairs, duplicates = assign(findings, pitfalls)
    hits = set(pairs.values())
    wrong_findings = [f for f in findings if f not in pairs and f not in duplicates]
    known_wrong = [f for f in wrong_findings if any(matches(f, label) for label in false_alarms)]
    unclassified = [f for f in wrong_findings if f not in known_wrong]
    print(
        f"{linted} repositories linted in {seconds:.1f} s, {len(pitfalls)} labelled pitfalls, "
        f"{len(findings)} findings ({len(duplicates)} repeating a found pitfall's line)\n"
    )

    print(f"{'rule':<8} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>10} {'recall':>7}")
    totals = Counter()
    for rule in [*RULES, "all"]:
        if rule == "all":
            tp, fp, fn = totals["tp"], totals["fp"], totals["fn"]
        else:
            tp = sum(label.rule == rule for label in hits)
            fp = sum(finding.rule == rule for finding in wrong_findings)
            fn = sum(label.rule == rule for label in pitfalls) - tp
            totals.update(tp=tp, fp=fp, fn=fn)
            if not tp + fp + fn:
                continue
        print(f"{rule:<8} {tp:>4} {fp:>4} {fn:>4} {ratio(tp, tp + fp):>10} {ratio(tp, tp + fn):>7}")

    def show(title: str, items: list) -> None:
        print(f"\n{title} ({len(items)}):")
        for item in sorted(items, key=lambda x: (x.repo, x.path, x.line, x.rule)):
            text = item.note if isinstance(item, Label) else item.message
            print(f"  {item.repo} {item.path}:{item.line} {item.rule}  {text[:150]}")

    show("missed pitfalls", [label for label in pitfalls if label not in hits])
    show("false alarms (labelled)", known_wrong)
    show("findings not yet classified (counted as false alarms)", unclassified)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
