"""lib.tables: the HTML and Markdown tables of chapter 09 and the translation benchmark."""

from lib.tables import html_table, markdown_table


def test_markdown_table():
    table = markdown_table(["a", "b"], [["x", 1.25], ["y", "z"]])
    assert table.splitlines() == ["| a | b |", "|---|---|", "| x | 1.2 |", "| y | z |"]


def test_html_table_escapes_its_cells():
    assert html_table(["a", "b<"], [["x", 1.25]]).splitlines() == [
        "<table>", "<tr><th>a</th><th>b&lt;</th></tr>", "<tr><td>x</td><td>1.2</td></tr>", "</table>"]
