"""Repository checks: manifests, access rules, views, translations' sources."""

import ast
import csv
import re

from lxml import etree

from odoo.tests import TransactionCase, tagged

from .conftest import ADDONS, REPO

LICENSES = {"LGPL-3", "AGPL-3"}
VERSION = re.compile(r"^18\.0\.\d+\.\d+\.\d+$")


def _manifest(addon):
    return ast.literal_eval((REPO / addon / "__manifest__.py").read_text())


def _xml_files():
    for addon in ADDONS:
        yield from sorted((REPO / addon).rglob("*.xml"))


def test_manifests():
    for addon in ADDONS:
        manifest = _manifest(addon)
        assert VERSION.match(manifest["version"]), (addon, manifest["version"])
        assert manifest["license"] in LICENSES, (addon, manifest["license"])
        assert manifest["installable"] is True
        assert (REPO / addon / "static/description/icon.png").is_file(), addon
        assert (REPO / addon / "readme/DESCRIPTION.md").is_file(), addon
        for path in manifest.get("data", []) + manifest.get("demo", []):
            assert (REPO / addon / path).is_file(), (addon, path)


def test_manifest_dependencies_follow_design():
    assert set(_manifest("optical_crm")["depends"]) >= {
        "account",
        "contacts",
        "mass_mailing_sms",
        "phone_validation",
    }
    assert set(_manifest("optical_crm_sms")["depends"]) >= {"optical_crm", "sms"}
    assert "optical_crm" in _manifest("optical_crm_cycles")["depends"]
    assert "optical_crm_sms" not in _manifest("optical_crm_cycles")["depends"]
    pos = _manifest("optical_crm_pos")
    assert set(pos["depends"]) == {"point_of_sale", "optical_crm"}
    assert pos["auto_install"] is True


def _code_strings(path):
    """The imported modules and the string literals of a Python file, less its
    docstrings (prose may name an addon; code may not)."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(
            node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
        )
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            yield node.value


def test_core_names_no_addon_of_its_own():
    """Direction of knowledge: the core (its code, views and data; not its
    tests) names no module of the addons that extend it, nor a model of the
    point of sale; they plug in through its hooks."""
    addons = [addon for addon in ADDONS if addon != "optical_crm"]
    core = REPO / "optical_crm"
    pos_model = re.compile(r"\bpos\.[a-z_.]+|\bpos_order\b|\bpoint_of_sale\b")
    found = []
    for path in sorted(core.rglob("*")):
        relative = path.relative_to(core)
        if relative.parts[0] in ("tests", "i18n") or path.suffix not in (
            ".py",
            ".xml",
            ".js",
            ".csv",
        ):
            continue
        if path.suffix == ".py":
            texts = list(_code_strings(path))
        else:
            texts = [path.read_text()]
        for text in texts:
            found += [(str(relative), a) for a in addons if a in text]
            found += [(str(relative), m) for m in pos_model.findall(text)]
    assert not found, found


def test_every_xml_file_parses_and_no_tree_views():
    files = list(_xml_files())
    assert files
    for path in files:
        root = etree.parse(str(path)).getroot()
        assert not root.xpath("//tree"), f"{path}: use <list>, not <tree>"
        for arch in root.xpath("//field[@name='arch']"):
            assert not arch.xpath(".//tree"), f"{path}: use <list>, not <tree>"
        assert not root.xpath("//@attrs | //@states"), f"{path}: attrs/states are gone"


def test_access_csv_well_formed():
    for addon in ADDONS:
        path = REPO / addon / "security/ir.model.access.csv"
        if not path.exists():
            continue
        with path.open(newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert rows, path
        ids = [row["id"] for row in rows]
        assert len(ids) == len(set(ids)), f"{path}: duplicate ids"
        for row in rows:
            assert row["model_id:id"].startswith("model_") or "." in row["model_id:id"]


@tagged("post_install", "-at_install")
class TestInstalledDatabase(TransactionCase):
    """Checks on the database the addons were installed in by `make test`."""

    def _our_models(self):
        data = self.env["ir.model.data"].search(
            [("module", "in", ADDONS), ("model", "=", "ir.model")]
        )
        # abstract models (e.g. optical.contact.policy) have no table, no access
        return (
            self.env["ir.model"]
            .browse(data.mapped("res_id"))
            .filtered(lambda m: m.model in self.env and not self.env[m.model]._abstract)
        )

    def test_addons_installed(self):
        modules = self.env["ir.module.module"].search([("name", "in", ADDONS)])
        self.assertEqual(set(modules.mapped("state")), {"installed"})
        self.assertEqual(len(modules), len(ADDONS))

    def test_every_model_has_access_rules(self):
        missing = [
            model.model
            for model in self._our_models()
            if not self.env[model.model]._abstract
            and not self.env["ir.model.access"].search_count(
                [("model_id", "=", model.id)]
            )
        ]
        self.assertFalse(missing, f"models without access rules: {missing}")

    def test_every_view_is_valid(self):
        data = self.env["ir.model.data"].search(
            [("module", "in", ADDONS), ("model", "=", "ir.ui.view")]
        )
        views = self.env["ir.ui.view"].browse(data.mapped("res_id"))
        for view in views:
            # the same validation Odoo runs at install, once more on the stored arch
            view._check_xml()
            self.assertNotEqual(view.type, "tree")
