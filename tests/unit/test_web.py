"""Static checks of the web UI's sources (no browser): every page is registered with a module that
brings its own strings, and no visible text is hard-coded outside the strings tables."""

from __future__ import annotations

import re

from tests.conftest import ROOT

WEB = ROOT / "web"
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
LITERAL = re.compile(r""""(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`""")
STRINGS_BLOCK = re.compile(r"^export const strings = \{.*?^\};\n", re.S | re.M)


def code_outside_strings(path) -> str:
    """The module without its strings table, comments and lines marked i18n-exempt."""
    text = STRINGS_BLOCK.sub("", path.read_text())
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    lines = [line for line in text.splitlines() if "i18n-exempt" not in line]
    return "\n".join(re.sub(r"(^|\s)//.*$", "", line) for line in lines)


def test_no_chinese_text_is_hard_coded_outside_the_strings_tables():
    found = []
    for path in sorted((WEB / "js").glob("*.js")) + sorted((WEB / "pages").glob("*.js")):
        if path.name == "strings.js":
            continue
        for literal in LITERAL.findall(code_outside_strings(path)):
            if CJK.search(literal):
                found.append(f"{path.relative_to(ROOT)}: {literal}")
    assert found == [], "move these into the module's `strings` table:\n" + "\n".join(found)


def test_every_registered_page_has_a_module_with_strings_in_both_languages_and_a_render():
    registry = (WEB / "js" / "pages.js").read_text()
    ids = re.findall(r'\{ id: "([\w-]+)", path: "(/[\w/-]*)"', registry)
    assert ids, "no pages found in web/js/pages.js"
    assert len({path for _, path in ids}) == len(ids), "two pages share a path"
    for page_id, _ in ids:
        assert f'import("../pages/{page_id}.js")' in registry, f"{page_id}: load() must import its own module"
        module = WEB / "pages" / f"{page_id}.js"
        assert module.is_file(), f"{page_id}: {module.relative_to(ROOT)} is missing"
        source = module.read_text()
        assert STRINGS_BLOCK.search(source), f"{page_id}: export const strings = {{...}}; (closed by '}};' alone)"
        assert '"zh-CN": {' in source and '"en": {' in source, f"{page_id}: strings need zh-CN and en"
        assert re.search(r"^export async function render\(container, ", source, re.M), f"{page_id}: render()"
