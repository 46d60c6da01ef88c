"""README.md stays true: its two commands are what CI runs, its CLI reference is the CLI's."""

from __future__ import annotations

import re

from tests.support import ROOT, newsdelta

README = (ROOT / "README.md").read_text("utf-8")
CI = (ROOT / ".ci" / "run").read_text("utf-8")


def readme_commands() -> list[str]:
    return re.findall(r"```bash\n(python3 -m venv[^\n]*)\n```", README)


def test_readme_opens_with_the_two_set_up_commands() -> None:
    install_and_demo, install_and_test = readme_commands()[:2]
    assert install_and_demo.endswith("newsdelta demo")
    assert install_and_test.endswith("pytest")


def test_ci_runs_the_readme_commands_verbatim_in_order() -> None:
    install_and_demo, install_and_test = readme_commands()[:2]
    lines = CI.splitlines()
    demo_line = next(i for i, line in enumerate(lines) if line.startswith(install_and_demo + " ||") or line == install_and_demo)
    test_line = next(i for i, line in enumerate(lines) if line.startswith(install_and_test + " ||") or line == install_and_test)
    assert demo_line < test_line


def test_cli_reference_lists_exactly_the_cli_commands() -> None:
    documented = set(re.findall(r"^\| `newsdelta (\w+)", README, re.M))
    help_text = newsdelta("--help").stdout
    actual = set(re.findall(r"^  (\w+)\s{2,}", help_text.split("Commands:")[1], re.M))
    assert documented == actual


def test_documented_options_exist() -> None:
    for command, options in re.findall(r"^\| `newsdelta (\w+)([^`]*)`", README, re.M):
        help_text = newsdelta(command, "--help").stdout
        for option in re.findall(r"--[a-z-]+", options):
            assert option in help_text, f"newsdelta {command} {option}"
