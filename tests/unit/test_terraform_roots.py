"""Which roots a change touches: local modules, version files, var files, backend config, nesting."""

from __future__ import annotations

from pathlib import Path

import pytest

from idp_actions.errors import UsageError
from idp_actions.terraform import hcl, roots
from idp_actions.terraform.roots import RootSpec, Target

BACKEND = 'terraform {\n  backend "local" {}\n}\n'
FILES = {
    "infra/prod/main.tf": BACKEND + 'module "naming" {\n  source = "../../modules/naming"\n  prefix = "p"\n}\n',
    "infra/prod/templates/user-data.tpl": "#!/bin/sh\n",
    "infra/prod/nested/main.tf": BACKEND,
    "infra/dev/main.tf": BACKEND
    + '# module "old" { source = "../../modules/unused" }\n'
    + 'module "naming" {\n  providers = { x = y }\n  source    = "../../modules/naming//sub/.."\n}\n',
    "infra/other/main.tf": 'resource "terraform_data" "x" {\n  input = "a#b // c"\n}\n',
    "infra/json/main.tf.json": '{"module": {"naming": {"source": "../../modules/naming"}}}',
    "modules/naming/main.tf": 'module "util" {\n  source = "../util"\n}\n'
    + 'module "remote" {\n  source = "hashicorp/x/y"\n}\n',
    "modules/util/main.tf": "# util\n",
    "modules/unused/main.tf": "# nobody calls this\n",
    "shared/common.tfvars": "a = 1\n",
    "README.md": "# repo\n",
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    for name, text in FILES.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


SPECS = [
    RootSpec(path="infra/prod", workspaces=("staging", "prod"), var_files=("../../shared/common.tfvars",),
             backend_config=("backend-{x}.hcl", "bucket=state")),
    RootSpec(path="infra/prod/nested"),
    RootSpec(path="infra/dev"),
    RootSpec(path="infra/other"),
    RootSpec(path="infra/json"),
]


MODULE_USERS = ["infra/prod:staging", "infra/prod:prod", "infra/dev:default", "infra/json:default"]


def keys(targets: list[Target]) -> list[str]:
    return [t.key for t in targets]


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        (["modules/util/main.tf"], MODULE_USERS),
        (["modules/naming/variables.tf"], MODULE_USERS),
        (["modules/unused/main.tf"], []),  # only named in a comment
        (["infra/prod/templates/user-data.tpl"], ["infra/prod:staging", "infra/prod:prod"]),
        (["infra/prod/nested/main.tf"], ["infra/prod/nested:default"]),
        (["infra/other/main.tf"], ["infra/other:default"]),
        (["shared/common.tfvars"], ["infra/prod:staging", "infra/prod:prod"]),
        (["infra/prod/backend-{x}.hcl"], ["infra/prod:staging", "infra/prod:prod"]),
        ([".opentofu-version"], [t.key for s in SPECS for t in roots.changed(None, [s], Path())]),
        (["infra/.terraform-version"], [t.key for s in SPECS for t in roots.changed(None, [s], Path())]),
        (["infra/dev/.terraform-version"], ["infra/dev:default"]),
        ([".github/idp.yaml"], [t.key for s in SPECS for t in roots.changed(None, [s], Path())]),
        (["README.md", "docs/x.md"], []),
        (["infra/prod/.terraform/modules/modules.json"], []),
        (["./infra/dev/main.tf"], ["infra/dev:default"]),
    ],
)
def test_changed_roots(repo: Path, changed: list[str], expected: list[str]) -> None:
    assert keys(roots.changed(changed, SPECS, repo)) == expected


def test_unknown_change_set_takes_every_root_in_every_workspace(repo: Path) -> None:
    first = keys(roots.changed(None, SPECS, repo))[:3]
    assert first == ["infra/prod:staging", "infra/prod:prod", "infra/prod/nested:default"]


def test_discovery_finds_roots_and_skips_modules(repo: Path) -> None:
    found = [spec.path for spec in roots.discover(repo)]
    assert found == ["infra/dev", "infra/json", "infra/other", "infra/prod", "infra/prod/nested"]


def test_local_modules_are_followed_transitively_once(repo: Path) -> None:
    (repo / "modules/util/main.tf").write_text('module "back" {\n  source = "../naming"\n}\n', encoding="utf-8")
    found = sorted(p.relative_to(repo).as_posix() for p in roots.local_modules(repo / "infra/prod", repo))
    assert found == ["modules/naming", "modules/util"]


def test_targets_have_safe_slugs() -> None:
    assert Target(root="infra/prod", workspace="eu-1").slug == "infra-prod-eu-1"
    assert Target(root=".", workspace="default").slug == "root-default"
    assert Target(root="infra/prod", workspace="x").to_json() == {
        "root": "infra/prod", "workspace": "x", "key": "infra/prod:x", "slug": "infra-prod-x"
    }


def test_paths_outside_the_repository_are_refused() -> None:
    with pytest.raises(UsageError, match="outside the repository"):
        roots.clean("../elsewhere")
    assert roots.clean("./infra/prod/") == "infra/prod"
    assert roots.clean("") == "."


def test_root_dir_errors(repo: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        roots.root_dir(repo, "infra/none")
    with pytest.raises(UsageError, match=r"no \.tf or \.tofu files"):
        roots.root_dir(repo, "shared")
    assert roots.root_dir(repo, "infra/prod") == repo / "infra/prod"


def test_spec_for_finds_the_configured_root() -> None:
    assert roots.spec_for("./infra/prod/", SPECS) is SPECS[0]
    assert roots.spec_for("infra/new", SPECS) == RootSpec(path="infra/new")
    assert SPECS[0].var_files_for("x") == ("../../shared/common.tfvars",)
    assert RootSpec(path="a", var_files=("{workspace}.tfvars",)).var_files_for("prod") == ("prod.tfvars",)


def test_comment_stripping_keeps_strings() -> None:
    text = 'a = "x # not a comment" # a comment\nb = "${f("y // z")}" // gone\n/* block\n */c = 1'
    assert hcl.strip_comments(text) == 'a = "x # not a comment" \nb = "${f("y // z")}" \n\nc = 1'
