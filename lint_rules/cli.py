"""The ``birnn-lint`` command line: parse arguments, find files, lint them, print the results.

Exit status: 0 nothing reported, 1 findings (file-level errors E902/E999 included), 2 usage,
configuration or internal error (BRN999). Results go to stdout, diagnostics to stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from lint_rules import __version__
from lint_rules.cache import CACHE_DIR_NAME, cache_directory
from lint_rules.config import ConfigError, FileConfig, find_pyproject, load_config
from lint_rules.discovery import LINTED_SUFFIXES, ExcludeMatcher, discover, is_force_excluded
from lint_rules.engine import (
    FileReport,
    Mode,
    Reported,
    Settings,
    SourceUnit,
    load_unit,
    might_need_rules,
    read_unit,
)
from lint_rules.formats import FORMATS, format_findings, format_statistics
from lint_rules.parallel import available_cores
from lint_rules.project import lint_project
from lint_rules.run_scripts import RUN_SCRIPT_SUFFIXES, RunFlag, is_run_script, read_run_flags
from lint_rules.selection import (
    FIXABLE_CODES,
    RULE_NAMES,
    UNUSED_NOQA,
    Selection,
    UnknownCodeError,
    normalise_codes,
)
from lint_rules.tracked_files import TrackedFiles
from lint_rules.urls import PROJECT_URLS

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

EXAMPLES = f"""\
examples:
  birnn-lint                                   lint the current directory
  birnn-lint src/ notebooks/model.ipynb        files, folders and notebooks
  birnn-lint --fix src/                        apply the safe fixes (--diff shows them)
  cat m.py | birnn-lint --stdin-filename src/m.py
  birnn-lint --output-format sarif -o birnn-lint.sarif .
  birnn-lint rule BRN003                       explain a rule (also: --explain BRN003)

exit status: 0 clean, 1 findings, 2 usage, configuration or internal error.
rules: {PROJECT_URLS["Rules"]}
"""


class UsageError(Exception):
    """A mistake on the command line or in the configuration: exit 2, one clear line."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="birnn-lint",
        usage="%(prog)s [options] [PATH ...]\n       %(prog)s rule CODE",
        description="Find bidirectional-RNN mistakes in PyTorch model code.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files or directories to lint (default: the current directory); - reads stdin",
    )
    parser.add_argument("--version", action="version", version=f"birnn-lint {__version__}")
    parser.add_argument(
        "--explain", metavar="CODE", help="print a rule's page and exit (as `birnn-lint rule CODE`)"
    )
    parser.add_argument(
        "--select",
        action="append",
        default=None,
        metavar="CODES",
        help="comma-separated codes or prefixes to report (replaces the configured select)",
    )
    parser.add_argument(
        "--extend-select",
        action="append",
        default=[],
        metavar="CODES",
        help="codes or prefixes to report in addition to the selection",
    )
    parser.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="CODES",
        help="codes or prefixes not to report (added to the configured ignore)",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=None,
        metavar="PATTERNS",
        help="comma-separated globs of files and folders to skip (replaces the configured list)",
    )
    parser.add_argument(
        "--extend-exclude",
        action="append",
        default=[],
        metavar="PATTERNS",
        help="globs to skip in addition to the configured excludes",
    )
    parser.add_argument(
        "--force-exclude",
        action="store_true",
        help="apply excludes to files named on the command line too (for pre-commit)",
    )
    parser.add_argument(
        "--no-default-path",
        action="store_true",
        help="with no PATH, lint nothing and exit 0 instead of linting the current directory",
    )
    parser.add_argument("--config", metavar="PATH", help="read settings from this TOML file")
    parser.add_argument("--isolated", action="store_true", help="ignore every configuration file")
    parser.add_argument(
        "--format",
        "--output-format",
        dest="format",
        choices=FORMATS,
        default="text",
        help="output format",
    )
    parser.add_argument(
        "--output-file", "-o", metavar="PATH", help="write the report to a file, not stdout"
    )
    parser.add_argument(
        "--statistics", action="store_true", help="print counts per code instead of each finding"
    )
    parser.add_argument("--show-source", action="store_true", help="show the offending line")
    parser.add_argument(
        "--exit-zero", action="store_true", help="exit 0 even when findings are reported"
    )
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument(
        "--fix",
        action="store_true",
        help=f"apply the safe fixes ({', '.join(sorted(FIXABLE_CODES))})",
    )
    modes.add_argument(
        "--diff", action="store_true", help="print the fixes as a unified diff; write nothing"
    )
    modes.add_argument(
        "--add-noqa",
        action="store_true",
        help="append '# noqa: CODE' to every reported line (to adopt the linter on legacy code)",
    )
    parser.add_argument(
        "--report-unused-noqa",
        action="store_true",
        help=f"report '# noqa: BRN...' comments that suppress nothing (as {UNUSED_NOQA})",
    )
    parser.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=0,
        metavar="N",
        help="worker processes (default: all cores; 1 disables the pool)",
    )
    parser.add_argument(
        "--stdin-filename",
        metavar="PATH",
        help="the name to report (and match configuration against) for code read from stdin",
    )
    parser.add_argument(
        "--extra-constructor",
        action="append",
        default=[],
        metavar="NAME",
        help="a project function that builds an RNN like nn.LSTM (repeatable)",
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="neither read nor write the results cache"
    )
    parser.add_argument(
        "--cache-dir",
        metavar="PATH",
        help=f"where the results cache lives (default: {CACHE_DIR_NAME} in the project root)",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no summary on stderr")
    return parser


def _split(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def _load_config(arguments: argparse.Namespace) -> FileConfig:
    if arguments.isolated:
        return load_config(None)
    if arguments.config:
        path = Path(arguments.config)
        if not path.is_file():
            raise ConfigError(f"{path}: configuration file not found")
        return load_config(path, explicit=True)
    start = [p for p in arguments.paths if p != "-"]
    if "-" in arguments.paths and arguments.stdin_filename:
        start.append(arguments.stdin_filename)
    return load_config(find_pyproject(start))


def make_settings(arguments: argparse.Namespace, config: FileConfig) -> Settings:
    select = config.select if config.select is not None else ("BRN0",)
    if arguments.select is not None:
        select = normalise_codes(arguments.select)
    select = select + config.extend_select + normalise_codes(arguments.extend_select)
    if arguments.report_unused_noqa or config.report_unused_noqa:
        select = select + (UNUSED_NOQA,)
    ignore = config.ignore + normalise_codes(arguments.ignore)
    if arguments.fix:
        mode = Mode.FIX
    elif arguments.diff:
        mode = Mode.DIFF
    elif arguments.add_noqa:
        mode = Mode.ADD_NOQA
    else:
        mode = Mode.REPORT
    return Settings(
        selection=Selection(select=select, ignore=ignore),
        per_file_ignores=config.per_file_ignores,
        extra_constructors=config.extra_constructors + tuple(arguments.extra_constructor),
        config_root=str(config.root),
        mode=mode,
    )


def _display(path: Path) -> str:
    text = str(path)
    return text[2:] if text.startswith("./") else text


def lint_paths(
    arguments: argparse.Namespace, settings: Settings, config: FileConfig
) -> list[FileReport]:
    """Read every file, settle the ones the prefilter clears, and lint the rest in parallel."""
    excludes = config.exclude if config.exclude is not None else ()
    if arguments.exclude is not None:
        excludes = _split(arguments.exclude)
    excludes = excludes + config.extend_exclude + _split(arguments.extend_exclude)
    matcher = ExcludeMatcher(config.root, excludes)

    paths = list(arguments.paths)
    if not paths and not arguments.no_default_path:
        paths = ["."]
    reports: dict[int, FileReport] = {}
    pending: list[tuple[int, SourceUnit]] = []
    context: list[SourceUnit] = []  # modules the rules skip, read for the project index
    run_flags: list[RunFlag] = []  # flags the project's shell scripts pass: facts only
    order = 0
    stdin_echo: tuple[int, str] | None = None  # (order, text) that --fix prints back unchanged
    tracked = TrackedFiles()  # what git tracks, asked once per work tree in the run
    for argument in paths:
        if argument == "-":
            display = arguments.stdin_filename or "-"
            loaded: SourceUnit | Reported = load_unit(display, None, sys.stdin.buffer.read())
            if settings.mode == Mode.FIX and isinstance(loaded, SourceUnit):
                stdin_echo = (order, loaded.original)
            if arguments.force_exclude and arguments.stdin_filename:
                if is_force_excluded(Path(display), matcher):
                    reports[order] = FileReport(display)  # excluded: no findings, no warning
                    order += 1
                    continue
            loaded_items = [loaded]
        else:
            if not os.path.lexists(argument):  # a symlink loop is read, to say so
                loaded_items = [
                    Reported(argument, "E902", 1, 1, "cannot read file: No such file or directory")
                ]
            else:
                # a walked folder's shell scripts come along in the same walk, as facts only
                walked = os.path.isdir(argument)
                found = list(
                    discover(
                        [argument],
                        matcher,
                        force_exclude=arguments.force_exclude,
                        suffixes=LINTED_SUFFIXES + (RUN_SCRIPT_SUFFIXES if walked else ()),
                        tracked=tracked,
                    )
                )
                scripts = {path for path in found if walked and is_run_script(path)}
                run_flags.extend(read_run_flags(sorted(scripts), _display))
                loaded_items = [
                    read_unit(_display(path), str(path)) for path in found if path not in scripts
                ]
        for loaded in loaded_items:
            if isinstance(loaded, Reported):
                reports[order] = FileReport(loaded.path, [loaded])
            elif not might_need_rules(loaded, settings):
                reports[order] = FileReport(loaded.display)
                context.append(loaded)
            else:
                pending.append((order, loaded))
            order += 1

    jobs = arguments.jobs if arguments.jobs > 0 else available_cores()
    cache_dir = cache_directory(settings.config_root, arguments.cache_dir, arguments.no_cache)
    reports.update(
        lint_project(
            pending, context, settings, jobs=jobs, cache_dir=cache_dir, run_flags=run_flags
        )
    )
    if stdin_echo is not None and reports[stdin_echo[0]].new_source is None:
        # ruff's convention: `--fix -` always prints the source, fixed or not, for editors
        reports[stdin_echo[0]].new_source = stdin_echo[1]
    return [reports[index] for index in sorted(reports)]


def _summary(findings: list[Reported], reports: list[FileReport], settings: Settings) -> str:
    fixed = sum(report.fixed for report in reports)
    added = sum(report.noqa_added for report in reports)
    parts = []
    if settings.mode == Mode.FIX and fixed:
        parts.append(f"Fixed {fixed} finding{'s' if fixed != 1 else ''}.")
    if settings.mode == Mode.DIFF and fixed:
        parts.append(f"Would fix {fixed} finding{'s' if fixed != 1 else ''} (nothing written).")
    if settings.mode == Mode.ADD_NOQA:
        parts.append(f"Added {added} noqa comment{'s' if added != 1 else ''}.")
    if findings:
        fixable = sum(1 for finding in findings if finding.fixable)
        hint = (
            f" ({fixable} fixable with --fix)" if fixable and settings.mode == Mode.REPORT else ""
        )
        parts.append(f"Found {len(findings)} finding{'s' if len(findings) != 1 else ''}{hint}.")
    return " ".join(parts)


def explain(code: str) -> int:
    """Print a rule's page (``birnn-lint rule CODE``); an unknown code is a usage error."""
    from lint_rules.docs import explain as rule_page

    page = rule_page(code)
    if page is None:
        raise UsageError(f"unknown rule {code!r}; the rules are {', '.join(RULE_NAMES)}")
    sys.stdout.write(page)
    return EXIT_CLEAN


def run(arguments: argparse.Namespace) -> int:
    if arguments.explain is not None:
        return explain(arguments.explain)
    if not arguments.paths and arguments.stdin_filename:
        arguments.paths = ["-"]  # as ruff: a name for stdin means the code comes from stdin
    config = _load_config(arguments)
    settings = make_settings(arguments, config)
    if arguments.jobs < 0:
        raise UsageError("--jobs must be 0 (all cores) or a positive number")
    reports = lint_paths(arguments, settings, config)

    findings = [finding for report in reports for finding in report.findings]
    if not reports and (arguments.paths or not arguments.no_default_path) and not arguments.quiet:
        print("birnn-lint: warning: No Python files found under the given path(s)", file=sys.stderr)
    for report in reports:
        for note in report.notes:
            print(note, file=sys.stderr)
    out = sys.stdout
    handle = None
    if arguments.output_file:
        handle = open(arguments.output_file, "w", encoding="utf-8")  # noqa: SIM115
        out = handle
    try:
        stdin_fixed = [report.new_source for report in reports if report.new_source is not None]
        if stdin_fixed:
            # ruff's convention: with stdin, the fixed source is the output, the report goes aside
            sys.stdout.write(stdin_fixed[0])
            out = sys.stderr if handle is None else out
        if arguments.diff:
            sys.stdout.write("".join(report.diff for report in reports))
            out = sys.stderr if handle is None else out
        if arguments.statistics:
            out.write(format_statistics(findings, arguments.format))
        else:
            text = format_findings(findings, arguments.format, show_source=arguments.show_source)
            if text or arguments.format != "text":
                out.write(text)
    finally:
        if handle is not None:
            handle.close()
    if not arguments.quiet and arguments.format == "text":
        summary = _summary(findings, reports, settings)
        if summary:
            print(summary, file=sys.stderr)

    if any(report.internal_error for report in reports):
        return EXIT_ERROR
    if findings and not arguments.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``birnn-lint`` console script; returns the exit status."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["rule"]:  # ruff's `rule CODE` subcommand; a path named rule is ./rule
        argv = ["--explain", *argv[1:]]
    try:
        arguments = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits 2 on usage errors, 0 on --help/--version
        return int(exit_.code or 0)
    try:
        return run(arguments)
    except (UnknownCodeError, ConfigError, UsageError) as error:
        print(f"birnn-lint: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("birnn-lint: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `birnn-lint . | head`
        sys.stderr.close()
        return EXIT_FINDINGS
    except Exception as error:  # noqa: BLE001 - a bug of ours: one line and exit 2, no traceback
        print(
            f"birnn-lint: internal error: {type(error).__name__}: {error} "
            "(please report it, with the command line)",
            file=sys.stderr,
        )
        return EXIT_ERROR
