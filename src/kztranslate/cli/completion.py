"""``kztranslate completion bash|zsh|tcsh``: print a shell-completion script (made by shtab)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["SHELLS", "register", "run"]

#: Shells shtab writes scripts for.
SHELLS = ("bash", "zsh", "tcsh")

EXAMPLES = """\
examples:
  eval "$(kztranslate completion bash)"                          # this shell only
  kztranslate completion bash > ~/.local/share/bash-completion/completions/kztranslate
  kztranslate completion zsh > "${fpath[1]}/_kztranslate"
"""

# Arguments whose values are paths (by metavar): the shell completes file names for them.
_PATH_METAVARS = {"FILE", "FILE.xlf", "PATH", "DIR", "INPUT", "SOURCE", "VARIANT", "OUT", "TABLE", "NAME|PATH"}
_DIRECTORY_METAVARS = {"DIR"}


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "completion",
        help="print a shell-completion script (bash, zsh, tcsh)",
        description="Print the completion script of a shell: commands, options, their choices, and file names "
        "where a path is expected.",
        epilog=EXAMPLES,
    )
    p.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        import shtab
    except ImportError as exc:  # a declared dependency; only a broken install lacks it
        from ..errors import UsageError

        raise UsageError("shell completion needs shtab: pip install shtab") from exc
    from . import build_parser

    parser = build_parser()
    _mark_paths(parser, shtab)
    sys.stdout.write(shtab.complete(parser, shell=args.shell))
    return 0


def _mark_paths(parser: argparse.ArgumentParser, shtab: Any) -> None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _mark_paths(sub, shtab)
        elif action.metavar in _PATH_METAVARS or action.dest in ("files", "input", "file"):
            action.complete = shtab.DIRECTORY if action.metavar in _DIRECTORY_METAVARS else shtab.FILE  # type: ignore[attr-defined]
