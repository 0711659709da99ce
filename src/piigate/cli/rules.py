"""``piigate rules``: check the sharing rules and run the policy tests."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from piigate.cli.options import (
    config_option,
    one_line_errors,
)

# The rules' models and the screener are imported by the command that uses them.


@click.group()
def rules() -> None:
    """The sharing rules in rules/: check them, and run the policy tests."""


@rules.command("check")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@config_option
@one_line_errors
def rules_check(directory: Path | None, config_path: Path | None) -> None:
    """Validate a rules folder (default: the configured one) without changing anything."""
    from piigate.config import load_settings
    from piigate.decide import load_rules

    folder = directory or load_settings(config_path).rules_dir
    ruleset = load_rules(folder)
    click.echo(
        f"{folder}: OK: {len(ruleset.rules)} rules, {len(ruleset.cases)} cases, "
        f"{len(ruleset.groups)} sender groups"
    )


@rules.command("test")
@click.option("--rules", "rules_dir", type=click.Path(path_type=Path), help="Rules folder.")
@click.option(
    "--tests",
    "tests_dir",
    type=click.Path(path_type=Path),
    help="Policy tests folder (default: RULES/tests).",
)
@config_option
@one_line_errors
def rules_test(rules_dir: Path | None, tests_dir: Path | None, config_path: Path | None) -> None:
    """Run the policy tests against the rules; print a pass/fail table (exit 1 on a failure)."""
    from piigate.config import load_settings
    from piigate.decide import examples
    from piigate.logs import configure_logging
    from piigate.pipeline import build_screener

    settings = load_settings(config_path)
    if rules_dir is not None:
        settings = settings.model_copy(update={"rules_dir": rules_dir})
    configure_logging(settings.log)
    screener = build_screener(settings, load_ner_now=False)
    found = examples.load_examples(tests_dir or settings.rules_dir / "tests")
    try:
        results = examples.run(screener.screen, found, settings.policy.disclaimer)
    finally:
        screener.close()
    for result in results:
        status = "PASS" if result.passed else "FAIL"
        got = f"{result.action.value} {sorted(result.rules)}"
        want = f"{result.expected.action.value} {sorted(result.expected.rules)}"
        detail = "" if result.passed else f"  expected {want}, got {got}"
        click.echo(f"{status}  {result.file}: {result.name}{detail}")
    failed = sum(not r.passed for r in results)
    click.echo(f"{len(results) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
